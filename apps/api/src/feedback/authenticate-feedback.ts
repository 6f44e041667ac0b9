import { type Db, enhancementCreatedAt } from '@ai-agents/db';
import {
  FEEDBACK_LINK_MAX_AGE_DAYS,
  feedbackLinkExpired,
  parseFeedbackToken,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyFeedbackToken,
  verifyWebhookSignature,
} from '@ai-agents/shared';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { TenantAuth } from '../webhook/tenant-auth.js';

export interface FeedbackAuthDeps {
  db: Db;
  tenantAuth: TenantAuth;
  toleranceSeconds: number;
}

export type FeedbackAuth =
  | { tenantId: string; enhancementId: string; mode: 'link' }
  | { tenantId: string; enhancementId: undefined; mode: 'signed' };

// One answer for every authentication failure, as for webhooks: nothing tells which part was wrong.
const unauthorized = () => new HttpError(401, 'unauthorized', 'Feedback authentication failed');
const expired = () =>
  new HttpError(
    401,
    'link_expired',
    `Feedback links expire after ${FEEDBACK_LINK_MAX_AGE_DAYS} days; this one has`,
  );

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The tenant and enhancement a link token is for; 'expired' for a genuine but expired link. */
export async function tenantForToken(deps: FeedbackAuthDeps, token: string) {
  const claims = parseFeedbackToken(token);
  if (!claims) return null;
  const tenant = await deps.tenantAuth.lookup(claims.slug);
  // Verified against a decoy for an unknown slug, so the answer takes as long either way.
  const valid = verifyFeedbackToken(claims, (tenant ?? deps.tenantAuth.decoy).secrets);
  if (!tenant?.active || !valid) return null;
  // A link from before links carried their time: the note's own age decides.
  const issuedAt =
    claims.issued !== null
      ? claims.issued * 1000
      : (
          await enhancementCreatedAt({ db: deps.db, tenantId: tenant.tenantId }, claims.enhancementId)
        )?.getTime();
  if (issuedAt !== undefined && feedbackLinkExpired(issuedAt)) return 'expired' as const;
  return { tenantId: tenant.tenantId, enhancementId: claims.enhancementId };
}

/** Who may vote: the holder of the note's link token, or a request signed like a webhook. */
export async function authenticateFeedback(
  deps: FeedbackAuthDeps,
  request: FastifyRequest,
  raw: Buffer,
  body: Record<string, unknown>,
): Promise<FeedbackAuth> {
  const token = typeof body.token === 'string' ? body.token : undefined;
  if (token !== undefined) {
    const found = await tenantForToken(deps, token);
    if (!found) throw unauthorized();
    if (found === 'expired') throw expired();
    return { ...found, mode: 'link' as const };
  }
  const slug = typeof body.tenant === 'string' ? body.tenant : '';
  const tenant = /^[a-z0-9][a-z0-9-]{0,62}$/.test(slug) ? await deps.tenantAuth.lookup(slug) : null;
  const verdict = verifyWebhookSignature({
    secrets: (tenant ?? deps.tenantAuth.decoy).secrets,
    timestamp: header(request.headers[TIMESTAMP_HEADER]),
    signature: header(request.headers[SIGNATURE_HEADER]),
    rawBody: raw,
    toleranceSeconds: deps.toleranceSeconds,
  });
  if (!tenant?.active || !verdict.ok) throw unauthorized();
  return { tenantId: tenant.tenantId, enhancementId: undefined, mode: 'signed' as const };
}
