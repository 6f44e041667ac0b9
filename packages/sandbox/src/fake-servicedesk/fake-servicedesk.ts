import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendCall } from '../call-log.js';
import { createFaultBoard, type FaultPlan } from '../fault-plan.js';
import { readBody, sendJson, sendText } from '../http-io.js';
import { startHttpServer } from '../http-server.js';
import { isRecord, parseJson } from '../json-value.js';
import { pageOf, requestedPage, searchCriteria } from './list-info.js';
import { createTokenIssuer, type SandboxOAuthClient } from './oauth-tokens.js';
import {
  faultBody,
  INVALID_API_KEY,
  NOT_FOUND,
  NOT_JSON_PAGE,
  SUCCESS,
  sdpFailure,
  tokenFaultBody,
} from './sdp-answers.js';
import { matchesCriteria, type NewSolution, type StoredSolution } from './solutions.js';
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
  /** Keys accepted in the `authtoken` header; default ['sandbox-technician-key']. */
  technicianKeys?: string[];
  /** The one OAuth client the fake accounts server knows; without it every token request is refused. */
  oauth?: SandboxOAuthClient;
}

export interface SdpCall {
  method: string;
  path: string;
  /** 0 when the call was deliberately never answered (hang fault). */
  status: number;
}

export interface FakeServiceDesk {
  /** What a tenant stores as its SDP base URL. */
  url: string;
  /** Zoho accounts URL for Cloud auth: the same server, which serves POST /oauth/v2/token. */
  accountsUrl: string;
  /** A request; give it `status: { name: 'Resolved' }`, `resolution: { content }` and `resolved_time` to make it history. */
  addRequest(request: SdpRequestInput): SdpRequestRecord;
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
  | { name: 'addNote'; id: string }
  | { name: 'getResolution'; id: string }
  | { name: 'updateRequest'; id: string }
  | { name: 'listRequests' }
  | { name: 'listSolutions' }
  | { name: 'listCategories' }
  | { name: 'listPriorities' }
  | { name: 'token' };

// A Cloud portal's base URL carries /app/<portal>; on-prem has no prefix. Both reach the same API here.
const REQUESTS_PATH = /^(?:\/app\/[^/]+)?\/api\/v3\/requests(?:\/([^/]+)(\/notes|\/resolutions)?)?\/?$/;
const SOLUTIONS_PATH = /^(?:\/app\/[^/]+)?\/api\/v3\/solutions\/?$/;
const TAXONOMY_PATH = /^(?:\/app\/[^/]+)?\/api\/v3\/(categories|priorities)\/?$/;
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
  for (const [field, list] of [
    ['category', allowed.categories],
    ['priority', allowed.priorities],
  ] as const) {
    const value = input.request[field];
    if (value === undefined) continue;
    const name = isRecord(value) && typeof value.name === 'string' ? value.name : undefined;
    // SDP refuses a name that is not in the portal's list, as "invalid value" on that field.
    if (name === undefined || !list.includes(name))
      return { error: sdpFailure(4000, 'Invalid value', field) };
    fields[field] = { name };
  }
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
  const [, rawId, sub] = match;
  const notes = sub === '/notes' ? sub : undefined;
  if (rawId === undefined) return method === 'GET' ? { name: 'listRequests' } : undefined;
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return undefined;
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

function noteForApi(note: StoredNote) {
  return {
    id: note.id,
    description: note.description,
    show_to_requester: note.show_to_requester,
    notify_technician: false,
    mark_first_response: false,
    add_to_linked_requests: false,
    created_time: note.created_time,
    created_by: { name: 'Sandbox Technician', email_id: 'technician@sandbox.invalid' },
  };
}

/** The fields a list call returns per request; SDP leaves the description out of lists. */
function requestSummary(request: SdpRequestRecord) {
  const { description: _description, ...summary } = request;
  return summary;
}

type NoteInput =
  | { wrapper: NoteWrapper; description: string; show_to_requester: boolean }
  | { error: ReturnType<typeof sdpFailure> };

/** Reads add-note's input_data the way SDP does: form-encoded, wrapped in request_note or note. */
function noteInput(req: IncomingMessage, body: string): NoteInput {
  if (!(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return { error: sdpFailure(4000, 'input_data must be sent as application/x-www-form-urlencoded') };
  }
  const raw = new URLSearchParams(body).get('input_data');
  if (raw === null)
    return { error: sdpFailure(4012, 'Value for mandatory-field is not provided.', 'input_data') };
  const input = parseJson(raw);
  if (!isRecord(input)) return { error: sdpFailure(4000, 'input_data is not a JSON object') };
  const wrapper: NoteWrapper | undefined = isRecord(input.request_note)
    ? 'request_note'
    : isRecord(input.note)
      ? 'note'
      : undefined;
  if (wrapper === undefined)
    return { error: sdpFailure(4012, 'Value for mandatory-field is not provided.', 'request_note') };
  const fields = input[wrapper] as Record<string, unknown>;
  if (typeof fields.description !== 'string' || fields.description.trim() === '') {
    return { error: sdpFailure(4012, 'Value for mandatory-field is not provided.', 'description') };
  }
  return { wrapper, description: fields.description, show_to_requester: fields.show_to_requester === true };
}

/**
 * A fake ServiceDesk Plus v3 API (plus Zoho's token endpoint) on a real HTTP port.
 * An unknown request id answers HTTP 404 with SDP code 4007, as Cloud does (on-prem may answer 400/4001).
 */
export async function startFakeServiceDesk(opts: FakeServiceDeskOptions = {}): Promise<FakeServiceDesk> {
  const store = createTicketStore();
  const tokens = createTokenIssuer(opts.oauth);
  const faults = createFaultBoard<Exclude<SdpFaultRoute, 'all'>>();
  const technicianKeys = new Set(opts.technicianKeys ?? [DEFAULT_TECHNICIAN_KEY]);
  const calls: SdpCall[] = [];
  const solutions: StoredSolution[] = [];
  let nextSolutionId = 300001;
  const taxonomy = { categories: [...DEFAULT_CATEGORIES], priorities: [...DEFAULT_PRIORITIES] };

  function authenticated(req: IncomingMessage): boolean {
    const key = req.headers.authtoken;
    if (typeof key === 'string' && technicianKeys.has(key)) return true;
    const match = /^Zoho-oauthtoken (\S+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] !== undefined && tokens.isValid(match[1]);
  }

  function notesOf(requestId?: string): StoredNote[] {
    const notes = requestId === undefined ? store.allNotes() : store.notesOf(requestId);
    return notes.map((note) => ({ ...note, created_time: { ...note.created_time } }));
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
    const json = async () => parseJson(await readBody(req, MAX_BODY_BYTES));
    try {
      if (route === 'POST /_sandbox/requests')
        return sendJson(res, 201, store.addRequest((await json()) as SdpRequestInput));
      if (route === 'GET /_sandbox/notes')
        return sendJson(res, 200, notesOf(url.searchParams.get('request_id') ?? undefined));
      if (route === 'GET /_sandbox/calls') return sendJson(res, 200, calls);
      if (route === 'DELETE /_sandbox/faults') {
        faults.clear();
        return sendJson(res, 204, undefined);
      }
      if (route === 'POST /_sandbox/faults') {
        const body = await json();
        const faultRoute = isRecord(body) ? body.route : undefined;
        if (!FAULT_ROUTES.includes(faultRoute as SdpFaultRoute))
          throw new Error(`route must be one of ${FAULT_ROUTES.join(', ')}`);
        faults.set(faultRoute as SdpFaultRoute, (body as Record<string, unknown>).plan as FaultPlan);
        return sendJson(res, 204, undefined);
      }
      return sendJson(res, 404, { error: `no sandbox control endpoint ${route}` });
    } catch (error) {
      return sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname.startsWith('/_sandbox/')) return control(req, res, url);

    const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
      appendCall(calls, { method, path: url.pathname, status });
      sendJson(res, status, body, headers);
    };
    const route = routeOf(method, url.pathname);
    if (!route) return answer(404, NOT_FOUND);
    const body = method === 'POST' || method === 'PUT' ? await readBody(req, MAX_BODY_BYTES) : '';

    // Faults come first, as from a load balancer or an overloaded portal in front of everything else.
    const fault = faults.decide(route.name);
    if (fault.outcome.type === 'hang') {
      appendCall(calls, { method, path: url.pathname, status: 0 });
      return;
    }
    if (fault.latencyMs > 0) await sleep(fault.latencyMs, undefined, { ref: false });
    if (fault.outcome.type === 'fail') {
      const { status, retryAfterSeconds } = fault.outcome;
      const headers: Record<string, string> =
        retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
      return answer(status, route.name === 'token' ? tokenFaultBody(status) : faultBody(status), headers);
    }
    if (fault.outcome.type === 'invalid_output') {
      appendCall(calls, { method, path: url.pathname, status: 200 });
      return sendText(res, 200, 'text/html;charset=UTF-8', NOT_JSON_PAGE);
    }

    if (route.name === 'token') {
      // Zoho takes the parameters in the query string or the form body.
      const params = new URLSearchParams(url.searchParams);
      for (const [key, value] of new URLSearchParams(body)) params.set(key, value);
      const issued = tokens.issue(params);
      return answer(issued.status, issued.body);
    }
    if (!authenticated(req)) return answer(401, INVALID_API_KEY);

    if (route.name === 'listRequests') {
      const page = requestedPage(url.searchParams);
      if (typeof page === 'string') return answer(400, sdpFailure(4000, page));
      const criteria = searchCriteria(url.searchParams);
      const matching = store.listRequests().filter((r) => matchesCriteria(r, criteria));
      const { rows, list_info } = pageOf(matching, page);
      return answer(200, { requests: rows.map(requestSummary), response_status: [SUCCESS], list_info });
    }
    if (route.name === 'listSolutions') {
      const page = requestedPage(url.searchParams);
      if (typeof page === 'string') return answer(400, sdpFailure(4000, page));
      const criteria = searchCriteria(url.searchParams);
      const { rows, list_info } = pageOf(
        solutions.filter((s) => matchesCriteria(s, criteria)),
        page,
      );
      return answer(200, { solutions: rows, response_status: [SUCCESS], list_info });
    }
    if (route.name === 'listCategories' || route.name === 'listPriorities') {
      const page = requestedPage(url.searchParams);
      if (typeof page === 'string') return answer(400, sdpFailure(4000, page));
      const entity = route.name === 'listCategories' ? 'categories' : 'priorities';
      const all = named(taxonomy[entity], entity === 'categories' ? 301 : 401);
      const { rows, list_info } = pageOf(all, page);
      return answer(200, { [entity]: rows, response_status: [SUCCESS], list_info });
    }
    const request = store.getRequest(route.id);
    if (!request) return answer(404, NOT_FOUND);
    if (route.name === 'updateRequest') {
      const update = requestUpdate(req, body, taxonomy);
      if ('error' in update) return answer(400, update.error);
      Object.assign(request, update.fields);
      return answer(200, { request, response_status: SUCCESS });
    }
    if (route.name === 'getRequest') return answer(200, { request, response_status: SUCCESS });
    if (route.name === 'getResolution')
      return answer(200, { resolution: request.resolution ?? { content: '' }, response_status: SUCCESS });
    if (route.name === 'listNotes') {
      const page = requestedPage(url.searchParams);
      if (typeof page === 'string') return answer(400, sdpFailure(4000, page));
      const { rows, list_info } = pageOf(store.notesOf(route.id), page);
      // List calls return response_status as an array, unlike single-entity calls.
      return answer(200, { notes: rows.map(noteForApi), response_status: [SUCCESS], list_info });
    }
    const input = noteInput(req, body);
    if ('error' in input) return answer(400, input.error);
    const note = store.addNote(route.id, input);
    return answer(200, { [input.wrapper]: noteForApi(note), response_status: SUCCESS });
  }

  const server = await startHttpServer(handle, { host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  return {
    url: server.url,
    accountsUrl: server.url,
    addRequest: (request) => store.addRequest(request),
    addSolution: (solution) => {
      const stored: StoredSolution = {
        id: solution.id ?? String(nextSolutionId++),
        title: solution.title,
        description: solution.description ?? '',
        topic: solution.topic ? { name: solution.topic } : null,
      };
      solutions.push(stored);
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
    notes: notesOf,
    calls,
    setFault: (route, plan) => faults.set(route, plan),
    clearFaults: () => faults.clear(),
    revokeTokens: () => tokens.revokeAll(),
    close: () => server.close(),
  };
}
