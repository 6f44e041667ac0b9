import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDatabase,
  type Database,
  findAssets,
  findSimilarTickets,
  findWebhookTenant,
  loadTenant,
  type TenantRow,
  ticketHistory,
  withTenant,
} from '@ai-agents/db';
import {
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeServiceDesk,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { createServiceDeskClient } from '@ai-agents/servicedesk';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillFromSdp } from '../src/history/sdp-backfill.js';
import { addTenant, admin, adminDatabase } from './support/run-admin.js';

const technicianKey = 'history-test-key';
let testDb: TestDatabase;
let database: Database;
let sdp: FakeServiceDesk;
let dir: string;
let tenant: TenantRow;

async function csv(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const historyIds = () =>
  withTenant(database.db, tenant.id, async (tx) =>
    (await tx.select({ id: ticketHistory.externalId }).from(ticketHistory)).map((r) => r.id).sort(),
  );

beforeAll(async () => {
  testDb = await adminDatabase({
    ENCRYPTION_KEY: randomEncryptionKey(),
    SDP_TECHNICIAN_KEY: technicianKey,
    SDP_BACKFILL_REQUESTS_PER_SECOND: '100',
  });
  database = createDatabase({ url: testDb.appUrl });
  sdp = await startFakeServiceDesk({ technicianKeys: [technicianKey] });
  dir = await mkdtemp(join(tmpdir(), 'admin-history-'));
  for (const slug of ['litware', 'adatum']) {
    const added = await addTenant({ slug, sdpUrl: sdp.url });
    expect(added.code).toBe(0);
  }
  const found = await findWebhookTenant(database.db, 'adatum');
  tenant = (await loadTenant({ db: database.db, tenantId: found?.id as string })) as TenantRow;
});

afterAll(async () => {
  await sdp?.close();
  await database?.close();
  await testDb?.drop();
});

describe('admin history import --csv', () => {
  it('imports id,text rows (quoted, multi-line) into the tenant history and reports skipped rows', async () => {
    const file = await csv(
      'history.csv',
      'id,text,topic_group\nC1,"vpn keeps dropping, anyconnect reconnects",Access\nC2,"printer jams\non floor two",Hardware\nC3,,Hardware\n',
    );
    const { code, out } = await admin('history', 'import', '--tenant', 'litware', '--csv', file);
    expect(code).toBe(0);
    expect(out).toContain('Imported 2 tickets');
    expect(out).toContain('Skipped 1 row(s)');
    const litware = (await findWebhookTenant(database.db, 'litware'))?.id as string;
    const similar = await findSimilarTickets({ db: database.db, tenantId: litware }, 'printer jam', {
      limit: 5,
    });
    expect(similar.map((t) => [t.externalId, t.subject])).toEqual([['C2', 'printer jams']]);
    // Importing again updates instead of duplicating.
    expect((await admin('history', 'import', '--tenant', 'litware', '--csv', file)).code).toBe(0);
    const again = await findSimilarTickets({ db: database.db, tenantId: litware }, 'printer', { limit: 5 });
    expect(again).toHaveLength(1);
  });

  it('refuses a CSV without id/text columns, a missing file and an unknown tenant with clear errors', async () => {
    const bad = await csv('bad.csv', 'ticket,body\n1,x\n');
    expect(await admin('history', 'import', '--tenant', 'litware', '--csv', bad)).toMatchObject({
      code: 2,
      err: expect.stringContaining('no "id" column'),
    });
    expect(
      await admin('history', 'import', '--tenant', 'litware', '--csv', join(dir, 'nope.csv')),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('cannot read'),
    });
    const ok = await csv('ok.csv', 'id,text\n1,x\n');
    expect(await admin('history', 'import', '--tenant', 'nobody', '--csv', ok)).toMatchObject({
      code: 1,
      err: expect.stringContaining('no tenant with slug "nobody"'),
    });
    expect((await admin('history', 'import', '--tenant', 'litware')).code).toBe(2);
  });
});

