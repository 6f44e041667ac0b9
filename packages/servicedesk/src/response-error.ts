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

// Where Zoho's APIs put the reason of a refusal, in the wordings seen so far:
// - `{"code":"OAUTH_SCOPE_MISMATCH","message":"invalid oauth scope to access this URL"}` (Zoho CRM);
// - `{"error":{"code":401,"requestURI":"…","message":"INVALID_OAUTHSCOPE"}}` (Zoho Social, zoho.com/social/
//   api/oauth-authentication.html "Error For missing Scopes"; Zoho Mail answers alike);
// - `{"errorCode":"INVALID_OAUTHSCOPE","authFail":"true","status":"401"}` and `{"data":{"errorCode":…}}`
//   (Zoho Mail), `{"error":{"title":"INVALID_OAUTHSCOPE"}}` (Zoho Projects);
// - inside SDP's own envelope, as a message text.
// SDP Cloud's own wording is not documented, so every one of them is read, at one level of nesting.
const REASON_KEYS = ['code', 'message', 'errorCode', 'title', 'error'] as const;
const NESTED_KEYS = ['error', 'data'] as const;
const MAX_REASON_CHARS = 200;
const SCOPE_REFUSAL = /OAUTH_?SCOPE_?MISMATCH|INVALID_?OAUTH_?SCOPE|invalid oauth ?scope/i;

function reasonsIn(record: Record<string, unknown>): string[] {
  return REASON_KEYS.map((k) => record[k]).flatMap((v) =>
    typeof v === 'string' ? [v.slice(0, MAX_REASON_CHARS)] : [],
  );
}

/** The short reason strings of a non-SDP error body (Zoho's shapes above); a bounded, fixed set. */
function zohoReasons(body: unknown): string[] {
  // Some Zoho APIs answer an array such as `[2, {"errorCode": "INVALID_OAUTHSCOPE"}]`.
  const records = (Array.isArray(body) ? body.slice(0, 4) : [body]).filter(isRecord);
  return records.flatMap((r) => [
    ...reasonsIn(r),
    ...NESTED_KEYS.flatMap((k) => {
      const nested = r[k];
      return isRecord(nested) ? reasonsIn(nested) : [];
    }),
  ]);
}

/**
 * A token that lacks the scope for a URL. Unlike a dead token, a fresh token would be refused the same
 * way, so this is a permission problem (kind 'forbidden'), never a reason to refresh the token.
 */
function isScopeRefusal(body: unknown, sdp: SdpStatus): boolean {
  const texts = [...sdp.messages.map((m) => m.message), ...zohoReasons(body)];
  return texts.some((t) => typeof t === 'string' && SCOPE_REFUSAL.test(t));
}

function kindFor(httpStatus: number, sdp: SdpStatus, scopeRefusal: boolean): ServiceDeskErrorKind {
  if (scopeRefusal) return 'forbidden';
  const byCode = sdp.code === undefined ? undefined : KIND_OF_CODE[sdp.code];
  // A 401 is an authentication failure unless SDP's code says the caller is known and refused
  // (4002 "not allowed", 7001 licence): then a new token would be refused alike.
  if (httpStatus === 401) return byCode === 'forbidden' ? 'forbidden' : 'auth';
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
  const scopeMismatch = isScopeRefusal(body, sdp);
  const kind = kindFor(response.status, sdp, scopeMismatch);
  const fields = [...new Set(sdp.messages.flatMap((m) => m.fields))];
  const code = sdp.code === undefined ? '' : ` (${sdp.code})`;
  const said =
    sdp.message ?? (sdp.code === undefined ? (zohoReasons(body)[0] ?? response.statusText) : undefined) ?? '';
  const field = fields.length > 0 ? ` [field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}]` : '';
  const quoted = redact(`${said}${field}`, secrets).slice(0, MAX_QUOTED_CHARS);
  const message = `ServiceDesk Plus ${operation} failed: ${response.status}${code}${quoted ? ` ${quoted}` : ''}`;
  return new ServiceDeskError(message, {
    kind,
    httpStatus: response.status,
    sdpStatusCode: sdp.code,
    sdpEnvelopeCode: sdp.envelopeCode,
    sdpFields: fields,
    sdpMessages: sdp.messages.flatMap((m) => (m.message ? [redact(m.message, secrets).slice(0, 200)] : [])),
    scopeMismatch,
    retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
  });
}
