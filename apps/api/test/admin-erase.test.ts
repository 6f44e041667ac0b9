import { createDatabase, type Database, findTenantTables, listTenants } from '@ai-agents/db';
import { TEST_REDIS_URL, type TestDatabase, testQueuePrefix } from '@ai-agents/sandbox';
import { createSecretBox, EVENTS_QUEUE, loadConfig } from '@ai-agents/shared';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseBySlug } from '../src/admin/commands/tenant-erase.js';
import type { AdminContext } from '../src/admin/context.js';
import { addTenant, admin, adminQueueDatabase } from './support/run-admin.js';
import { seedFinishedJobs, seedTenantRedis, seedTenantRows } from './support/tenant-data.js';

const prefix = testQueuePrefix();
const SLUGS = ['alpha', 'beta', 'gamma'] as const;
let testDb: TestDatabase;
let database: Database;
let owner: pg.Client;
let redis: Redis;
let queue: Queue;
const ids: Record<string, string> = {};

beforeAll(async () => {
  testDb = await adminQueueDatabase(prefix);
  database = createDatabase({ url: testDb.appUrl, max: 2 });
  owner = new pg.Client({ connectionString: testDb.ownerUrl });
  await owner.connect();
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(EVENTS_QUEUE, { connection: redis, prefix });
  for (const slug of SLUGS)
    expect((await addTenant({ slug, sdpUrl: `https://sdp.${slug}.example` })).code).toBe(0);
  for (const t of await listTenants(database.db)) ids[t.slug] = t.id;
  for (const slug of SLUGS) {
    await seedTenantRows(database, ids[slug] as string, 40);
    await seedFinishedJobs(redis, queue, prefix, ids[slug] as string);
  }
  for (const slug of SLUGS) await seedTenantRedis(redis, queue, prefix, ids[slug] as string);
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => {});
  await queue?.close();
  redis?.disconnect();
  await owner?.end();
  await database?.close();
  await testDb?.drop();
});

/** Rows of the tenant per tenant table (and tenants), read as the owner: what a DBA would see. */
async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await findTenantTables(database.db)) {
    const { rows } = await owner.query(`select count(*)::int as n from ${table} where tenant_id = $1`, [
      tenantId,
    ]);
    counts[table] = rows[0].n;
  }
  const { rows } = await owner.query('select count(*)::int as n from tenants where id = $1', [tenantId]);
  counts.tenants = rows[0].n;
  return counts;
}

/** Everything of the tenant, as content: each table's rows and each of its Redis keys and jobs. */
async function snapshot(tenantId: string) {
  const tables: Record<string, string> = {};
  for (const table of [...(await findTenantTables(database.db)), 'tenants']) {
    const column = table === 'tenants' ? 'id' : 'tenant_id';
    const { rows } = await owner.query(
      `select coalesce(string_agg(to_jsonb(t)::text, '|' order by to_jsonb(t)::text), '') as s from ${table} t where ${column} = $1`,
      [tenantId],
    );
    tables[table] = rows[0].s;
  }
  const keys = (await redis.keys(`${prefix}:*${tenantId}*`)).sort();
  const values = await Promise.all(keys.map(async (k) => [k, (await redis.dumpBuffer(k))?.toString('hex')]));
  const jobs: Record<string, string[]> = {};
  for (const state of ['waiting', 'delayed', 'failed', 'completed'] as const) {
    jobs[state] = (await queue.getJobs([state], 0, -1))
      .filter((j) => j.data.tenantId === tenantId)
      .map((j) => `${j.id}:${JSON.stringify(j.data)}`)
      .sort();
  }
  return { tables, values, jobs };
}

const allZero = (counts: Record<string, number>) => Object.values(counts).every((n) => n === 0);

