import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM encryption for secrets stored in Postgres (webhook secrets, ServiceDesk Plus credentials).
 * Stored form: `v1.<key id>.<iv>.<auth tag>.<ciphertext>` (base64url parts). The key id lets old
 * values be decrypted with an older key during rotation.
 */

export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
  /** Id of the key new values are encrypted with. */
  readonly currentKeyId: string;
  keyIdOf(stored: string): string;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function createSecretBox(currentKey: string, olderKeys: readonly string[] = []): SecretBox {
  const current = decodeKey(currentKey);
  const keys = new Map<string, Buffer>();
  for (const key of [current, ...olderKeys.map(decodeKey)]) keys.set(keyId(key), key);
  const currentKeyId = keyId(current);

  return {
    currentKeyId,
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
      return ['v1', currentKeyId, ...parts].join('.');
    },
    decrypt(stored) {
      const [version, id, iv, tag, ciphertext] = stored.split('.');
      if (version !== 'v1' || !id || !iv || !tag || ciphertext === undefined) {
        throw new Error('Encrypted value is malformed');
      }
      const key = keys.get(id);
      if (!key)
        throw new Error(`No encryption key with id ${id} is configured (ENCRYPTION_KEY / ENCRYPTION_KEYS)`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
    keyIdOf(stored) {
      return stored.split('.')[1] ?? '';
    },
  };
}

function decodeKey(key: string): Buffer {
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length !== 32) throw new Error('An encryption key must be 32 bytes, base64-encoded');
  return bytes;
}
