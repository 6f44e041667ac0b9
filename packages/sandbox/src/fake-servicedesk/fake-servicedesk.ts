import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendCall } from '../call-log.js';
import { createFaultBoard, type FaultPlan } from '../fault-plan.js';
import { readBody, sendJson, sendText } from '../http-io.js';
import { startHttpServer } from '../http-server.js';
import { isRecord, parseJson } from '../json-value.js';
import { answerSandboxControl } from '../sandbox-control.js';
import {
  acceptsV3,
  type Edition,
  editionOf,
  type PortalEdition,
  scopeAllows,
  scopeAreaOf,
  scopeRefusal,
  servedEditionOf,
  WRONG_ACCEPT,
} from './editions.js';
import {
  listFilter,
  listInfoOf,
  malformedCriterion,
  pageOf,
  requestedOrder,
  requestedPage,
  searchCriteria,
  sortedBy,
} from './list-info.js';
import {
  ACCOUNT_NOT_ALLOWED,
  type AccountBook,
  type AccountCredential,
  createAccountBook,
  listedAccount,
  type MspAccount,
  type MspAccountInput,
  type MspOptions,
  mspRequestInput,
} from './msp.js';
import { createTokenIssuer, type SandboxOAuthClient } from './oauth-tokens.js';
import {
  idsAsNumbers,
  type SdpQuirk,
  UNKNOWN_ID,
  undocumentedNoteField,
  wrongWrapperRefusal,
} from './quirks.js';
import { type RefusalShapes, shapeRefusal } from './refusal-shapes.js';
import {
  faultBody,
  INVALID_API_KEY,
  invalidValues,
  NOT_FOUND,
  NOT_JSON_PAGE,
  SUCCESS,
  sdpFailure,
  tokenFaultBody,
} from './sdp-answers.js';
import { fieldOf, matchesCriteria, type NewSolution, type StoredSolution } from './solutions.js';
import {
  createTicketStore,
  type NewStoredNote,
  type NoteWrapper,
  type SdpRequestInput,
  type SdpRequestRecord,
  type StoredNote,
} from './ticket-store.js';

export const DEFAULT_TECHNICIAN_KEY = 'sandbox-technician-key';

export type SdpFaultRoute =
  | 'getRequest'
  | 'listNotes'
  | 'getNote'
  | 'addNote'
  | 'getResolution'
  | 'listRequests'
  | 'listSolutions'
  | 'updateRequest'
  | 'listCategories'
  | 'listPriorities'
  | 'token'
  | 'all';
const FAULT_ROUTES: readonly SdpFaultRoute[] = [
  'getRequest',
  'listNotes',
  'getNote',
  'addNote',
  'getResolution',
  'listRequests',
  'listSolutions',
  'updateRequest',
  'listCategories',
  'listPriorities',
  'token',
  'all',
];

/** A fresh fake portal's taxonomy: what an SDP installation ships with, more or less. */
export const DEFAULT_CATEGORIES = [
  'Desktop Hardware',
  'Email',
  'Network',
  'Printers',
  'Software',
  'User Administration',
];
export const DEFAULT_PRIORITIES = ['Low', 'Medium', 'High', 'Urgent'];

