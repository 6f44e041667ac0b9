/**
 * Secrets that are public: the development stack (docker-compose.yml) publishes them in the
 * repository, so anyone can decrypt or log in with them. Production refuses them (config.ts);
 * test/deploy/compose.test.ts fails when docker-compose.yml holds one that is missing here.
 */
export const DEVELOPMENT_SECRETS: readonly string[] = [
  // docker-compose.yml ENCRYPTION_KEY: "dev-only-encryption-key-32-bytes"
  'ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=',
  // docker-compose.yml database passwords (application role, owner)
  'dev-app-password',
  'dev-postgres-password',
];

/** True for a development secret; base64 keys are compared by their bytes, not their spelling. */
export function isDevelopmentSecret(value: string): boolean {
  const trimmed = value.trim();
  if (DEVELOPMENT_SECRETS.includes(trimmed)) return true;
  const bytes = Buffer.from(trimmed, 'base64');
  return (
    bytes.length === 32 && DEVELOPMENT_SECRETS.some((known) => Buffer.from(known, 'base64').equals(bytes))
  );
}
