import { randomUUID } from 'node:crypto';
import {
  addHistory,
  createDatabase,
  createTenant,
  type Database,
  enhancements,
  upsertInventory,
  withTenant,
} from '@ai-agents/db';
import {
  createTestDatabase,
  type FakeLlm,
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeLlm,
  startFakeServiceDesk,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { createTenantClients, htmlToText } from '@ai-agents/servicedesk';
import { createLogger, createSecretBox, DEFAULT_LLM_PRICES, ENHANCE_JOB } from '@ai-agents/shared';
import type { Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKnowledgeBase } from '../src/pipeline/knowledge-base.js';
import { createTaxonomyCache } from '../src/pipeline/taxonomy-cache.js';
import { type EnhanceDeps, processEnhanceTicket } from '../src/processors/enhance-ticket.js';

// The gathered context (similar tickets, knowledge base, assets) through the processor into the
// prompt and the posted note, against the fake ServiceDesk Plus and the fake LLM.

const box = createSecretBox(randomEncryptionKey());
const technicianKey = 'context-note-key';
let testDb: TestDatabase;
let database: Database;
let sdp: FakeServiceDesk;
let llm: FakeLlm;
let deps: EnhanceDeps;
let tenantId: string;

async function enhance(ticket: { subject: string; description: string }) {
  const request = sdp.addRequest(ticket);
  const eventId = `ev-${randomUUID()}`;
  const job = {
    id: eventId,
    data: { tenantId, event: 'request.created', eventId, requestId: request.id, receivedAt: Date.now() },
    attemptsMade: 0,
    opts: { attempts: 3 },
    name: ENHANCE_JOB,
  } as unknown as Job;
  await processEnhanceTicket(job, deps);
  const row = await withTenant(database.db, tenantId, async (tx) => {
    const [r] = await tx.select().from(enhancements).where(eq(enhancements.eventId, eventId));
    return r;
  });
  return { html: sdp.notes(request.id)[0]?.description ?? '', row };
}

const ticket = {
  subject: 'VPN drops for the whole office behind core-sw1',
  description:
    'AnyConnect disconnects every few minutes since last night; the switch at 10.1.2.3 was patched.',
};

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl });
  sdp = await startFakeServiceDesk({ technicianKeys: [technicianKey] });
  llm = await startFakeLlm();
  ({
    tenant: { id: tenantId },
  } = await createTenant(database.db, box, {
    slug: 'contextnote',
    name: 'Context Note',
    sdpBaseUrl: sdp.url,
    sdpAuthType: 'onprem',
    sdpCredentials: { type: 'onprem', technicianKey },
    actor: 'test',
  }));
  await withTenant(database.db, tenantId, async (tx) => {
    await addHistory(tx, tenantId, [
      {
        externalId: '8001',
        subject: 'AnyConnect VPN disconnects every few minutes',
        resolution: 'Rolled back the patch.',
      },
    ]);
    await upsertInventory(tx, tenantId, [
      { hostname: 'core-sw1', ipAddress: '10.1.2.3', kind: 'Core switch' },
    ]);
  });
  sdp.addSolution({
    id: '7001',
    title: 'AnyConnect disconnects after a switch patch',
    description: 'Check DTLS.',
  });
  deps = {
    db: database.db,
    sdp: createTenantClients({ box, timeoutMs: 5_000 }),
    logger: createLogger({ name: 'context-note-test', level: 'silent' }),
    similarLimit: 5,
    // No cache: each test sees the portal as it is set up for it.
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
});

afterAll(async () => {
  await sdp?.close();
  await llm?.close();
  await database?.close();
  await testDb?.drop();
});

beforeEach(() => sdp.clearFaults());

describe('gathered context in the prompt and the note', () => {
  it('gives the LLM the similar ticket, the solution and the mentioned switch, and shows the asset', async () => {
    const { html, row } = await enhance(ticket);
    const prompt = llm.prompts.at(-1) ?? '';
    expect(prompt).toContain('8001');
    expect(prompt).toContain('AnyConnect disconnects after a switch patch');
    expect(prompt).toContain('core-sw1');
    expect(html).toContain('core-sw1');
    expect(html).not.toContain('unavailable');
    expect(row?.status).toBe('posted');
  });

  it('posts the note anyway when the knowledge base fails, and says it was unavailable', async () => {
    sdp.setFault('listSolutions', { status: 500 });
    const { html, row } = await enhance(ticket);
    expect(html).toContain('Knowledge base unavailable.');
    expect(html).toContain('#8001');
    expect(row?.status).toBe('posted');
  });
});
