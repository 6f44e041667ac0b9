import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

describe('secret box', () => {
  it('round-trips and never stores the plaintext', () => {
    const box = createSecretBox(keyA);
    const stored = box.encrypt('technician-key-123');
    expect(stored).not.toContain('technician-key-123');
    expect(stored.startsWith(`v1.${box.currentKeyId}.`)).toBe(true);
    expect(box.decrypt(stored)).toBe('technician-key-123');
  });

  it('uses a fresh IV each time', () => {
    const box = createSecretBox(keyA);
    expect(box.encrypt('same')).not.toBe(box.encrypt('same'));
  });

  it('decrypts values written under an older key listed in ENCRYPTION_KEYS', () => {
    const old = createSecretBox(keyA).encrypt('old secret');
    expect(createSecretBox(keyB, [keyA]).decrypt(old)).toBe('old secret');
    expect(() => createSecretBox(keyB).decrypt(old)).toThrow(/No encryption key with id/);
  });

  it('detects tampering', () => {
    const box = createSecretBox(keyA);
    const parts = box.encrypt('value').split('.');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => box.decrypt(parts.join('.'))).toThrow();
  });
});
