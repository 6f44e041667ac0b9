import type { SdpAuthType } from './edition.js';

/**
 * The documented shapes of add-note's input_data: a wrapper key and the field set inside it.
 * - On-premises "Add Request Note" (sdpop-v3-api/requests/request_note.html#add-request-note) documents
 *   description, show_to_requester, mark_first_response, add_to_linked_requests, and no
 *   notify_technician. Current on-prem builds take the `note` wrapper (so do the
 *   ManageEngine.ServiceDesk.OnPrem PowerShell module and Google SecOps' ServiceDesk Plus V3
 *   integration); old on-prem builds take `request_note`, with the same on-prem fields.
 * - Cloud "Add Request Note" (sdpod-v3-api/requests/request_note.html#add-request-note) wraps it in
 *   `request_note` and documents notify_technician too.
 */
export type NoteWrapper = 'note' | 'request_note';
/** Which edition's "Add Request Note" page a shape's fields come from. */
export type NoteFieldSet = 'onprem' | 'cloud';
/** The add-note order an edition follows: an MSP edition follows its single-portal counterpart's. */
export type NoteEdition = SdpAuthType;

export interface NoteShape {
  readonly wrapper: NoteWrapper;
  readonly fields: NoteFieldSet;
}

const ONPREM_FIELDS = ['description', 'show_to_requester', 'mark_first_response', 'add_to_linked_requests'];
/** The keys each field set sends inside the wrapper: exactly those its edition's page documents. */
export const NOTE_FIELDS: Record<NoteFieldSet, readonly string[]> = {
  onprem: ONPREM_FIELDS,
  cloud: [...ONPREM_FIELDS, 'notify_technician'],
};

export const CURRENT_ONPREM: NoteShape = { wrapper: 'note', fields: 'onprem' };
export const OLD_ONPREM: NoteShape = { wrapper: 'request_note', fields: 'onprem' };
export const CLOUD: NoteShape = { wrapper: 'request_note', fields: 'cloud' };

/**
 * The shapes a client tries, in order, when it has learned none: its edition's documented shape, then
 * the other wrapper in the field set the build that takes it documents. Cloud's third shape (its own
 * wrapper without notify_technician) is reached only when a refusal named a field (notes.ts, addNote).
 */
const SHAPE_ORDER: Record<NoteEdition, readonly NoteShape[]> = {
  onprem: [CURRENT_ONPREM, OLD_ONPREM],
  cloud: [CLOUD, CURRENT_ONPREM, OLD_ONPREM],
};

export const sameShape = (a: NoteShape, b: NoteShape) => a.wrapper === b.wrapper && a.fields === b.fields;

/** The learned shape first (if any), then the edition's order without it. */
export function shapesToTry(learned: NoteShape | undefined, edition: NoteEdition): readonly NoteShape[] {
  const order = SHAPE_ORDER[edition];
  return learned ? [learned, ...order.filter((shape) => !sameShape(shape, learned))] : order;
}

export function shapeLabel(shape: NoteShape): string {
  return `${shape.wrapper} with the ${shape.fields === 'onprem' ? 'on-premises' : 'Cloud'} fields`;
}

/**
 * How a learned shape is stored: `wrapper:fields`, except for the two shapes tenants learned before field
 * sets were part of a shape. Those keep their old names, which meant exactly these: `note` was posted
 * with the on-prem fields and `request_note` with notify_technician as well. So stored values read as
 * what they meant, and a worker of the previous release reads the names it knows (and ignores the rest).
 */
const LEGACY_FIELDS: Record<NoteWrapper, NoteFieldSet> = { note: 'onprem', request_note: 'cloud' };
const STORED_NAME = /^(note|request_note)(?::(onprem|cloud))?$/;

export function storedNoteShapeName(shape: NoteShape): string {
  return LEGACY_FIELDS[shape.wrapper] === shape.fields ? shape.wrapper : `${shape.wrapper}:${shape.fields}`;
}

export function noteShapeFromStored(raw: unknown): NoteShape | undefined {
  const match = typeof raw === 'string' ? STORED_NAME.exec(raw) : null;
  if (!match) return undefined;
  const wrapper = match[1] as NoteWrapper;
  return { wrapper, fields: (match[2] as NoteFieldSet | undefined) ?? LEGACY_FIELDS[wrapper] };
}

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
