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

/** An OpenAI-compatible chat-completions endpoint that answers deterministically from the prompt. */
export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const faults = createFaultBoard<'chat'>();
  const calls: LlmCall[] = [];
  const prompts: string[] = [];
  let sequence = 0;
  let forced: Record<string, unknown> | null = null;

  function control(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    return answerSandboxControl(res, route, {
      calls,
      clearFaults: () => faults.clear(),
      // Same body as the fake SDP's ({ route, plan }); the LLM has one route, so `route` is optional.
      setFault: (body) => faults.set('all', (isRecord(body) ? body.plan : undefined) as FaultPlan),
      body: async () => parseJson(await readBody(req, MAX_BODY_BYTES)),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const { pathname } = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = pathname.replace(/\/+$/, '');
    if (path.startsWith('/_sandbox/')) return control(req, res, `${method} ${path}`);
    if (method !== 'POST' || path !== '/v1/chat/completions') {
      return sendJson(res, 404, openAiError(`Invalid URL (${method} ${pathname})`, 'invalid_request_error'));
    }

    const request = parseJson(await readBody(req, MAX_BODY_BYTES));
    const model = isRecord(request) && typeof request.model === 'string' ? request.model : '';
    const prompt = isRecord(request) ? promptOf(request.messages) : '';
    prompts.push(prompt);
    // Prompts are large; tests look at the last few only.
    if (prompts.length > 100) prompts.shift();
    const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
      appendCall(calls, { model, promptChars: prompt.length, status });
      sendJson(res, status, body, headers);
    };

    const fault = faults.decide('chat');
    if (fault.outcome.type === 'hang') {
      appendCall(calls, { model, promptChars: prompt.length, status: 0 });
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

    const bearer = /^Bearer\s+(\S+)/.exec(req.headers.authorization ?? '');
    if (!bearer) {
      return answer(
        401,
        openAiError(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
          'invalid_request_error',
          'missing_api_key',
        ),
      );
    }
    if (!isRecord(request))
      return answer(400, openAiError('The request body is not valid JSON.', 'invalid_request_error'));
    if (model === '')
      return answer(400, openAiError("Missing required parameter: 'model'.", 'invalid_request_error'));
    if (!Array.isArray(request.messages) || request.messages.length === 0) {
      return answer(400, openAiError("Missing required parameter: 'messages'.", 'invalid_request_error'));
    }
    if (request.stream === true) {
      return answer(
        400,
        openAiError('The sandbox does not stream; call without stream: true.', 'invalid_request_error'),
      );
    }

    const content =
      fault.outcome.type === 'invalid_output' ? invalidContent(prompt) : obey(answerContent(request, prompt));
    return answer(200, completionBody(model, prompt, content, ++sequence));
  }

  function obey(content: string): string {
    if (!forced) return content;
    const parsed = parseJson(content);
    if (!isRecord(parsed)) return content;
    for (const [key, value] of Object.entries(forced)) if (key in parsed) parsed[key] = value;
    return JSON.stringify(parsed);
  }

  const server = await startHttpServer(handle, { host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  return {
    url: `${server.url}/v1`,
    calls,
    prompts,
    setFault: (plan) => faults.set('all', plan),
    answerWith: (fields) => {
      forced = fields;
    },
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}
