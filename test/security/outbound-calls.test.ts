import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatabase, findWebhookTenant, loadTenant, type TenantRow } from '@ai-agents/db';
import { randomEncryptionKey, type TestDatabase, waitFor } from '@ai-agents/sandbox';
import { createServiceDeskClient, createTenantClients } from '@ai-agents/servicedesk';
import { createSecretBox, ENHANCE_JOB } from '@ai-agents/shared';
import { createHttpFetch } from '@ai-agents/shared/http-fetch';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addTenant, admin, adminDatabase } from '../../apps/api/test/support/run-admin.js';
import { failure } from '../../packages/servicedesk/test/failure.js';
import { type Stack, startRunningStack } from '../kit/stack.js';

async function listen(
  handler: (req: IncomingMessage, body: string) => [number, Record<string, string>, string],
) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const [status, headers, text] = handler(req, body);
      res.writeHead(status, headers).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the OAuth token request follows no redirect', () => {
  let elsewhere: { server: Server; url: string };
  let accounts: { server: Server; url: string };
  const received: string[] = [];

  beforeAll(async () => {
    elsewhere = await listen((_req, body) => {
      received.push(body);
      return [200, { 'content-type': 'application/json' }, '{"access_token":"stolen","expires_in":3600}'];
    });
    // An accounts URL that answers 307: a followed 307 repeats the POST, body and all.
    accounts = await listen(() => [307, { location: `${elsewhere.url}/oauth/v2/token` }, '']);
  });
  afterAll(() => {
    elsewhere.server.close();
    accounts.server.close();
  });

  for (const [name, fetcher] of [
    ['global fetch (operator CLI)', () => globalThis.fetch],
    ['worker fetch', () => createHttpFetch().fetch],
  ] as const) {
    it(`${name}: refused, and the client secret and refresh token go nowhere else`, async () => {
      const client = createServiceDeskClient({
        baseUrl: 'http://127.0.0.1:9/app/itdesk',
        auth: {
          type: 'cloud',
          clientId: 'cid',
          clientSecret: 'client-secret-must-stay',
          refreshToken: '1000.refresh-must-stay',
          accountsUrl: accounts.url,
        },
        fetch: fetcher(),
      });
      const error = await failure(client.getRequest('42'));
      expect(error.message).toBe(
        `ServiceDesk Plus OAuth token refresh failed: 307 redirect to ${elsewhere.url}/oauth/v2/token refused; configure the final accounts URL`,
      );
      expect(error.retryable).toBe(false);
      expect(received).toEqual([]);
    });
  }
});

describe('request ids', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startRunningStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a webhook must carry a ServiceDesk Plus id (digits); ".." and paths are refused', async () => {
    for (const id of ['../notes', '1/../../solutions', 'abc', '1.5', '-3', '', 1.5, -3]) {
      const res = await stack.post({ event: 'request.created', event_id: `id-${id}`, request: { id } });
      expect(res.status, String(id)).toBe(422);
      expect(await res.json()).toEqual({
        error: 'invalid_payload',
        message:
          'request.id must be the ServiceDesk Plus request id: at most 20 digits, as a string or a JSON integer',
      });
    }
    const { id } = stack.sdp.addRequest({ subject: 'Scanner offline' });
    expect(
      (await stack.post({ event: 'request.created', event_id: 'numeric', request: { id: Number(id) } }))
        .status,
    ).toBe(202);
    await stack.settled(['numeric']);
  });

  it('a queued job with a path in its request id fails without any ServiceDesk Plus call', async () => {
    const calls = stack.sdp.calls.length;
    const job = await stack.queue.add(ENHANCE_JOB, {
      tenantId: stack.tenantId,
      eventId: 'dotdot',
      event: 'request.created',
      requestId: '../../solutions',
      receivedAt: Date.now(),
    });
    const reason = await waitFor(
      async () => (await stack.queue.getJob(job.id ?? ''))?.failedReason || undefined,
    );
    expect(reason).toMatch(/^Invalid job payload: must be a ServiceDesk Plus request id/);
    expect(stack.sdp.calls.length).toBe(calls);
  });

  it('the client itself never puts a non-id into a path', async () => {
    const client = createServiceDeskClient({
      baseUrl: stack.sdp.url,
      auth: { type: 'onprem', technicianKey: 'k' },
    });
    const calls = stack.sdp.calls.length;
    for (const call of [
      () => client.getRequest('../solutions'),
      () => client.listNotes('..'),
      () => client.addNote('1/..', { description: 'x' }),
    ]) {
      const error = await failure(call());
      expect(error.kind).toBe('bad_request');
    }
    expect(stack.sdp.calls.length).toBe(calls);
  });
});

describe('plain http ServiceDesk Plus URLs', () => {
  let testDb: TestDatabase;
  const key = randomEncryptionKey();
  beforeAll(async () => {
    testDb = await adminDatabase({
      ENCRYPTION_KEY: key,
      PUBLIC_BASE_URL: 'https://agents.msp.example',
      SDP_TECHNICIAN_KEY: 'k-0123456789',
    });
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  const add = (slug: string, url: string) => addTenant({ slug, sdpUrl: url });

  it('are accepted in development (the sandbox portal is http) and refused in production', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    expect((await add('dev-co', 'http://sdp.dev.example')).code).toBe(0);
    vi.stubEnv('NODE_ENV', 'production');
    expect(await add('prod-co', 'http://sdp.prod.example')).toMatchObject({
      code: 2,
      err: 'error: --sdp-url must be https in production (NODE_ENV=production), got "http://sdp.prod.example"\n',
    });
    expect((await admin('tenant', 'set', 'dev-co', '--sdp-url', 'http://sdp.other.example')).code).toBe(2);
    vi.stubEnv('SDP_CLIENT_ID', 'cid');
    vi.stubEnv('SDP_CLIENT_SECRET', 's-0123456789');
    vi.stubEnv('SDP_REFRESH_TOKEN', 'r-0123456789');
    vi.stubEnv('SDP_ACCOUNTS_URL', 'http://accounts.zoho.example');
    const cloud = await admin('tenant', 'set-credentials', 'dev-co', '--sdp-auth', 'cloud', '--no-check');
    expect(cloud.err).toContain('--accounts-url must be https in production');
    // What was stored before (in development) is refused where it is used.
    const check = await admin('--json', 'tenant', 'check', 'dev-co');
    expect(JSON.parse(check.out)).toMatchObject({ ok: false, problem: 'insecure_url' });
    vi.stubEnv('NODE_ENV', 'test');
  });

  it("the production worker refuses a tenant whose portal is http, naming only the URL's origin", async () => {
    const database = createDatabase({ url: testDb.appUrl, max: 1 });
    try {
      const found = await findWebhookTenant(database.db, 'dev-co');
      const tenant = (await loadTenant({ db: database.db, tenantId: found?.id ?? '' })) as TenantRow;
      const box = createSecretBox(key);
      expect(() =>
        createTenantClients({ box, timeoutMs: 1_000, requireHttps: true }).forTenant(tenant),
      ).toThrow(
        'ServiceDesk Plus is configured with a plain http URL (http://sdp.dev.example); production requires https',
      );
      expect(() => createTenantClients({ box, timeoutMs: 1_000 }).forTenant(tenant)).not.toThrow();
    } finally {
      await database.close();
    }
  });
});
