import type { IncomingHttpHeaders } from 'node:http';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  TOKEN_HEADER,
  verifyWebhookSignature,
  verifyWebhookToken,
} from '@ai-agents/shared';
import type { WebhookCredentials } from './tenant-auth.js';

export type DeliveryVerdict = { ok: true; mode: 'signature' | 'token' } | { ok: false; reason: string };

/**
 * A delivery authenticates by signature (X-Webhook-Timestamp + X-Webhook-Signature), or, only for a
 * tenant that opted in, by X-Webhook-Token. Any signature header selects signature mode, so a
 * signed delivery can never fall back to the weaker token check.
 */
export function authenticateDelivery(input: {
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  tenant: WebhookCredentials | null;
  toleranceSeconds: number;
}): DeliveryVerdict {
  const { headers, tenant } = input;
  const secrets = tenant?.secrets ?? [];
  const signature = header(headers[SIGNATURE_HEADER]);
  const timestamp = header(headers[TIMESTAMP_HEADER]);
  const token = header(headers[TOKEN_HEADER]);

  if (signature === undefined && timestamp === undefined && token !== undefined) {
    if (!tenant?.tokenEnabled) return { ok: false, reason: 'token_mode_disabled' };
    const result = verifyWebhookToken({ secrets, token });
    return result.ok ? { ok: true, mode: 'token' } : { ok: false, reason: `token_${result.reason}` };
  }
  const result = verifyWebhookSignature({
    secrets,
    timestamp,
    signature,
    rawBody: input.rawBody,
    toleranceSeconds: input.toleranceSeconds,
  });
  return result.ok ? { ok: true, mode: 'signature' } : { ok: false, reason: result.reason };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
