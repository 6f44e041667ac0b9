import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, keyId, type SecretContext } from './secret-box.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const tenantA: SecretContext = {
  tenantId: '0c6f1d3e-8a52-4b1e-9f0a-1b2c3d4e5f60',
  purpose: 'webhook_secret',
};
const tenantB: SecretContext = {
  tenantId: '7d2e4f60-1b3c-4d5e-8f90-a1b2c3d4e5f6',
  purpose: 'webhook_secret',
};

/** A value in the form written before values were bound (no additional data), with any tag length. */
function legacyV1(key: string, plaintext: string, tagBytes = 16): string {
  const bytes = Buffer.from(key, 'base64');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', bytes, iv, { authTagLength: tagBytes });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
  return ['v1', keyId(bytes), ...parts].join('.');
}

describe('secret box', () => {
  it('round-trips and never stores the plaintext', () => {
    const box = createSecretBox(keyA);
    const stored = box.encrypt('technician-key-123', tenantA);
    expect(stored).not.toContain('technician-key-123');
    expect(stored.startsWith(`v2.${box.currentKeyId}.`)).toBe(true);
    expect(box.decrypt(stored, tenantA)).toBe('technician-key-123');
  });

  it('uses a fresh IV each time', () => {
    const box = createSecretBox(keyA);
    expect(box.encrypt('same', tenantA)).not.toBe(box.encrypt('same', tenantA));
  });

  it('decrypts values written under an older key listed in ENCRYPTION_KEYS', () => {
    const old = createSecretBox(keyA).encrypt('old secret', tenantA);
    expect(createSecretBox(keyB, [keyA]).decrypt(old, tenantA)).toBe('old secret');
    expect(() => createSecretBox(keyB).decrypt(old, tenantA)).toThrow(/No encryption key with id/);
  });

  it('detects tampering', () => {
    const box = createSecretBox(keyA);
    const parts = box.encrypt('value', tenantA).split('.');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => box.decrypt(parts.join('.'), tenantA)).toThrow();
  });

  it('refuses a value whose tag was cut short, which Node would otherwise accept', () => {
    const box = createSecretBox(keyA);
    const parts = box.encrypt('value', tenantA).split('.');
    parts[3] = Buffer.from(parts[3] ?? '', 'base64url')
      .subarray(0, 4)
      .toString('base64url');
    expect(() => box.decrypt(parts.join('.'), tenantA)).toThrow(/tag 16/);
    // The same for the older form: a 4-byte tag is a 1-in-4-billion guess, not authentication.
    expect(() => box.decrypt(legacyV1(keyA, 'value', 4), tenantA)).toThrow(/tag 16/);
  });

  it("does not decrypt a value copied into another tenant's row, or into another column", () => {
    const box = createSecretBox(keyA);
    const stored = box.encrypt('webhook secret of A', tenantA);
    expect(() => box.decrypt(stored, tenantB)).toThrow(
      'Encrypted webhook_secret value does not authenticate for this tenant',
    );
    expect(() => box.decrypt(stored, { ...tenantA, purpose: 'sdp_credentials' })).toThrow(
      /does not authenticate/,
    );
  });

  it('reads the unbound v1 form until keys rotate rewrites it', () => {
    const box = createSecretBox(keyA);
    const legacy = legacyV1(keyA, 'written before binding');
    expect(box.decrypt(legacy, tenantA)).toBe('written before binding');
    expect(box.needsReencryption(legacy)).toBe(true);
    expect(box.needsReencryption(box.encrypt('x', tenantA))).toBe(false);
    expect(createSecretBox(keyB, [keyA]).needsReencryption(box.encrypt('x', tenantA))).toBe(true);
  });
});
