import { createDatabase, findWebhookTenant } from '@ai-agents/db';
import { createTestDatabase, randomEncryptionKey, type TestDatabase } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAdmin } from '../src/admin/main.js';

const key = randomEncryptionKey();
let testDb: TestDatabase;

async function admin(...args: string[]) {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += chunk;
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += chunk;
    return true;
  });
  try {
    const code = await runAdmin(args);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  vi.stubEnv('DATABASE_URL', testDb.appUrl);
  vi.stubEnv('ENCRYPTION_KEY', key);
  vi.stubEnv('PUBLIC_BASE_URL', 'https://agents.msp.example/');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await testDb?.drop();
});

describe('admin tenant add', () => {
  const add = [
    'tenant',
    'add',
    '--slug',
    'fabrikam',
    '--name',
    'Fabrikam',
    '--sdp-url',
    'https://sdp.fabrikam.example',
    '--sdp-auth',
    'onprem',
    '--technician-key',
    'tk-secret',
  ];

  it('creates the tenant and prints its webhook URL, secret and a filled-in Deluge snippet', async () => {
    const { code, out } = await admin(...add);
    expect(code).toBe(0);
    expect(out).toContain('Webhook URL:    https://agents.msp.example/v1/webhooks/servicedesk/fabrikam');
    const secret = /Webhook secret: (\S+)/.exec(out)?.[1] ?? '';
    expect(out).toContain(`secret = "${secret}";`);
    expect(out).toContain('zoho.encryption.hmacsha256');
    const database = createDatabase({ url: testDb.appUrl, max: 1 });
    try {
      const stored = await findWebhookTenant(database.db, 'fabrikam');
      expect(createSecretBox(key).decrypt(stored?.webhookSecretEnc ?? '')).toBe(secret);
    } finally {
      await database.close();
    }
  });

  it('refuses a duplicate slug with exit code 1 and says why', async () => {
    const { code, err } = await admin(...add);
    expect(code).toBe(1);
    expect(err).toBe('error: a tenant with slug "fabrikam" already exists\n');
  });

  it('exits 2 on bad input, naming the problem', async () => {
    const badUrl = await admin(
      'tenant',
      'add',
      '--slug',
      'x',
      '--name',
      'X',
      '--sdp-url',
      'ftp://x',
      '--sdp-auth',
      'onprem',
      '--technician-key',
      'k',
    );
    expect(badUrl).toMatchObject({
      code: 2,
      err: 'error: --sdp-url must be an http(s) URL, got "ftp://x"\n',
    });
    const missing = await admin('tenant', 'add', '--slug', 'x');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '--name <name>' not specified");
  });

  it('prints JSON for scripts', async () => {
    const { code, out } = await admin(
      '--json',
      'tenant',
      'add',
      '--slug',
      'json-co',
      '--name',
      'J',
      '--sdp-url',
      'https://s.example',
      '--sdp-auth',
      'onprem',
      '--technician-key',
      'k',
    );
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      slug: 'json-co',
      webhook_url: 'https://agents.msp.example/v1/webhooks/servicedesk/json-co',
    });
  });
});