describe('admin tenant erase', () => {
  it('starts from data in every tenant table the schema has, and Redis keys and jobs of every kind', async () => {
    const counts = await rowsOf(ids.alpha as string);
    for (const [table, n] of Object.entries(counts))
      expect({ table, n }).toEqual({ table, n: expect.any(Number) });
    // A table added with a tenant_id and no rows here makes this fail: seed it in support/tenant-data.ts.
    expect(Object.entries(counts).filter(([, n]) => n === 0)).toEqual([]);
    const jobs = (await snapshot(ids.alpha as string)).jobs;
    expect(Object.values(jobs).map((j) => j.length)).toEqual([1, 1, 1, 1]);
  });

  it('refuses a second slug that differs (exit 2), an active tenant and an unknown slug (exit 1)', async () => {
    expect(await admin('tenant', 'erase', 'alpha', '--confirm', 'alpah')).toMatchObject({
      code: 2,
      err: 'error: --confirm must repeat the slug exactly ("alpha"); nothing was erased\n',
    });
    expect(await admin('tenant', 'erase', 'alpha')).toMatchObject({ code: 2 });
    const active = await admin('tenant', 'erase', 'alpha', '--confirm', 'alpha');
    expect(active).toMatchObject({
      code: 1,
      err: expect.stringContaining('tenant "alpha" is active; disable it first'),
    });
    expect(await admin('tenant', 'erase', 'nobody', '--confirm', 'nobody')).toMatchObject({
      code: 1,
      err: 'error: no tenant with slug "nobody" (see: tenant list)\n',
    });
    expect(allZero(await rowsOf(ids.alpha as string))).toBe(false);
  });

  it('erases a disabled tenant whole, proves it, and leaves every row and key of the others as it was', async () => {
    const before = { beta: await snapshot(ids.beta as string), gamma: await snapshot(ids.gamma as string) };
    expect((await admin('tenant', 'disable', 'alpha')).code).toBe(0);
    const seeded = await rowsOf(ids.alpha as string);
    const { code, out } = await admin(
      '--json',
      '--actor',
      'ops-kim',
      'tenant',
      'erase',
      'alpha',
      '--confirm',
      'alpha',
    );
    expect(code).toBe(0);
    const printed = JSON.parse(out);
    expect(printed).toMatchObject({ slug: 'alpha', complete: true, left: { redis: { jobs: 0, keys: 0 } } });
    expect(allZero(printed.left.rows)).toBe(true);
    expect(Object.keys(printed.left.rows).sort()).toEqual(Object.keys(seeded).sort());
    // What is really left, not what the command says.
    expect(allZero(await rowsOf(ids.alpha as string))).toBe(true);
    expect(await redis.keys(`${prefix}:*${ids.alpha}*`)).toEqual([]);
    expect(Object.values((await snapshot(ids.alpha as string)).jobs).flat()).toEqual([]);
    expect(await redis.exists(`${prefix}:${EVENTS_QUEUE}:waiting-${ids.alpha}`)).toBe(0);
    expect(await snapshot(ids.beta as string)).toEqual(before.beta);
    expect(await snapshot(ids.gamma as string)).toEqual(before.gamma);
    // The one audit record: who, when, how many; no content.
    const { rows } = await owner.query('select * from erasure_log');
    expect(rows).toEqual([
      expect.objectContaining({ erased_tenant_id: ids.alpha, slug: 'alpha', actor: 'ops-kim', runs: 1 }),
    ]);
    expect(rows[0].rows_deleted).toEqual(seeded);
    expect(printed.rows_deleted).toEqual(seeded);
    expect(rows[0].finished_at).toBeInstanceOf(Date);
    expect(JSON.stringify(rows[0])).not.toMatch(/Printer|spooler|Ana Lopez|Wrong printer/);
  });

  it('says so again, with a fresh proof, when the erased slug is erased again', async () => {
    const { code, out } = await admin('tenant', 'erase', 'alpha', '--confirm', 'alpha');
    expect(code).toBe(0);
    expect(out).toContain('Tenant alpha is erased: nothing of it is left.');
    expect(out).toMatch(/ticket_history\s+0 rows/);
  });

  it('finishes on a re-run what a crash half-way left, counting every row once', async () => {
    expect((await admin('tenant', 'disable', 'beta')).code).toBe(0);
    const seeded = await rowsOf(ids.beta as string);
    let batches = 0;
    const crash = async () => {
      if (++batches === 5) throw new Error('killed half-way');
    };
    await expect(
      onAdminContext((deps) => eraseBySlug(deps, 'beta', { batchRows: 7, onBatch: crash })),
    ).rejects.toThrow('killed half-way');
    const half = await rowsOf(ids.beta as string);
    expect(allZero(half)).toBe(false);
    expect(half.tenants).toBe(1);
    const { code, out } = await admin('--json', 'tenant', 'erase', 'beta', '--confirm', 'beta');
    expect(code).toBe(0);
    expect(JSON.parse(out).complete).toBe(true);
    expect(allZero(await rowsOf(ids.beta as string))).toBe(true);
    const { rows } = await owner.query('select runs, rows_deleted from erasure_log where slug = $1', [
      'beta',
    ]);
    expect(rows[0].runs).toBe(2);
    expect(rows[0].rows_deleted).toEqual(seeded);
  });

  it('covers a tenant table added later without an edit, even one the application role cannot read', async () => {
    await owner.query(`create table later_feature (
      id serial primary key, tenant_id uuid not null references tenants(id) on delete cascade, body text)`);
    await owner.query('alter table later_feature enable row level security');
    await owner.query('alter table later_feature force row level security');
    await owner.query(
      'create policy later_feature_all on later_feature using (tenant_id = current_tenant_id())',
    );
    for (const slug of ['beta', 'gamma'])
      await owner.query(
        'insert into later_feature (tenant_id, body) select $1, $2 from generate_series(1, 12)',
        [ids.gamma, slug],
      );
    expect(await findTenantTables(database.db)).toContain('later_feature');
    expect((await admin('tenant', 'disable', 'gamma')).code).toBe(0);
    const { code, out } = await admin('--json', 'tenant', 'erase', 'gamma', '--confirm', 'gamma');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      complete: true,
      rows_deleted: { later_feature: 24, tenants: 1 },
    });
    expect(allZero(await rowsOf(ids.gamma as string))).toBe(true);
  });
  it("erases a connection's last tenant with the connection and its keys, and leaves a shared one", async () => {
    const add = await admin(
      '--json',
      'connection',
      'add',
      '--slug',
      'msp',
      '--name',
      'MSP',
      '--sdp-url',
      'https://msp.example',
      '--sdp-auth',
      'onprem',
      '--edition',
      'msp-onprem',
    );
    const connectionId = JSON.parse(add.out).id as string;
    for (const [slug, account] of [
      ['cust-1', '11'],
      ['cust-2', '12'],
    ] as const) {
      const mapped = await admin(
        'tenant',
        'add',
        '--slug',
        slug,
        '--name',
        slug,
        '--connection',
        'msp',
        '--sdp-account-id',
        account,
      );
      expect(mapped.code).toBe(0);
      expect((await admin('tenant', 'disable', slug)).code).toBe(0);
    }
    const budget = `${prefix}:ratelimit:sdp:${connectionId}`;
    await redis.set(budget, '1');
    const connections = async () =>
      (await owner.query('select count(*)::int as n from connections where id = $1', [connectionId])).rows[0]
        .n;
    expect((await admin('tenant', 'erase', 'cust-1', '--confirm', 'cust-1')).code).toBe(0);
    expect([await connections(), await redis.exists(budget)]).toEqual([1, 1]);
    expect((await admin('tenant', 'erase', 'cust-2', '--confirm', 'cust-2')).code).toBe(0);
    expect([await connections(), await redis.exists(budget)]).toEqual([0, 0]);
  });
});

/** The erasure with a failure injected, on the CLI's own context (as `withQueue` builds it). */
async function onAdminContext<T>(fn: (deps: Parameters<typeof eraseBySlug>[0]) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, 'admin');
  const db = createDatabase({ url: config.databaseUrl, max: 2 });
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const q = new Queue(EVENTS_QUEUE, { connection, prefix: config.queuePrefix });
  const ctx: AdminContext = {
    config,
    database: db,
    box: createSecretBox(config.encryptionKey, config.encryptionKeys),
    actor: 'ops-kim',
    json: true,
    print: () => {},
  };
  try {
    return await fn({ ctx, queue: q, redis: connection });
  } finally {
    await q.close();
    connection.disconnect();
    await db.close();
  }
}
