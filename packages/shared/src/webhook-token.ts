import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Token mode, for ServiceDesk Plus native webhooks that can send a custom header but cannot sign:
 * `X-Webhook-Token: <webhook secret>`. Weaker than a signature: the secret travels with every
 * delivery and nothing binds it to the body or a time, so a captured delivery can be replayed.
 * Off unless enabled per tenant.
 */
export const TOKEN_HEADER = 'x-webhook-token';

export type TokenResult =
  | { ok: true; secretIndex: number }
  | { ok: false; reason: 'missing_token' | 'mismatch' };

/**
 * Compares the token against every active secret (two during a rotation) in constant time. Both
 * sides are hashed first so the comparison has a fixed length and reveals nothing about it.
 */
export function verifyWebhookToken(input: {
  secrets: readonly string[];
  token: string | undefined;
}): TokenResult {
  if (!input.token) return { ok: false, reason: 'missing_token' };
  const given = sha256(input.token.trim());
  let matched = -1;
  input.secrets.forEach((secret, index) => {
    if (timingSafeEqual(sha256(secret), given) && matched === -1) matched = index;
  });
  return matched === -1 ? { ok: false, reason: 'mismatch' } : { ok: true, secretIndex: matched };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
