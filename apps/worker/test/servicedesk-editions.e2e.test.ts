import { randomUUID } from 'node:crypto';
import { createDatabase, createTenant, type Database, enhancements, withTenant } from '@ai-agents/db';
import {
  createTestDatabase,
  type FakeLlm,
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeLlm,
  startFakeServiceDesk,
  TEST_REDIS_URL,
  type TestDatabase,
  testQueuePrefix,
} from '@ai-agents/sandbox';
import { createTenantClients, htmlToText } from '@ai-agents/servicedesk';
import { createLogger, createSecretBox, DEFAULT_LLM_PRICES, ENHANCE_JOB } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKnowledgeBase } from '../src/pipeline/knowledge-base.js';
import { createTaxonomyCache } from '../src/pipeline/taxonomy-cache.js';
import { type EnhanceDeps, processEnhanceTicket } from '../src/processors/enhance-ticket.js';

// The worker against the strict sandbox editions, with the production wiring of the ServiceDesk Plus
// clients (Redis-shared Cloud tokens and note wrappers): what a new installation meets on day one.

const box = createSecretBox(randomEncryptionKey());
const OAUTH = {
  clientId: '1000.WORKERCLOUD',
  clientSecret: 'worker-cloud-client-secret',
  refreshToken: '1000.worker-cloud-refresh-token',
};
let testDb: TestDatabase;
let database: Database;
let llm: FakeLlm;
const prefix = testQueuePrefix();
const portals: FakeServiceDesk[] = [];
const connections: Redis[] = [];

/** One worker process's dependencies: its own Redis connection and its own tenant clients. */
function workerDeps(): EnhanceDeps {
  const redis = new Redis(TEST_REDIS_URL);
  connections.push(redis);
  return {
    db: database.db,
    sdp: createTenantClients({ box, timeoutMs: 5_000, shared: { redis, keyPrefix: prefix } }),
    logger: createLogger({ name: 'editions-test', level: 'silent' }),
    similarLimit: 5,
    knowledgeBase: createKnowledgeBase({ ttlMs: 0, toText: htmlToText }),
    contextTimeoutMs: 2_000,
    llmStep: {
      llm: new OpenAI({ apiKey: 'sandbox', baseURL: llm.url, maxRetries: 0 }),
      defaultModel: 'gpt-4o-mini',
      budgetModel: 'gpt-4.1-nano',
      maxInvalidRetries: 1,
      prices: DEFAULT_LLM_PRICES,
      promptTokenBudget: 3_000,
      taxonomy: createTaxonomyCache({ ttlMs: 0 }),
    },
    box,
    publicBaseUrl: 'https://agents.msp.example',
  };
}

async function portal(options: Parameters<typeof startFakeServiceDesk>[0]) {
  const sdp = await startFakeServiceDesk(options);
  portals.push(sdp);
  return sdp;
}

async function cloudTenant(sdp: FakeServiceDesk, slug: string) {
  const { tenant } = await createTenant(database.db, box, {
    slug,
    name: slug,
    sdpBaseUrl: `${sdp.url}/app/itdesk`,
    sdpAuthType: 'cloud',
    sdpCredentials: { type: 'cloud', ...OAUTH, accountsUrl: sdp.accountsUrl },
    actor: 'test',
  });
  return tenant.id;
}

async function onpremTenant(sdp: FakeServiceDesk, slug: string, technicianKey: string) {
  const { tenant } = await createTenant(database.db, box, {
    slug,
    name: slug,
    sdpBaseUrl: sdp.url,
    sdpAuthType: 'onprem',
    sdpCredentials: { type: 'onprem', technicianKey },
    actor: 'test',
  });
  return tenant.id;
}

