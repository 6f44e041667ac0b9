import { createCloudSender } from './cloud-sender.js';
import { authTypeOf, isMspEdition, type SdpEdition } from './edition.js';
import { idString, isRecord } from './json-shape.js';
import { createMemoryNoteShapeMemory, type NoteShapeMemory } from './note-shapes.js';
import { addNote, getNote, listNotes, type NewNote, type NoteShapes } from './notes.js';
import { type CloudCredentials, createAccessTokenSource } from './oauth-token.js';
import { listInfo, pathId } from './request-path.js';
import {
  requestFrom,
  resolutionFrom,
  type SdpNote,
  type SdpRequest,
  type SdpResolution,
  type SdpSolution,
  solutionFrom,
} from './sdp-entities.js';
import {
  invalidResponse,
  type SdpAuthHeaders,
  type SdpHttpRequest,
  type SdpSend,
  sendSdpRequest,
} from './sdp-http.js';
import { ServiceDeskError } from './service-desk-error.js';
import type { TokenStore } from './token-store.js';

export type ServiceDeskAuth =
  | { type: 'onprem'; technicianKey: string }
  | ({ type: 'cloud' } & CloudCredentials);

export interface ServiceDeskClientOptions {
  /** e.g. https://sdp.example.com, or https://sdpondemand.manageengine.com/app/itdesk for a Cloud portal. */
  baseUrl: string;
  auth: ServiceDeskAuth;
  /**
   * Which ServiceDesk Plus it is; default the single-portal edition of `auth`. An MSP edition
   * authenticates as its counterpart (`msp-onprem` as `onprem`, `msp-cloud` as `cloud`) and lets list
   * calls name one account; `auth` must match it.
   */
  edition?: SdpEdition;
  /** Per HTTP call, including reading the body. Default 15000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Cloud: where the tenant's access token is shared (Redis across processes); this process only by default. */
  tokenStore?: TokenStore;
  /** Which add-note shape this installation takes, once learned; this client only by default. */
  noteShapeMemory?: NoteShapeMemory;
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
  /**
   * Oldest first as SDP lists them; at most 1,000 notes (10 pages of 100). A note's description is
   * undefined when the list leaves it out (some on-prem builds do): getNote has it.
   */
  listNotes(requestId: string): Promise<SdpNote[]>;
  /** Posts an internal note in the tenant's add-note shape (see notes.ts, addNote). */
  addNote(requestId: string, note: NewNote): Promise<SdpNote>;
  /** One note, with its description ("Get Request Note"). */
  getNote(requestId: string, noteId: string): Promise<SdpNote>;
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
  /** MSP editions: only this account's requests (`list_info.account_id`); every visible account's without. */
  accountId?: string | undefined;
}

export interface CreatedRequestsPage {
  since: Date;
  startIndex: number;
  /** At most 100 (SDP's limit). */
  rowCount: number;
  /** MSP editions: only this account's requests (`list_info.account_id`); every visible account's without. */
  accountId?: string | undefined;
}

const DEFAULT_TIMEOUT_MS = 15_000;
type Call = Omit<SdpHttpRequest, 'auth'>;
type Send = SdpSend;

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

const TAXONOMY_PAGE_SIZE = 100;
const ALL_REQUESTS_VIEW = 'All_Requests';

/** SDP refused the input itself (HTTP 400, envelope 4000) and named `field` as the cause. */
function refusesField(error: unknown, field: string): boolean {
  if (!(error instanceof ServiceDeskError) || error.httpStatus !== 400) return false;
  if (error.sdpEnvelopeCode !== undefined && error.sdpEnvelopeCode !== 4000) return false;
  const named = new RegExp(`\\b${field}\\b`);
  return error.sdpFields.includes(field) || error.sdpMessages.some((m) => named.test(m));
}

const MAX_TAXONOMY_PAGES = 10;

