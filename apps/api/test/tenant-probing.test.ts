import * as crypto from 'node:crypto';
import * as db from '@ai-agents/db';
import { createLogger, createSecretBox, signWebhook } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiApp, createApi, createTenantAuth } from '../src/index.js';
import { type ApiFixture, createApiFixture } from './support/api-fixture.js';

// Response time must not tell a caller which slugs exist. Instead of timing requests (noisy on a
// shared machine), the test counts the work each request does: HMACs, decryptions and the two
// lookups of a cache fill are the costs that differed (a known slug: an HMAC and a cache fill; an
// unknown one: neither). Counting wraps the real functions, which still run.

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    createHmac: vi.fn(actual.createHmac),
    createDecipheriv: vi.fn(actual.createDecipheriv),
  };
});
vi.mock('@ai-agents/db', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@ai-agents/db')>();
  return {
    ...actual,
    findWebhookTenant: vi.fn(actual.findWebhookTenant),
    tenantWebhookLimit: vi.fn(actual.tenantWebhookLimit),
  };
});

const logger = createLogger({ name: 'probing-test', level: 'silent' });
let fixture: ApiFixture;

beforeAll(async () => {
  fixture = await createApiFixture({ poolSize: 2 });
  await fixture.addTenant({ slug: 'acme', name: 'Acme', sdpBaseUrl: 'https://sdp.acme.example' });
});

afterAll(async () => {
  await fixture?.close();
});

function work() {
  return {
    hmacs: vi.mocked(crypto.createHmac).mock.calls.length,
    decryptions: vi.mocked(crypto.createDecipheriv).mock.calls.length,
    tenantLookups: vi.mocked(db.findWebhookTenant).mock.calls.length,
    limitLookups: vi.mocked(db.tenantWebhookLimit).mock.calls.length,
  };
}

async function startApi(ttlMs: number): Promise<ApiApp> {
  return createApi(fixture.config({ TENANT_CACHE_TTL_MS: String(ttlMs) }), logger);
}

// 200 KB: large enough that skipping the HMAC over it was the measurable difference.
const body = JSON.stringify({ event: 'request.created', request: { id: '7', padding: 'x'.repeat(200_000) } });

async function probe(app: ApiApp, slug: string) {
  const headers = { 'content-type': 'application/json', ...signWebhook('a-guessed-secret', body) };
  vi.clearAllMocks();
  const res = await app.inject({
    method: 'POST',
    url: `/v1/webhooks/servicedesk/${slug}`,
    headers,
    payload: body,
  });
  return { status: res.statusCode, body: res.body, work: work() };
}

describe('probing for tenant slugs', () => {
  it('a known and an unknown slug cost the same work and get the same answer, cache cold', async () => {
    const app = await startApi(0);
    try {
      const known = await probe(app, 'acme');
      const unknown = await probe(app, 'acne');
      expect(known.status).toBe(401);
      expect(unknown).toEqual(known);
      expect(known.work).toEqual({ hmacs: 1, decryptions: 1, tenantLookups: 1, limitLookups: 1 });
    } finally {
      await app.close();
    }
  });

  it('the same with the cache warm: one HMAC, no lookup, for either', async () => {
    const app = await startApi(60_000);
    try {
      await probe(app, 'acme');
      await probe(app, 'acne');
      const known = await probe(app, 'acme');
      const unknown = await probe(app, 'acne');
      expect(unknown).toEqual(known);
      expect(known.work).toEqual({ hmacs: 1, decryptions: 0, tenantLookups: 0, limitLookups: 0 });
    } finally {
      await app.close();
    }
  });

  it('a burst of random slugs evicts least recently used entries, not the whole cache', async () => {
    const auth = createTenantAuth({
      db: fixture.database.db,
      box: createSecretBox(fixture.encryptionKey),
      ttlMs: 60_000,
      maxEntries: 100,
    });
    await auth.lookup('acme');
    vi.clearAllMocks();
    for (let i = 0; i < 2_000; i++) {
      await auth.lookup(`guess-${crypto.randomBytes(6).toString('hex')}`);
      // A real tenant keeps sending: it stays among the most recently used.
      if (i % 20 === 0) expect((await auth.lookup('acme'))?.active).toBe(true);
    }
    const acmeLoads = vi.mocked(db.findWebhookTenant).mock.calls.filter(([, slug]) => slug === 'acme');
    expect(acmeLoads).toHaveLength(0);
    expect(vi.mocked(db.findWebhookTenant).mock.calls).toHaveLength(2_000);
  }, 60_000);
});
