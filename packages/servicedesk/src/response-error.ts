import { isRecord } from './json-shape.js';
import { redact } from './redact.js';
import { type SdpStatus, sdpStatusOf } from './response-status.js';
import { retryAfterMs } from './retry-after.js';
import { ServiceDeskError, type ServiceDeskErrorKind } from './service-desk-error.js';

/**
 * SDP's own codes and what each means for the caller, from the vendor's "Common Error Codes" pages
 * (sdpod-v3-api/getting-started/common-error-code.html for Cloud, sdpop-v3-api/getting-started/
 * common-error-code.html for on-premises; both list the same codes with the same HTTP statuses).
 * The code decides where the HTTP status is less specific than the code, or is 200.
 */
const KIND_OF_CODE: Readonly<Record<number, ServiceDeskErrorKind>> = {
  // Id or name given in the input does not exist, is not in use, or cannot be set (HTTP 400): a
  // problem with what we sent, not a missing request.
  4001: 'bad_request',
  4002: 'forbidden', // user not allowed to perform the operation (403)
  4003: 'bad_request', // closure rule violation
  4004: 'server', // internal error (500)
  4005: 'bad_request', // reference exists
  4007: 'not_found', // invalid URL or resource not found (404)
  4008: 'bad_request', // not unique
  4009: 'bad_request', // non-editable field
  4012: 'bad_request', // mandatory field missing (also EXTRA_KEY_FOUND_IN_JSON on some builds)
  4014: 'bad_request', // read-only field
  4015: 'rate_limited', // API rate limit reached (429)
  4016: 'bad_request', // time mismatch
  4021: 'bad_request', // data type mismatch
  4022: 'auth', // invalid API key (401)
  7001: 'forbidden', // not allowed by the current licence
};

/**
 * Zoho's APIs answer a token that lacks the scope for a URL with HTTP 401 and OAUTH_SCOPE_MISMATCH
 * (in `code`, `message` or SDP's message text). Unlike a dead token, a fresh token would be refused
 * the same way, so this is a permission problem, never a reason to refresh.
 */
function isScopeMismatch(body: unknown, sdp: SdpStatus): boolean {
  const texts = [
    ...sdp.messages.map((m) => m.message),
    isRecord(body) ? body.code : undefined,
    isRecord(body) ? body.message : undefined,
  ];
  return texts.some((t) => typeof t === 'string' && /SCOPE_MISMATCH|invalid oauth scope/i.test(t));
}

function kindFor(httpStatus: number, sdp: SdpStatus, scopeMismatch: boolean): ServiceDeskErrorKind {
  if (scopeMismatch) return 'forbidden';
  const byCode = sdp.code === undefined ? undefined : KIND_OF_CODE[sdp.code];
  if (httpStatus === 401) return 'auth';
  if (httpStatus === 403) return 'forbidden';
  if (httpStatus === 429) return 'rate_limited';
  if (byCode) return byCode;
  if (httpStatus === 404) return 'not_found';
  if (httpStatus >= 500) return 'server';
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
  const scopeMismatch = isScopeMismatch(body, sdp);
  const kind = kindFor(response.status, sdp, scopeMismatch);
  const code = sdp.code === undefined ? '' : ` (${sdp.code})`;
  const said = sdp.message ?? (sdp.code === undefined ? response.statusText : undefined) ?? '';
  const field = sdp.field ? ` [field ${sdp.field}]` : '';
  const quoted = redact(`${said}${field}`, secrets).slice(0, MAX_QUOTED_CHARS);
  const message = `ServiceDesk Plus ${operation} failed: ${response.status}${code}${quoted ? ` ${quoted}` : ''}`;
  return new ServiceDeskError(message, {
    kind,
    httpStatus: response.status,
    sdpStatusCode: sdp.code,
    sdpEnvelopeCode: sdp.envelopeCode,
    sdpFields: sdp.messages.flatMap((m) => (m.field ? [m.field] : [])),
    sdpMessages: sdp.messages.flatMap((m) => (m.message ? [redact(m.message, secrets).slice(0, 200)] : [])),
    scopeMismatch,
    retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
  });
}
