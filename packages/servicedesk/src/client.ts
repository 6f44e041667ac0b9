import { isRecord } from './json-shape.js';
import { type CloudCredentials, createAccessTokenSource } from './oauth-token.js';
import {
  noteFrom,
  requestFrom,
  resolutionFrom,
  type SdpNote,
  type SdpRequest,
  type SdpResolution,
  type SdpSolution,
  solutionFrom,
} from './sdp-entities.js';
import { invalidResponse, type SdpAuthHeaders, type SdpHttpRequest, sendSdpRequest } from './sdp-http.js';
import { ServiceDeskError } from './service-desk-error.js';
import type { TokenStore } from './token-store.js';

/** The key add-note's input_data wraps the note in: editions and builds disagree (see addNote). */
export type NoteWrapper = 'note' | 'request_note';

/** Where a tenant's learned note wrapper is kept, so every process posts right the first time. */
export interface NoteWrapperMemory {
  get(): Promise<NoteWrapper | undefined>;
  remember(wrapper: NoteWrapper): Promise<void>;
}

function createMemoryWrapperMemory(): NoteWrapperMemory {
  let known: NoteWrapper | undefined;
  return {
    get: async () => known,
    remember: async (wrapper) => {
      known = wrapper;
    },
  };
}

export type ServiceDeskAuth =
  | { type: 'onprem'; technicianKey: string }
  | ({ type: 'cloud' } & CloudCredentials);

export interface ServiceDeskClientOptions {
  /** e.g. https://sdp.example.com, or https://sdpondemand.manageengine.com/app/itdesk for a Cloud portal. */
  baseUrl: string;
  auth: ServiceDeskAuth;
  /** Per HTTP call, including reading the body. Default 15000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Cloud: where the tenant's access token is shared (Redis across processes); this process only by default. */
  tokenStore?: TokenStore;
  /** Which note wrapper this installation takes, once learned; this client only by default. */
  noteWrapperMemory?: NoteWrapperMemory;
}

export interface NewNote {
  description: string;
  /** Default false: notes written by this service are for technicians. */
  showToRequester?: boolean;
}

/** A category or priority of the portal: what a request's `category` / `priority` may be set to. */
export interface SdpNamedEntity {
  id: string;
  name: string;
}

export interface RequestUpdate {
  category?: string;
  priority?: string;
}

export interface ServiceDeskClient {
  getRequest(id: string): Promise<SdpRequest>;
  /** The portal's request categories (not deleted ones), at most 1,000. */
  listCategories(): Promise<SdpNamedEntity[]>;
  /** The portal's priorities, at most 1,000. */
  listPriorities(): Promise<SdpNamedEntity[]>;
  /** Sets fields of a request by name (PUT /requests/{id}); only the fields given change. */
  updateRequest(id: string, update: RequestUpdate): Promise<SdpRequest>;
  /** Oldest first as SDP lists them; at most 1,000 notes (10 pages of 100). */
  listNotes(requestId: string): Promise<SdpNote[]>;
  addNote(requestId: string, note: NewNote): Promise<SdpNote>;
  /** The request's resolution; null when it has none. */
  getResolution(requestId: string): Promise<SdpResolution | null>;
  /**
   * One page of resolved and closed requests, oldest first (by creation), optionally only those
   * resolved after `since`. `startIndex` is 1-based, as in SDP's list_info.
   */
  listRequests(page: ListRequestsPage): Promise<{ requests: SdpRequest[]; hasMore: boolean }>;
  /**
   * One page of every request created after `since` (any status), oldest first by creation: the
   * reconcile sweep's list. `startIndex` is 1-based, as in SDP's list_info.
   */
  listCreatedRequests(page: CreatedRequestsPage): Promise<{ requests: SdpRequest[]; hasMore: boolean }>;
  /** Knowledge-base solutions whose title or description contains any of `keywords`. */
  searchSolutions(keywords: string[], options?: { rowCount?: number }): Promise<SdpSolution[]>;
  /** A harmless read that proves the URL and credentials work. */
  ping(): Promise<void>;
}

export interface ListRequestsPage {
  since?: Date | undefined;
  startIndex: number;
  /** At most 100 (SDP's limit). */
  rowCount: number;
}

