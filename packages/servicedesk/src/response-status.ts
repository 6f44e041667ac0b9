import { isRecord } from './json-shape.js';

/** One entry of `response_status.messages`: its code, SDP's text and every field it names. */
export interface SdpMessage {
  code?: number;
  message?: string;
  /** The first field named (`field`, or the first of `fields`). */
  field?: string;
  /** Every field named: `field` and each of `fields: [...]`, in SDP's order, without repeats. */
  fields: string[];
}

export interface SdpStatus {
  /** SDP said the call failed, whatever the HTTP status was. */
  failed: boolean;
  /** The envelope's own status_code (4000 for every input problem); absent on some builds. */
  envelopeCode?: number;
  /** The most specific SDP code: the first message code given, else the envelope's. */
  code?: number;
  message?: string;
  /** The input field the first message blames, when SDP names one (e.g. "request_note"). */
  field?: string;
  /** Every message's code, text and fields, for callers that look past the first. */
  messages: SdpMessage[];
}

function codeOf(value: unknown): number | undefined {
  const code = typeof value === 'string' && /^\d{1,6}$/.test(value.trim()) ? Number(value) : value;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

// A failed answer lists one message per refused field; a handful is all any real answer carries.
const MAX_MESSAGES = 20;
const MAX_FIELDS_PER_MESSAGE = 20;
const MAX_NAME_CHARS = 100;

/** `field: "x"` and `fields: ["x", "y"]` (a refusal naming several fields), both bounded. */
function fieldsOf(entry: Record<string, unknown>): string[] {
  const listed = Array.isArray(entry.fields) ? entry.fields.slice(0, MAX_FIELDS_PER_MESSAGE) : [];
  const names = [entry.field, ...listed]
    .filter((f): f is string => typeof f === 'string' && f.trim() !== '')
    .map((f) => f.trim().slice(0, MAX_NAME_CHARS));
  return [...new Set(names)];
}

function messageOf(entry: Record<string, unknown>): SdpMessage {
  const fields = fieldsOf(entry);
  return { code: codeOf(entry.status_code), message: text(entry.message), field: fields[0], fields };
}

/** A message that reports a failure by itself: `type: "failed"` or a 4xxx code. */
const failedMessage = (entry: Record<string, unknown>) =>
  entry.type === 'failed' || (codeOf(entry.status_code) ?? 0) >= 4000;

/**
 * Reads the `response_status` envelope. SDP returns it as an object on single-entity calls and as an
 * array of such objects on list calls, so both shapes are accepted. The shape of a failure follows
 * the vendor's "Common Error Codes" page (sdpod-v3-api/getting-started/common-error-code.html, and
 * sdpop-v3-api/getting-started/common-error-code.html for on-premises): an envelope status_code of
 * 4000 and `messages[]` entries with their own status_code, message and, for input errors, `field`.
 * Answers replayed from public integrations also show what that page does not: an envelope with no
 * status_code of its own (the code only inside `messages`) and a message naming several fields in
 * `fields: [...]`; both are read, so a refusal keeps every code and field it names.
 */
export function sdpStatusOf(body: unknown): SdpStatus {
  if (!isRecord(body)) return { failed: false, messages: [] };
  const raw = body.response_status;
  const entries = (Array.isArray(raw) ? raw.slice(0, MAX_MESSAGES) : [raw]).filter(isRecord);
  for (const entry of entries) {
    const envelopeCode = codeOf(entry.status_code);
    const rawMessages = (Array.isArray(entry.messages) ? entry.messages.slice(0, MAX_MESSAGES) : []).filter(
      isRecord,
    );
    const failed =
      entry.status === 'failed' ||
      (envelopeCode !== undefined && envelopeCode >= 4000) ||
      (envelopeCode === undefined && entry.status !== 'success' && rawMessages.some(failedMessage));
    if (!failed) continue;
    const messages = rawMessages.map(messageOf);
    const first = messages[0];
    return {
      failed: true,
      envelopeCode,
      code: messages.find((m) => m.code !== undefined)?.code ?? envelopeCode,
      message: first?.message,
      field: messages.find((m) => m.field !== undefined)?.field,
      messages,
    };
  }
  return { failed: false, messages: [] };
}
