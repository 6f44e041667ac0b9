import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  createDatabase,
  type Database,
  findEnhancementByEvent,
  loadTenantAndClaim,
  markPosted,
  markPosting,
  withTenant,
} from '../src/index.js';

let testDb: TestDatabase;
let database: Database;
let tenantId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 2 });
  const box = createSecretBox(randomBytes(32).toString('base64'));
  ({
    tenant: { id: tenantId },
  } = await testTenant(database.db, box, { slug: 'posted' }));
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const scope = () => ({ db: database.db, tenantId });
async function claim(eventId: string) {
  const { claim } = await loadTenantAndClaim(scope(), {
    eventId,
    event: 'request.created',
    requestId: eventId,
  });
  if (!claim) throw new Error('tenant not found');
  return claim;
}
const row = (eventId: string) => findEnhancementByEvent(scope(), eventId);

describe('markPosted', () => {
  it('records every field given, with the audit entry in the same statement', async () => {
    const { id } = await claim('evt-full');
    await markPosting(scope(), id);
    expect((await row('evt-full'))?.status).toBe('posting');
    await markPosted(
      scope(),
      id,
      {
        noteId: 'note-1',
        fallback: false,
        model: 'gpt-test',
        tokensIn: 120,
        tokensOut: 30,
        latencyMs: 850,
        costUsd: 0.000123,
        language: 'de',
        budgetState: 'soft',
        confidence: 0.75,
        suggestionsApplied: true,
      },
      { actor: 'worker', action: 'note.posted', details: { noteId: 'note-1' } },
    );
    expect(await row('evt-full')).toMatchObject({
      status: 'posted',
      noteId: 'note-1',
      model: 'gpt-test',
      tokensIn: 120,
      tokensOut: 30,
      costUsd: 0.000123,
      language: 'de',
      budgetState: 'soft',
      confidence: 0.75,
      suggestionsApplied: true,
      error: null,
    });
    expect((await row('evt-full'))?.postedAt).toBeInstanceOf(Date);
    const audit = await withTenant(database.db, tenantId, (tx) => tx.select().from(auditLog));
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'note.posted', details: { noteId: 'note-1' } }),
    );
  });

  it('keeps the fields left undefined and clears those given as null', async () => {
    const { id } = await claim('evt-partial');
    const post = (result: Parameters<typeof markPosted>[2]) => markPosted(scope(), id, result);
    await post({
      noteId: 'n1',
      fallback: false,
      model: 'm',
      tokensIn: 1,
      tokensOut: 2,
      latencyMs: 3,
      language: 'fr',
      costUsd: 0.5,
    });
    await post({
      noteId: 'n2',
      fallback: true,
      model: null,
      tokensIn: null,
      tokensOut: null,
      latencyMs: 4,
      costUsd: null,
    });
    expect(await row('evt-partial')).toMatchObject({
      noteId: 'n2',
      fallback: true,
      model: null,
      tokensIn: null,
      latencyMs: 4,
      language: 'fr',
      costUsd: null,
    });
  });
});
