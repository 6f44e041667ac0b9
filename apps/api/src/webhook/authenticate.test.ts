import { signWebhook } from '@ai-agents/shared';
import { describe, expect, it } from 'vitest';
import { authenticateDelivery } from './authenticate.js';
import type { WebhookCredentials } from './tenant-auth.js';

const body = Buffer.from('{"event":"request.created","request":{"id":"7"}}');
const tenant = (tokenEnabled: boolean): WebhookCredentials => ({
  tenantId: '00000000-0000-4000-8000-000000000001',
  active: true,
  secrets: ['current-secret', 'previous-secret'],
  tokenEnabled,
});
const check = (headers: Record<string, string>, credentials: WebhookCredentials | null = tenant(true)) =>
  authenticateDelivery({ headers, rawBody: body, tenant: credentials, toleranceSeconds: 300 });

describe('authenticating a delivery', () => {
  it('accepts a signature under either secret, and a token under either secret in token mode', () => {
    expect(check(signWebhook('previous-secret', body))).toEqual({ ok: true, mode: 'signature' });
    expect(check({ 'x-webhook-token': 'previous-secret' })).toEqual({ ok: true, mode: 'token' });
  });

  it('refuses a token when the tenant has not opted in to token mode', () => {
    expect(check({ 'x-webhook-token': 'current-secret' }, tenant(false))).toEqual({
      ok: false,
      reason: 'token_mode_disabled',
    });
  });

  it('a delivery carrying signature headers is judged by its signature only, never by a token beside it', () => {
    const forged = { ...signWebhook('wrong-secret', body), 'x-webhook-token': 'current-secret' };
    expect(check(forged)).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ 'x-webhook-timestamp': '1', 'x-webhook-token': 'current-secret' })).toEqual({
      ok: false,
      reason: 'missing_headers',
    });
  });

  it('an unknown slug accepts nothing', () => {
    expect(check({ 'x-webhook-token': 'current-secret' }, null).ok).toBe(false);
    expect(check(signWebhook('current-secret', body), null).ok).toBe(false);
  });
});
