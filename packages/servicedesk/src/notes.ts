import { isRecord } from './json-shape.js';
import { listInfo, pathId } from './request-path.js';
import { noteFrom, type SdpNote } from './sdp-entities.js';
import { invalidResponse, type SdpSend } from './sdp-http.js';
import { ServiceDeskError } from './service-desk-error.js';

/**
 * The two documented shapes of add-note's input_data, each named by its wrapper key:
 * - `note`: on-premises "Add Request Note" (sdpop-v3-api/requests/request_note.html#add-request-note):
 *   `{"note":{description, show_to_requester, mark_first_response, add_to_linked_requests}}`. That page
 *   documents no `notify_technician`. Current on-prem builds take `note` (so do the
 *   ManageEngine.ServiceDesk.OnPrem PowerShell module and Google SecOps' ServiceDesk Plus V3 integration).
 * - `request_note`: Cloud "Add Request Note" (sdpod-v3-api/requests/request_note.html#add-request-note):
 *   `{"request_note":{…the same, notify_technician}}`. Old on-prem builds take this wrapper too.
 * The names are also what a tenant's learned shape is stored as (readable as the older learned wrapper).
 */
export type NoteShape = 'note' | 'request_note';

/** Where a tenant's learned note shape is kept, so every process posts right the first time. */
export interface NoteShapeMemory {
  get(): Promise<NoteShape | undefined>;
  remember(shape: NoteShape): Promise<void>;
}

export function createMemoryNoteShapeMemory(): NoteShapeMemory {
  let known: NoteShape | undefined;
  return {
    get: async () => known,
    remember: async (shape) => {
      known = shape;
    },
  };
}

export interface NewNote {
  description: string;
  /** Default false: notes written by this service are for technicians. */
  showToRequester?: boolean;
}

/** How a client posts notes: the edition's documented shape first, and where the one that worked is kept. */
export interface NoteShapes {
  documented: NoteShape;
  memory: NoteShapeMemory;
}

// 100 is the largest row_count SDP accepts; ten pages bound the work on a pathological ticket while
// covering any ticket a technician still reads.
const NOTES_PAGE_SIZE = 100;
const MAX_NOTE_PAGES = 10;

/** The fields each shape sends: exactly those its edition's page documents. */
function noteFields(shape: NoteShape, note: NewNote): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    description: note.description,
    show_to_requester: note.showToRequester ?? false,
    // The note is context for whoever picks the ticket up; it must not count as the first response on
    // the SLA, nor be copied to linked requests.
    mark_first_response: false,
    add_to_linked_requests: false,
  };
  // Only Cloud documents notify_technician; a strict on-prem build refuses it (4012 EXTRA_KEY_FOUND_IN_JSON).
  if (shape === 'request_note') fields.notify_technician = false;
  return fields;
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
    form: { input_data: JSON.stringify({ [shape]: noteFields(shape, note) }) },
  });
  const created = isRecord(body) ? noteFrom(body.request_note ?? body.note) : undefined;
  if (!created) throw invalidResponse(operation, 'note');
  return created;
}

function refusedInput(error: unknown): error is ServiceDeskError {
  return error instanceof ServiceDeskError && error.httpStatus === 400;
}

/** Both shapes refused: SDP's codes, messages and fields of both answers, the first one's first. */
function bothShapesRefused(first: ServiceDeskError, second: ServiceDeskError, other: NoteShape) {
  const secondSaid = second.message.replace(/^ServiceDesk Plus .*? failed: /, '');
  return new ServiceDeskError(`${first.message}; in the other shape (${other}): ${secondSaid}`, {
    kind: first.kind,
    httpStatus: first.httpStatus,
    sdpStatusCode: first.sdpStatusCode,
    sdpEnvelopeCode: first.sdpEnvelopeCode,
    sdpFields: [...first.sdpFields, ...second.sdpFields],
    sdpMessages: [...first.sdpMessages, ...second.sdpMessages],
    scopeMismatch: first.scopeMismatch,
    cause: second,
  });
}

/**
 * Posts a note in the tenant's shape (learned, else the edition's documented one). SDP refuses a
 * wrong shape in several ways: naming the wrapper (4012 EXTRA_KEY_FOUND_IN_JSON on `request_note`),
 * naming an undocumented field (`notify_technician`), or naming neither ("Value for description is
 * mandatory"). A refused add-note (HTTP 400) created nothing, so after ANY 400 the other shape is
 * tried once and remembered when it works. A second refusal keeps both of SDP's reasons.
 */
export async function addNote(
  send: SdpSend,
  shapes: NoteShapes,
  requestId: string,
  note: NewNote,
): Promise<SdpNote> {
  const first = (await shapes.memory.get()) ?? shapes.documented;
  try {
    return await postNote(send, requestId, first, note);
  } catch (error) {
    if (!refusedInput(error)) throw error;
    const other: NoteShape = first === 'note' ? 'request_note' : 'note';
    let created: SdpNote;
    try {
      created = await postNote(send, requestId, other, note);
    } catch (second) {
      throw refusedInput(second) ? bothShapesRefused(error, second, other) : second;
    }
    await shapes.memory.remember(other);
    return created;
  }
}
