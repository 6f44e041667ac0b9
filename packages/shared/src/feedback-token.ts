import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token in a note's feedback link: `<tenant slug>.<enhancement id>.<mac>`, where mac is
 * base64url(HMAC-SHA256(tenant webhook secret, "feedback.v1\n<slug>\n<enhancement id>")). It binds the
 * tenant and the enhancement, so a technician's click proves which note it is about without a login,
 * and a token cannot be replayed for another tenant's or another note's feedback. Rotating the
 * webhook secret retires the links of older notes once the previous secret is dropped.
 */

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

function mac(secret: string, slug: string, enhancementId: string): Buffer {
  return createHmac('sha256', secret).update(`feedback.v1\n${slug}\n${enhancementId}`).digest();
}

export function createFeedbackToken(secret: string, slug: string, enhancementId: string): string {
  return `${slug}.${enhancementId}.${mac(secret, slug, enhancementId).toString('base64url')}`;
}

export interface FeedbackTokenClaims {
  slug: string;
  enhancementId: string;
  mac: Buffer;
}

/** Splits a token without trusting it: the slug tells whose secrets to verify the mac with. */
export function parseFeedbackToken(token: string): FeedbackTokenClaims | null {
  const [slug, enhancementId, given, ...rest] = token.trim().split('.');
  if (rest.length > 0 || !slug || !enhancementId || !given) return null;
  if (!SLUG.test(slug) || !UUID.test(enhancementId) || !MAC.test(given)) return null;
  return { slug, enhancementId, mac: Buffer.from(given, 'base64url') };
}

/** True when the mac matches one of the tenant's secrets; every secret is compared in constant time. */
export function verifyFeedbackToken(claims: FeedbackTokenClaims, secrets: readonly string[]): boolean {
  let ok = false;
  for (const secret of secrets) {
    const expected = mac(secret, claims.slug, claims.enhancementId);
    if (expected.length === claims.mac.length && timingSafeEqual(expected, claims.mac)) ok = true;
  }
  return ok;
}
