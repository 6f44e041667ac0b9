import { isRecord } from './json-shape.js';
import {
  NOTE_FIELDS,
  type NoteEdition,
  type NoteShape,
  type NoteShapeMemory,
  shapeLabel,
  shapesToTry,
} from './note-shapes.js';
import { listInfo, pathId } from './request-path.js';
import { noteFrom, type SdpNote } from './sdp-entities.js';
import { invalidResponse, type SdpSend } from './sdp-http.js';
import { ServiceDeskError } from './service-desk-error.js';

export interface NewNote {
  description: string;
  /** Default false: notes written by this service are for technicians. */
  showToRequester?: boolean;
}

/** How a client posts notes: its edition (which shapes, in which order), and where the one that worked is kept. */
export interface NoteShapes {
  edition: NoteEdition;
  memory: NoteShapeMemory;
}

// 100 is the largest row_count SDP accepts; ten pages bound the work on a pathological ticket while
// covering any ticket a technician still reads.
const NOTES_PAGE_SIZE = 100;
const MAX_NOTE_PAGES = 10;

/** The fields a shape sends: exactly those its field set's page documents (note-shapes.ts). */
function noteFields(shape: NoteShape, note: NewNote): Record<string, unknown> {
  const values: Record<string, unknown> = {
    description: note.description,
    show_to_requester: note.showToRequester ?? false,
    // The note is context for whoever picks the ticket up; it must not count as the first response on
    // the SLA, nor be copied to linked requests, nor notify anyone (Cloud only documents the last).
    mark_first_response: false,
    add_to_linked_requests: false,
    notify_technician: false,
  };
  return Object.fromEntries(NOTE_FIELDS[shape.fields].map((key) => [key, values[key]]));
}

export async function listNotes(send: SdpSend, requestId: string): Promise<SdpNote[]> {
  const operation = `GET notes of request ${requestId}`;
  const path = `/requests/${pathId(operation, requestId)}/notes`;
  const notes: SdpNote[] = [];
  for (let page = 0; page < MAX_NOTE_PAGES; page++) {
    const query = listInfo(NOTES_PAGE_SIZE, 1 + page * NOTES_PAGE_SIZE);
    const body = await send({ operation, method: 'GET', path, query });
    // Cloud calls the list `notes`; some on-prem builds call it `request_notes`.
    const list = isRecord(body) ? (body.notes ?? body.request_notes) : undefined;
    if (!isRecord(body) || !Array.isArray(list)) throw invalidResponse(operation, 'notes');
    for (const raw of list) {
      const note = noteFrom(raw);
      if (note) notes.push(note);
    }
    const more = isRecord(body.list_info) && body.list_info.has_more_rows === true;
    if (!more || list.length === 0) break;
  }
  return notes;
}

/**
 * One note with its description: "Get Request Note", GET /requests/{id}/notes/{note_id} (sdpod-v3-api
 * and sdpop-v3-api requests/request_note.html#get-request-note). The answer wraps it in `request_note`
 * (Cloud) or `note` (on-premises); both are read.
 */
export async function getNote(send: SdpSend, requestId: string, noteId: string): Promise<SdpNote> {
  const operation = `GET note ${noteId} of request ${requestId}`;
  const path = `/requests/${pathId(operation, requestId)}/notes/${pathId(operation, noteId)}`;
  const body = await send({ operation, method: 'GET', path });
  const note = isRecord(body) ? noteFrom(body.request_note ?? body.note) : undefined;
  if (!note) throw invalidResponse(operation, 'note');
  return note;
}

async function postNote(send: SdpSend, requestId: string, shape: NoteShape, note: NewNote) {
  const operation = `POST note on request ${requestId}`;
  const body = await send({
    operation,
    method: 'POST',
    path: `/requests/${pathId(operation, requestId)}/notes`,
    form: { input_data: JSON.stringify({ [shape.wrapper]: noteFields(shape, note) }) },
  });
  const created = isRecord(body) ? noteFrom(body.request_note ?? body.note) : undefined;
  if (!created) throw invalidResponse(operation, 'note');
  return created;
}

function refusedInput(error: unknown): error is ServiceDeskError {
  return error instanceof ServiceDeskError && error.httpStatus === 400;
}

interface Refusal {
  shape: NoteShape;
  error: ServiceDeskError;
}

/** Every shape refused: SDP's codes, messages and fields of each answer, the first one's first. */
function everyShapeRefused([first, ...later]: [Refusal, ...Refusal[]]) {
  const { error } = first;
  const laterSaid = later.map(
    (r) =>
      `; then in ${shapeLabel(r.shape)}: ${r.error.message.replace(/^ServiceDesk Plus .*? failed: /, '')}`,
  );
  return new ServiceDeskError(`${error.message} (in ${shapeLabel(first.shape)})${laterSaid.join('')}`, {
    kind: error.kind,
    httpStatus: error.httpStatus,
    sdpStatusCode: error.sdpStatusCode,
    sdpEnvelopeCode: error.sdpEnvelopeCode,
    sdpFields: [first, ...later].flatMap((r) => r.error.sdpFields),
    sdpMessages: [first, ...later].flatMap((r) => r.error.sdpMessages),
    scopeMismatch: error.scopeMismatch,
    cause: later.at(-1)?.error,
  });
}

/**
 * How many posts a note may take: two (the shape tried first, one other), or three when a refusal named
 * a field inside the wrapper that the next shape drops (e.g. notify_technician): that refusal was about
 * the fields, not the wrapper, so the wrapper it was sent in still deserves a try without them.
 */
function postBudget(refusals: readonly Refusal[], order: readonly NoteShape[]): number {
  const namedDroppedField = refusals.some(({ shape, error }, i) => {
    const next = order[i + 1];
    return (
      next !== undefined &&
      error.sdpFields.some(
        (f) => NOTE_FIELDS[shape.fields].includes(f) && !NOTE_FIELDS[next.fields].includes(f),
      )
    );
  });
  return Math.min(order.length, namedDroppedField ? 3 : 2);
}

/**
 * Posts a note in the tenant's shape (learned, else its edition's documented one). SDP refuses a wrong
 * shape in several ways: naming the wrapper (4012 EXTRA_KEY_FOUND_IN_JSON on `request_note`), naming an
 * undocumented field (`notify_technician`), or naming neither ("Value for description is mandatory"). A
 * refused add-note (HTTP 400) created nothing, so after ANY 400 the next shape of note-shapes.ts is
 * tried, within postBudget, and the one that works is remembered. The last refusal keeps every reason.
 */
export async function addNote(
  send: SdpSend,
  shapes: NoteShapes,
  requestId: string,
  note: NewNote,
): Promise<SdpNote> {
  const order = shapesToTry(await shapes.memory.get(), shapes.edition);
  const refusals: Refusal[] = [];
  for (const [i, shape] of order.entries()) {
    if (i >= postBudget(refusals, order)) break;
    try {
      const created = await postNote(send, requestId, shape, note);
      if (i > 0) await shapes.memory.remember(shape);
      return created;
    } catch (error) {
      if (!refusedInput(error)) throw error;
      refusals.push({ shape, error });
    }
  }
  const [first, ...later] = refusals;
  // Unreachable without a refusal: the budget is at least one post and every shape either returns or throws.
  if (!first) throw invalidResponse(`POST note on request ${requestId}`, 'note');
  throw everyShapeRefused([first, ...later]);
}