export interface FakeServiceDeskOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** PEM certificate and key: the portal (and its accounts server) answer over https. */
  tls?: { cert: string; key: string };
  /** Keys accepted in the `authtoken` header; default ['sandbox-technician-key']. */
  technicianKeys?: string[];
  /** The one OAuth client the fake accounts server knows; without it every token request is refused. */
  oauth?: SandboxOAuthClient;
  /**
   * Which edition the portal is: on-premises answers under /api/v3 with technician keys, Cloud under
   * /app/<portal>/api/v3 with Zoho tokens. Default 'both', one portal reachable both ways.
   * 'msp-onprem' and 'msp-cloud' are the MSP editions (msp.ts), reached as on-premises and Cloud.
   */
  edition?: PortalEdition | 'both';
  /**
   * An MSP portal's customers and who may see which (msp.ts); given, the portal is an MSP one even
   * with edition 'both'. Default for an MSP edition: no accounts yet (addAccount adds them).
   */
  msp?: MspOptions;
  /**
   * The add-note wrapper each edition's build takes; the other is refused as real SDP refuses it.
   * Default: on-premises 'note' (current builds; old builds take 'request_note'), Cloud 'request_note'.
   */
  noteWrappers?: { onprem?: NoteWrapper; cloud?: NoteWrapper };
  /**
   * The requests a list without filter_by shows: 'pending' (default, as a technician's default view:
   * no resolved, closed or cancelled requests) or 'all'.
   */
  defaultListView?: 'pending' | 'all';
  /** List view names filter_by may name; others are refused with 4001. Default: the system views. */
  listViews?: readonly string[];
  /** How this build words its refusals (refusal-shapes.ts); default the vendor's documented shape. */
  refusals?: RefusalShapes;
  /** Shapes of stricter or odder real portals this one makes (quirks.ts; STRICT_QUIRKS for all). */
  quirks?: readonly SdpQuirk[];
}

export interface SdpCall {
  method: string;
  path: string;
  /** The add-note wrapper sent, for add-note calls. */
  wrapper?: NoteWrapper;
  /** MSP portals: the account a list call narrowed to (`list_info.account_id`), when it named one. */
  accountId?: string;
  /** 0 when the call was deliberately never answered (hang fault). */
  status: number;
}

export interface FakeServiceDesk {
  /** What a tenant stores as its SDP base URL. */
  url: string;
  /** Zoho accounts URL for Cloud auth: the same server, which serves POST /oauth/v2/token. */
  accountsUrl: string;
  /**
   * A request; give it `status: { name: 'Resolved' }`, `resolution: { content }` and `resolved_time` to
   * make it history. On an MSP portal it needs `account` (id or name) and `requester` (msp.ts).
   */
  addRequest(request: SdpRequestInput): SdpRequestRecord;
  /** MSP portals: a customer account (throws on other portals, a duplicate name or id). */
  addAccount(account: MspAccountInput): MspAccount;
  /** MSP portals: the accounts, in order; [] on other portals. */
  accounts(): MspAccount[];
  /** MSP portals: the accounts a technician key (or every Zoho token) may see from now on. */
  limitAccounts(credential: AccountCredential, accountIds: readonly string[] | 'all'): void;
  /** A knowledge-base solution, found by `GET /api/v3/solutions` with search_criteria. */
  addSolution(solution: NewSolution): StoredSolution;
  /** Seeds a note as if a technician had written it (no HTTP call, nothing in `calls`). */
  addNote(requestId: string, note: NewStoredNote): StoredNote;
  /** Replaces the portal's categories and priorities (names; ids are assigned). */
  setTaxonomy(taxonomy: { categories?: string[]; priorities?: string[] }): void;
  /** The request as the fake stores it now (after any PUT), or undefined. */
  request(id: string): SdpRequestRecord | undefined;
  /** Notes of one request, or of all requests, oldest first. */
  notes(requestId?: string): StoredNote[];
  /** API and token calls, oldest first, last 10,000; /_sandbox/ control calls are not recorded. */
  calls: SdpCall[];
  setFault(route: SdpFaultRoute, plan: FaultPlan): void;
  clearFaults(): void;
  /** Invalidates every issued OAuth access token, so the next API call with one gets a 401. */
  revokeTokens(): void;
  close(): Promise<void>;
}

type Route =
  | { name: 'getRequest'; id: string }
  | { name: 'listNotes'; id: string }
  | { name: 'getNote'; id: string; noteId: string }
  | { name: 'addNote'; id: string }
  | { name: 'getResolution'; id: string }
  | { name: 'updateRequest'; id: string }
  | { name: 'listRequests' }
  | { name: 'listSolutions' }
  | { name: 'listCategories' }
  | { name: 'listPriorities' }
  | { name: 'token' };

