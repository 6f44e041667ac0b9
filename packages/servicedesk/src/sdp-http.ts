import { parseJsonLossless, readLimitedText } from '@ai-agents/shared';
import { redactUrl } from './redact.js';
import { errorFromResponse } from './response-error.js';
import { sdpStatusOf } from './response-status.js';
import { ServiceDeskError } from './service-desk-error.js';
import { transportError } from './transport-error.js';

export interface SdpHttpConfig {
  /** Already without a trailing slash; may carry a Cloud path prefix such as /app/itdesk. */
  baseUrl: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

export interface SdpAuthHeaders {
  headers: Record<string, string>;
  /** The credential values inside `headers` (and any others): never to appear in an error message. */
  secrets: readonly string[];
}

export interface SdpHttpRequest {
  /** Named in error messages, e.g. "GET request 123". */
  operation: string;
  method: 'GET' | 'POST' | 'PUT';
  /** Below /api/v3, starting with a slash. */
  path: string;
  query?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded, which is how SDP v3 takes input_data on writes. */
  form?: Record<string, string>;
  auth: SdpAuthHeaders;
}

const SDP_V3_ACCEPT = 'application/vnd.manageengine.sdp.v3+json';

/** One authorised call to the portal: resolves with the answer's JSON body. */
export type SdpSend = (call: Omit<SdpHttpRequest, 'auth'>) => Promise<unknown>;

function parseJson(text: string): unknown {
  try {
    // Cloud ids have 18 digits (e.g. 123640000000279007), above 2^53: a number that large keeps its
    // digits as a string instead of becoming another ticket's id (see parseJsonLossless).
    return parseJsonLossless(text);
  } catch {
    return undefined;
  }
}

/**
 * One HTTP exchange with the SDP v3 API. Resolves with the parsed JSON body of a successful answer;
 * throws ServiceDeskError for everything else.
 */
export async function sendSdpRequest(config: SdpHttpConfig, request: SdpHttpRequest): Promise<unknown> {
  const { operation } = request;
  const query = request.query ? `?${new URLSearchParams(request.query)}` : '';
  const url = `${config.baseUrl}/api/v3${request.path}${query}`;
  const headers: Record<string, string> = { Accept: SDP_V3_ACCEPT, ...request.auth.headers };
  if (request.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';

  let status: number;
  let statusText: string;
  let responseHeaders: Headers;
  let text: string;
  try {
    const response = await config.fetch(url, {
      method: request.method,
      headers,
      body: request.form ? new URLSearchParams(request.form).toString() : undefined,
      // fetch would replay the request, with the `authtoken` header, to wherever a redirect points:
      // only the standard Authorization header is dropped across origins. Redirects are refused instead.
      redirect: 'manual',
      // One deadline for connecting, the headers and the body: a server that stalls mid-body also times out.
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    ({ status, statusText, headers: responseHeaders } = response);
    // Refused past MAX_RESPONSE_BYTES (see transportError), also when fetch is the global one.
    text = await readLimitedText(response);
  } catch (error) {
    throw transportError(operation, error, config.timeoutMs, request.auth.secrets);
  }

  if (status >= 300 && status < 400) {
    const given = responseHeaders.get('location');
    const location = given === null ? 'an unknown location' : redactUrl(given, url, request.auth.secrets);
    throw new ServiceDeskError(
      `ServiceDesk Plus ${operation} failed: ${status} redirect to ${location}; configure the final URL as the base URL`,
      { kind: 'bad_request', httpStatus: status },
    );
  }
  const body = parseJson(text);
  if (status < 200 || status >= 300 || sdpStatusOf(body).failed) {
    throw errorFromResponse(
      operation,
      { status, statusText, headers: responseHeaders },
      body,
      request.auth.secrets,
    );
  }
  if (body === undefined) {
    // Typically a proxy or SSO login page answering in place of SDP.
    throw new ServiceDeskError(`ServiceDesk Plus ${operation} failed: ${status} answer is not JSON`, {
      kind: 'invalid_response',
      httpStatus: status,
    });
  }
  return body;
}

/** The answer was JSON but lacked what the operation needs. */
export function invalidResponse(operation: string, what: string): ServiceDeskError {
  return new ServiceDeskError(`ServiceDesk Plus ${operation} failed: answer has no ${what}`, {
    kind: 'invalid_response',
  });
}
