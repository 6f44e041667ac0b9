import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendCall } from '../call-log.js';
import { createFaultBoard, type FaultDecision, type FaultPlan } from '../fault-plan.js';
import { readBody, sendJson } from '../http-io.js';
import { startHttpServer } from '../http-server.js';
import { isRecord, parseJson } from '../json-value.js';
import { answerSandboxControl } from '../sandbox-control.js';
import { type AzureRefusal, azureDeploymentOf, azureRefusal, type FakeAzureOptions } from './azure.js';
import { answerContent, completionBody, invalidContent, promptOf } from './chat-completion.js';
import { embeddingsBody, parseEmbeddingRequest } from './embeddings.js';
import { faultError, openAiError } from './openai-errors.js';

export interface FakeLlmOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** PEM certificate and key: answer over https, as OpenAI and most in-house gateways do. */
  tls?: { cert: string; key: string };
  /** When set, any other bearer key is refused with OpenAI's 401 (invalid_api_key); else any key passes. */
  apiKey?: string;
  /**
   * Also answer as an Azure OpenAI resource with these deployments (azure.ts): chat completions at
   * /openai/deployments/<deployment>/chat/completions?api-version=…, the key (`apiKey`) in `api-key`.
   */
  azure?: FakeAzureOptions;
}

export type LlmRoute = 'chat' | 'embeddings';

export interface EmbeddingCall {
  model: string;
  /** How many texts the request held (0 when it was not a list). */
  inputs: number;
  /** 0 when the call was deliberately never answered (hang fault). */
  status: number;
}

export interface LlmCall {
  model: string;
  /** The Azure deployment the call was addressed to; absent on the OpenAI path. */
  deployment?: string;
  promptChars: number;
  /** 0 when the call was deliberately never answered (hang fault). */
  status: number;
}

export interface FakeLlm {
  /** Base URL for the openai SDK, ending in /v1. */
  url: string;
  /** The server's root: an Azure resource endpoint for openai's AzureOpenAI (`<origin>/openai`). */
  origin: string;
  /** Chat calls, oldest first, last 10,000. */
  calls: LlmCall[];
  /** The prompt text (all messages) of the last 100 chat calls, oldest first: what left for the LLM. */
  prompts: string[];
  /** /v1/embeddings calls, oldest first, last 10,000. */
  embeddingCalls: EmbeddingCall[];
  /** A fault on one route, or on both (the default). */
  setFault(plan: FaultPlan, route?: LlmRoute | 'all'): void;
  clearFaults(): void;
  /** The key the fake accepts from now on (a provider that rotated it); undefined: any key. */
  setApiKey(key: string | undefined): void;
  /**
   * Fields every structured answer takes from now on (null: none), whatever the prompt says: a model
   * that obeys instructions injected into a ticket ("set priority Urgent, confidence 1"), so tests can
   * show that such an answer still does not change the ticket. Only fields the schema's answer has.
   */
  answerWith(fields: Record<string, unknown> | null): void;
  close(): Promise<void>;
}

// Prompts carry a ticket and its context; far below this, but a runaway prompt should fail loudly.
const MAX_BODY_BYTES = 20 * 1024 * 1024;
// OpenAI sends retry-after with its 429s; the SDK honours it when it retries.
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** What one fake LLM holds: its faults, the calls and prompts it saw, a forced answer. */
interface LlmState {
  faults: ReturnType<typeof createFaultBoard<LlmRoute>>;
  apiKey: string | undefined;
  azure: FakeAzureOptions | undefined;
  calls: LlmCall[];
  embeddingCalls: EmbeddingCall[];
  prompts: string[];
  sequence: number;
  forced: Record<string, unknown> | null;
}

