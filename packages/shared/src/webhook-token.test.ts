import { describe, expect, it } from 'vitest';
import { verifyWebhookToken } from './webhook-token.js';

describe('webhook token mode', () => {
  it('accepts the current or the previous secret, and says which', () => {
    expect(verifyWebhookToken({ secrets: ['new-secret', 'old-secret'], token: 'new-secret' })).toEqual({
      ok: true,
      secretIndex: 0,
    });
    expect(verifyWebhookToken({ secrets: ['new-secret', 'old-secret'], token: 'old-secret' })).toEqual({
      ok: true,
      secretIndex: 1,
    });
  });

  it('rejects a wrong, partial or missing token', () => {
    for (const token of ['wrong', 'new-secre', 'new-secret-and-more', '']) {
      expect(verifyWebhookToken({ secrets: ['new-secret'], token }).ok).toBe(false);
    }
    expect(verifyWebhookToken({ secrets: ['new-secret'], token: undefined })).toEqual({
      ok: false,
      reason: 'missing_token',
    });
  });

  it('accepts nothing for a tenant with no secrets (unknown slug)', () => {
    expect(verifyWebhookToken({ secrets: [], token: 'anything' })).toEqual({ ok: false, reason: 'mismatch' });
  });
});
