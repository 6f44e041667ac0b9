import { spawnSync } from 'node:child_process';
import { createDatabase, type Database, findWebhookTenant } from '@ai-agents/db';
import {
  type FakeServiceDesk,
  freePort,
  randomEncryptionKey,
  startFakeServiceDesk,
  TEST_REDIS_URL,
  type TestDatabase,
  testQueuePrefix,
} from '@ai-agents/sandbox';
import { createLogger, createSecretBox, keyId, signWebhook } from '@ai-agents/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiApp, createApi } from '../src/index.js';
import { apiTestConfig } from './support/api-fixture.js';
import { addTenant, admin, adminDatabase } from './support/run-admin.js';

// The operator's whole tenant lifecycle against real Postgres (as the application role), the real
// API and the sandbox ServiceDesk Plus: add → check → rotate → both secrets accepted → retire →
// old secret rejected, plus token mode, disable and key rotation.

const firstKey = randomEncryptionKey();
const technicianKey = 'lifecycle-technician-key';
let testDb: TestDatabase;
let database: Database;
let sdp: FakeServiceDesk;
let api: ApiApp;
let prefix: string;
let encryptionKey = firstKey;

async function startApi(): Promise<ApiApp> {
  return createApi(
    apiTestConfig(
      { databaseUrl: testDb.appUrl, prefix, encryptionKey },
      {
        ENCRYPTION_KEYS: encryptionKey === firstKey ? '' : firstKey,
        // The API reads each delivery's tenant fresh, so every CLI change shows at once.
        TENANT_CACHE_TTL_MS: '0',
      },
    ),
    createLogger({ name: 'lifecycle', level: 'silent' }),
  );
}

let delivery = 0;
async function webhook(headers: (raw: string) => Record<string, string>, slug = 'northwind') {
  const raw = JSON.stringify({
    event: 'request.created',
    event_id: `lifecycle-${++delivery}`,
    request: { id: String(1000 + delivery) },
  });
  const res = await api.inject({
    method: 'POST',
    url: `/v1/webhooks/servicedesk/${slug}`,
    headers: { 'content-type': 'application/json', ...headers(raw) },
    payload: raw,
  });
  return { status: res.statusCode, body: res.json() };
}
const signed = (secret: string) => (raw: string) => signWebhook(secret, raw);
const token = (secret: string) => () => ({ 'x-webhook-token': secret });

/** `tenant add` of a Cloud tenant on a sandbox portal, its secrets in the environment. */
function addCloudTenant(
  slug: string,
  portal: FakeServiceDesk,
  oauth: { clientId: string; clientSecret: string; refreshToken: string },
  accountsUrl = portal.accountsUrl,
) {
  vi.stubEnv('SDP_CLIENT_SECRET', oauth.clientSecret);
  vi.stubEnv('SDP_REFRESH_TOKEN', oauth.refreshToken);
  return addTenant(
    { slug, sdpUrl: `${portal.url}/app/itdesk`, auth: 'cloud' },
    '--client-id',
    oauth.clientId,
    '--accounts-url',
    accountsUrl,
  );
}

