import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addHistory,
  createDatabase,
  type Database,
  findSimilarTickets,
  findWebhookTenant,
  inTenant,
  recordAudit,
  ticketHistory,
  upsertInventory,
  withTenant,
  withTenantStatement,
} from '../src/index.js';

// The isolation suite (run directly by isolation.test.ts and through PgBouncer by
// test/pgbouncer/pgbouncer.test.ts): every tenant table, as the application role (what the API and worker use),
// over ONE pooled connection, so a tenant setting left behind by one transaction would show up in
// the next. Where the role lacks a privilege altogether (DELETE on tenants and enhancements, UPDATE
// and DELETE on the append-only audit_log) the cross-tenant attempt must fail with "permission
// denied": that is asserted instead of "0 rows".

const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let database: Database;
let tenantA: string;
let tenantB: string;

interface TableCase {
  table: string;
  /** The column policies compare with current_tenant_id(). */
  tenantColumn: 'id' | 'tenant_id';
  /** A harmless change for UPDATE attempts. */
  set: string;
  /** A valid new row belonging to `tenantId`. */
  insert(tenantId: string): SQL;
  canUpdate: boolean;
  canDelete: boolean;
}

const TABLES: TableCase[] = [
  {
    table: 'tenants',
    tenantColumn: 'id',
    set: "name = 'hijacked'",
    insert: (id) =>
      sql`insert into tenants (id, slug, name, connection_id, webhook_secret_enc)
          values (${id}, ${`planted-${randomUUID().slice(0, 8)}`}, 'planted', ${id}, 'v1.x')`,
    canUpdate: true,
    canDelete: false,
  },
  {
    table: 'enhancements',
    tenantColumn: 'tenant_id',
    set: "status = 'failed'",
    insert: (tenantId) =>
      sql`insert into enhancements (tenant_id, sdp_request_id, event_id, event)
          values (${tenantId}, '1', ${`evt-${randomUUID()}`}, 'request.created')`,
    canUpdate: true,
    canDelete: false,
  },
  {
    table: 'ticket_history',
    tenantColumn: 'tenant_id',
    set: "subject = 'hijacked'",
    insert: (tenantId) =>
      sql`insert into ticket_history (tenant_id, external_id, subject) values (${tenantId}, ${`X-${randomUUID()}`}, 'planted')`,
    canUpdate: true,
    canDelete: true,
  },
  {
    table: 'audit_log',
    tenantColumn: 'tenant_id',
    set: "action = 'forged'",
    insert: (tenantId) =>
      sql`insert into audit_log (tenant_id, actor, action) values (${tenantId}, 'intruder', 'planted')`,
    canUpdate: false,
    canDelete: false,
  },
];

const RLS_VIOLATION = /new row violates row-level security policy/;
const permissionDenied = (table: string) => new RegExp(`permission denied for table ${table}`);

// Every way of running a statement for a tenant: a withTenant() transaction; withTenantStatement(),
// which sends it with BEGIN, the settings and COMMIT in one round trip; and the data operations' own
// inTenant(), both opening its own one-statement transaction and joining a caller's transaction.
const RUNNERS: { runner: string; run: typeof withTenant }[] = [
  { runner: 'withTenant', run: withTenant },
  { runner: 'withTenantStatement', run: withTenantStatement },
  {
    runner: "an operation's own statement (inTenant)",
    run: (db, tenantId, fn) => inTenant({ db, tenantId }, 'statement', fn),
  },
  {
    runner: "an operation joining the caller's transaction (inTenant)",
    run: (db, tenantId, fn) =>
      withTenant(db, tenantId, (tx) => inTenant({ db, tenantId, tx }, 'statement', fn)),
  },
];

/** Runs one statement for the tenant and returns its result or its Postgres error. */
async function asTenant(tenantId: string, query: SQL, run: typeof withTenant) {
  try {
    const result = await run(database.db, tenantId, (tx) => tx.execute(query));
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    return { error: (cause ?? (error as Error)).message };
  }
}

/** What is really stored, read by the owner (not subject to the policies' tenant filter here). */
async function ownerSnapshot(): Promise<string> {
  const client = new pg.Client({ connectionString: testDb.ownerUrl });
  await client.connect();
  try {
    await client.query('set row_security = off');
    const parts: unknown[] = [];
    for (const t of TABLES) {
      const { rows } = await client.query(`select * from ${t.table} order by 1`);
      parts.push(rows);
    }
    return JSON.stringify(parts);
  } finally {
    await client.end();
  }
}

