import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendCall } from '../call-log.js';
import { createFaultBoard, type FaultPlan } from '../fault-plan.js';
import { readBody, sendJson } from '../http-io.js';
import { startHttpServer } from '../http-server.js';
import { isRecord, parseJson } from '../json-value.js';
import { answerSandboxControl } from '../sandbox-control.js';
import { answerContent, completionBody, invalidContent, promptOf } from './chat-completion.js';
import { faultError, openAiError } from './openai-errors.js';

export interface FakeLlmOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** PEM certificate and key: answer over https, as OpenAI and most in-house gateways do. */
  tls?: { cert: string; key: string };
}

export interface LlmCall {
  model: string;
  promptChars: number;
  /** 0 when the call was deliberately never answered (hang fault). */
  status: number;
}

export interface FakeLlm {
  /** Base URL for the openai SDK, ending in /v1. */
  url: string;
  /** Chat calls, oldest first, last 10,000. */
  calls: LlmCall[];
  /** The prompt text (all messages) of the last 100 chat calls, oldest first: what left for the LLM. */
  prompts: string[];
  setFault(plan: FaultPlan): void;
  clearFaults(): void;
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
  faults: ReturnType<typeof createFaultBoard<'chat'>>;
  calls: LlmCall[];
  prompts: string[];
  sequence: number;
  forced: Record<string, unknown> | null;
}

/** An OpenAI-compatible chat-completions endpoint that answers deterministically from the prompt. */
export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const state: LlmState = {
    faults: createFaultBoard<'chat'>(),
    calls: [],
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
    calls: state.calls,
    prompts: state.prompts,
    setFault: (plan) => state.faults.set('all', plan),
    answerWith: (fields) => {
      state.forced = fields;
    },
    clearFaults: () => state.faults.clear(),
    close: () => server.close(),
  };
}

function control(state: LlmState, req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
  return answerSandboxControl(res, route, {
    calls: state.calls,
    clearFaults: () => state.faults.clear(),
    // Same body as the fake SDP's ({ route, plan }); the LLM has one route, so `route` is optional.
    setFault: (body) => state.faults.set('all', (isRecord(body) ? body.plan : undefined) as FaultPlan),
    body: async () => parseJson(await readBody(req, MAX_BODY_BYTES)),
  });
}

/** One request, checked in the order OpenAI's API does: the route, faults, the key, the body. */
async function handle(state: LlmState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const { pathname } = new URL(req.url ?? '/', 'http://sandbox.invalid');
  const path = pathname.replace(/\/+$/, '');
  if (path.startsWith('/_sandbox/')) return control(state, req, res, `${method} ${path}`);
  if (method !== 'POST' || path !== '/v1/chat/completions') {
    return sendJson(res, 404, openAiError(`Invalid URL (${method} ${pathname})`, 'invalid_request_error'));
  }

  const request = parseJson(await readBody(req, MAX_BODY_BYTES));
  const model = isRecord(request) && typeof request.model === 'string' ? request.model : '';
  const prompt = isRecord(request) ? promptOf(request.messages) : '';
  state.prompts.push(prompt);
  // Prompts are large; tests look at the last few only.
  if (state.prompts.length > 100) state.prompts.shift();
  const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
    appendCall(state.calls, { model, promptChars: prompt.length, status });
    sendJson(res, status, body, headers);
  };

  const fault = state.faults.decide('chat');
  if (fault.outcome.type === 'hang') {
    appendCall(state.calls, { model, promptChars: prompt.length, status: 0 });
    return;
  }
  if (fault.latencyMs > 0) await sleep(fault.latencyMs, undefined, { ref: false });
  if (fault.outcome.type === 'fail') {
    const { status } = fault.outcome;
    const retryAfter =
      fault.outcome.retryAfterSeconds ?? (status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
    return answer(
      status,
      faultError(status),
      retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
    );
  }
  const refusal = refusalOf(req, request, model);
  if (refusal) return answer(refusal.status, refusal.body);
  const content =
    fault.outcome.type === 'invalid_output'
      ? invalidContent(prompt)
      : obey(state, answerContent(request as Record<string, unknown>, prompt));
  return answer(200, completionBody(model, prompt, content, ++state.sequence));
}

/** What OpenAI refuses before it looks at the prompt: no key, a body that is not a chat request. */
function refusalOf(
  req: IncomingMessage,
  request: unknown,
  model: string,
): { status: 400 | 401; body: unknown } | null {
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
  const invalid = (message: string) => ({
    status: 400 as const,
    body: openAiError(message, 'invalid_request_error'),
  });
  if (!isRecord(request)) return invalid('The request body is not valid JSON.');
  if (model === '') return invalid("Missing required parameter: 'model'.");
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
