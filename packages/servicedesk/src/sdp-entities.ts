import { idString, isRecord } from './json-shape.js';

/** A ServiceDesk Plus request (ticket) as SDP v3 returns it; fields this project does not read pass through. */
export interface SdpRequest {
  id: string;
  subject: string;
  description?: string | null;
  requester?: { name?: string; email_id?: string } | null;
  category?: { name: string } | null;
  subcategory?: { name: string } | null;
  priority?: { name: string } | null;
  status?: { name: string } | null;
  created_time?: { value: string; display_value?: string };
  [key: string]: unknown;
}

export interface SdpNote {
  id: string;
  /**
   * Undefined when the answer left it out: some on-prem builds' note LIST carries no description (an
   * integration test against a live instance: "content must be verified by fetching the individual
   * note by ID"). Unknown, not empty: GET the note by id to read it.
   */
  description?: string;
  show_to_requester: boolean;
  created_time?: { value: string };
}

/** SDP times are `{ value: "<epoch ms>", display_value }`; the value is a number on some builds. */
function timeOf(value: unknown): { value: string; display_value?: string } | undefined {
  if (!isRecord(value)) return undefined;
  const ms = idString(value.value);
  if (ms === undefined) return undefined;
  return typeof value.display_value === 'string'
    ? { value: ms, display_value: value.display_value }
    : { value: ms };
}

export function requestFrom(value: unknown): SdpRequest | undefined {
  if (!isRecord(value)) return undefined;
  const id = idString(value.id);
  if (id === undefined) return undefined;
  const request: SdpRequest = {
    ...value,
    id,
    subject: typeof value.subject === 'string' ? value.subject : '',
  };
  const created = timeOf(value.created_time);
  if (created) request.created_time = created;
  else delete request.created_time;
  return request;
}

export function noteFrom(value: unknown): SdpNote | undefined {
  if (!isRecord(value)) return undefined;
  const id = idString(value.id);
  if (id === undefined) return undefined;
  const note: SdpNote = { id, show_to_requester: value.show_to_requester === true };
  if (typeof value.description === 'string') note.description = value.description;
  // Cloud's notes carry `created_time`; on-premises builds call the same moment `added_time`.
  const created = timeOf(value.created_time) ?? timeOf(value.added_time);
  if (created) note.created_time = { value: created.value };
  return note;
}

export interface SdpResolution {
  content: string;
  submitted_by?: { name?: string } | null;
  submitted_on?: { value: string; display_value?: string };
}

export function resolutionFrom(value: unknown): SdpResolution | undefined {
  if (!isRecord(value)) return undefined;
  const content = typeof value.content === 'string' ? value.content : '';
  if (content.trim() === '') return undefined;
  const resolution: SdpResolution = { content };
  if (isRecord(value.submitted_by))
    resolution.submitted_by =
      typeof value.submitted_by.name === 'string' ? { name: value.submitted_by.name } : {};
  const submitted = timeOf(value.submitted_on);
  if (submitted) resolution.submitted_on = submitted;
  return resolution;
}

/** A knowledge-base solution (`/api/v3/solutions`). */
export interface SdpSolution {
  id: string;
  title: string;
  description: string;
  topic?: { name: string } | null;
}

export function solutionFrom(value: unknown): SdpSolution | undefined {
  if (!isRecord(value)) return undefined;
  const id = idString(value.id);
  if (id === undefined) return undefined;
  return {
    id,
    title: typeof value.title === 'string' ? value.title : '',
    description: typeof value.description === 'string' ? value.description : '',
    topic: isRecord(value.topic) && typeof value.topic.name === 'string' ? { name: value.topic.name } : null,
  };
}
