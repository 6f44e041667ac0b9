import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  createDatabase,
  type Database,
  inlineParameters,
  tenants,
  withTenant,
  withTenantStatement,
} from '../src/index.js';

describe('inlineParameters', () => {
  it('replaces each $n with its value as a quoted literal, $10 not read as $1', () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(inlineParameters('select $1, $10, $2::int', values)).toBe("select 'v1', 'v10', 'v2'::int");
  });

  it('escapes quotes and backslashes, and writes null, numbers, booleans, dates, arrays and JSON as pg sends them', () => {
    // pg's escapeLiteral writes a string with a backslash as " E'...'" (the space is its own).
    expect(inlineParameters('$1', ["it's \\ done"])).toBe(" E'it''s \\\\ done'");
    expect(inlineParameters('$1, $2, $3, $4', [null, undefined, 42, false])).toBe(
      "null, null, '42', 'false'",
    );
    expect(inlineParameters('$1', [new Date('2026-01-02T03:04:05.000Z')])).toBe(
      "'2026-01-02T03:04:05.000+00:00'",
    );
    expect(inlineParameters('$1, $2', [['a', "b'c"], { a: 1 }])).toBe(`'{"a","b''c"}', '{"a":1}'`);
  });

  it('leaves placeholders inside strings, quoted identifiers, dollar quotes and comments alone', () => {
    const text = `select '$1 ''$1''', "col$1", $tag$ $1 $tag$, $$ $1 $$ -- $1\n, $1 /* $1 */`;
    expect(inlineParameters(text, ['x'])).toBe(
      `select '$1 ''$1''', "col$1", $tag$ $1 $tag$, $$ $1 $$ -- $1\n, 'x' /* $1 */`,
    );
  });

  it('refuses a placeholder without a value and binary values', () => {
    expect(() => inlineParameters('select $2', ['only one'])).toThrow('no value for $2');
    expect(() => inlineParameters('select $1', [Buffer.from('x')])).toThrow('binary parameters');
    expect(() => inlineParameters("select 'open", [])).toThrow('unterminated quote');
  });
});

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
