import { redact } from './redact.js';
import { sdpStatusOf } from './response-status.js';
import { retryAfterMs } from './retry-after.js';
import { ServiceDeskError, type ServiceDeskErrorKind } from './service-desk-error.js';

// SDP's own codes, for answers whose HTTP status is less specific than the code (or is 200).
const SDP_ID_DOES_NOT_EXIST = 4001;
const SDP_FORBIDDEN = 4002;
const SDP_INTERNAL_ERROR = 4004;
const SDP_NOT_FOUND = 4007;
const SDP_RATE_LIMITED = 4015;
const SDP_INVALID_API_KEY = 4022;

function kindFor(httpStatus: number, sdpCode: number | undefined): ServiceDeskErrorKind {
  if (httpStatus === 401 || sdpCode === SDP_INVALID_API_KEY) return 'auth';
  if (httpStatus === 403 || sdpCode === SDP_FORBIDDEN) return 'forbidden';
  if (httpStatus === 429 || sdpCode === SDP_RATE_LIMITED) return 'rate_limited';
  // On-prem answers an unknown request id with HTTP 400 and 4001 rather than 404.
  if (httpStatus === 404 || sdpCode === SDP_NOT_FOUND || sdpCode === SDP_ID_DOES_NOT_EXIST)
    return 'not_found';
  if (httpStatus >= 500 || sdpCode === SDP_INTERNAL_ERROR) return 'server';
  return 'bad_request';
}

export interface FailedResponse {
  status: number;
  statusText?: string;
  headers: { get(name: string): string | null };
}

/** Longest piece of server text quoted in an error: enough for SDP's messages, not a whole HTML page. */
const MAX_QUOTED_CHARS = 300;

/**
 * Turns a failed answer (HTTP error, or HTTP 2xx whose `response_status` says "failed") into a
 * ServiceDeskError, e.g. "ServiceDesk Plus GET request 123 failed: 404 (4007) Invalid URL or Resource
 * not found". The body may be anything, including undefined when it was not JSON.
 */
export function errorFromResponse(
  operation: string,
  response: FailedResponse,
  body: unknown,
  secrets: readonly string[] = [],
): ServiceDeskError {
  const sdp = sdpStatusOf(body);
  const kind = kindFor(response.status, sdp.code);
  const code = sdp.code === undefined ? '' : ` (${sdp.code})`;
  const said = sdp.message ?? (sdp.code === undefined ? response.statusText : undefined) ?? '';
  const quoted = redact(said, secrets).slice(0, MAX_QUOTED_CHARS);
  const message = `ServiceDesk Plus ${operation} failed: ${response.status}${code}${quoted ? ` ${quoted}` : ''}`;
  return new ServiceDeskError(message, {
    kind,
    httpStatus: response.status,
    sdpStatusCode: sdp.code,
    retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
  });
}
