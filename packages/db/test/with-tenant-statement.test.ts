import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  createDatabase,
  type Database,
  tenants,
  withTenant,
  withTenantStatement,
} from '../src/index.js';

describe('withTenantStatement', () => {
  const box = createSecretBox(randomBytes(32).toString('base64'));
  let testDb: TestDatabase;
  let database: Database;
  let tenantId: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // One pooled connection: whatever a call leaves behind, the next call sees.
    database = createDatabase({ url: testDb.appUrl, max: 1 });
    tenantId = await testTenant(database.db, box, { slug: 'one-shot' }).then((t) => t.tenant.id);
  });

  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  it('stores and reads back awkward text exactly as a parameterised statement does', async () => {
    const awkward = [
      "O'Brien's laptop \\\\server\\share",
      'costs $1 -- not a comment /* nor this */',
      '$$ dollar $tag$ quotes $$',
      'Unicode: Grüße, 東京, emoji 🙂, tab\tand newline\n',
      '{"json": ["inside", 1]}',
    ];
    for (const text of awkward) {
      await withTenantStatement(database.db, tenantId, (tx) =>
        tx.insert(auditLog).values({ tenantId, actor: 'test', action: text, details: { text } }),
      );
    }
    const rows = await withTenant(database.db, tenantId, (tx) =>
      tx.select({ action: auditLog.action, details: auditLog.details }).from(auditLog),
    );
    for (const text of awkward) expect(rows).toContainEqual({ action: text, details: { text } });
  });

  it("keeps drizzle's relational API on a transaction (built on first use, with-tenant.ts)", async () => {
    const found = await withTenant(database.db, tenantId, (tx) =>
      tx.query.tenants.findFirst({ columns: { id: true, slug: true } }),
    );
    expect(found).toEqual({ id: tenantId, slug: 'one-shot' });
  });

  it('maps a selected row as drizzle does (column names, types, nested selections)', async () => {
    const [row] = await withTenantStatement(database.db, tenantId, (tx) =>
      tx
        .select({ tenant: { id: tenants.id, slug: tenants.slug }, createdAt: tenants.createdAt })
        .from(tenants),
    );
    expect(row?.tenant).toEqual({ id: tenantId, slug: 'one-shot' });
    expect(row?.createdAt).toBeInstanceOf(Date);
  });

  it('refuses a second statement in the same call', async () => {
    const error = await withTenantStatement(database.db, tenantId, async (tx) => {
      await tx.execute(sql`select 1`);
      return tx.execute(sql`select 2`);
    }).catch((e: Error) => e);
    // drizzle wraps what the client threw as the cause of its "Failed query" error.
    expect((error as Error).cause).toMatchObject({ message: expect.stringContaining('only one statement') });
  });

  it('applies the statement timeout, and leaves the connection clean after the failure', async () => {
    const started = Date.now();
    await expect(
      withTenantStatement(database.db, tenantId, (tx) => tx.execute(sql`select pg_sleep(5)`), {
        statementTimeoutMs: 200,
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    const after = await database.pool.query(
      "select current_setting('app.tenant_id', true) as tenant, current_setting('statement_timeout') as timeout, (select count(*)::int from audit_log) as visible",
    );
    expect(after.rows[0]).toEqual({ tenant: '', timeout: '30s', visible: 0 });
  });
});
