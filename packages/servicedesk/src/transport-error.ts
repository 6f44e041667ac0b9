import { ResponseTooLargeError } from '@ai-agents/shared';
import { isRecord } from './json-shape.js';
import { redact } from './redact.js';
import { ServiceDeskError } from './service-desk-error.js';

function isTimeout(error: unknown): boolean {
  // AbortSignal.timeout() rejects fetch (and a body read in progress) with a DOMException named TimeoutError.
  return error instanceof Error && error.name === 'TimeoutError';
}

/**
 * OpenSSL's codes (as Node reports them) for a certificate chain that ends at no trusted root: what
 * a portal behind a private certificate authority answers until EXTRA_CA_FILE names that authority.
 */
const UNTRUSTED_CHAIN_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/** undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function networkDetail(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (isRecord(cause) || cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const message = 'message' in cause && typeof cause.message === 'string' ? cause.message : undefined;
    const hint =
      code && UNTRUSTED_CHAIN_CODES.has(code)
        ? '; signed by a private certificate authority? Trust it with EXTRA_CA_FILE'
        : '';
    if (message) return `${code && !message.includes(code) ? `${code} ${message}` : message}${hint}`;
    if (code) return `${code}${hint}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A call that produced no usable HTTP answer: it timed out or the connection failed (both worth
 * retrying), or the answer was larger than the size limit (not worth it).
 */
export function transportError(
  operation: string,
  error: unknown,
  timeoutMs: number,
  secrets: readonly string[],
): ServiceDeskError {
  const tooLarge =
    error instanceof ResponseTooLargeError
      ? error
      : error instanceof Error && error.cause instanceof ResponseTooLargeError
        ? error.cause
        : undefined;
  if (tooLarge) {
    // The same URL will answer the same again: not worth a retry.
    return new ServiceDeskError(`ServiceDesk Plus ${operation} failed: ${tooLarge.message}`, {
      kind: 'invalid_response',
      cause: error,
    });
  }
  if (isTimeout(error)) {
    return new ServiceDeskError(`ServiceDesk Plus ${operation} failed: no answer within ${timeoutMs} ms`, {
      kind: 'timeout',
      cause: error,
    });
  }
  const detail = redact(networkDetail(error), secrets);
  return new ServiceDeskError(`ServiceDesk Plus ${operation} failed: network error (${detail})`, {
    kind: 'network',
    cause: error,
  });
}