async function enhance(deps: EnhanceDeps, sdp: FakeServiceDesk, tenantId: string, subject: string) {
  const request = sdp.addRequest({ subject, description: 'The printer on floor 2 shows offline.' });
  const eventId = `ev-${randomUUID()}`;
  const job = {
    id: eventId,
    data: { tenantId, event: 'request.created', eventId, requestId: request.id, receivedAt: Date.now() },
    attemptsMade: 0,
    opts: { attempts: 3 },
    name: ENHANCE_JOB,
  } as unknown as Job;
  const error = await processEnhanceTicket(job, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  const row = await withTenant(database.db, tenantId, async (tx) => {
    const [r] = await tx.select().from(enhancements).where(eq(enhancements.eventId, eventId));
    return r;
  });
  return { requestId: request.id, notes: sdp.notes(request.id), row, error };
}

const tokenCalls = (sdp: FakeServiceDesk) => sdp.calls.filter((c) => c.path === '/oauth/v2/token').length;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl });
  llm = await startFakeLlm();
});

afterAll(async () => {
  await Promise.all(portals.map((p) => p.close()));
  const [first] = connections;
  if (first) {
    const keys = await first.keys(`${prefix}:*`);
    if (keys.length > 0) await first.del(...keys);
  }
  for (const c of connections) c.disconnect();
  await llm?.close();
  await database?.close();
  await testDb?.drop();
});

describe('the worker on a Cloud portal', () => {
  it('three worker processes post six notes with one Zoho token between them, in request_note', async () => {
    const sdp = await portal({ edition: 'cloud', oauth: OAUTH });
    const tenantId = await cloudTenant(sdp, 'cloud-pods');
    const pods = [workerDeps(), workerDeps(), workerDeps()];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        enhance(pods[i % 3] as EnhanceDeps, sdp, tenantId, `Cloud ticket ${i}`),
      ),
    );
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.notes).toHaveLength(1);
      expect(r.notes[0]?.wrapper).toBe('request_note');
      expect(r.row?.status).toBe('posted');
    }
    expect(tokenCalls(sdp)).toBe(1);
  });

  it('without the knowledge-base scope the note is posted, says so, and no token is minted again', async () => {
    const sdp = await portal({
      edition: 'cloud',
      oauth: { ...OAUTH, scopes: ['SDPOnDemand.requests.ALL', 'SDPOnDemand.setup.READ'] },
    });
    sdp.addSolution({ title: 'Printer offline on floor 2', description: 'Power-cycle the printer.' });
    const tenantId = await cloudTenant(sdp, 'cloud-no-kb');
    const deps = workerDeps();
    const first = await enhance(deps, sdp, tenantId, 'Printer offline');
    const second = await enhance(deps, sdp, tenantId, 'Printer offline again');
    for (const r of [first, second]) {
      expect(r.row?.status).toBe('posted');
      expect(r.notes[0]?.description).toContain('Knowledge base unavailable.');
    }
    expect(tokenCalls(sdp)).toBe(1);
  });
});

describe('the worker on on-premises builds', () => {
  it('an old build that takes only request_note: the first note falls back once, later ones go right at once', async () => {
    const key = 'old-build-key';
    const sdp = await portal({
      edition: 'onprem',
      technicianKeys: [key],
      noteWrappers: { onprem: 'request_note' },
    });
    const tenantId = await onpremTenant(sdp, 'old-build', key);
    const first = await enhance(workerDeps(), sdp, tenantId, 'First on old build');
    expect(first.notes).toHaveLength(1);
    const posts = (id: string) =>
      sdp.calls.filter((c) => c.method === 'POST' && c.path === `/api/v3/requests/${id}/notes`);
    expect(posts(first.requestId).map((c) => c.wrapper)).toEqual(['note', 'request_note']);
    // Another worker process learns it from Redis.
    const second = await enhance(workerDeps(), sdp, tenantId, 'Second on old build');
    expect(posts(second.requestId).map((c) => c.wrapper)).toEqual(['request_note']);
    expect(second.notes).toHaveLength(1);
  });

  it('a note refused for another reason is recorded with that reason and given up', async () => {
    const key = 'refusing-key';
    const sdp = await portal({ edition: 'onprem', technicianKeys: [key] });
    const tenantId = await onpremTenant(sdp, 'refusing', key);
    sdp.setFault('addNote', { status: 403 });
    const { row, notes, error } = await enhance(workerDeps(), sdp, tenantId, 'Refused note');
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(notes).toHaveLength(0);
    expect(row?.status).toBe('failed');
    expect(row?.error).toContain('403 (4002)');
  });
});
