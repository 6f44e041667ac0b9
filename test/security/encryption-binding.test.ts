import { createCipheriv, randomBytes } from 'node:crypto';
import { createTenantAuth } from '@ai-agents/api';
import { createDatabase, type Database } from '@ai-agents/db';
import {
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeServiceDesk,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { createSecretBox, keyId } from '@ai-agents/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, admin, adminDatabase } from '../../apps/api/test/support/run-admin.js';

// Stored secrets are bound to their tenant and purpose: someone who can write the tenants table (a
// restored dump, a mistaken UPDATE, a compromised migration) cannot move one tenant's credentials or
// webhook secret to another tenant. Values from before the binding are rewritten by `keys rotate`.

const key = randomEncryptionKey();
const technicianKey = 'binding-technician-key-a1';
let testDb: TestDatabase;
let database: Database;
let owner: pg.Client;
let sdp: FakeServiceDesk;
const webhookSecrets: Record<string, string> = {};

async function add(slug: string) {
  const added = await addTenant({ slug, sdpUrl: sdp.url, json: true });
  expect(added.code).toBe(0);
  webhookSecrets[slug] = JSON.parse(added.out).webhook_secret;
}

async function row(slug: string): Promise<{ id: string; sdp: string; webhook: string }> {
  const { rows } = await owner.query(
    `select t.id, c.sdp_credentials_enc as sdp, t.webhook_secret_enc as webhook
       from tenants t join connections c on c.id = t.connection_id where t.slug = $1`,
    [slug],
  );
  return rows[0];
}

/** How values were stored before they were bound: AES-256-GCM with no additional data. */
function unboundV1(plaintext: string): string {
  const bytes = Buffer.from(key, 'base64');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', bytes, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    keyId(bytes),
    ...[iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url')),
  ].join('.');
}

beforeAll(async () => {
  testDb = await adminDatabase({
    ENCRYPTION_KEY: key,
    PUBLIC_BASE_URL: 'https://agents.msp.example',
    SDP_TECHNICIAN_KEY: technicianKey,
  });
  database = createDatabase({ url: testDb.appUrl, max: 2 });
  owner = new pg.Client({ connectionString: testDb.ownerUrl });
  await owner.connect();
  sdp = await startFakeServiceDesk({ technicianKeys: [technicianKey] });
  await add('tenant-a');
  await add('tenant-b');
});

afterAll(async () => {
  await owner?.end();
  await database?.close();
  await sdp?.close();
  await testDb?.drop();
});

describe('encrypted secrets bound to tenant and purpose', () => {
  it('keys rotate rewrites unbound values from before, and is idempotent', async () => {
    const a = await row('tenant-a');
    // A tenant of `tenant add` has a connection of its own, with its id.
    await owner.query('update connections set sdp_credentials_enc = $1 where id = $2', [
      unboundV1(JSON.stringify({ type: 'onprem', technicianKey })),
      a.id,
    ]);
    await owner.query('update tenants set webhook_secret_enc = $1 where id = $2', [
      unboundV1(webhookSecrets['tenant-a'] ?? ''),
      a.id,
    ]);
    const first = await admin('--json', 'keys', 'rotate');
    expect(JSON.parse(first.out)).toMatchObject({
      tenants: 2,
      connections: 2,
      reencrypted: 2,
      already_current: 2,
    });
    const after = await row('tenant-a');
    expect([after.sdp, after.webhook].every((v) => v.startsWith('v2.'))).toBe(true);
    const second = await admin('--json', 'keys', 'rotate');
    expect(JSON.parse(second.out)).toMatchObject({ reencrypted: 0, already_current: 4 });
    expect((await admin('tenant', 'check', 'tenant-a')).code).toBe(0);
  });

  it("a tenant's ServiceDesk Plus credentials copied into another tenant's row do not decrypt", async () => {
    const a = await row('tenant-a');
    await owner.query("update connections set sdp_credentials_enc = $1 where slug = 'tenant-b'", [a.sdp]);
    const check = await admin('tenant', 'check', 'tenant-b');
    expect(check.code).toBe(1);
    expect(check.err + check.out).toContain(
      'stored credentials unusable: Encrypted sdp_credentials value does not authenticate for this tenant',
    );
  });

  it("a webhook secret copied into another tenant's row is no secret of that tenant", async () => {
    const a = await row('tenant-a');
    await owner.query("update tenants set webhook_secret_enc = $1 where slug = 'tenant-b'", [a.webhook]);
    const auth = createTenantAuth({ db: database.db, box: createSecretBox(key), ttlMs: 0 });
    expect((await auth.lookup('tenant-a'))?.secrets).toEqual([webhookSecrets['tenant-a']]);
    expect((await auth.lookup('tenant-b'))?.secrets).toEqual([]);
  });

  it('the stored tag is the full 16 bytes, and a shortened one is refused', async () => {
    const a = await row('tenant-a');
    expect(Buffer.from(a.sdp.split('.')[3] ?? '', 'base64url')).toHaveLength(16);
    const parts = a.sdp.split('.');
    parts[3] = Buffer.from(parts[3] ?? '', 'base64url')
      .subarray(0, 4)
      .toString('base64url');
    await owner.query("update connections set sdp_credentials_enc = $1 where slug = 'tenant-a'", [
      parts.join('.'),
    ]);
    const check = await admin('tenant', 'check', 'tenant-a');
    expect(check.code).toBe(1);
    expect(check.err + check.out).toContain('the IV must be 12 bytes and the tag 16');
  });
});
