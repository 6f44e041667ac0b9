import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionRow,
  createConnection,
  createDatabase,
  createTenant,
  type Database,
  inConnection,
  listConnections,
  listTenants,
  loadConnection,
  loadTenant,
  replaceConnectionCredentials,
  withTenant,
} from '../src/index.js';

// Connections (migration 0020) as the application role: what a tenant's transaction may see and do
// with its connection, the mapping of MSP accounts to tenants, and one credential rotation for all.

const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let database: Database;
let msp: ConnectionRow;

const credentials = { type: 'onprem', technicianKey: 'msp-key' };

async function mapAccount(slug: string, sdpAccountId: string | null, connection = msp) {
  return createTenant(database.db, box, {
    slug,
    name: slug,
    connection: { id: connection.id, edition: connection.edition },
    sdpAccountId,
    sdpAccountName: sdpAccountId ? `Account ${sdpAccountId}` : null,
    actor: 'test',
  });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 2 });
  const created = await createConnection(database.db, box, {
    slug: 'acme-msp',
    name: 'Acme MSP',
    edition: 'msp-onprem',
    sdpBaseUrl: 'https://msp.acme.example',
    sdpCredentials: credentials,
  });
  if (created.outcome !== 'created') throw new Error(created.outcome);
  msp = created.connection;
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('tenants of an MSP connection', () => {
  it('maps one tenant per account, loaded with the connection it shares', async () => {
    const a = await mapAccount('customer-a', '301');
    const b = await mapAccount('customer-b', '302');
    if (a.outcome !== 'created' || b.outcome !== 'created') throw new Error('not created');
    const loaded = await loadTenant({ db: database.db, tenantId: b.tenant.id });
    expect(loaded).toMatchObject({
      slug: 'customer-b',
      sdpAccountId: '302',
      sdpAccountName: 'Account 302',
      connection: {
        id: msp.id,
        slug: 'acme-msp',
        edition: 'msp-onprem',
        sdpBaseUrl: 'https://msp.acme.example',
      },
    });
    expect(a.tenant.connection.sdpCredentialsEnc).toBe(loaded?.connection.sdpCredentialsEnc);
    const listed = (await listConnections(database.db)).find((c) => c.slug === 'acme-msp');
    expect(listed).toMatchObject({ tenants: 2, edition: 'msp-onprem', hasWebhookSecret: true });
    expect((await listTenants(database.db)).find((t) => t.slug === 'customer-a')).toMatchObject({
      connectionSlug: 'acme-msp',
      sdpAccountId: '301',
      sdpBaseUrl: 'https://msp.acme.example',
    });
  });

  it('refuses a duplicate account, a missing account on MSP and an account on a single portal', async () => {
    expect((await mapAccount('customer-a2', '301')).outcome).toBe('account_taken');
    expect((await mapAccount('no-account', null)).outcome).toBe('account_required');
    const own = await testTenant(database.db, box, { slug: 'single' });
    const single = { ...own.tenant.connection } as unknown as ConnectionRow;
    expect((await mapAccount('second-on-single', '5', single)).outcome).toBe('account_not_allowed');
    // A single portal has at most one tenant: null is one value of (connection, account).
    expect((await mapAccount('second-on-single', null, single)).outcome).toBe('account_taken');
  });

  it("shows a tenant its own connection only, read-only, and never another's", async () => {
    const mine = await testTenant(database.db, box, { slug: 'mine' });
    const other = await testTenant(database.db, box, { slug: 'other' });
    const seen = await withTenant(database.db, mine.tenant.id, async (tx) => {
      const rows = await tx.execute<{ id: string }>(sql`select id from connections`);
      const updated = await tx.execute(sql`update connections set name = 'hijacked'`);
      return { ids: rows.rows.map((r) => r.id), updated: updated.rowCount };
    });
    expect(seen).toEqual({ ids: [mine.tenant.connection.id], updated: 0 });
    expect(other.tenant.connection.id).not.toBe(mine.tenant.connection.id);
    // No scope: nothing.
    expect((await database.pool.query('select count(*)::int as n from connections')).rows[0].n).toBe(0);
    // The connection's own scope sees it and nothing else.
    const inOwnScope = await inConnection({ db: database.db, connectionId: msp.id }, 'statement', (tx) =>
      tx.execute<{ slug: string }>(sql`select slug from connections`),
    );
    expect(inOwnScope.rows.map((r) => r.slug)).toEqual(['acme-msp']);
  });

  it('replaces the credentials once for every tenant of the connection', async () => {
    const tenants = (await listTenants(database.db)).filter((t) => t.connectionId === msp.id);
    const before = await loadConnection({ db: database.db, connectionId: msp.id });
    const newCredentials = { type: 'onprem', technicianKey: 'rotated-key' };
    const replaced = await replaceConnectionCredentials({ db: database.db, connectionId: msp.id }, box, {
      authType: 'onprem',
      credentials: newCredentials,
      checked: true,
    });
    expect(replaced).toEqual({ previousAuthType: 'onprem', edition: 'msp-onprem' });
    for (const t of tenants) {
      const loaded = await loadTenant({ db: database.db, tenantId: t.id });
      const opened = box.decrypt(loaded?.connection.sdpCredentialsEnc ?? '', {
        tenantId: msp.id,
        purpose: 'sdp_credentials',
      });
      expect(JSON.parse(opened)).toEqual(newCredentials);
      expect(loaded?.connection.updatedAt.getTime()).toBeGreaterThan(before?.updatedAt.getTime() ?? 0);
    }
  });
});
