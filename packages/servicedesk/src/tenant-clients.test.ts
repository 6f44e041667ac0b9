import { randomUUID } from 'node:crypto';
import {
  DEFAULT_TECHNICIAN_KEY,
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeServiceDesk,
  startMspPortal,
  TEST_REDIS_URL,
} from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTenantClients, type ServiceDeskConnection } from './tenant-clients.js';

/**
 * One client per connection (one ServiceDesk Plus instance), whatever the number of its tenants and of
 * processes: Zoho keeps a bounded number of live access tokens per refresh token and deletes the
 * oldest, so 50 tenants minting their own would evict each other (issue 25).
 */

const OAUTH = {
  clientId: '1000.CONNECTIONCLIENT',
  clientSecret: 'connection-client-secret-0123456789',
  refreshToken: '1000.connection-refresh-token-0123456789',
};
const box = createSecretBox(randomEncryptionKey());
const prefix = `test-${randomUUID()}`;
const running: FakeServiceDesk[] = [];
let redis: Redis;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function portal(options: Parameters<typeof startFakeServiceDesk>[0] = {}) {
  const sdp = await startFakeServiceDesk({ oauth: OAUTH, ...options });
  running.push(sdp);
  const tokenCalls = () => sdp.calls.filter((c) => c.path === '/oauth/v2/token').length;
  return { sdp, tokenCalls };
}

function connectionOf(
  baseUrl: string,
  credentials: Record<string, unknown>,
  edition: ServiceDeskConnection['edition'],
  updatedAt = new Date(1_000),
) {
  const id = randomUUID();
  return {
    id,
    slug: 'msp',
    edition,
    sdpBaseUrl: baseUrl,
    sdpCredentialsEnc: box.encrypt(JSON.stringify(credentials), { tenantId: id, purpose: 'sdp_credentials' }),
    updatedAt,
  } satisfies ServiceDeskConnection;
}

/** A worker process's clients, sharing tokens and note shapes through Redis as the installation's do. */
const workerClients = () =>
  createTenantClients({ box, timeoutMs: 5_000, shared: { redis, keyPrefix: prefix } });

describe('clients per connection', () => {
  it('50 tenants of one Cloud MSP connection, on two workers, cost one token request', async () => {
    const { sdp, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Printer offline' });
    const connection = connectionOf(
      `${sdp.url}/app/itdesk`,
      {
        type: 'cloud',
        ...OAUTH,
        accountsUrl: sdp.accountsUrl,
      },
      'msp-cloud',
    );
    const tenants = Array.from({ length: 50 }, () => ({ id: randomUUID(), connection }));
    const [workerA, workerB] = [workerClients(), workerClients()];
    const answers = await Promise.all(
      tenants.map((tenant, i) => (i % 2 === 0 ? workerA : workerB).forTenant(tenant).getRequest(id)),
    );
    expect(answers.every((r) => r.id === id)).toBe(true);
    expect(tokenCalls()).toBe(1);
    // Within a process the tenants share the one client object too.
    expect(workerA.forTenant(tenants[0] ?? { connection })).toBe(
      workerA.forTenant(tenants[2] ?? { connection }),
    );
  });

  it("a connection's new credentials reach every one of its tenants at once", async () => {
    const { sdp } = await portal({ technicianKeys: ['new-key'] });
    const { id } = sdp.addRequest({ subject: 'VPN down' });
    const before = connectionOf(sdp.url, { type: 'onprem', technicianKey: 'old-key' }, 'msp-onprem');
    const tenants = Array.from({ length: 3 }, () => ({ id: randomUUID(), connection: before }));
    const clients = workerClients();
    for (const tenant of tenants) await expect(clients.forTenant(tenant).getRequest(id)).rejects.toThrow();
    // `connection set-credentials` rewrites the row: new ciphertext, updated_at moved.
    const after: ServiceDeskConnection = {
      ...before,
      sdpCredentialsEnc: box.encrypt(JSON.stringify({ type: 'onprem', technicianKey: 'new-key' }), {
        tenantId: before.id,
        purpose: 'sdp_credentials',
      }),
      updatedAt: new Date(2_000),
    };
    for (const tenant of tenants) {
      expect((await clients.forTenant({ ...tenant, connection: after }).getRequest(id)).id).toBe(id);
    }
  });

  it('refuses credentials bound to another connection', async () => {
    const { sdp } = await portal();
    const connection = connectionOf(sdp.url, { type: 'onprem', technicianKey: 'k' }, 'onprem');
    const moved = { ...connection, id: randomUUID() };
    expect(() => workerClients().forConnection(moved)).toThrow(/^Connection msp: .*does not authenticate/);
  });

  it("takes the connection's edition: an MSP connection narrows a list to an account, a single portal is refused with no call", async () => {
    const msp = await startMspPortal({
      edition: 'msp-onprem',
      accounts: [
        { name: 'Contoso', tickets: 1, history: 0 },
        { name: 'Fabrikam', tickets: 2, history: 0 },
      ],
    });
    running.push(msp.sdp);
    const [contoso, fabrikam] = msp.accounts;
    const key = { type: 'onprem', technicianKey: DEFAULT_TECHNICIAN_KEY };
    const clients = workerClients();
    const mspClient = clients.forConnection(connectionOf(msp.sdp.url, key, 'msp-onprem'));
    const page = { since: new Date(0), startIndex: 1, rowCount: 100 };
    const listed = await mspClient.listCreatedRequests({ ...page, accountId: fabrikam?.id });
    expect(listed.requests.map((r) => r.account?.id)).toEqual([fabrikam?.id, fabrikam?.id]);
    const single = clients.forConnection(connectionOf(msp.sdp.url, key, 'onprem'));
    const before = msp.sdp.calls.length;
    await expect(single.listCreatedRequests({ ...page, accountId: contoso?.id })).rejects.toThrow(
      /only for the MSP editions, not onprem/,
    );
    expect(msp.sdp.calls.length).toBe(before);
  });
});
