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
  /**
   * The customer a request belongs to on the MSP editions; absent on single-portal editions, and
   * when an MSP answer carries no account id this project can read (then the request is no account's).
   */
  account?: SdpAccount;
  [key: string]: unknown;
}

/**
 * An MSP customer ("account"; "customer" in MSP Cloud's guide) as v3 answers name it on a request:
 * `account: { id, name }`, read so by ManageEngine's own web client and by the MSP admin guide's
 * "Account --> Region --> Site --> Department" (docs/servicedesk-plus-msp.md). The id goes through
 * idString (a digit string or a safe integer; an 18-digit number arrives losslessly as its digits).
 */
export interface SdpAccount {
  id: string;
  name: string;
}

/** An account name longer than this is cut: names are display text, never keys. */
export const MAX_ACCOUNT_NAME_CHARS = 250;
// Longer than any SDP id (18 digits on Cloud); a longer "id" is not one.
const MAX_ACCOUNT_ID_CHARS = 32;

export function accountFrom(value: unknown): SdpAccount | undefined {
  if (!isRecord(value)) return undefined;
  const id = idString(value.id);
  if (id === undefined || id.length > MAX_ACCOUNT_ID_CHARS) return undefined;
  const name = typeof value.name === 'string' ? value.name.trim().slice(0, MAX_ACCOUNT_NAME_CHARS) : '';
  return { id, name };
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
  // Only an account with a readable id is one: the worker takes it as the request's customer.
  const account = 'account' in value ? accountFrom(value.account) : undefined;
  if (account) request.account = account;
  else delete request.account;
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
