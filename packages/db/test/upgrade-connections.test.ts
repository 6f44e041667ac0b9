import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  LOCAL_APP_PASSWORD,
  LOCAL_APP_ROLE,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  createTenant,
  type Database,
  findWebhookTenant,
  listTenants,
  loadTenant,
  MIGRATIONS_FOLDER,
  runMigrations,
} from '../src/index.js';

// Upgrading an installation of the release before connections (migration 0020_connections): every
// tenant gets a connection with its own id and slug, holding its portal and credentials (the same
// ciphertext, still readable: it is bound to that id), and everything a tenant did keeps working.

const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let older: string;
let database: Database;

const onprem = { id: randomUUID(), slug: 'contoso', url: 'https://sdp.contoso.example', auth: 'onprem' };
const cloud = {
  id: randomUUID(),
  slug: 'fabrikam',
  url: 'https://sdpondemand.manageengine.eu/app/it',
  auth: 'cloud',
};
const credentials = (t: typeof onprem) =>
  t.auth === 'onprem'
    ? { type: 'onprem', technicianKey: `${t.slug}-key` }
    : { type: 'cloud', clientId: 'c', clientSecret: 's', refreshToken: `${t.slug}-refresh` };

/** The migrations folder as the release before connections shipped it (found by tag). */
function folderBeforeConnections(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-agents-migrations-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
  const first = journal.entries.findIndex((e: { tag: string }) => e.tag.endsWith('_connections'));
  journal.entries = journal.entries.slice(0, first);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

/** Two tenants as the previous release stored them (the CLI's own insert, scoped to each tenant). */
async function seedPreviousRelease(client: pg.Client): Promise<void> {
  for (const t of [onprem, cloud]) {
    await client.query('begin');
    await client.query(`select set_config('app.tenant_id', $1, true)`, [t.id]);
    await client.query(
      `insert into tenants (id, slug, name, sdp_base_url, sdp_auth_type, sdp_credentials_enc, webhook_secret_enc)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [
        t.id,
        t.slug,
        `${t.slug} Ltd`,
        t.url,
        t.auth,
        box.encrypt(JSON.stringify(credentials(t)), { tenantId: t.id, purpose: 'sdp_credentials' }),
        box.encrypt(`${t.slug}-webhook-secret`, { tenantId: t.id, purpose: 'webhook_secret' }),
      ],
    );
    await client.query(
      `insert into enhancements (tenant_id, sdp_request_id, event_id, event) values ($1, '7', 'e-1', 'request.created')`,
      [t.id],
    );
    await client.query('commit');
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase('aiagents_upgrade_conn');
  older = folderBeforeConnections();
  const client = new pg.Client({ connectionString: testDb.ownerUrl });
  await client.connect();
  try {
    await client.query('drop schema public cascade; create schema public; drop schema drizzle cascade');
    await migrate(drizzle({ client }), { migrationsFolder: older });
    await seedPreviousRelease(client);
  } finally {
    await client.end();
  }
  await runMigrations({
    databaseUrl: testDb.ownerUrl,
    appRole: LOCAL_APP_ROLE,
    appPassword: LOCAL_APP_PASSWORD,
  });
  database = createDatabase({ url: testDb.appUrl, max: 2 });
});

afterAll(async () => {
  await database?.close();
  rmSync(older, { recursive: true, force: true });
  await testDb?.drop();
});

describe('upgrading to connections (migration 0020)', () => {
  it('gives each tenant a connection with its id, slug, portal, edition and the same credentials', async () => {
    for (const t of [onprem, cloud]) {
      const tenant = await loadTenant({ db: database.db, tenantId: t.id });
      expect(tenant).toMatchObject({
        slug: t.slug,
        connectionId: t.id,
        sdpAccountId: null,
        sdpAccountName: null,
        connection: { id: t.id, slug: t.slug, edition: t.auth, sdpBaseUrl: t.url, sdpAuthType: t.auth },
      });
      const opened = box.decrypt(tenant?.connection.sdpCredentialsEnc ?? '', {
        tenantId: t.id,
        purpose: 'sdp_credentials',
      });
      expect(JSON.parse(opened)).toEqual(credentials(t));
    }
  });

  it('keeps each tenant reachable at its webhook URL with its secret, and listed with its portal', async () => {
    for (const t of [onprem, cloud]) {
      const found = await findWebhookTenant(database.db, t.slug);
      expect(found).toMatchObject({ id: t.id, status: 'active' });
      expect(box.decrypt(found?.webhookSecretEnc ?? '', { tenantId: t.id, purpose: 'webhook_secret' })).toBe(
        `${t.slug}-webhook-secret`,
      );
    }
    expect(
      (await listTenants(database.db)).map((t) => [t.slug, t.sdpBaseUrl, t.sdpAuthType, t.edition]),
    ).toEqual([
      ['contoso', onprem.url, 'onprem', 'onprem'],
      ['fabrikam', cloud.url, 'cloud', 'cloud'],
    ]);
  });

  it('drops the moved columns from tenants and leaves connections without a webhook secret of their own', async () => {
    const owner = new pg.Client({ connectionString: testDb.ownerUrl });
    await owner.connect();
    try {
      const columns = await owner.query(
        `select column_name from information_schema.columns where table_name = 'tenants' and column_name like 'sdp_%' order by 1`,
      );
      expect(columns.rows.map((r) => r.column_name)).toEqual(['sdp_account_id', 'sdp_account_name']);
      const secrets = await owner.query(
        'select count(*)::int as n from connections where webhook_secret_enc is not null',
      );
      expect(secrets.rows[0].n).toBe(0);
    } finally {
      await owner.end();
    }
  });

  it('keeps adding tenants as before, and refuses a new one whose connection slug is taken', async () => {
    const plain = (slug: string) =>
      createTenant(database.db, box, {
        slug,
        name: slug,
        sdpBaseUrl: `https://sdp.${slug}.example`,
        sdpAuthType: 'onprem',
        sdpCredentials: { type: 'onprem', technicianKey: 'k' },
        actor: 'test',
      });
    expect((await plain('northwind')).outcome).toBe('created');
    // A second `contoso` is refused as a tenant's slug; a slug only a connection has, as the connection's.
    expect((await plain('contoso')).outcome).toBe('slug_taken');
  });
});
