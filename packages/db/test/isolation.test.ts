import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addHistory,
  createDatabase,
  createTenant,
  type Database,
  findSimilarTickets,
  findWebhookTenant,
  ticketHistory,
  withTenant,
} from '../src/index.js';

const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let database: Database;
let tenantA: string;
let tenantB: string;

async function tenant(slug: string): Promise<string> {
  const { tenant } = await createTenant(database.db, box, {
    slug,
    name: slug,
    sdpBaseUrl: 'https://sdp.example.test',
    sdpAuthType: 'onprem',
    sdpCredentials: { type: 'onprem', technicianKey: `${slug}-key` },
    actor: 'test',
  });
  return tenant.id;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  // One connection: every transaction below reuses the same pooled connection.
  database = createDatabase({ url: testDb.appUrl, max: 1 });
  tenantA = await tenant('tenant-a');
  tenantB = await tenant('tenant-b');
  await withTenant(database.db, tenantA, (tx) =>
    addHistory(tx, tenantA, [
      {
        externalId: 'A-1',
        subject: 'VPN client fails after Windows update',
        resolution: 'Reinstalled VPN client',
      },
    ]),
  );
  await withTenant(database.db, tenantB, (tx) =>
    addHistory(tx, tenantB, [
      {
        externalId: 'B-1',
        subject: 'VPN client fails after Windows update',
        resolution: 'Rolled back update',
      },
    ]),
  );
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('tenant isolation under the application role', () => {
  it("a tenant's transaction sees only its own history, even for an identical ticket", async () => {
    const rows = await withTenant(database.db, tenantA, (tx) => tx.select().from(ticketHistory));
    expect(rows.map((r) => r.externalId)).toEqual(['A-1']);
    const similar = await withTenant(database.db, tenantA, (tx) =>
      findSimilarTickets(tx, 'VPN fails after update', { limit: 5 }),
    );
    expect(similar.map((t) => t.externalId)).toEqual(['A-1']);
  });

  it("cannot read, change or delete another tenant's rows by naming them", async () => {
    await withTenant(database.db, tenantA, async (tx) => {
      const read = await tx.execute(sql`select * from ticket_history where tenant_id = ${tenantB}`);
      const updated = await tx.execute(
        sql`update ticket_history set subject = 'x' where tenant_id = ${tenantB}`,
      );
      const deleted = await tx.execute(sql`delete from ticket_history where tenant_id = ${tenantB}`);
      expect([read.rows.length, updated.rowCount, deleted.rowCount]).toEqual([0, 0, 0]);
    });
    const bRows = await withTenant(database.db, tenantB, (tx) => tx.select().from(ticketHistory));
    expect(bRows.map((r) => [r.externalId, r.subject])).toEqual([
      ['B-1', 'VPN client fails after Windows update'],
    ]);
  });

  it("cannot insert rows under another tenant's id", async () => {
    await expect(
      withTenant(database.db, tenantA, (tx) =>
        addHistory(tx, tenantB, [{ externalId: 'X-1', subject: 'planted' }]),
      ),
    ).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/violates row-level security policy/) },
    });
  });

  it('the tenant setting does not survive its transaction on the reused pooled connection', async () => {
    await withTenant(database.db, tenantA, (tx) => tx.select().from(ticketHistory));
    const after = await database.pool.query(
      "select current_setting('app.tenant_id', true) as tenant, (select count(*)::int from ticket_history) as visible",
    );
    expect(after.rows[0]).toEqual({ tenant: '', visible: 0 });
  });

  it('with no tenant context nothing is visible and nothing can be written', async () => {
    expect((await database.pool.query('select count(*)::int as n from tenants')).rows[0].n).toBe(0);
    await expect(
      database.pool.query(
        "insert into ticket_history (tenant_id, external_id, subject) values ($1, 'Z', 'z')",
        [tenantA],
      ),
    ).rejects.toThrow(/violates row-level security policy/);
  });

  it('the webhook lookup answers for one slug only, through the SECURITY DEFINER function', async () => {
    const found = await findWebhookTenant(database.db, 'tenant-b');
    expect(found).toMatchObject({ id: tenantB, status: 'active' });
    expect(box.decrypt(found?.webhookSecretEnc ?? '')).toMatch(/^[\w-]{43}$/);
    expect(await findWebhookTenant(database.db, 'nobody')).toBeNull();
  });

  it('secrets are stored encrypted', async () => {
    const raw = await withTenant(database.db, tenantA, (tx) =>
      tx.execute<{ c: string }>(sql`select sdp_credentials_enc as c from tenants`),
    );
    expect(raw.rows[0]?.c).toMatch(/^v1\./);
    expect(raw.rows[0]?.c).not.toContain('tenant-a-key');
  });
});
