import { describe, expect, it } from 'vitest';
import { computeSignature, signWebhook, verifyWebhookSignature } from './signature.js';

const secret = 'tenant-secret-1';
const body = Buffer.from('{"event":"request.created","request":{"id":"42"}}');
const now = Date.UTC(2026, 10, 23, 12, 0, 0);

function verify(overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) {
  const headers = signWebhook(secret, body, now);
  return verifyWebhookSignature({
    secrets: [secret],
    timestamp: headers['x-webhook-timestamp'],
    signature: headers['x-webhook-signature'],
    rawBody: body,
    toleranceSeconds: 300,
    now,
    ...overrides,
  });
}

describe('webhook signatures', () => {
  it('accepts a delivery signed with the tenant secret', () => {
    expect(verify()).toEqual({ ok: true, secretIndex: 0 });
  });

  it('signs "<timestamp>.<raw body>" with HMAC-SHA256, as the Deluge snippet does', () => {
    // Reference computed independently:
    // printf '1795435200.<body>' | openssl dgst -sha256 -hmac tenant-secret-1
    expect(computeSignature(secret, '1795435200', body)).toBe(
      '2a91a3e33ba52a05dc704e79b92a3eda356aa937e42b1d8482acd3e45f774a43',
    );
    expect(signWebhook(secret, body, now)['x-webhook-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('rejects a tampered body', () => {
    expect(verify({ rawBody: Buffer.from(body.toString().replace('42', '43')) })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a signature made with another secret', () => {
    expect(verify({ secrets: ['some-other-secret'] })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accepts either secret during a rotation and says which matched', () => {
    expect(verify({ secrets: ['new-secret', secret] })).toEqual({ ok: true, secretIndex: 1 });
  });

  it('rejects timestamps more than the tolerance in the past or the future', () => {
    expect(verify({ now: now + 301_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify({ now: now - 301_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify({ now: now + 299_000 }).ok).toBe(true);
  });

  it('rejects missing or malformed headers', () => {
    expect(verify({ signature: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ timestamp: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ signature: 'md5=abc' })).toEqual({ ok: false, reason: 'malformed' });
    expect(verify({ timestamp: 'yesterday' })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('rejects when the tenant has no secret at all', () => {
    expect(verify({ secrets: [] })).toEqual({ ok: false, reason: 'mismatch' });
  });
});