function namedEntitiesFrom(list: unknown[]): SdpNamedEntity[] {
  const out: SdpNamedEntity[] = [];
  for (const raw of list) {
    if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name.trim() === '') continue;
    // Deleted categories stay in the list on some builds, flagged; they cannot be set on a request.
    if (raw.deleted === true || raw.inactive === true) continue;
    out.push({ id: idString(raw.id) ?? raw.name.trim(), name: raw.name.trim() });
  }
  return out;
}

/** Sends a call with the tenant's credentials; for Cloud, see createCloudSender for a 401. */
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
  return createCloudSender(tokens, withToken);
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

/**
 * `account_id` inside list_info narrows a list to one MSP account: ManageEngine's own web client sends
 * it so "to get account specific details for SDP MSP" (its history component, beside row_count and
 * sort_field). Nothing is added without an account, so single-portal calls stay exactly as they were.
 */
function accountScope(edition: SdpEdition, accountId: string | undefined): { account_id?: string } {
  if (accountId === undefined) return {};
  if (!isMspEdition(edition)) {
    throw new ServiceDeskError(
      `ServiceDesk Plus GET requests failed: an account id is only for the MSP editions, not ${edition}`,
      { kind: 'bad_request' },
    );
  }
  return { account_id: pathId('GET requests of an account', accountId) };
}

/** The list_info of one page of resolved and closed requests, oldest first. */
function resolvedRequestsListInfo(page: ListRequestsPage, account: { account_id?: string }) {
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
    ...account,
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
function createdRequestsListInfo(page: CreatedRequestsPage, account: { account_id?: string }) {
  return {
    row_count: Math.min(Math.max(page.rowCount, 1), 100),
    start_index: page.startIndex,
    sort_field: 'created_time',
    sort_order: 'asc',
    get_total_count: false,
    search_criteria: [
      { field: 'created_time', condition: 'greater than', value: String(page.since.getTime()) },
    ],
    ...account,
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

/** The client's edition: the one given, which must authenticate as `auth` does, or auth's own. */
function editionOf(opts: ServiceDeskClientOptions): SdpEdition {
  const edition = opts.edition ?? opts.auth.type;
  if (authTypeOf(edition) !== opts.auth.type) {
    throw new Error(
      `ServiceDesk Plus edition ${edition} authenticates as ${authTypeOf(edition)}, but the credentials are ${opts.auth.type}`,
    );
  }
  return edition;
}

export function createServiceDeskClient(opts: ServiceDeskClientOptions): ServiceDeskClient {
  const edition = editionOf(opts);
  const http = {
    baseUrl: normaliseBaseUrl(opts.baseUrl),
    fetch: opts.fetch ?? globalThis.fetch,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  const send: Send = createAuthorisedSender(http, opts.auth, opts.tokenStore);
  const noteShapes: NoteShapes = {
    // Each edition's documented shape first, then its other shapes (note-shapes.ts cites both pages).
    edition: opts.auth.type,
    memory: opts.noteShapeMemory ?? createMemoryNoteShapeMemory(),
  };
  const requestList: RequestListState = { filterRefused: false };

  return {
    getRequest: (id) => getRequest(send, id),
    listCategories: () => listNamed(send, 'categories'),
    listPriorities: () => listNamed(send, 'priorities'),
    updateRequest: (id, update) => updateRequest(send, id, update),
    listNotes: (requestId) => listNotes(send, requestId),
    addNote: (requestId, note) => addNote(send, noteShapes, requestId, note),
    getNote: (requestId, noteId) => getNote(send, requestId, noteId),
    getResolution: (requestId) => getResolution(send, requestId),
    listRequests: async (page) =>
      listRequests(send, requestList, resolvedRequestsListInfo(page, accountScope(edition, page.accountId))),
    listCreatedRequests: async (page) =>
      listRequests(send, requestList, createdRequestsListInfo(page, accountScope(edition, page.accountId))),
    searchSolutions: (keywords, options) => searchSolutions(send, keywords, options),
    ping: () => ping(send),
  };
}
