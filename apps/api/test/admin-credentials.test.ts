import { createDatabase, findWebhookTenant, listAudit, loadTenant, withTenant } from '@ai-agents/db';
import {
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeServiceDesk,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addTenant, admin, adminDatabase, adminWithStdin } from './support/run-admin.js';

// Credentials reach the CLI from the environment or standard input only, are proven against
// ServiceDesk Plus before they replace the stored ones, and never appear in output or the audit log.

const key = randomEncryptionKey();
const OLD_KEY = 'old-technician-key-1f0a';
const NEW_KEY = 'new-technician-key-9c2e';
const oauth = {
  clientId: 'cid-contoso',
  clientSecret: 'cloud-secret-77aa',
  refreshToken: '1000.refresh-55bb',
};
let testDb: TestDatabase;
let sdp: FakeServiceDesk;

beforeAll(async () => {
  sdp = await startFakeServiceDesk({ technicianKeys: [OLD_KEY, NEW_KEY], oauth });
  testDb = await adminDatabase({
    ENCRYPTION_KEY: key,
    PUBLIC_BASE_URL: 'https://agents.msp.example',
    SDP_TECHNICIAN_KEY: OLD_KEY,
  });
  const added = await addTenant({ slug: 'contoso', name: 'Contoso', sdpUrl: sdp.url });
  expect(added.code).toBe(0);
  vi.stubEnv('SDP_TECHNICIAN_KEY', '');
});

afterAll(async () => {
  await sdp?.close();
  await testDb?.drop();
});

async function stored(): Promise<{ credentials: Record<string, string>; audit: unknown[] }> {
  const database = createDatabase({ url: testDb.appUrl, max: 1 });
  try {
    const found = await findWebhookTenant(database.db, 'contoso');
    const id = found?.id ?? '';
    return await withTenant(database.db, id, async (tx) => {
      const scope = { db: database.db, tenantId: id, tx };
      const row = await loadTenant(scope);
      return {
        credentials: JSON.parse(
          createSecretBox(key).decrypt(row?.connection.sdpCredentialsEnc ?? '', {
            tenantId: id,
            purpose: 'sdp_credentials',
          }),
        ),
        audit: await listAudit(scope, 50),
      };
    });
  } finally {
    await database.close();
  }
}

const everySecret = [OLD_KEY, NEW_KEY, oauth.clientSecret, oauth.refreshToken, 'wrong-key-0000'];
function expectNoSecret(...texts: string[]) {
  for (const secret of everySecret) for (const text of texts) expect(text).not.toContain(secret);
}

describe('secrets on the command line', () => {
  it('are refused by tenant add and set-credentials, with the way to pass them instead', async () => {
    const add = await addTenant(
      { slug: 'fabrikam', name: 'F', sdpUrl: sdp.url },
      '--technician-key',
      NEW_KEY,
    );
    expect(add.code).toBe(2);
    expect(add.err).toBe(
      'error: --technician-key is not accepted: a secret on the command line shows in ps and shell history; set SDP_TECHNICIAN_KEY in the environment or pass it on standard input with --stdin\n',
    );
    const set = await admin('tenant', 'set-credentials', 'contoso', '--client-secret', oauth.clientSecret);
    expect(set.code).toBe(2);
    expect(set.err).toContain('--client-secret is not accepted');
    expect((await admin('tenant', 'show', 'fabrikam')).code).toBe(1);
    expect((await admin('tenant', 'set-credentials', '--help')).out).not.toMatch(
      /--technician-key|--client-secret/,
    );
  });
});

describe('tenant set-credentials', () => {
  it('checks new credentials first and keeps the old ones when ServiceDesk Plus refuses them', async () => {
    vi.stubEnv('SDP_TECHNICIAN_KEY', 'wrong-key-0000');
    const result = await admin('tenant', 'set-credentials', 'contoso');
    vi.stubEnv('SDP_TECHNICIAN_KEY', '');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^error: the new credentials of contoso were not saved: bad credentials/);
    expectNoSecret(result.out, result.err);
    expect((await stored()).credentials).toEqual({ type: 'onprem', technicianKey: OLD_KEY });
  });

  it('replaces them from standard input, audited without the values', async () => {
    const result = await adminWithStdin(
      `# contoso, rotated 2026-12\nSDP_TECHNICIAN_KEY=${NEW_KEY}\n`,
      'tenant',
      'set-credentials',
      'contoso',
      '--stdin',
    );
    expect(result).toEqual({
      code: 0,
      out: 'ServiceDesk Plus credentials of contoso replaced (onprem); checked: OK.\n',
      err: '',
    });
    const { credentials, audit } = await stored();
    expect(credentials).toEqual({ type: 'onprem', technicianKey: NEW_KEY });
    expect(audit[0]).toMatchObject({
      action: 'tenant.sdp_credentials_replaced',
      details: { sdpAuthType: 'onprem', previousSdpAuthType: 'onprem', checked: true },
    });
    expectNoSecret(JSON.stringify(audit));
    expect((await admin('tenant', 'check', 'contoso')).code).toBe(0);
  });

  it('switches to Cloud OAuth with client id, secret, refresh token and accounts URL', async () => {
    // A Cloud portal answers under /app/<portal> only (docs/servicedesk-plus.md).
    expect((await admin('tenant', 'set', 'contoso', '--sdp-url', `${sdp.url}/app/itdesk`)).code).toBe(0);
    const input = [
      `SDP_CLIENT_ID=${oauth.clientId}`,
      `SDP_CLIENT_SECRET=${oauth.clientSecret}`,
      `SDP_REFRESH_TOKEN=${oauth.refreshToken}`,
      `SDP_ACCOUNTS_URL=${sdp.accountsUrl}`,
    ].join('\n');
    const result = await adminWithStdin(
      input,
      '--json',
      'tenant',
      'set-credentials',
      'contoso',
      '--sdp-auth',
      'cloud',
      '--stdin',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({ slug: 'contoso', sdp_auth: 'cloud', checked: true });
    expectNoSecret(result.out, result.err);
    expect((await stored()).credentials).toEqual({ type: 'cloud', ...oauth, accountsUrl: sdp.accountsUrl });
    expect(sdp.calls.some((c) => c.path === '/oauth/v2/token' && c.status === 200)).toBe(true);
  });

  it('saves unchecked only with --no-check, and says so', async () => {
    const result = await adminWithStdin(
      'SDP_TECHNICIAN_KEY=wrong-key-0000',
      'tenant',
      'set-credentials',
      'contoso',
      '--sdp-auth',
      'onprem',
      '--stdin',
      '--no-check',
    );
    expect(result.out).toBe(
      'ServiceDesk Plus credentials of contoso replaced (onprem, was cloud); not checked (--no-check).\n',
    );
    const { audit } = await stored();
    expect(audit[0]).toMatchObject({ details: { checked: false, previousSdpAuthType: 'cloud' } });
    expect((await admin('tenant', 'check', 'contoso')).code).toBe(1);
  });

  it('names a missing secret and a malformed input line without echoing it', async () => {
    const missing = await admin('tenant', 'set-credentials', 'contoso', '--sdp-auth', 'cloud');
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toMatch(/^error: SDP_CLIENT_ID is required for --sdp-auth cloud/);
    const bad = await adminWithStdin(
      `technician key ${NEW_KEY}`,
      'tenant',
      'set-credentials',
      'contoso',
      '--stdin',
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error: standard input line 1 is not NAME=value/);
    expectNoSecret(bad.err);
  });
});
