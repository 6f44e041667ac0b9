import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM encryption for secrets stored in Postgres (webhook secrets, ServiceDesk Plus credentials).
 * Stored form: `v2.<key id>.<iv>.<auth tag>.<ciphertext>` (base64url parts). The key id lets old
 * values be decrypted with an older key during rotation.
 *
 * Each v2 value is bound to where it belongs: the tenant's id and what the value is are the GCM
 * additional authenticated data, so a value copied into another tenant's row (or from the
 * credentials column into a webhook secret column) fails authentication instead of decrypting. The
 * two webhook secret columns (current, previous) share one purpose: rotation moves the current
 * secret to previous as it is. `v1` values (written before, with no binding) still decrypt until
 * `keys rotate` rewrites them as v2 (`needsReencryption`).
 *
 * The tag must be the full 16 bytes: Node accepts shorter GCM tags (down to 4 bytes) unless told the
 * length, and a 4-byte tag can be forged by trying about 2^32 values (NIST SP 800-38D, appendix C).
 */

/**
 * `sdp_access_token`: a connection's Zoho access token while it is shared through Redis.
 * `sdp_credentials` and `sdp_access_token` are bound to the connection's id (a connection made by
 * migration 0020 has its tenant's id, so values written before stay readable);
 * `llm_api_key`: a tenant's own LLM endpoint key (bound to the tenant).
 * `connection_webhook_secret` is a connection's own webhook secret, kept apart from a tenant's
 * `webhook_secret` even where the two ids are equal.
 */
export type SecretPurpose =
  | 'sdp_credentials'
  | 'webhook_secret'
  | 'sdp_access_token'
  | 'connection_webhook_secret'
  | 'llm_api_key';

/** Where a stored value belongs; authenticated with it, so it decrypts nowhere else. */
export interface SecretContext {
  /** The id of the row it belongs to: the tenant's, or the connection's (see SecretPurpose). */
  tenantId: string;
  purpose: SecretPurpose;
}

export interface SecretBox {
  encrypt(plaintext: string, context: SecretContext): string;
  decrypt(stored: string, context: SecretContext): string;
  /** Id of the key new values are encrypted with. */
  readonly currentKeyId: string;
  keyIdOf(stored: string): string;
  /** True when `stored` is under an older key or in the unbound v1 form: `keys rotate` rewrites it. */
  needsReencryption(stored: string): boolean;
}

const TAG_BYTES = 16;
const IV_BYTES = 12;

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

function additionalData(context: SecretContext): Buffer {
  return Buffer.from(`ai-agents/v2\n${context.tenantId}\n${context.purpose}`, 'utf8');
}

export function createSecretBox(currentKey: string, olderKeys: readonly string[] = []): SecretBox {
  const current = decodeKey(currentKey);
  const keys = new Map<string, Buffer>();
  for (const key of [current, ...olderKeys.map(decodeKey)]) keys.set(keyId(key), key);
  const currentKeyId = keyId(current);

  return {
    currentKeyId,
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
      return ['v2', currentKeyId, ...parts].join('.');
    },
    decrypt(stored, context) {
      const [version, id, ivText, tagText, ciphertext, extra] = stored.split('.');
      if (
        (version !== 'v1' && version !== 'v2') ||
        !id ||
        !ivText ||
        !tagText ||
        ciphertext === undefined ||
        extra !== undefined
      ) {
        throw new Error('Encrypted value is malformed');
      }
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
        throw new Error('Encrypted value is malformed (the IV must be 12 bytes and the tag 16)');
      const key = keys.get(id);
      if (!key)
        throw new Error(`No encryption key with id ${id} is configured (ENCRYPTION_KEY / ENCRYPTION_KEYS)`);
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      if (version === 'v2') decipher.setAAD(additionalData(context));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([
          decipher.update(Buffer.from(ciphertext, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // Wrong tenant or purpose, or altered: GCM cannot tell which, and neither should the message.
        throw new Error(`Encrypted ${context.purpose} value does not authenticate for this tenant`);
      }
    },
    keyIdOf(stored) {
      return stored.split('.')[1] ?? '';
    },
    needsReencryption(stored) {
      const [version, id] = stored.split('.');
      return version !== 'v2' || id !== currentKeyId;
    },
  };
}

function decodeKey(key: string): Buffer {
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length !== 32) throw new Error('An encryption key must be 32 bytes, base64-encoded');
  return bytes;
}
