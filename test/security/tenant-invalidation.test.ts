import { type ApiApp, createApi } from '@ai-agents/api';
import {
  createTestDatabase,
  randomEncryptionKey,
  startTcpProxy,
  TEST_REDIS_URL,
  type TestDatabase,
  testQueuePrefix,
  waitFor,
} from '@ai-agents/sandbox';
import { createLogger, loadConfig, signWebhook, tenantChangesChannel } from '@ai-agents/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addTenant, admin } from '../../apps/api/test/support/run-admin.js';

// Two API replicas cache the tenant's credentials for five minutes (the longest TENANT_CACHE_TTL_MS). Each operator change must reach
// both at once (Redis pub/sub from the CLI), not when the cache expires.

const key = randomEncryptionKey();
const prefix = testQueuePrefix();
const logger = createLogger({ name: 'invalidation-test', level: 'silent' });
let testDb: TestDatabase;
let env: Record<string, string>;
const replicas: ApiApp[] = [];
let n = 0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  env = {
    NODE_ENV: 'test',
    DATABASE_URL: testDb.appUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    ENCRYPTION_KEY: key,
    PUBLIC_BASE_URL: 'https://agents.msp.example',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.stubEnv('SDP_TECHNICIAN_KEY', 'k-0123456789');
  for (let i = 0; i < 2; i++)
    replicas.push(await createApi(loadConfig({ ...env, TENANT_CACHE_TTL_MS: '300000' }, 'api'), logger));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const app of replicas) await app.close();
  await testDb?.drop();
});

async function deliver(app: ApiApp, slug: string, secret: string): Promise<number> {
  n++;
  const raw = JSON.stringify({
    event: 'request.created',
    event_id: `inv-${n}`,
    request: { id: String(1000 + n) },
  });
  const res = await app.inject({
    method: 'POST',
    url: `/v1/webhooks/servicedesk/${slug}`,
    headers: { 'content-type': 'application/json', ...signWebhook(secret, raw) },
    payload: raw,
  });
  return res.statusCode;
}

async function statuses(secret: string): Promise<number[]> {
  return Promise.all(replicas.map((app) => deliver(app, 'contoso', secret)));
}

/** Polls briefly: pub/sub is asynchronous, but far faster than the 5-minute cache. */
async function eventually(secret: string, expected: number[]) {
  await waitFor(
    async () => {
      const got = await statuses(secret);
      return got.every((s, i) => s === expected[i]) ? got : undefined;
    },
    3_000,
    `both replicas to answer ${expected}`,
  );
}

describe('operator changes reach every API replica at once', () => {
  it('rotate, retire, disable and enable take effect on both replicas without waiting for the cache', async () => {
    const added = await addTenant({
      slug: 'contoso',
      name: 'Contoso',
      sdpUrl: 'https://sdp.contoso.example',
      json: true,
    });
    const first = JSON.parse(added.out).webhook_secret as string;
    expect(await statuses(first)).toEqual([202, 202]);

    const rotated = await admin('--json', 'tenant', 'rotate-secret', 'contoso');
    const second = JSON.parse(rotated.out).webhook_secret as string;
    await eventually(second, [202, 202]);
    expect(await statuses(first)).toEqual([202, 202]);

    expect((await admin('tenant', 'retire-secret', 'contoso')).code).toBe(0);
    await eventually(first, [401, 401]);
    expect(await statuses(second)).toEqual([202, 202]);

    expect((await admin('tenant', 'disable', 'contoso')).code).toBe(0);
    await eventually(second, [401, 401]);

    expect((await admin('tenant', 'enable', 'contoso')).code).toBe(0);
    await eventually(second, [202, 202]);
  });
});

describe('an operator change during a tenant lookup', () => {
  it("keeps the lookup's answer, read before the change, out of the cache", async () => {
    // A replica whose database answers can be held back: the lookup reads the row before the
    // change, and learns of it only after the change's notice arrived.
    const postgres = new URL(testDb.appUrl);
    const proxy = await startTcpProxy(Number(postgres.port || 5432), postgres.hostname);
    postgres.host = `127.0.0.1:${proxy.port}`;
    const config = { ...env, DATABASE_URL: postgres.toString(), TENANT_CACHE_TTL_MS: '300000' };
    const slow = await createApi(loadConfig(config, 'api'), logger);
    const notices = new Redis(TEST_REDIS_URL);
    const owner = new pg.Client({ connectionString: testDb.ownerUrl });
    await owner.connect();
    try {
      const added = await addTenant({ slug: 'fabrikam', sdpUrl: 'https://sdp.fabrikam.example', json: true });
      const first = JSON.parse(added.out).webhook_secret as string;
      const rotated = await admin('--json', 'tenant', 'rotate-secret', 'fabrikam');
      const second = JSON.parse(rotated.out).webhook_secret as string;
      // Opens the replica's pooled connection, so the held lookup's query reaches Postgres at once.
      expect(await deliver(slow, 'no-such-tenant', first)).toBe(401);
      await notices.subscribe(tenantChangesChannel(prefix));
      const noticed = new Promise((resolve) => notices.once('message', resolve));

      const { rows: before } = await owner.query('select clock_timestamp() as at');
      proxy.holdResponses(true);
      const inFlight = deliver(slow, 'fabrikam', first);
      // Postgres has run the lookup (the connection is idle again) but its answer is held back.
      await waitFor(async () => {
        const { rows } = await owner.query(
          `select 1 from pg_stat_activity where datname = $1 and state = 'idle'
             and query like '%webhook_tenant%' and query_start > $2`,
          [testDb.name, before[0]?.at],
        );
        return rows.length > 0 ? true : undefined;
      }, 5_000);
      expect((await admin('tenant', 'retire-secret', 'fabrikam')).code).toBe(0);
      await noticed;
      // The replica's own subscriber hears the notice as this one did; a margin for its event turn.
      await new Promise((resolve) => setTimeout(resolve, 200));
      proxy.holdResponses(false);
      expect(await inFlight).toBe(202);

      // The retired secret is refused from now on, not when the 5-minute cache expires.
      expect(await deliver(slow, 'fabrikam', first)).toBe(401);
      expect(await deliver(slow, 'fabrikam', second)).toBe(202);
    } finally {
      proxy.holdResponses(false);
      await owner.end();
      notices.disconnect();
      await slow.close();
      await proxy.close();
    }
  });
});
