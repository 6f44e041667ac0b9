import { isRecord } from '../json-value.js';
import { type Edition, wrongWrapper } from './editions.js';
import { type SdpFailureBody, sdpFailure } from './sdp-answers.js';
import type { NoteWrapper } from './ticket-store.js';

/**
 * Shapes real portals answer in that the fake's default portal does not make, each from a source
 * (docs/servicedesk-plus.md, "The strict sandbox"). A portal makes those in its `quirks`; STRICT_QUIRKS
 * makes them all.
 */
export type SdpQuirk =
  /**
   * Add-note refuses a field its edition's "Add Request Note" page does not document, 400 with 4012
   * EXTRA_KEY_FOUND_IN_JSON naming the field. On-premises (sdpop-v3-api/requests/request_note.html)
   * documents description, show_to_requester, mark_first_response, add_to_linked_requests; Cloud
   * (sdpod-v3-api/requests/request_note.html) also notify_technician.
   */
  | 'documented-note-fields'
  /**
   * A build that refuses the wrong add-note wrapper without naming it: 400, 4012, "Value for description
   * is mandatory", field description (it looked for the description in its own wrapper and found none).
   */
  | 'unnamed-wrapper-refusal'
  /**
   * Cloud-sized ids: 18 digits (public SOAR integrations' docs show request ids like 123640000000279007),
   * sent as JSON numbers (both v3 pages type `id` as "long"), above 2^53.
   */
  | 'long-ids'
  /**
   * An unknown request id answered 400 with 4001 (the vendor's common error codes: "id or name given
   * does not exist") instead of 404 with 4007.
   */
  | 'unknown-id-4001'
  /**
   * The note LIST carries no description (an integration test against a live on-prem instance: "content
   * must be verified by fetching the individual note by ID"); GET /requests/{id}/notes/{note_id} has it.
   */
  | 'note-list-without-description';

export const STRICT_QUIRKS: readonly SdpQuirk[] = [
  'documented-note-fields',
  'unnamed-wrapper-refusal',
  'long-ids',
  'unknown-id-4001',
  'note-list-without-description',
];

const ONPREM_NOTE_FIELDS = [
  'description',
  'show_to_requester',
  'mark_first_response',
  'add_to_linked_requests',
];
const DOCUMENTED_NOTE_FIELDS: Record<Edition, ReadonlySet<string>> = {
  onprem: new Set(ONPREM_NOTE_FIELDS),
  cloud: new Set([...ONPREM_NOTE_FIELDS, 'notify_technician']),
};

/** The refusal of the first add-note field the edition does not document, if any. */
export function undocumentedNoteField(
  fields: Record<string, unknown>,
  edition: Edition,
): SdpFailureBody | undefined {
  const extra = Object.keys(fields).find((key) => !DOCUMENTED_NOTE_FIELDS[edition].has(key));
  return extra === undefined ? undefined : sdpFailure(4012, 'EXTRA_KEY_FOUND_IN_JSON', extra);
}

/** How a build refuses the wrong wrapper: naming it (default) or only missing the description. */
export function wrongWrapperRefusal(sent: NoteWrapper, quirks: ReadonlySet<SdpQuirk>): SdpFailureBody {
  return quirks.has('unnamed-wrapper-refusal')
    ? sdpFailure(4012, 'Value for description is mandatory', 'description')
    : wrongWrapper(sent);
}

export const UNKNOWN_ID = sdpFailure(4001, 'Id or name given does not exist', 'id');

// Node's JSON.rawJSON (V8's "JSON.parse source text access"; not yet in TypeScript's lib) writes the
// digits as a JSON number, as a real portal does, however many there are.
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
const DIGITS = /^\d+$/;

/** The answer with every `id` that is a digit string written as a JSON number (linear in the body). */
export function idsAsNumbers(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(idsAsNumbers);
  if (!isRecord(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    out[key] =
      key === 'id' && typeof value === 'string' && DIGITS.test(value) ? rawJson(value) : idsAsNumbers(value);
  }
  return out;
}
