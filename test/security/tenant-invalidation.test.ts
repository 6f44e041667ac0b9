import { type ApiApp, createApi } from '@ai-agents/api';
import {
  createTestDatabase,
  randomEncryptionKey,
  TEST_REDIS_URL,
  type TestDatabase,
  testQueuePrefix,
  waitFor,
} from '@ai-agents/sandbox';
import { createLogger, loadConfig, signWebhook } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addTenant, admin } from '../../apps/api/test/support/run-admin.js';

// Two API replicas cache the tenant's credentials for five minutes (the longest TENANT_CACHE_TTL_MS). Each operator change must reach
// both at once (Redis pub/sub from the CLI), not when the cache expires.

const key = randomEncryptionKey();
const prefix = testQueuePrefix();
const logger = createLogger({ name: 'invalidation-test', level: 'silent' });
let testDb: TestDatabase;
const replicas: ApiApp[] = [];
let n = 0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const env = {
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

async function statuses(secret: string): Promise<number[]> {
  return Promise.all(
    replicas.map(async (app) => {
      n++;
      const raw = JSON.stringify({
        event: 'request.created',
        event_id: `inv-${n}`,
        request: { id: String(1000 + n) },
      });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/webhooks/servicedesk/contoso',
        headers: { 'content-type': 'application/json', ...signWebhook(secret, raw) },
        payload: raw,
      });
      return res.statusCode;
    }),
  );
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
