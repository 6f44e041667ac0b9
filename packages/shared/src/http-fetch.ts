import { Agent, type Dispatcher, interceptors, request } from 'undici';
import {
  collectLimited,
  declaredTooLarge,
  MAX_RESPONSE_BYTES,
  ResponseTooLargeError,
} from './response-limit.js';

export interface HttpFetch {
  /** Same contract as the global fetch, for the requests the worker makes (see createHttpFetch). */
  fetch: typeof fetch;
  /** Closes the kept-alive connections. */
  close(): Promise<void>;
}

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch for outbound calls to ServiceDesk Plus and the LLM, on undici's request() over one pooled
 * keep-alive agent. The global fetch spends most of its time in WHATWG machinery (streams, request
 * and response objects, abort wiring): at worker rates that was over a third of the worker's
 * JavaScript time (`npm run bench -- --only=pipeline --cpu-prof`).
 *
 * It behaves as fetch does for what the callers use: method, headers, a string, URLSearchParams or
 * byte body, `redirect` ('follow', 'manual', 'error') and `signal`; the answer is a standard Response
 * with the whole body read. Network failures reject with TypeError('fetch failed') carrying the
 * cause, an aborted signal with its reason (TimeoutError for AbortSignal.timeout). An answer larger
 * than `maxResponseBytes` (default MAX_RESPONSE_BYTES) is refused the same way, with a
 * ResponseTooLargeError as the cause, and only that much of it is downloaded. Anything else (a
 * Request object, a streamed or multipart body) goes to the global fetch unchanged.
 */
export function createHttpFetch(
  options: { keepAliveTimeoutMs?: number; maxResponseBytes?: number } = {},
): HttpFetch {
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const agent = new Agent({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000 });
  const following = agent.compose(interceptors.redirect({ maxRedirections: 20 }));

  const httpFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = plainBody(init.body);
    if (input instanceof Request || body === false) return globalThis.fetch(input, init);
    const { signal } = init;
    signal?.throwIfAborted();
    const headers = headerPairs(init.headers);
    const has = (name: string) => headers.some(([given]) => given.toLowerCase() === name);
    // What the global fetch sends when the caller does not say.
    if (!has('accept')) headers.push(['accept', '*/*']);
    if (!has('user-agent')) headers.push(['user-agent', 'ai-agents']);
    if (typeof init.body === 'string' || init.body instanceof URLSearchParams) {
      if (!has('content-type')) {
        headers.push([
          'content-type',
          init.body instanceof URLSearchParams
            ? 'application/x-www-form-urlencoded;charset=UTF-8'
            : 'text/plain;charset=UTF-8',
        ]);
      }
    }
    const redirect = init.redirect ?? 'follow';
    let answer: Dispatcher.ResponseData;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      answer = await request(input, {
        method: (init.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
        headers: headers.flat(),
        body,
        signal: signal ?? undefined,
        dispatcher: redirect === 'follow' ? following : agent,
      });
      const { body: stream, headers: raw } = answer;
      const length = raw['content-length'];
      if (declaredTooLarge(Array.isArray(length) ? length[0] : length, maxBytes)) {
        stream.destroy();
        throw new ResponseTooLargeError(maxBytes);
      }
      bytes = await collectLimited(stream, maxBytes, () => stream.destroy());
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new TypeError('fetch failed', { cause: error });
    }
    const status = answer.statusCode;
    if (redirect === 'error' && status >= 300 && status < 400)
      throw new TypeError('fetch failed', { cause: new Error(`unexpected redirect (${status})`) });
    return new Response(NULL_BODY_STATUSES.has(status) ? null : bytes, {
      status,
      headers: responseHeaders(answer.headers),
    });
  };

  return { fetch: httpFetch as typeof fetch, close: () => agent.close() };
}

/** The body as undici takes it, undefined for none, or false for a kind only the global fetch takes. */
function plainBody(body: RequestInit['body']): string | Uint8Array | undefined | false {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return false;
}

function headerPairs(headers: RequestInit['headers']): Array<[string, string]> {
  if (!headers) return [];
  if (headers instanceof Headers) return [...headers];
  if (Array.isArray(headers)) return headers.map(([name, value]) => [String(name), String(value)]);
  return Object.entries(headers).map(([name, value]) => [name, String(value)]);
}

function responseHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}