export interface CreatedRequestsPage {
  since: Date;
  startIndex: number;
  /** At most 100 (SDP's limit). */
  rowCount: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
// 100 is the largest row_count SDP accepts; ten pages bound the work on a pathological ticket while
// covering any ticket a technician still reads.
const NOTES_PAGE_SIZE = 100;
const MAX_NOTE_PAGES = 10;

type Call = Omit<SdpHttpRequest, 'auth'>;

function normaliseBaseUrl(raw: string): string {
  const baseUrl = raw.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`ServiceDesk Plus base URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`ServiceDesk Plus base URL must be http(s): "${raw}"`);
  }
  return baseUrl;
}

function pathId(operation: string, id: string): string {
  // SDP ids are numbers (sent as digit strings). Anything else never reaches a path: encodeURIComponent
  // leaves "..", which the URL parser resolves, so "../x" would address another endpoint.
  if (!SDP_ID.test(id.trim())) {
    throw new ServiceDeskError(
      `ServiceDesk Plus ${operation} failed: the id is not a ServiceDesk Plus id (digits)`,
      {
        kind: 'bad_request',
      },
    );
  }
  return id.trim();
}

const SDP_ID = /^\d{1,20}$/;

const TAXONOMY_PAGE_SIZE = 100;
const ALL_REQUESTS_VIEW = 'All_Requests';

/** SDP refused the input itself (HTTP 400, envelope 4000) and named `field` as the cause. */
function refusesField(error: unknown, field: string): boolean {
  if (!(error instanceof ServiceDeskError) || error.httpStatus !== 400) return false;
  if (error.sdpEnvelopeCode !== undefined && error.sdpEnvelopeCode !== 4000) return false;
  const named = new RegExp(`\\b${field}\\b`);
  return error.sdpFields.includes(field) || error.sdpMessages.some((m) => named.test(m));
}

/**
 * The wrong wrapper for this build: SDP names the key it does not take (e.g. 4012
 * EXTRA_KEY_FOUND_IN_JSON on field request_note), or the one it misses.
 */
function refusesWrapper(error: unknown): boolean {
  return refusesField(error, 'request_note') || refusesField(error, 'note');
}
const MAX_TAXONOMY_PAGES = 10;

function namedEntitiesFrom(list: unknown[]): SdpNamedEntity[] {
  const out: SdpNamedEntity[] = [];
  for (const raw of list) {
    if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name.trim() === '') continue;
    // Deleted categories stay in the list on some builds, flagged; they cannot be set on a request.
    if (raw.deleted === true || raw.inactive === true) continue;
    out.push({ id: String(raw.id ?? raw.name), name: raw.name.trim() });
  }
  return out;
}

function listInfo(rowCount: number, startIndex: number): Record<string, string> {
  return { input_data: JSON.stringify({ list_info: { row_count: rowCount, start_index: startIndex } }) };
}

/** Sends a call with the tenant's credentials; for Cloud, retries once with a fresh token after a 401. */
function createAuthorisedSender(
  http: { baseUrl: string; fetch: typeof fetch; timeoutMs: number },
  auth: ServiceDeskAuth,
  tokenStore: TokenStore | undefined,
) {
  if (auth.type === 'onprem') {
    const onprem: SdpAuthHeaders = {
      headers: { authtoken: auth.technicianKey },
      secrets: [auth.technicianKey],
    };
    return (call: Call) => sendSdpRequest(http, { ...call, auth: onprem });
  }
  const tokens = createAccessTokenSource(auth, http, tokenStore);
  const withToken = (call: Call, token: string) =>
    sendSdpRequest(http, {
      ...call,
      auth: {
        headers: { Authorization: `Zoho-oauthtoken ${token}` },
        secrets: [token, auth.clientSecret, auth.refreshToken],
      },
    });
  return async (call: Call): Promise<unknown> => {
    const first = await tokens.get();
    try {
      return await withToken(call, first.token);
    } catch (error) {
      // A cached token can die before its expiry (revoked, or the portal's client regenerated): one fresh
      // token is worth one retry. A token minted for this very call that is refused is a real auth failure,
      // and a token refused for a missing scope is a permission problem (kind 'forbidden'), never retried.
      if (!(error instanceof ServiceDeskError && error.kind === 'auth' && first.cached)) throw error;
      await tokens.invalidate(first.token);
      const second = await tokens.get();
      return withToken(call, second.token);
    }
  };
}

/** One authorised call to the portal: the answer's JSON body. */
type Send = (call: Call) => Promise<unknown>;

/** How a client posts notes: the wrapper to try first, and where the one that worked is kept. */
interface NoteWrappers {
  documented: NoteWrapper;
  memory: NoteWrapperMemory;
}

/** What a client learned about its portal's request list: a build that refused the view filter. */
interface RequestListState {
  filterRefused: boolean;
}

async function listNamed(send: Send, entity: 'categories' | 'priorities'): Promise<SdpNamedEntity[]> {
  const operation = `GET ${entity}`;
  const out: SdpNamedEntity[] = [];
  for (let page = 0; page < MAX_TAXONOMY_PAGES; page++) {
    const query = listInfo(TAXONOMY_PAGE_SIZE, 1 + page * TAXONOMY_PAGE_SIZE);
    const body = await send({ operation, method: 'GET', path: `/${entity}`, query });
    const list = isRecord(body) ? body[entity] : undefined;
    if (!isRecord(body) || !Array.isArray(list)) throw invalidResponse(operation, entity);
    out.push(...namedEntitiesFrom(list));
    const more = isRecord(body.list_info) && body.list_info.has_more_rows === true;
    if (!more || list.length === 0) break;
  }
  return out;
}

async function getRequest(send: Send, id: string): Promise<SdpRequest> {
  const operation = `GET request ${id}`;
  const body = await send({ operation, method: 'GET', path: `/requests/${pathId(operation, id)}` });
  const request = requestFrom(isRecord(body) ? body.request : undefined);
  if (!request) throw invalidResponse(operation, 'request');
  return request;
}

async function updateRequest(send: Send, id: string, update: RequestUpdate): Promise<SdpRequest> {
  const operation = `PUT request ${id}`;
  const fields: Record<string, { name: string }> = {};
  if (update.category) fields.category = { name: update.category };
  if (update.priority) fields.priority = { name: update.priority };
  const body = await send({
    operation,
    method: 'PUT',
    path: `/requests/${pathId(operation, id)}`,
    form: { input_data: JSON.stringify({ request: fields }) },
  });
  const request = requestFrom(isRecord(body) ? body.request : undefined);
  if (!request) throw invalidResponse(operation, 'request');
  return request;
}

async function listNotes(send: Send, requestId: string): Promise<SdpNote[]> {
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

async function addNote(
  send: Send,
  wrappers: NoteWrappers,
  requestId: string,
  note: NewNote,
): Promise<SdpNote> {
  const operation = `POST note on request ${requestId}`;
  const path = `/requests/${pathId(operation, requestId)}/notes`;
  const fields = {
    description: note.description,
    show_to_requester: note.showToRequester ?? false,
    // The note is context for whoever picks the ticket up; it must not page anyone or count as the
    // first response on the SLA.
    notify_technician: false,
    mark_first_response: false,
    add_to_linked_requests: false,
  };
  const post = async (wrapper: NoteWrapper) => {
    const body = await send({
      operation,
      method: 'POST',
      path,
      form: { input_data: JSON.stringify({ [wrapper]: fields }) },
    });
    const created = isRecord(body) ? noteFrom(body.request_note ?? body.note) : undefined;
    if (!created) throw invalidResponse(operation, 'note');
    return created;
  };
  const first = (await wrappers.memory.get()) ?? wrappers.documented;
  try {
    return await post(first);
  } catch (error) {
    // SDP refused the input itself, naming the wrapper: nothing was created, so the other wrapper is
    // tried once, and remembered when it works. Any other refusal is final and keeps SDP's reason.
    if (!refusesWrapper(error)) throw error;
    const other: NoteWrapper = first === 'note' ? 'request_note' : 'note';
    const created = await post(other);
    await wrappers.memory.remember(other);
    return created;
  }
}

async function getResolution(send: Send, requestId: string): Promise<SdpResolution | null> {
  const operation = `GET resolution of request ${requestId}`;
  const body = await send({
    operation,
    method: 'GET',
    path: `/requests/${pathId(operation, requestId)}/resolutions`,
  });
  if (!isRecord(body)) throw invalidResponse(operation, 'resolution');
  return resolutionFrom(body.resolution) ?? null;
}

/** The list_info of one page of resolved and closed requests, oldest first. */
function resolvedRequestsListInfo(page: ListRequestsPage) {
  const criteria: Record<string, unknown>[] = [
    { field: 'status.name', condition: 'is', values: ['Resolved', 'Closed'] },
  ];
  if (page.since)
    criteria.push({
      field: 'resolved_time',
      condition: 'greater than',
      value: String(page.since.getTime()),
      logical_operator: 'AND',
    });
  return {
    row_count: Math.min(page.rowCount, 100),
    start_index: page.startIndex,
    // A stable order is what makes a stored start_index a valid resume point.
    sort_field: 'created_time',
    sort_order: 'asc',
    get_total_count: false,
    search_criteria: criteria,
  };
}

/**
 * Requests created after `since`, whatever their status, oldest first: the "Get List Request" call
 * (on-premises sdpop-v3-api/requests/request.html, Cloud sdpod-v3-api/requests/request.html) with a
 * `created_time` "greater than" criterion in epoch milliseconds, as list_info's search_criteria takes
 * times on both editions (sdpop-v3-api / sdpod-v3-api getting-started/input-data.html: row_count at
 * most 100, sort_field, sort_order "asc"/"desc"). Ascending creation order is what makes paging by
 * start_index safe while tickets arrive: a new ticket joins the end of the list, never a page already read.
 */
function createdRequestsListInfo(page: CreatedRequestsPage) {
  return {
    row_count: Math.min(Math.max(page.rowCount, 1), 100),
    start_index: page.startIndex,
    sort_field: 'created_time',
    sort_order: 'asc',
    get_total_count: false,
    search_criteria: [
      { field: 'created_time', condition: 'greater than', value: String(page.since.getTime()) },
    ],
  };
}

async function listRequests(
  send: Send,
  state: RequestListState,
  listInfo: Record<string, unknown>,
): Promise<{ requests: SdpRequest[]; hasMore: boolean }> {
  const operation = 'GET requests';
  // Without filter_by, SDP lists within the technician's default view, which on most portals hides
  // closed (and often resolved) requests. The "All_Requests" view holds every request; a build that
  // does not know that view name refuses it (400, naming filter_by), and then the status criteria
  // alone select the page.
  const list = (filtered: boolean) =>
    send({
      operation,
      method: 'GET',
      path: '/requests',
      query: {
        input_data: JSON.stringify({
          list_info: filtered ? { ...listInfo, filter_by: { name: ALL_REQUESTS_VIEW } } : listInfo,
        }),
      },
    });
  let body: unknown;
  if (state.filterRefused) body = await list(false);
  else {
    try {
      body = await list(true);
    } catch (error) {
      if (!refusesField(error, 'filter_by')) throw error;
      state.filterRefused = true;
      body = await list(false);
    }
  }
  if (!isRecord(body) || !Array.isArray(body.requests)) throw invalidResponse(operation, 'requests');
  const requests = body.requests.map(requestFrom).filter((r): r is SdpRequest => r !== undefined);
  const hasMore = isRecord(body.list_info) && body.list_info.has_more_rows === true;
  return { requests, hasMore };
}

async function searchSolutions(
  send: Send,
  keywords: string[],
  options: { rowCount?: number } = {},
): Promise<SdpSolution[]> {
  const operation = 'GET solutions';
  const words = keywords.filter((k) => k.trim() !== '').slice(0, 10);
  if (words.length === 0) return [];
  // SDP's search_criteria ORs these together: any keyword in the title or the description.
  const criteria = words.flatMap((word, i) =>
    ['title', 'description'].map((field, j) => ({
      field,
      condition: 'contains',
      value: word,
      ...(i + j > 0 ? { logical_operator: 'OR' } : {}),
    })),
  );
  const body = await send({
    operation,
    method: 'GET',
    path: '/solutions',
    query: {
      input_data: JSON.stringify({
        list_info: {
          row_count: Math.min(options.rowCount ?? 25, 100),
          start_index: 1,
          search_criteria: criteria,
        },
      }),
    },
  });
  if (!isRecord(body) || !Array.isArray(body.solutions)) throw invalidResponse(operation, 'solutions');
  return body.solutions.map(solutionFrom).filter((s): s is SdpSolution => s !== undefined);
}

async function ping(send: Send): Promise<void> {
  const operation = 'GET requests';
  const body = await send({ operation, method: 'GET', path: '/requests', query: listInfo(1, 1) });
  if (!isRecord(body)) throw invalidResponse(operation, 'JSON object');
}

export function createServiceDeskClient(opts: ServiceDeskClientOptions): ServiceDeskClient {
  const http = {
    baseUrl: normaliseBaseUrl(opts.baseUrl),
    fetch: opts.fetch ?? globalThis.fetch,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  const send: Send = createAuthorisedSender(http, opts.auth, opts.tokenStore);
  const wrappers: NoteWrappers = {
    // The documented wrapper first: Cloud's "Add Request Note" (sdpod-v3-api/requests/request_note.html)
    // sends request_note; current on-premises builds take note (as the ManageEngine.ServiceDesk.OnPrem
    // PowerShell module and Google SecOps' ServiceDesk Plus V3 integration send it), older ones request_note.
    documented: opts.auth.type === 'onprem' ? 'note' : 'request_note',
    memory: opts.noteWrapperMemory ?? createMemoryWrapperMemory(),
  };
  const requestList: RequestListState = { filterRefused: false };

  return {
    getRequest: (id) => getRequest(send, id),
    listCategories: () => listNamed(send, 'categories'),
    listPriorities: () => listNamed(send, 'priorities'),
    updateRequest: (id, update) => updateRequest(send, id, update),
    listNotes: (requestId) => listNotes(send, requestId),
    addNote: (requestId, note) => addNote(send, wrappers, requestId, note),
    getResolution: (requestId) => getResolution(send, requestId),
    listRequests: (page) => listRequests(send, requestList, resolvedRequestsListInfo(page)),
    listCreatedRequests: (page) => listRequests(send, requestList, createdRequestsListInfo(page)),
    searchSolutions: (keywords, options) => searchSolutions(send, keywords, options),
    ping: () => ping(send),
  };
}
