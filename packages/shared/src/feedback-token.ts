import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token in a note's feedback link: `<tenant slug>.<enhancement id>.<issued>.<mac>`, where
 * issued is the unix time (seconds) the note was written and mac is
 * base64url(HMAC-SHA256(tenant webhook secret, "feedback.v2\n<slug>\n<enhancement id>\n<issued>")).
 * It binds the tenant and the enhancement, so a technician's click proves which note it is about
 * without a login, and a token cannot be replayed for another tenant's or another note's feedback.
 * Links expire FEEDBACK_LINK_MAX_AGE_DAYS after issue: a note forwarded or pasted somewhere does not
 * keep a voting link for ever. Rotating the webhook secret retires older links once the previous
 * secret is dropped.
 *
 * Tokens written before links expired (`<slug>.<id>.<mac>` over "feedback.v1\n<slug>\n<id>") still
 * verify; they carry no time, so the API takes the enhancement's creation time instead.
 */

export const FEEDBACK_LINK_MAX_AGE_DAYS = 90;
const MAX_AGE_MS = FEEDBACK_LINK_MAX_AGE_DAYS * 24 * 3600_000;

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
const ISSUED = /^\d{1,12}$/;

function mac(secret: string, slug: string, enhancementId: string, issued: number | null): Buffer {
  const message =
    issued === null
      ? `feedback.v1\n${slug}\n${enhancementId}`
      : `feedback.v2\n${slug}\n${enhancementId}\n${issued}`;
  return createHmac('sha256', secret).update(message).digest();
}

export function createFeedbackToken(
  secret: string,
  slug: string,
  enhancementId: string,
  issuedAtMs: number = Date.now(),
): string {
  const issued = Math.floor(issuedAtMs / 1000);
  return `${slug}.${enhancementId}.${issued}.${mac(secret, slug, enhancementId, issued).toString('base64url')}`;
}

export interface FeedbackTokenClaims {
  slug: string;
  enhancementId: string;
  /** Unix seconds the link was issued; null for a link from before links expired. */
  issued: number | null;
  mac: Buffer;
}

/** Splits a token without trusting it: the slug tells whose secrets to verify the mac with. */
export function parseFeedbackToken(token: string): FeedbackTokenClaims | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3 && parts.length !== 4) return null;
  const [slug, enhancementId] = parts;
  const issuedText = parts.length === 4 ? parts[2] : null;
  const given = parts[parts.length - 1];
  if (!slug || !enhancementId || !given) return null;
  if (!SLUG.test(slug) || !UUID.test(enhancementId) || !MAC.test(given)) return null;
  if (issuedText !== null && !ISSUED.test(issuedText ?? '')) return null;
  return {
    slug,
    enhancementId,
    issued: issuedText === null ? null : Number(issuedText),
    mac: Buffer.from(given, 'base64url'),
  };
}

/** True when the mac matches one of the tenant's secrets; every secret is compared in constant time. */
export function verifyFeedbackToken(claims: FeedbackTokenClaims, secrets: readonly string[]): boolean {
  let ok = false;
  for (const secret of secrets) {
    const expected = mac(secret, claims.slug, claims.enhancementId, claims.issued);
    if (expected.length === claims.mac.length && timingSafeEqual(expected, claims.mac)) ok = true;
  }
  return ok;
}

/**
 * Whether a link issued at `issuedAtMs` (the token's time, or for an old token its enhancement's
 * creation) has expired. A time in the future beyond clock skew counts as expired too.
 */
export function feedbackLinkExpired(issuedAtMs: number, now: number = Date.now()): boolean {
  return now - issuedAtMs > MAX_AGE_MS || issuedAtMs - now > 5 * 60_000;
}