/**
 * Registers the suite. `appUrl` turns the test database's application-role URL into the one to
 * connect with (the URL itself, or the same database through a pooler).
 */
export function isolationSuite(appUrl: (testDb: TestDatabase) => string = (t) => t.appUrl): void {
  const tenant = (slug: string) => testTenant(database.db, box, { slug }).then((t) => t.tenant.id);

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // One connection: every transaction below reuses the same pooled connection.
    database = createDatabase({ url: appUrl(testDb), max: 1 });
    tenantA = await tenant('tenant-a');
    tenantB = await tenant('tenant-b');
    // Near-identical data in both tenants, so a leak could not hide behind a search miss.
    for (const [id, prefix] of [
      [tenantA, 'A'],
      [tenantB, 'B'],
    ] as const) {
      await withTenant(database.db, id, async (tx) => {
        await addHistory({ db: database.db, tenantId: id, tx }, [
          {
            externalId: `${prefix}-1`,
            subject: 'VPN client fails after Windows update',
            resolution: 'Reinstalled VPN client',
          },
        ]);
        for (const t of TABLES.filter((t) => t.table !== 'tenants' && t.table !== 'ticket_history')) {
          await tx.execute(t.insert(id));
        }
      });
    }
  });

  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  describe.each(RUNNERS)('$runner', ({ run }) => {
    const asRunner = (tenantId: string, query: SQL) => asTenant(tenantId, query, run);

    describe.each(TABLES)('isolation of $table under the application role', (t) => {
      const col = sql.raw(t.tenantColumn);
      const table = sql.raw(t.table);

      it("sees only its own rows, and none of the other tenant's even when naming them", async () => {
        const all = await asRunner(tenantA, sql`select ${col}::text as tenant from ${table}`);
        expect(all.rows?.length).toBeGreaterThan(0);
        expect(new Set(all.rows?.map((r) => r.tenant))).toEqual(new Set([tenantA]));
        const named = await asRunner(
          tenantA,
          sql`select count(*)::int as n from ${table} where ${col} = ${tenantB}`,
        );
        expect(named.rows).toEqual([{ n: 0 }]);
      });

      it("cannot update or delete the other tenant's rows", async () => {
        const before = await ownerSnapshot();
        const update = await asRunner(
          tenantA,
          sql`update ${table} set ${sql.raw(t.set)} where ${col} = ${tenantB}`,
        );
        const remove = await asRunner(tenantA, sql`delete from ${table} where ${col} = ${tenantB}`);
        if (t.canUpdate) expect(update).toEqual({ rows: [], rowCount: 0 });
        else expect(update.error).toMatch(permissionDenied(t.table));
        if (t.canDelete) expect(remove).toEqual({ rows: [], rowCount: 0 });
        else expect(remove.error).toMatch(permissionDenied(t.table));
        expect(await ownerSnapshot()).toBe(before);
      });

      it("cannot insert a row under the other tenant's id, nor move its own row there", async () => {
        const target = t.table === 'tenants' ? randomUUID() : tenantB;
        expect((await asRunner(tenantA, t.insert(target))).error).toMatch(RLS_VIOLATION);
        const move = await asRunner(
          tenantA,
          sql`update ${table} set ${col} = ${target} where ${col} = ${tenantA}`,
        );
        expect(move.error).toMatch(t.canUpdate ? RLS_VIOLATION : permissionDenied(t.table));
      });

      it('with no tenant context sees nothing and writes nothing', async () => {
        expect((await database.pool.query(`select count(*)::int as n from ${t.table}`)).rows[0].n).toBe(0);
        const insert = await database.db.execute(t.insert(tenantA)).then(
          () => 'inserted',
          (error: { cause?: Error }) => error.cause?.message,
        );
        expect(insert).toMatch(RLS_VIOLATION);
      });

      it('the tenant setting does not outlive its transaction on the reused pooled connection', async () => {
        await run(database.db, tenantA, (tx) => tx.execute(sql`select 1 from ${table}`));
        await expect(
          run(database.db, tenantA, async (tx) => {
            await tx.execute(sql`select 1 from ${table}`);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        // A statement that fails leaves its transaction aborted: it must be rolled back, not reused.
        await expect(
          run(database.db, tenantA, (tx) => tx.execute(sql`select 1/0 from ${table}`)),
        ).rejects.toThrow();
        const after = await database.pool.query(
          `select current_setting('app.tenant_id', true) as tenant, (select count(*)::int from ${t.table}) as visible`,
        );
        expect(after.rows[0]).toEqual({ tenant: '', visible: 0 });
      });
    });
  });

  describe('connection defaults', () => {
    it('statements outside a transaction get the role default timeout; a transaction narrows it locally', async () => {
      // Nothing is sent at connection start (a pooler would refuse it): the role carries the default.
      const outside = await database.pool.query("select current_setting('statement_timeout') as t");
      expect(outside.rows[0]).toEqual({ t: '30s' });
      const inside = await withTenant(
        database.db,
        tenantA,
        (tx) => tx.execute<{ t: string }>(sql`select current_setting('statement_timeout') as t`),
        { statementTimeoutMs: 1_500 },
      );
      expect(inside.rows[0]).toEqual({ t: '1500ms' });
      const slow = await withTenant(database.db, tenantA, (tx) => tx.execute(sql`select pg_sleep(3)`), {
        statementTimeoutMs: 100,
      }).catch((error: { cause?: Error }) => error.cause?.message);
      expect(slow).toMatch(/statement timeout/);
      const after = await database.pool.query("select current_setting('statement_timeout') as t");
      expect(after.rows[0]).toEqual({ t: '30s' });
    });
  });

  describe('tenant isolation in the data operations', () => {
    it("a tenant's similar-ticket search returns only its own ticket, even for an identical one", async () => {
      const rows = await withTenant(database.db, tenantA, (tx) => tx.select().from(ticketHistory));
      expect(rows.map((r) => r.externalId)).toEqual(['A-1']);
      const similar = await findSimilarTickets(
        { db: database.db, tenantId: tenantA },
        'VPN fails after update',
        { limit: 5 },
      );
      expect(similar.map((t) => t.externalId)).toEqual(['A-1']);
    });

    it("addHistory refuses another tenant's id", async () => {
      await expect(
        withTenant(database.db, tenantA, (tx) =>
          addHistory({ db: database.db, tenantId: tenantB, tx }, [{ externalId: 'X-1', subject: 'planted' }]),
        ),
      ).rejects.toMatchObject({ cause: { message: expect.stringMatching(RLS_VIOLATION) } });
    });

    it("an operation joining a tenant's transaction cannot write under another tenant's id", async () => {
      const before = await ownerSnapshot();
      const rls = { cause: { message: expect.stringMatching(RLS_VIOLATION) } };
      await expect(
        withTenant(database.db, tenantA, (tx) =>
          upsertInventory({ db: database.db, tenantId: tenantB, tx }, [{ hostname: 'planted' }]),
        ),
      ).rejects.toMatchObject(rls);
      await expect(
        withTenant(database.db, tenantA, (tx) =>
          recordAudit({ db: database.db, tenantId: tenantB, tx }, { actor: 'test', action: 'planted' }),
        ),
      ).rejects.toMatchObject(rls);
      expect(await ownerSnapshot()).toBe(before);
    });

    it('the webhook lookup answers for one slug only, through the SECURITY DEFINER function', async () => {
      const found = await findWebhookTenant(database.db, 'tenant-b');
      expect(found).toMatchObject({ id: tenantB, status: 'active', webhookTokenEnabled: false });
      expect(
        box.decrypt(found?.webhookSecretEnc ?? '', { tenantId: tenantB, purpose: 'webhook_secret' }),
      ).toMatch(/^[\w-]{43}$/);
      expect(await findWebhookTenant(database.db, 'nobody')).toBeNull();
    });

    it('the tenant directory lists every tenant without any secret column', async () => {
      const result = await database.pool.query('select * from tenant_directory()');
      expect(result.rows.map((r) => r.slug)).toEqual(['tenant-a', 'tenant-b']);
      expect(result.fields.map((f) => f.name).filter((n) => /secret_enc|credentials/.test(n))).toEqual([]);
      expect(JSON.stringify(result.rows)).not.toMatch(/v[12]\.[0-9a-f]{12}\./);
    });

    it('secrets are stored encrypted', async () => {
      const raw = await withTenant(database.db, tenantA, (tx) =>
        tx.execute<{ c: string }>(sql`select sdp_credentials_enc as c from connections`),
      );
      expect(raw.rows[0]?.c).toMatch(/^v2\./);
      expect(raw.rows[0]?.c).not.toContain('tenant-a-key');
    });
  });
}