async function auditRows(): Promise<{ actor: string; action: string; details: string }[]> {
  const client = new pg.Client({ connectionString: testDb.ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select a.actor, a.action, a.details::text as details from audit_log a
         join tenants t on t.id = a.tenant_id where t.slug = 'northwind' order by a.id`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  prefix = testQueuePrefix();
  testDb = await adminDatabase({
    ENCRYPTION_KEY: firstKey,
    ENCRYPTION_KEYS: '',
    PUBLIC_BASE_URL: 'https://agents.msp.example',
    USER: 'alice',
    // The CLI shares Cloud tokens with the workers through Redis, as in production.
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    SDP_TECHNICIAN_KEY: technicianKey,
  });
  database = createDatabase({ url: testDb.appUrl, max: 1 });
  sdp = await startFakeServiceDesk({ technicianKeys: [technicianKey] });
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
  await sdp?.close();
  await database?.close();
  await testDb?.drop();
});

describe('operating a tenant end to end', () => {
  const secrets: string[] = [];

  it('add prints the secret once; check reaches ServiceDesk Plus with the stored key', async () => {
    const added = await addTenant({
      slug: 'northwind',
      name: 'Northwind Traders',
      sdpUrl: sdp.url,
      json: true,
    });
    expect(added.code).toBe(0);
    secrets.push(JSON.parse(added.out).webhook_secret);

    const check = await admin('tenant', 'check', 'northwind');
    expect(check).toMatchObject({ code: 0, err: '' });
    expect(check.out).toContain('northwind: OK');
    expect(check.out).not.toContain('warning');
    expect(sdp.calls).toContainEqual({ method: 'GET', path: '/api/v3/requests', status: 200 });
    // The right to post notes is proved on a request id that does not exist: nothing is created.
    expect(sdp.calls).toContainEqual({
      method: 'POST',
      path: '/api/v3/requests/0/notes',
      status: 404,
    });
    expect(sdp.notes()).toHaveLength(0);
    expect((await webhook(signed(secrets[0] ?? ''))).status).toBe(202);
  });

  it('after rotate-secret, deliveries signed with either secret are accepted', async () => {
    const rotated = await admin('tenant', 'rotate-secret', 'northwind');
    expect(rotated.code).toBe(0);
    const secret = /New webhook secret for northwind: (\S+)/.exec(rotated.out)?.[1] ?? '';
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(secret).not.toBe(secrets[0]);
    expect(rotated.out).toContain(`secret = "${secret}";`);
    secrets.push(secret);

    expect((await webhook(signed(secrets[1] ?? ''))).status).toBe(202);
    expect((await webhook(signed(secrets[0] ?? ''))).status).toBe(202);
    expect((await webhook(signed('never-issued'))).status).toBe(401);
  });

  it('a second rotation before retiring is refused, so the secret in use is not dropped', async () => {
    const again = await admin('tenant', 'rotate-secret', 'northwind');
    expect(again.code).toBe(1);
    expect(again.err).toContain('run "tenant retire-secret northwind"');
    expect((await webhook(signed(secrets[0] ?? ''))).status).toBe(202);
  });

  it('after retire-secret the old secret is rejected with the usual 401 and the new one still works', async () => {
    expect(await admin('tenant', 'retire-secret', 'northwind')).toMatchObject({ code: 0 });
    const old = await webhook(signed(secrets[0] ?? ''));
    expect(old).toEqual({
      status: 401,
      body: { error: 'unauthorized', message: 'Webhook authentication failed' },
    });
    expect((await webhook(signed(secrets[1] ?? ''))).status).toBe(202);
    const twice = await admin('--json', 'tenant', 'retire-secret', 'northwind');
    expect(JSON.parse(twice.out)).toEqual({ slug: 'northwind', retired: false });
  });

  it('token mode is off by default and, once turned on, accepts X-Webhook-Token with the current secret', async () => {
    expect((await webhook(token(secrets[1] ?? ''))).status).toBe(401);
    expect(await admin('tenant', 'set', 'northwind', '--token-mode', 'on')).toMatchObject({ code: 0 });
    expect((await webhook(token(secrets[1] ?? ''))).status).toBe(202);
    expect(await webhook(token(secrets[0] ?? ''))).toMatchObject({ status: 401 });
    expect(await admin('tenant', 'set', 'northwind', '--token-mode', 'off')).toMatchObject({ code: 0 });
    expect((await webhook(token(secrets[1] ?? ''))).status).toBe(401);
  });

  it('disable refuses the tenant’s webhooks, enable accepts them again', async () => {
    expect(await admin('tenant', 'disable', 'northwind')).toMatchObject({ code: 0 });
    expect((await webhook(signed(secrets[1] ?? ''))).status).toBe(401);
    const show = await admin('--json', 'tenant', 'show', 'northwind');
    const shown = JSON.parse(show.out);
    expect(shown).toMatchObject({ status: 'disabled', token_mode: false });
    expect(shown.audit[0]).toMatchObject({ actor: 'alice', action: 'tenant.disabled' });
    expect(await admin('tenant', 'enable', 'northwind')).toMatchObject({ code: 0 });
    expect((await webhook(signed(secrets[1] ?? ''))).status).toBe(202);
  });

  it('check names the problem: a wrong technician key, an unreachable server', async () => {
    expect(
      await admin('tenant', 'set', 'northwind', '--sdp-url', `http://127.0.0.1:${await freePort()}`),
    ).toMatchObject({ code: 0 });
    const unreachable = await admin('--json', 'tenant', 'check', 'northwind');
    expect(unreachable.code).toBe(1);
    expect(JSON.parse(unreachable.out)).toMatchObject({ ok: false, problem: 'unreachable' });
    expect(unreachable.err).toMatch(/^error: northwind: unreachable — .*ECONNREFUSED/);

    await admin('tenant', 'set', 'northwind', '--sdp-url', sdp.url);
    const other = await startFakeServiceDesk({ technicianKeys: ['some-other-key'] });
    try {
      await admin('tenant', 'set', 'northwind', '--sdp-url', other.url);
      const badKey = await admin('tenant', 'check', 'northwind');
      expect(badKey.code).toBe(1);
      expect(badKey.err).toMatch(
        /^error: northwind: bad credentials: ServiceDesk Plus refused the technician key/,
      );
      expect(badKey.err).not.toContain(technicianKey);
    } finally {
      await other.close();
      await admin('tenant', 'set', 'northwind', '--sdp-url', sdp.url);
    }
  });

  it('check on a Cloud tenant whose refresh token belongs to another data centre says so', async () => {
    const oauth = { clientId: 'cid', clientSecret: 'cloud-client-secret', refreshToken: 'eu-refresh-token' };
    const eu = await startFakeServiceDesk({ oauth });
    const us = await startFakeServiceDesk({}); // another data centre: knows no such client
    vi.stubEnv('SDP_CLIENT_SECRET', oauth.clientSecret);
    vi.stubEnv('SDP_REFRESH_TOKEN', oauth.refreshToken);
    try {
      expect((await addCloudTenant('cloud-ok', eu, oauth)).code).toBe(0);
      expect((await addCloudTenant('cloud-wrong-dc', eu, oauth, us.accountsUrl)).code).toBe(0);
      expect(await admin('tenant', 'check', 'cloud-ok')).toMatchObject({ code: 0 });
      const wrong = await admin('--json', 'tenant', 'check', 'cloud-wrong-dc');
      expect(wrong.code).toBe(1);
      expect(JSON.parse(wrong.out)).toMatchObject({ ok: false, problem: 'wrong_data_centre' });
      expect(wrong.err).toContain('wrong data centre');
      expect(wrong.err + wrong.out).not.toMatch(/cloud-client-secret|eu-refresh-token/);
    } finally {
      await eu.close();
      await us.close();
    }
  });

  it('check names a missing scope: fails without the right to add notes, warns without the knowledge base', async () => {
    const base = {
      clientId: 'cid-scopes',
      clientSecret: 'scopes-client-secret',
      refreshToken: 'scopes-refresh',
    };
    const readOnly = await startFakeServiceDesk({
      oauth: { ...base, scopes: ['SDPOnDemand.requests.READ', 'SDPOnDemand.solutions.READ'] },
    });
    const noKb = await startFakeServiceDesk({
      oauth: { ...base, scopes: ['SDPOnDemand.requests.ALL', 'SDPOnDemand.setup.READ'] },
    });
    try {
      expect((await addCloudTenant('scope-read-only', readOnly, base)).code).toBe(0);
      expect((await addCloudTenant('scope-no-kb', noKb, base)).code).toBe(0);

      const failed = await admin('--json', 'tenant', 'check', 'scope-read-only');
      expect(failed.code).toBe(1);
      expect(JSON.parse(failed.out)).toMatchObject({ ok: false, problem: 'missing_scope' });
      expect(failed.err).toContain(
        'cannot add notes: the refresh token lacks the scope SDPOnDemand.requests.ALL',
      );

      const warned = await admin('tenant', 'check', 'scope-no-kb');
      expect(warned.code).toBe(0);
      expect(warned.out).toContain('scope-no-kb: OK');
      expect(warned.out).toContain(
        'warning: cannot read knowledge base: the refresh token lacks the scope SDPOnDemand.solutions.READ',
      );
      // A missing scope is no reason to mint another token: one each, whatever was refused.
      expect(noKb.calls.filter((c) => c.path === '/oauth/v2/token')).toHaveLength(1);
      expect(failed.err + failed.out + warned.out).not.toMatch(/scopes-client-secret|scopes-refresh/);
    } finally {
      await readOnly.close();
      await noKb.close();
    }
  });

  it('keys rotate re-encrypts every secret under the new key, reports counts, and is idempotent', async () => {
    const newKey = randomEncryptionKey();
    vi.stubEnv('ENCRYPTION_KEY', newKey);
    vi.stubEnv('ENCRYPTION_KEYS', firstKey);
    const first = await admin('--json', 'keys', 'rotate');
    expect(first.code).toBe(0);
    // northwind: credentials + current secret (previous retired); four Cloud tenants: 2 each.
    expect(JSON.parse(first.out)).toEqual({
      key_id: keyId(Buffer.from(newKey, 'base64')),
      tenants: 5,
      // Each tenant added on its own portal has a connection of its own, holding its credentials.
      connections: 5,
      reencrypted: 10,
      already_current: 0,
      failed: [],
    });
    const second = await admin('--json', 'keys', 'rotate');
    expect(JSON.parse(second.out)).toMatchObject({ tenants: 5, reencrypted: 0, already_current: 10 });

    // The old key can now be dropped: the API with only the new key still verifies deliveries.
    const stored = await findWebhookTenant(database.db, 'northwind');
    expect(
      createSecretBox(newKey).decrypt(stored?.webhookSecretEnc ?? '', {
        tenantId: stored?.id ?? '',
        purpose: 'webhook_secret',
      }),
    ).toBe(secrets[1]);
    vi.stubEnv('ENCRYPTION_KEYS', '');
    expect(await admin('tenant', 'check', 'northwind')).toMatchObject({ code: 0 });
    await api.close();
    encryptionKey = newKey;
    api = await startApi();
    expect((await webhook(signed(secrets[1] ?? ''))).status).toBe(202);
  });

  it('every change is in the audit log with the OS user as actor, and no secret is', async () => {
    await admin('--actor', 'bob@msp', 'tenant', 'set', 'northwind', '--model', 'gpt-4.1-mini');
    const rows = await auditRows();
    expect(rows.map((r) => [r.actor, r.action])).toEqual([
      ['alice', 'tenant.created'],
      ['alice', 'tenant.webhook_secret_rotated'],
      ['alice', 'tenant.webhook_secret_retired'],
      ['alice', 'tenant.updated'],
      ['alice', 'tenant.updated'],
      ['alice', 'tenant.disabled'],
      ['alice', 'tenant.enabled'],
      ['alice', 'tenant.updated'],
      ['alice', 'tenant.updated'],
      ['alice', 'tenant.updated'],
      ['alice', 'tenant.updated'],
      ['alice', 'keys.reencrypted'],
      ['bob@msp', 'tenant.updated'],
    ]);
    expect(rows.at(-1)?.details).toBe('{"llmModel": {"to": "gpt-4.1-mini", "from": null}}');
    const everything = JSON.stringify(rows);
    for (const secret of [...secrets, technicianKey]) expect(everything).not.toContain(secret);
  });

  it('list and show never print a secret', async () => {
    const list = await admin('tenant', 'list');
    expect(list.out).toMatch(/^cloud-ok +active +cloud /m);
    expect(list.out).toMatch(/^northwind +active +onprem /m);
    const show = await admin('tenant', 'show', 'northwind');
    expect(show.out).toContain('model:           gpt-4.1-mini');
    for (const out of [list.out, show.out, (await admin('--json', 'tenant', 'list')).out]) {
      for (const secret of [...secrets, technicianKey, 'cloud-client-secret', 'eu-refresh-token']) {
        expect(out).not.toContain(secret);
      }
      expect(out).not.toMatch(/v1\.[0-9a-f]{12}\./); // nor an encrypted value
    }
  });

  it('the built entry point an operator runs works the same, with exit codes', () => {
    // `npm test` builds first, so this is the file `npm run admin` and the API image run.
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['apps/api/dist/admin/main.js', ...args], {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: testDb.appUrl,
          ENCRYPTION_KEY: encryptionKey,
          USER: 'carol',
        },
        encoding: 'utf8',
      });
    const list = run('--json', 'tenant', 'list');
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).map((t: { slug: string }) => t.slug)).toEqual([
      'cloud-ok',
      'cloud-wrong-dc',
      'northwind',
      'scope-no-kb',
      'scope-read-only',
    ]);
    expect(run('tenant', 'show', 'nowhere')).toMatchObject({
      status: 1,
      stderr: 'error: no tenant with slug "nowhere" (see: tenant list)\n',
    });
    expect(run('tenant', 'set', 'northwind', '--sdp-url', 'not a url').status).toBe(2);
  });
});