describe('admin inventory import --csv', () => {
  it('imports systems that tickets then find by IP, hostname or asset tag', async () => {
    const file = await csv(
      'inventory.csv',
      'Hostname,IP Address,Asset Tag,Type,OS,Location\nFS01.litware.local,10.0.0.5,AST-1001,File server,Windows Server 2022,DC1\n,,AST-2002,Laptop,,\n,,,Nothing,,\n',
    );
    const { code, out } = await admin('inventory', 'import', '--tenant', 'litware', '--csv', file);
    expect(code).toBe(0);
    expect(out).toContain('Imported 2 systems');
    const litware = (await findWebhookTenant(database.db, 'litware'))?.id as string;
    const found = await findAssets(
      { db: database.db, tenantId: litware },
      { ips: [], names: ['fs01', 'ast-2002'] },
      { limit: 10 },
    );
    expect(found.map((a) => [a.hostname, a.assetTag, a.kind])).toEqual([
      ['fs01.litware.local', 'AST-1001', 'File server'],
      [null, 'AST-2002', 'Laptop'],
    ]);
    // Another tenant sees none of it.
    expect(
      await findAssets(
        { db: database.db, tenantId: tenant.id },
        { ips: ['10.0.0.5'], names: [] },
        { limit: 10 },
      ),
    ).toEqual([]);
  });
});

describe('admin history import --from-sdp', () => {
  beforeAll(() => {
    const day = 24 * 3600_000;
    for (let i = 1; i <= 230; i++) {
      sdp.addRequest({
        // ServiceDesk Plus ids are numbers; 9001…9230 keep these apart from the fake's own (500001…).
        id: `9${String(i).padStart(3, '0')}`,
        subject: `Resolved ticket ${i}`,
        description: `<p>Body of ticket ${i}</p>`,
        status: { name: i % 2 ? 'Resolved' : 'Closed' },
        resolved_time: { value: String(Date.UTC(2025, 0, 1) + i * day) },
        resolution: { content: `<p>Fix ${i}</p>` },
      });
    }
    for (let i = 1; i <= 15; i++) sdp.addRequest({ subject: `Open ticket ${i}`, status: { name: 'Open' } });
  });

  it('pages through resolved requests, stops on failure keeping finished pages, and resumes from its cursor', async () => {
    const client = createServiceDeskClient({ baseUrl: sdp.url, auth: { type: 'onprem', technicianKey } });
    // The portal starts failing after the first page: the run stops, the first page stays imported.
    await expect(
      backfillFromSdp(database.db, tenant, client, {
        requestsPerSecond: 1000,
        onProgress: (p) => p.page === 1 && sdp.setFault('getRequest', { status: 503 }),
      }),
    ).rejects.toThrow();
    expect(await historyIds()).toHaveLength(100);
    sdp.clearFaults();

    const fetchesBefore = sdp.calls.filter((c) => /\/requests\/9\d{3}$/.test(c.path)).length;
    const { code, out, err } = await admin('history', 'import', '--tenant', 'adatum', '--from-sdp');
    expect(code).toBe(0);
    expect(out).toContain('Resumed at request 101');
    expect(out).toContain('230 resolved tickets');
    expect(err).toMatch(/page 2: 230 tickets imported, done/);
    // Only the remaining 130 requests were fetched again.
    expect(sdp.calls.filter((c) => /\/requests\/9\d{3}$/.test(c.path)).length - fetchesBefore).toBe(130);
    const ids = await historyIds();
    expect(ids).toHaveLength(230);
    expect(ids.some((id) => !/^9\d{3}$/.test(id))).toBe(false);
    const [row] = await withTenant(database.db, tenant.id, (tx) =>
      tx.select().from(ticketHistory).where(eq(ticketHistory.externalId, '9007')),
    );
    expect(row).toMatchObject({
      subject: 'Resolved ticket 7',
      description: 'Body of ticket 7',
      resolution: 'Fix 7',
    });
  });

  it('with --since imports only requests resolved after the date (and --restart ignores the cursor)', async () => {
    const { code, out } = await admin(
      'history',
      'import',
      '--tenant',
      'adatum',
      '--from-sdp',
      '--since',
      '2025-08-01',
      '--restart',
    );
    expect(code).toBe(0);
    // 2025-01-01 + i days > 2025-08-01 ⇔ i > 212: requests 213..230.
    expect(out).toContain('18 resolved tickets');
    expect(
      (await admin('history', 'import', '--tenant', 'adatum', '--from-sdp', '--since', 'yesterday-ish')).code,
    ).toBe(2);
  });
});
