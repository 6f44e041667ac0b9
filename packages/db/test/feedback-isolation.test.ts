import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  type Database,
  feedback,
  loadTenantAndClaim,
  recordFeedback,
  withTenant,
} from '../src/index.js';

const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let database: Database;
const ids: Record<'a' | 'b', { tenant: string; enhancement: string }> = {
  a: { tenant: '', enhancement: '' },
  b: { tenant: '', enhancement: '' },
};

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 1 });
  for (const key of ['a', 'b'] as const) {
    const tenantId = await testTenant(database.db, box, { slug: `tenant-${key}` }).then((t) => t.tenant.id);
    const scope = { db: database.db, tenantId };
    const { claim } = await loadTenantAndClaim(scope, {
      eventId: 'e',
      event: 'request.created',
      requestId: '1',
    });
    if (!claim) throw new Error(`tenant-${key} not found`);
    ids[key] = { tenant: tenantId, enhancement: claim.id };
    await recordFeedback(scope, { enhancementId: claim.id, helpful: key === 'a', source: 'link' });
  }
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('feedback under row-level security', () => {
  it('a tenant sees only its own feedback', async () => {
    const rows = await withTenant(database.db, ids.a.tenant, (tx) => tx.select().from(feedback));
    expect(rows.map((r) => [r.tenantId, r.helpful])).toEqual([[ids.a.tenant, true]]);
  });

  it("cannot record feedback on another tenant's enhancement, nor under its id", async () => {
    const viaLookup = await recordFeedback(
      { db: database.db, tenantId: ids.a.tenant },
      { enhancementId: ids.b.enhancement, helpful: false, source: 'signed' },
    );
    expect(viaLookup).toBeNull();
    await expect(
      withTenant(database.db, ids.a.tenant, (tx) =>
        tx.insert(feedback).values({
          tenantId: ids.b.tenant,
          enhancementId: ids.b.enhancement,
          helpful: false,
          source: 'signed',
        }),
      ),
    ).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/violates row-level security policy/) },
    });
  });

  it('the application role can add feedback but not rewrite or delete it', async () => {
    await expect(
      withTenant(database.db, ids.a.tenant, (tx) => tx.execute(sql`update feedback set helpful = false`)),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/permission denied/) } });
    await expect(
      withTenant(database.db, ids.a.tenant, (tx) => tx.execute(sql`delete from feedback`)),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/permission denied/) } });
  });

  it('without a tenant nothing is visible', async () => {
    expect((await database.pool.query('select count(*)::int as n from feedback')).rows[0].n).toBe(0);
  });
});
