import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`
 * with `X-Webhook-Timestamp: <unix time>`. Signing the timestamp with the body stops replays of an
 * old delivery outside the tolerance window.
 *
 * Real senders write the time in three ways, all accepted: whole seconds (`1733100000`), decimal
 * seconds (`1733100000.417`: in Deluge `zoho.currenttime.toLong() / 1000` is a division of numbers and
 * keeps the fraction) and 13-digit milliseconds (`1733100000417`). The HMAC covers the header exactly
 * as sent; the tolerance window applies to its parsed value.
 */

export const SIGNATURE_HEADER = 'x-webhook-signature';
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';

export type SignatureFailure = 'missing_headers' | 'malformed' | 'stale_timestamp' | 'mismatch';

export type SignatureResult = { ok: true; secretIndex: number } | { ok: false; reason: SignatureFailure };

const WHOLE_SECONDS = /^\d{1,12}$/;
const DECIMAL_SECONDS = /^\d{1,12}\.\d{1,9}$/;
const MILLISECONDS = /^\d{13}$/;

/** Unix time in milliseconds from a timestamp header, or undefined for anything else. */
export function parseWebhookTimestamp(header: string): number | undefined {
  if (MILLISECONDS.test(header)) return Number(header);
  if (WHOLE_SECONDS.test(header) || DECIMAL_SECONDS.test(header)) return Number(header) * 1000;
  return undefined;
}

export function computeSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Headers for a signed delivery; used by the demo, tests and benchmarks like a Deluge function would. */
export function signWebhook(
  secret: string,
  rawBody: Buffer | string,
  now: number = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `sha256=${computeSignature(secret, timestamp, rawBody)}`,
  };
}

/**
 * Verifies a delivery against every active secret of the tenant (two during a rotation).
 * Every candidate is compared in constant time, and all are tried, so timing reveals nothing.
 */
export function verifyWebhookSignature(input: {
  secrets: readonly string[];
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  toleranceSeconds: number;
  now?: number;
}): SignatureResult {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  const sentAtMs = parseWebhookTimestamp(timestamp);
  if (sentAtMs === undefined) return { ok: false, reason: 'malformed' };
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match?.[1]) return { ok: false, reason: 'malformed' };

  if (Math.abs((input.now ?? Date.now()) - sentAtMs) > input.toleranceSeconds * 1000) {
    return { ok: false, reason: 'stale_timestamp' };
  }

  const given = Buffer.from(match[1].toLowerCase(), 'hex');
  let matched = -1;
  input.secrets.forEach((secret, index) => {
    const expected = Buffer.from(computeSignature(secret, timestamp, input.rawBody), 'hex');
    if (timingSafeEqual(expected, given) && matched === -1) matched = index;
  });
  return matched === -1 ? { ok: false, reason: 'mismatch' } : { ok: true, secretIndex: matched };
}
