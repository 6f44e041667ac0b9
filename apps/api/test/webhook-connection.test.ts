import { randomUUID } from 'node:crypto';
import {
  type ConnectionRow,
  createConnection,
  createTenant,
  listSeenAccounts,
  rotateConnectionWebhookSecret,
  setTenantStatus,
} from '@ai-agents/db';
import { createLogger, createSecretBox, signWebhook } from '@ai-agents/shared';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiApp, createApi } from '../src/index.js';
import { type ApiFixture, createApiFixture } from './support/api-fixture.js';

// POST /v1/webhooks/servicedesk/connections/:connection (issue 25): one signed URL for a ServiceDesk
// Plus MSP instance, routed by request.account.id to the tenant mapped to the account.

const logger = createLogger({ name: 'api-test', level: 'silent' });
let fixture: ApiFixture;
let app: ApiApp;
let queue: Queue;
let msp: ConnectionRow;
let mspSecret: string;
const tenants: Record<string, string> = {};
/** An 18-digit account id, as MSP Cloud's ids are: above 2^53. */
const LONG_ACCOUNT = '123640000000279007';

async function mapAccount(slug: string, account: string) {
  const created = await createTenant(fixture.database.db, createSecretBox(fixture.encryptionKey), {
    slug,
    name: slug,
    connection: { id: msp.id, edition: msp.edition },
    sdpAccountId: account,
    actor: 'test',
  });
  if (created.outcome !== 'created') throw new Error(created.outcome);
  tenants[slug] = created.tenant.id;
  return created;
}

function delivery(raw: string, options: { secret?: string; connection?: string } = {}) {
  return {
    method: 'POST' as const,
    url: `/v1/webhooks/servicedesk/connections/${options.connection ?? 'acme-msp'}`,
    headers: { 'content-type': 'application/json', ...signWebhook(options.secret ?? mspSecret, raw) },
    payload: raw,
  };
}

const created = (requestId: string, account?: unknown) =>
  JSON.stringify({
    event: 'request.created',
    request: { id: requestId, ...(account === undefined ? {} : { account }) },
  });

async function jobOf(res: { json(): { job_id: string } }) {
  return (await queue.getJob(res.json().job_id))?.data;
}

beforeAll(async () => {
  fixture = await createApiFixture();
  const box = createSecretBox(fixture.encryptionKey);
  const made = await createConnection(fixture.database.db, box, {
    slug: 'acme-msp',
    name: 'Acme MSP',
    edition: 'msp-onprem',
    sdpBaseUrl: 'https://msp.acme.example',
    sdpCredentials: { type: 'onprem', technicianKey: 'k' },
  });
  if (made.outcome !== 'created') throw new Error(made.outcome);
  msp = made.connection;
  mspSecret = made.webhookSecret;
  await mapAccount('customer-a', '301');
  await mapAccount('customer-b', '302');
  await mapAccount('customer-long', LONG_ACCOUNT);
  app = await createApi(fixture.config({ TENANT_CACHE_TTL_MS: '0' }), logger);
  ({ queue } = fixture.openQueue());
});

afterAll(async () => {
  await app?.close();
  await fixture?.close();
});

describe('a connection webhook', () => {
  it("queues each mapped account's event as its tenant's job", async () => {
    const a = await app.inject(delivery(created('5001', { id: '301', name: 'Customer A' })));
    const b = await app.inject(delivery(created('5002', { id: 302 })));
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json()).toMatchObject({ status: 'accepted' });
    expect(await jobOf(a)).toMatchObject({ tenantId: tenants['customer-a'], requestId: '5001' });
    expect(await jobOf(b)).toMatchObject({ tenantId: tenants['customer-b'], requestId: '5002' });
  });

  it('reads an 18-digit account id sent as a JSON number from its digits, never through a float', async () => {
    const raw = `{"event":"request.created","request":{"id":"5003","account":{"id":${LONG_ACCOUNT}}}}`;
    const res = await app.inject(delivery(raw));
    expect(res.statusCode).toBe(202);
    expect(await jobOf(res)).toMatchObject({ tenantId: tenants['customer-long'] });
    // 1.5e3 is a number that is no id: refused as what it is.
    const odd = await app.inject(
      delivery('{"event":"request.created","request":{"id":"5004","account":{"id":1.5e3}}}'),
    );
    expect(odd.statusCode).toBe(422);
    expect(odd.json().message).toContain('request.account.id must be the ServiceDesk Plus account id');
  });

  it('answers an unmapped account 202, drops it, counts it and remembers it for connection accounts', async () => {
    const first = await app.inject(delivery(created('5005', { id: '999', name: 'Not yet onboarded' })));
    const second = await app.inject(delivery(created('5006', { id: '999' })));
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(first.json()).toEqual({ status: 'dropped', reason: 'unmapped_account' });
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    expect(jobs.filter((j) => ['5005', '5006'].includes(j.data.requestId))).toHaveLength(0);
    const seen = await listSeenAccounts({ db: fixture.database.db, connectionId: msp.id });
    expect(seen).toMatchObject([{ sdpAccountId: '999', sdpAccountName: 'Not yet onboarded', deliveries: 2 }]);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('webhooks_total{tenant="unknown",outcome="unmapped_account",reason=""} 2');
  });

  it('refuses an MSP delivery without request.account.id with 422 naming the field', async () => {
    const res = await app.inject(delivery(created('5007')));
    expect(res.statusCode).toBe(422);
    expect(res.json().message).toMatch(/^request\.account\.id is required on an MSP connection/);
  });

  it("refuses a wrong secret, another tenant's secret and an unknown connection alike", async () => {
    const a = await fixture.addTenant({ slug: `single-${randomUUID().slice(0, 6)}` });
    for (const res of [
      await app.inject(delivery(created('5008', { id: '301' }), { secret: 'wrong' })),
      await app.inject(delivery(created('5008', { id: '301' }), { secret: a.webhookSecret })),
      await app.inject(delivery(created('5008', { id: '301' }), { connection: 'nobody' })),
      // A connection with no secret of its own (a plain tenant add's) has no URL yet.
      await app.inject(delivery(created('5008'), { connection: a.tenant.slug, secret: a.webhookSecret })),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('routes a single portal to its one tenant, whatever account the body names', async () => {
    const single = await fixture.addTenant({ slug: `portal-${randomUUID().slice(0, 6)}` });
    const scope = { db: fixture.database.db, connectionId: single.tenant.connection.id };
    const rotated = await rotateConnectionWebhookSecret(scope, createSecretBox(fixture.encryptionKey));
    if (rotated.outcome !== 'rotated') throw new Error(rotated.outcome);
    const options = { connection: single.tenant.connection.slug, secret: rotated.webhookSecret };
    const res = await app.inject(delivery(created('5009'), options));
    expect(res.statusCode).toBe(202);
    expect(await jobOf(res)).toMatchObject({ tenantId: single.tenant.id });
    // The tenant's own URL and secret keep working beside it.
    const own = await app.inject({
      ...delivery(created('5010'), { secret: single.webhookSecret }),
      url: `/v1/webhooks/servicedesk/${single.tenant.slug}`,
    });
    expect(own.statusCode).toBe(202);
  });

  it("refuses the event of a disabled tenant's account with 403", async () => {
    await setTenantStatus(
      { db: fixture.database.db, tenantId: tenants['customer-b'] ?? '' },
      'disabled',
      'test',
    );
    const res = await app.inject(delivery(created('5011', { id: '302' })));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'tenant_disabled' });
  });
});
