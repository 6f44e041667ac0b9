import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceReconcileCursor,
  createDatabase,
  type Database,
  loadReconcileCursor,
  loadTenantAndClaim,
  MIGRATIONS_FOLDER,
  requestsWithoutEnhancement,
  setTenantStatus,
} from '../src/index.js';

let testDb: TestDatabase;
let database: Database;
const box = createSecretBox(randomBytes(32).toString('base64'));

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 2 });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const scopeOf = (tenantId: string) => ({ db: database.db, tenantId });

describe('the reconcile cursor', () => {
  it('starts when the tenant is added, and only moves forward', async () => {
    const { tenant } = await testTenant(database.db, box);
    expect(await loadReconcileCursor(scopeOf(tenant.id))).toEqual({
      sweptTo: tenant.createdAt,
      addedAt: tenant.createdAt,
    });

    const later = new Date(tenant.createdAt.getTime() + 60_000);
    await advanceReconcileCursor(scopeOf(tenant.id), later);
    expect((await loadReconcileCursor(scopeOf(tenant.id)))?.sweptTo).toEqual(later);
    // A --since sweep over an older range leaves the later cursor where it is.
    await advanceReconcileCursor(scopeOf(tenant.id), new Date(tenant.createdAt.getTime() - 86_400_000));
    expect((await loadReconcileCursor(scopeOf(tenant.id)))?.sweptTo).toEqual(later);
  });

  it('starts again when a disabled tenant is enabled: the disabled time is not investigated', async () => {
    const { tenant } = await testTenant(database.db, box);
    await setTenantStatus(scopeOf(tenant.id), 'disabled', 'test');
    const enabledAt = Date.now();
    await setTenantStatus(scopeOf(tenant.id), 'active', 'test');
    const cursor = await loadReconcileCursor(scopeOf(tenant.id));
    expect(cursor?.sweptTo.getTime()).toBeGreaterThanOrEqual(enabledAt);
    expect(cursor?.addedAt).toEqual(tenant.createdAt);
  });

  it("is each tenant's own: another tenant's scope neither sees nor moves it", async () => {
    const { tenant: a } = await testTenant(database.db, box);
    const { tenant: b } = await testTenant(database.db, box);
    const aLater = new Date(a.createdAt.getTime() + 5_000);
    await advanceReconcileCursor(scopeOf(a.id), aLater);
    expect((await loadReconcileCursor(scopeOf(b.id)))?.sweptTo).toEqual(b.createdAt);
    // Outside a tenant's transaction the application role can write no cursor at all.
    await expect(
      database.pool.query('insert into reconcile_cursors (tenant_id, swept_to) values ($1, now())', [a.id]),
    ).rejects.toThrow(/row-level security/);
  });

  it('names the requests that have no request.created enhancement yet', async () => {
    const { tenant } = await testTenant(database.db, box);
    const { tenant: other } = await testTenant(database.db, box);
    const claim = (tenantId: string, requestId: string, event = 'request.created') =>
      loadTenantAndClaim(scopeOf(tenantId), { eventId: `e-${event}-${requestId}`, event, requestId });
    await claim(tenant.id, '101');
    await claim(tenant.id, '103', 'request.resolved');
    await claim(other.id, '102');
    expect(await requestsWithoutEnhancement(scopeOf(tenant.id), ['101', '102', '103'])).toEqual([
      '102',
      '103',
    ]);
    expect(await requestsWithoutEnhancement(scopeOf(tenant.id), [])).toEqual([]);
  });
});

describe('upgrading to the reconcile cursor', () => {
  it('gives every installed tenant a cursor at migration time, so the upgrade investigates no backlog', async () => {
    const upgrade = await createTestDatabase('aiagents_recupgrade');
    const older = mkdtempSync(join(tmpdir(), 'ai-agents-migrations-'));
    const client = new pg.Client({ connectionString: upgrade.ownerUrl });
    await client.connect();
    try {
      cpSync(MIGRATIONS_FOLDER, older, { recursive: true });
      const journalPath = join(older, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
      const index = journal.entries.findIndex((e: { tag: string }) => e.tag.endsWith('_reconcile_cursors'));
      journal.entries = journal.entries.slice(0, index);
      writeFileSync(journalPath, JSON.stringify(journal));
      await client.query('drop schema public cascade; create schema public; drop schema drizzle cascade');
      const db = drizzle({ client });
      await migrate(db, { migrationsFolder: older });
      await client.query(
        `insert into tenants (id, slug, name, sdp_base_url, sdp_auth_type, sdp_credentials_enc, webhook_secret_enc, created_at)
         values (gen_random_uuid(), 'installed', 'Installed', 'http://127.0.0.1:9', 'onprem', 'x', 'x', now() - interval '90 days')`,
      );
      const before = Date.now();
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      const { rows } = await client.query<{ swept_to: Date }>('select swept_to from reconcile_cursors');
      expect(rows).toHaveLength(1);
      expect(rows[0]?.swept_to.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    } finally {
      await client.end();
      rmSync(older, { recursive: true, force: true });
      await upgrade.drop();
    }
  });
});