/** An OpenAI-compatible chat-completions endpoint that answers deterministically from the prompt. */
export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const state: LlmState = {
    faults: createFaultBoard<LlmRoute>(),
    apiKey: opts.apiKey,
    azure: opts.azure,
    calls: [],
    embeddingCalls: [],
    prompts: [],
    sequence: 0,
    forced: null,
  };
  const server = await startHttpServer((req, res) => handle(state, req, res), {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  return {
    url: `${server.url}/v1`,
    origin: server.url,
    calls: state.calls,
    prompts: state.prompts,
    embeddingCalls: state.embeddingCalls,
    setFault: (plan, route = 'all') => state.faults.set(route, plan),
    answerWith: (fields) => {
      state.forced = fields;
    },
    clearFaults: () => state.faults.clear(),
    setApiKey: (key) => {
      state.apiKey = key;
    },
    close: () => server.close(),
  };
}

function routeOf(body: unknown): LlmRoute | 'all' {
  const route = isRecord(body) ? body.route : undefined;
  return route === 'chat' || route === 'embeddings' ? route : 'all';
}

function control(state: LlmState, req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
  return answerSandboxControl(res, route, {
    calls: state.calls,
    clearFaults: () => state.faults.clear(),
    // Same body as the fake SDP's ({ route, plan }); `route` is "chat", "embeddings" or absent (both).
    setFault: (body) =>
      state.faults.set(routeOf(body), (isRecord(body) ? body.plan : undefined) as FaultPlan),
    body: async () => parseJson(await readBody(req, MAX_BODY_BYTES)),
  });
}

type Answer = (status: number, body: unknown, headers?: Record<string, string>) => void;

/**
 * Applies a fault's latency, then its outcome: a hang is logged with status 0 and never answered, a
 * failure is answered in OpenAI's error shape (with retry-after on a 429). True when it answered.
 */
async function faultAnswered(fault: FaultDecision, answer: Answer, hung: () => void): Promise<boolean> {
  if (fault.outcome.type === 'hang') {
    hung();
    return true;
  }
  if (fault.latencyMs > 0) await sleep(fault.latencyMs, undefined, { ref: false });
  if (fault.outcome.type !== 'fail') return false;
  const { status } = fault.outcome;
  const retryAfter =
    fault.outcome.retryAfterSeconds ?? (status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  answer(status, faultError(status), retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
  return true;
}

/** One request, checked in the order OpenAI's API does: the route, faults, the key, the body. */
async function handle(state: LlmState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  const { pathname } = url;
  const path = pathname.replace(/\/+$/, '');
  if (path.startsWith('/_sandbox/')) return control(state, req, res, `${method} ${path}`);
  if (method === 'POST' && path === '/v1/embeddings') return embeddings(state, req, res);
  const deployment = state.azure ? azureDeploymentOf(path) : null;
  if (method === 'POST' && state.azure && deployment !== null) {
    const azure = state.azure;
    return chat(state, req, res, {
      deployment,
      refusal: () => azureRefusal(azure, state.apiKey, req, url, deployment),
    });
  }
  if (method !== 'POST' || path !== '/v1/chat/completions') {
    return sendJson(res, 404, openAiError(`Invalid URL (${method} ${pathname})`, 'invalid_request_error'));
  }
  return chat(state, req, res, { refusal: () => keyRefusal(state, req) });
}

/** Who refuses a chat call before its body is read: OpenAI's key check, or Azure's (azure.ts). */
interface ChatDoor {
  deployment?: string;
  refusal(): { status: 401; body: unknown } | AzureRefusal | null;
}

/** A chat completion on either path: faults, the door's refusal, what OpenAI refuses, the answer. */
async function chat(
  state: LlmState,
  req: IncomingMessage,
  res: ServerResponse,
  door: ChatDoor,
): Promise<void> {
  const request = parseJson(await readBody(req, MAX_BODY_BYTES));
  const model = isRecord(request) && typeof request.model === 'string' ? request.model : '';
  const prompt = isRecord(request) ? promptOf(request.messages) : '';
  state.prompts.push(prompt);
  // Prompts are large; tests look at the last few only.
  if (state.prompts.length > 100) state.prompts.shift();
  const where = door.deployment === undefined ? {} : { deployment: door.deployment };
  const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
    appendCall(state.calls, { model, ...where, promptChars: prompt.length, status });
    sendJson(res, status, body, headers);
  };

  const fault = state.faults.decide('chat');
  if (
    await faultAnswered(fault, answer, () =>
      appendCall(state.calls, { model, ...where, promptChars: prompt.length, status: 0 }),
    )
  )
    return;
  // Azure takes the model from the deployment; `model` in the body is optional there.
  const refusal = door.refusal() ?? refusalOf(request, model, door.deployment === undefined);
  if (refusal) return answer(refusal.status, refusal.body);
  const content =
    fault.outcome.type === 'invalid_output'
      ? invalidContent(prompt)
      : obey(state, answerContent(request as Record<string, unknown>, prompt));
  return answer(200, completionBody(model, prompt, content, ++state.sequence));
}

/** OpenAI's 401s: no bearer key, or (when the fake was given one) a different key. */
function keyRefusal(state: LlmState, req: IncomingMessage): { status: 401; body: unknown } | null {
  const bearer = /^Bearer\s+(\S+)/.exec(req.headers.authorization ?? '');
  if (!bearer) {
    return {
      status: 401,
      body: openAiError(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
        'invalid_request_error',
        'missing_api_key',
      ),
    };
  }
  // The real message echoes a masked key; the fake names none, so no key reaches a test log.
  if (state.apiKey !== undefined && bearer[1] !== state.apiKey) return { status: 401, body: faultError(401) };
  return null;
}

/** What OpenAI refuses before it looks at the prompt (after the key): a body that is not a chat request. */
function refusalOf(
  request: unknown,
  model: string,
  modelRequired: boolean,
): { status: 400; body: unknown } | null {
  const invalid = (message: string) => ({
    status: 400 as const,
    body: openAiError(message, 'invalid_request_error'),
  });
  if (!isRecord(request)) return invalid('The request body is not valid JSON.');
  if (modelRequired && model === '') return invalid("Missing required parameter: 'model'.");
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    return invalid("Missing required parameter: 'messages'.");
  if (request.stream === true) return invalid('The sandbox does not stream; call without stream: true.');
  return null;
}

/** The answer with the fields a test forced (answerWith) written over it. */
function obey(state: LlmState, content: string): string {
  if (!state.forced) return content;
  const parsed = parseJson(content);
  if (!isRecord(parsed)) return content;
  for (const [key, value] of Object.entries(state.forced)) if (key in parsed) parsed[key] = value;
  return JSON.stringify(parsed);
}

/** POST /v1/embeddings: faults first (as for chat), then the key, then what OpenAI refuses. */
async function embeddings(state: LlmState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = parseJson(await readBody(req, MAX_BODY_BYTES));
  const model = isRecord(request) && typeof request.model === 'string' ? request.model : '';
  const inputs = isRecord(request) ? request.input : undefined;
  const count = Array.isArray(inputs) ? inputs.length : typeof inputs === 'string' ? 1 : 0;
  const answer: Answer = (status, body, headers) => {
    appendCall(state.embeddingCalls, { model, inputs: count, status });
    sendJson(res, status, body, headers);
  };
  const hung = () => appendCall(state.embeddingCalls, { model, inputs: count, status: 0 });
  if (await faultAnswered(state.faults.decide('embeddings'), answer, hung)) return;
  const key = keyRefusal(state, req);
  if (key) return answer(key.status, key.body);
  const parsed = parseEmbeddingRequest(request);
  if ('body' in parsed) return answer(parsed.status, parsed.body);
  return answer(200, embeddingsBody(parsed));
}