// Matched against the path below a Cloud portal's /app/<portal> prefix (editionOf strips it).
const REQUESTS_PATH = /^\/api\/v3\/requests(?:\/([^/]+)(\/notes|\/resolutions)?(?:\/([^/]+))?)?\/?$/;
const SOLUTIONS_PATH = /^\/api\/v3\/solutions\/?$/;
const TAXONOMY_PATH = /^\/api\/v3\/(categories|priorities)\/?$/;
const MAX_BODY_BYTES = 1024 * 1024;

function named(names: string[], firstId: number) {
  return names.map((name, i) => ({ id: String(firstId + i), name, deleted: false }));
}

/** Reads update-request's input_data: `{ request: { category: { name }, priority: { name } } }`. */
function requestUpdate(
  req: IncomingMessage,
  body: string,
  allowed: { categories: string[]; priorities: string[] },
): { fields: Record<string, { name: string }> } | { error: ReturnType<typeof sdpFailure> } {
  if (!(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return { error: sdpFailure(4000, 'input_data must be sent as application/x-www-form-urlencoded') };
  }
  const input = parseJson(new URLSearchParams(body).get('input_data') ?? '');
  if (!isRecord(input) || !isRecord(input.request))
    return { error: sdpFailure(4012, 'Value for mandatory-field is not provided.', 'request') };
  const fields: Record<string, { name: string }> = {};
  const refused: string[] = [];
  for (const [field, list] of [
    ['category', allowed.categories],
    ['priority', allowed.priorities],
  ] as const) {
    const value = input.request[field];
    if (value === undefined) continue;
    const name = isRecord(value) && typeof value.name === 'string' ? value.name : undefined;
    // SDP refuses a name that is not in the portal's list, as "invalid value" on that field, and
    // names every such field (one message each; refusal-shapes.ts may merge them into `fields`).
    if (name === undefined || !list.includes(name)) refused.push(field);
    else fields[field] = { name };
  }
  if (refused.length > 0) return { error: invalidValues(refused) };
  return { fields };
}

function routeOf(method: string, pathname: string): Route | undefined {
  if (pathname === '/oauth/v2/token' && method === 'POST') return { name: 'token' };
  if (SOLUTIONS_PATH.test(pathname)) return method === 'GET' ? { name: 'listSolutions' } : undefined;
  const taxonomy = TAXONOMY_PATH.exec(pathname);
  if (taxonomy && method === 'GET')
    return { name: taxonomy[1] === 'categories' ? 'listCategories' : 'listPriorities' };
  const match = REQUESTS_PATH.exec(pathname);
  if (!match) return undefined;
  const [, rawId, sub, rawNoteId] = match;
  const notes = sub === '/notes' ? sub : undefined;
  if (rawId === undefined) return method === 'GET' ? { name: 'listRequests' } : undefined;
  const id = decoded(rawId);
  if (id === undefined) return undefined;
  if (rawNoteId !== undefined) {
    // Only a note has a path below its request's: GET /requests/{id}/notes/{note_id} ("Get Request Note").
    const noteId = decoded(rawNoteId);
    return notes && method === 'GET' && noteId !== undefined ? { name: 'getNote', id, noteId } : undefined;
  }
  if (sub === '/resolutions') return method === 'GET' ? { name: 'getResolution', id } : undefined;
  if (notes === undefined) {
    if (method === 'GET') return { name: 'getRequest', id };
    return method === 'PUT' ? { name: 'updateRequest', id } : undefined;
  }
  if (method === 'GET') return { name: 'listNotes', id };
  if (method === 'POST') return { name: 'addNote', id };
  return undefined;
}

function decoded(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * A note as each edition writes it: Cloud names its time `created_time`, on-premises `added_time`.
 * Without its description in a list of a portal with the 'note-list-without-description' quirk.
 */
function noteForApi(note: StoredNote, edition: Edition, withDescription = true) {
  return {
    id: note.id,
    ...(withDescription ? { description: note.description } : {}),
    show_to_requester: note.show_to_requester,
    notify_technician: false,
    mark_first_response: false,
    add_to_linked_requests: false,
    ...(edition === 'cloud' ? { created_time: note.created_time } : { added_time: note.created_time }),
    [edition === 'cloud' ? 'created_by' : 'added_by']: {
      name: 'Sandbox Technician',
      email_id: 'technician@sandbox.invalid',
    },
  };
}

/** System list views of a portal, the names filter_by may give (GET /list_view_filters/show_all). */
const SYSTEM_LIST_VIEWS = [
  'All_Requests',
  'Open_System',
  'Onhold_System',
  'Overdue_System',
  'Completed_System',
];
const PENDING_HIDES = new Set(['resolved', 'closed', 'cancelled', 'canceled']);

/** The fields a list call returns per request; SDP leaves the description out of lists. */
function requestSummary(request: SdpRequestRecord) {
  const { description: _description, ...summary } = request;
  return summary;
}

/** What decides how a portal reads add-note: the wrapper its build takes, its edition, its quirks. */
interface NotePortal {
  accepted: NoteWrapper;
  edition: Edition;
  quirks: ReadonlySet<SdpQuirk>;
}

type NoteInput =
  | { wrapper: NoteWrapper; description: string; show_to_requester: boolean }
  | { error: ReturnType<typeof sdpFailure>; wrapper?: NoteWrapper };

/**
 * Reads add-note's input_data the way SDP does: form-encoded, wrapped in the one key this build takes,
 * and, with the 'documented-note-fields' quirk, only the fields the edition documents.
 */
function noteInput(req: IncomingMessage, body: string, portal: NotePortal): NoteInput {
  const { accepted, quirks } = portal;
  if (!(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return { error: sdpFailure(4000, 'input_data must be sent as application/x-www-form-urlencoded') };
  }
  const raw = new URLSearchParams(body).get('input_data');
  if (raw === null)
    return { error: sdpFailure(4012, 'Value for mandatory-field is not provided.', 'input_data') };
  const input = parseJson(raw);
  if (!isRecord(input)) return { error: sdpFailure(4000, 'input_data is not a JSON object') };
  const other: NoteWrapper = accepted === 'note' ? 'request_note' : 'note';
  if (other in input) return { error: wrongWrapperRefusal(other, quirks), wrapper: other };
  if (!isRecord(input[accepted]))
    return { error: sdpFailure(4012, 'Value for mandatory-field is not provided.', accepted) };
  const wrapper = accepted;
  const fields = input[wrapper] as Record<string, unknown>;
  const extra = quirks.has('documented-note-fields')
    ? undocumentedNoteField(fields, portal.edition)
    : undefined;
  if (extra) return { error: extra, wrapper };
  if (typeof fields.description !== 'string' || fields.description.trim() === '') {
    return { error: sdpFailure(4012, 'Value for mandatory-field is not provided.', 'description'), wrapper };
  }
  return { wrapper, description: fields.description, show_to_requester: fields.show_to_requester === true };
}

/** What one fake server holds: its tickets, tokens, faults, settings and the calls it answered. */
interface FakeState {
  opts: FakeServiceDeskOptions;
  store: ReturnType<typeof createTicketStore>;
  tokens: ReturnType<typeof createTokenIssuer>;
  faults: ReturnType<typeof createFaultBoard<Exclude<SdpFaultRoute, 'all'>>>;
  technicianKeys: Set<string>;
  served: Edition | 'both';
  /** MSP portals only: the customer accounts and who may see which. */
  accounts: AccountBook | undefined;
  wrappers: Record<Edition, NoteWrapper>;
  listViews: Set<string>;
  quirks: ReadonlySet<SdpQuirk>;
  calls: SdpCall[];
  solutions: StoredSolution[];
  nextSolutionId: number;
  taxonomy: { categories: string[]; priorities: string[] };
}

/** One API call being answered: where it came in and how to answer it (logged as a call). */
interface Exchange {
  req: IncomingMessage;
  url: URL;
  method: string;
  edition: Edition;
  apiPath: string;
  body: string;
  /** Whether the caller may see an account (MSP portals; always true elsewhere). */
  maySee(accountId: string): boolean;
  /** Records the account a list call names, for the call log. */
  listing(accountId: string): void;
  answer(status: number, body: unknown, headers?: Record<string, string>): void;
}

/**
 * A fake ServiceDesk Plus v3 API (plus Zoho's token endpoint) on a real HTTP port, as strict as the
 * real editions (editions.ts): the edition's auth header only, the v3 Accept header, the build's note
 * wrapper, Cloud scopes on each token, Zoho's token limits. An unknown request id answers HTTP 404
 * with SDP code 4007 (the vendor's common-error-code pages); an unknown name in input answers 4001.
 */
export async function startFakeServiceDesk(opts: FakeServiceDeskOptions = {}): Promise<FakeServiceDesk> {
  const quirks = new Set(opts.quirks ?? []);
  const edition = opts.edition ?? 'both';
  const msp = opts.msp ?? (edition === 'msp-onprem' || edition === 'msp-cloud' ? {} : undefined);
  const state: FakeState = {
    opts,
    store: createTicketStore({ longIds: quirks.has('long-ids') }),
    tokens: createTokenIssuer(opts.oauth),
    faults: createFaultBoard<Exclude<SdpFaultRoute, 'all'>>(),
    technicianKeys: new Set(opts.technicianKeys ?? [DEFAULT_TECHNICIAN_KEY]),
    served: servedEditionOf(edition),
    accounts: msp ? createAccountBook(msp, { longIds: quirks.has('long-ids') }) : undefined,
    wrappers: {
      onprem: opts.noteWrappers?.onprem ?? 'note',
      cloud: opts.noteWrappers?.cloud ?? 'request_note',
    },
    listViews: new Set(opts.listViews ?? SYSTEM_LIST_VIEWS),
    quirks,
    calls: [],
    solutions: [],
    nextSolutionId: 300001,
    taxonomy: { categories: [...DEFAULT_CATEGORIES], priorities: [...DEFAULT_PRIORITIES] },
  };
  const server = await startHttpServer((req, res) => handle(state, req, res), {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  return fakeServiceDesk(state, server);
}

/** The test-facing side of a running fake. */
function fakeServiceDesk(state: FakeState, server: { url: string; close(): Promise<void> }): FakeServiceDesk {
  const { store, taxonomy } = state;
  return {
    url: server.url,
    accountsUrl: server.url,
    addRequest: (request) => addRequest(state, request),
    addAccount: (account) => mspBook(state).add(account),
    accounts: () => state.accounts?.list() ?? [],
    limitAccounts: (credential, accountIds) => mspBook(state).limit(credential, accountIds),
    addSolution: (solution) => {
      const stored: StoredSolution = {
        id: solution.id ?? String(state.nextSolutionId++),
        title: solution.title,
        description: solution.description ?? '',
        topic: solution.topic ? { name: solution.topic } : null,
      };
      state.solutions.push(stored);
      return { ...stored };
    },
    addNote: (requestId, note) => ({ ...store.addNote(requestId, note) }),
    setTaxonomy: (given) => {
      if (given.categories) taxonomy.categories = [...given.categories];
      if (given.priorities) taxonomy.priorities = [...given.priorities];
    },
    request: (id) => {
      const found = store.getRequest(id);
      return found ? structuredClone(found) : undefined;
    },
    notes: (requestId) => notesOf(state, requestId),
    calls: state.calls,
    setFault: (route, plan) => state.faults.set(route, plan),
    clearFaults: () => state.faults.clear(),
    revokeTokens: () => state.tokens.revokeAll(),
    close: () => server.close(),
  };
}

function mspBook(state: FakeState): AccountBook {
  if (!state.accounts) throw new Error('accounts are for MSP portals (edition msp-onprem or msp-cloud)');
  return state.accounts;
}

/** A request as the portal takes it: on an MSP portal, with its account, site and requester (msp.ts). */
function addRequest(state: FakeState, request: SdpRequestInput): SdpRequestRecord {
  return state.store.addRequest(state.accounts ? mspRequestInput(state.accounts, request) : request);
}

function notesOf(state: FakeState, requestId?: string): StoredNote[] {
  const notes = requestId === undefined ? state.store.allNotes() : state.store.notesOf(requestId);
  return notes.map((note) => ({ ...note, created_time: { ...note.created_time } }));
}

/** On-premises takes only a technician key, Cloud only a Zoho token: the scopes it carries, or undefined. */
function credentialsOf(
  state: FakeState,
  req: IncomingMessage,
  edition: Edition,
): readonly string[] | undefined {
  if (edition === 'onprem') {
    const key = req.headers.authtoken;
    return typeof key === 'string' && state.technicianKeys.has(key) ? ['*'] : undefined;
  }
  const match = /^Zoho-oauthtoken (\S+)$/.exec(req.headers.authorization ?? '');
  return match?.[1] === undefined ? undefined : state.tokens.scopesOf(match[1]);
}

function control(state: FakeState, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const json = async () => parseJson(await readBody(req, MAX_BODY_BYTES));
  return answerSandboxControl(res, `${req.method} ${url.pathname.replace(/\/+$/, '')}`, {
    calls: state.calls,
    clearFaults: () => state.faults.clear(),
    setFault(body) {
      const faultRoute = isRecord(body) ? body.route : undefined;
      if (!FAULT_ROUTES.includes(faultRoute as SdpFaultRoute))
        throw new Error(`route must be one of ${FAULT_ROUTES.join(', ')}`);
      state.faults.set(faultRoute as SdpFaultRoute, (body as Record<string, unknown>).plan as FaultPlan);
    },
    body: json,
    endpoints: {
      'POST /_sandbox/requests': async () => [201, addRequest(state, (await json()) as SdpRequestInput)],
      'GET /_sandbox/notes': async () => [
        200,
        notesOf(state, url.searchParams.get('request_id') ?? undefined),
      ],
    },
  });
}

/**
 * One HTTP request, in the order the real service checks: the route (and edition), the Accept
 * header, faults (as from a load balancer in front of everything), the token endpoint, then the
 * edition's credentials and scopes, then the call itself.
 */
async function handle(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  if (url.pathname.startsWith('/_sandbox/')) return control(state, req, res, url);

  let wrapperSent: NoteWrapper | undefined;
  let accountListed: string | undefined;
  const answer = (sdpStatus: number, sdpBody: unknown, headers?: Record<string, string>) => {
    const { status, body } = shapeRefusal(state.opts.refusals, sdpStatus, sdpBody);
    appendCall(state.calls, {
      method,
      path: url.pathname,
      status,
      ...(wrapperSent ? { wrapper: wrapperSent } : {}),
      ...(accountListed ? { accountId: accountListed } : {}),
    });
    sendJson(res, status, state.quirks.has('long-ids') ? idsAsNumbers(body) : body, headers);
  };
  const { edition, apiPath } = editionOf(url.pathname);
  const route = routeOf(method, apiPath);
  if (!route || (route.name !== 'token' && state.served !== 'both' && state.served !== edition))
    return answer(404, NOT_FOUND);
  const body = method === 'POST' || method === 'PUT' ? await readBody(req, MAX_BODY_BYTES) : '';
  if (route.name !== 'token' && !acceptsV3(req)) return answer(400, WRONG_ACCEPT);
  if (await answeredByFault(state, route, { method, url, res, answer })) return;

  if (route.name === 'token') {
    // Zoho takes the parameters in the query string or the form body.
    const params = new URLSearchParams(url.searchParams);
    for (const [key, value] of new URLSearchParams(body)) params.set(key, value);
    const issued = state.tokens.issue(params);
    return answer(issued.status, issued.body);
  }
  const granted = credentialsOf(state, req, edition);
  if (!granted) return answer(401, INVALID_API_KEY);
  if (edition === 'cloud' && !scopeAllows(granted, scopeAreaOf(apiPath), method))
    return answer(401, scopeRefusal(state.opts.oauth?.scopeRefusal));
  const maySee = state.accounts ? state.accounts.visibleTo(req, edition) : () => true;
  const listing = (accountId: string) => {
    accountListed = accountId;
  };
  const exchange: Exchange = { req, url, method, edition, apiPath, body, maySee, listing, answer };
  if ('id' in route)
    return requestCall(state, route, exchange, (wrapper) => {
      wrapperSent = wrapper;
    });
  return listCall(state, route, exchange);
}

/** The fault planned for the route, if any: true when it answered (or hung) in place of the call. */
async function answeredByFault(
  state: FakeState,
  route: Route,
  call: { method: string; url: URL; res: ServerResponse; answer: Exchange['answer'] },
): Promise<boolean> {
  const fault = state.faults.decide(route.name);
  if (fault.outcome.type === 'hang') {
    appendCall(state.calls, { method: call.method, path: call.url.pathname, status: 0 });
    return true;
  }
  if (fault.latencyMs > 0) await sleep(fault.latencyMs, undefined, { ref: false });
  if (fault.outcome.type === 'fail') {
    const { status, retryAfterSeconds } = fault.outcome;
    const headers: Record<string, string> =
      retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
    call.answer(status, route.name === 'token' ? tokenFaultBody(status) : faultBody(status), headers);
    return true;
  }
  if (fault.outcome.type === 'invalid_output') {
    appendCall(state.calls, { method: call.method, path: call.url.pathname, status: 200 });
    sendText(call.res, 200, 'text/html;charset=UTF-8', NOT_JSON_PAGE);
    return true;
  }
  return false;
}

/** The list calls that are not about one request: requests, solutions, categories, priorities. */
function listCall(state: FakeState, route: Route, exchange: Exchange) {
  const { url, answer } = exchange;
  const page = requestedPage(url.searchParams);
  if (typeof page === 'string') return answer(400, sdpFailure(4000, page));
  if (route.name === 'listRequests') return listRequestsCall(state, page, exchange);
  if (route.name === 'listSolutions') {
    const criteria = searchCriteria(url.searchParams);
    const { rows, list_info } = pageOf(
      state.solutions.filter((s) => matchesCriteria(s, criteria)),
      page,
    );
    return answer(200, { solutions: rows, response_status: [SUCCESS], list_info });
  }
  const entity = route.name === 'listCategories' ? 'categories' : 'priorities';
  const all = named(state.taxonomy[entity], entity === 'categories' ? 301 : 401);
  const { rows, list_info } = pageOf(all, page);
  return answer(200, { [entity]: rows, response_status: [SUCCESS], list_info });
}

/**
 * "Get List Request" (sdpop-v3-api / sdpod-v3-api requests/request.html): the view (filter_by), the
 * search criteria and the order of list_info, refusing what SDP refuses (an unknown view, a
 * malformed criterion or order, more than 100 rows) with 4001 naming the field.
 */
function listRequestsCall(
  state: FakeState,
  page: { rowCount: number; startIndex: number },
  { url, answer, maySee, listing }: Pick<Exchange, 'url' | 'answer' | 'maySee' | 'listing'>,
) {
  const inAccounts = accountsListed(state, url.searchParams, maySee, listing);
  if ('error' in inAccounts) return answer(inAccounts.status, inAccounts.error);
  const order = requestedOrder(url.searchParams);
  if (order && 'error' in order) return answer(400, sdpFailure(4001, order.error, order.field));
  const badCriterion = malformedCriterion(url.searchParams);
  if (badCriterion) return answer(400, sdpFailure(4001, badCriterion, 'search_criteria'));
  const criteria = searchCriteria(url.searchParams);
  const view = listFilter(url.searchParams);
  if (view !== undefined && !state.listViews.has(view))
    return answer(400, sdpFailure(4001, `Invalid filter_by name ${view}`, 'filter_by'));
  const showAll = view === 'All_Requests' || (view === undefined && state.opts.defaultListView === 'all');
  const inView = (r: SdpRequestRecord) =>
    showAll || !PENDING_HIDES.has(String(r.status?.name ?? '').toLowerCase());
  const matching = state.store
    .listRequests()
    .filter((r) => inAccounts.holds(r) && inView(r) && matchesCriteria(r, criteria));
  const { rows, list_info } = pageOf(sortedBy(matching, order, fieldOf), page);
  return answer(200, { requests: rows.map(requestSummary), response_status: [SUCCESS], list_info });
}

/**
 * Which requests an MSP list may hold: those of `list_info.account_id` (refused when the caller may
 * not see that account), else those of every account the caller may see. Other portals: all.
 */
function accountsListed(
  state: FakeState,
  query: URLSearchParams,
  maySee: Exchange['maySee'],
  listing: Exchange['listing'],
): { holds(request: SdpRequestRecord): boolean } | { status: number; error: ReturnType<typeof sdpFailure> } {
  if (!state.accounts) return { holds: () => true };
  const listed = listedAccount(state.accounts, listInfoOf(query));
  if ('error' in listed) return { status: 400, error: listed.error };
  if (listed.account) listing(listed.account.id);
  if (listed.account && !maySee(listed.account.id)) return { status: 403, error: ACCOUNT_NOT_ALLOWED };
  const only = listed.account?.id;
  return { holds: (r) => (only === undefined ? maySee(accountIdOf(r)) : accountIdOf(r) === only) };
}

/** The account id an MSP request was stored with (mspRequestInput sets it). */
function accountIdOf(request: SdpRequestRecord): string {
  const account = request.account as { id?: unknown } | undefined;
  return typeof account?.id === 'string' ? account.id : '';
}

/** The calls on one request: read, update, resolution, and its notes (noteCall). */
function requestCall(
  state: FakeState,
  route: Extract<Route, { id: string }>,
  exchange: Exchange,
  noteWrapperSent: (wrapper: NoteWrapper | undefined) => void,
) {
  const { req, body, answer } = exchange;
  const request = state.store.getRequest(route.id);
  if (!request) return state.quirks.has('unknown-id-4001') ? answer(400, UNKNOWN_ID) : answer(404, NOT_FOUND);
  // An MSP technician works only on the requests of the accounts associated with them (msp.ts).
  if (state.accounts && !exchange.maySee(accountIdOf(request))) return answer(403, ACCOUNT_NOT_ALLOWED);
  if (route.name === 'updateRequest') {
    const update = requestUpdate(req, body, state.taxonomy);
    if ('error' in update) return answer(400, update.error);
    Object.assign(request, update.fields);
    return answer(200, { request, response_status: SUCCESS });
  }
  if (route.name === 'getRequest') return answer(200, { request, response_status: SUCCESS });
  if (route.name === 'getResolution')
    return answer(200, { resolution: request.resolution ?? { content: '' }, response_status: SUCCESS });
  return noteCall(state, route, exchange, noteWrapperSent);
}

/** List a request's notes, read one, or add one. */
function noteCall(
  state: FakeState,
  route: Extract<Route, { id: string }>,
  { req, url, edition, body, answer }: Exchange,
  noteWrapperSent: (wrapper: NoteWrapper | undefined) => void,
) {
  if (route.name === 'listNotes') {
    const page = requestedPage(url.searchParams);
    if (typeof page === 'string') return answer(400, sdpFailure(4000, page));
    const { rows, list_info } = pageOf(state.store.notesOf(route.id), page);
    const described = !state.quirks.has('note-list-without-description');
    // List calls return response_status as an array, unlike single-entity calls. Editions name the
    // list differently; clients read either.
    return answer(200, {
      [edition === 'cloud' ? 'request_notes' : 'notes']: rows.map((n) => noteForApi(n, edition, described)),
      response_status: [SUCCESS],
      list_info,
    });
  }
  if (route.name === 'getNote') {
    const note = state.store.notesOf(route.id).find((n) => n.id === route.noteId);
    if (!note) return state.quirks.has('unknown-id-4001') ? answer(400, UNKNOWN_ID) : answer(404, NOT_FOUND);
    // A single entity is wrapped in its edition's note key, as add-note's answer is.
    const key = edition === 'cloud' ? 'request_note' : 'note';
    return answer(200, { [key]: noteForApi(note, edition), response_status: SUCCESS });
  }
  const portal = { accepted: state.wrappers[edition], edition, quirks: state.quirks };
  const input = noteInput(req, body, portal);
  noteWrapperSent(input.wrapper);
  if ('error' in input) return answer(400, input.error);
  const note = state.store.addNote(route.id, input);
  return answer(200, { [input.wrapper]: noteForApi(note, edition), response_status: SUCCESS });
}
