import { updateTenantSettings, withTenant } from '@ai-agents/db';
import { testTenant, waitFor } from '@ai-agents/sandbox';
import { RETENTION_SCHEDULER_ID } from '@ai-agents/shared';
import type { RunningWorker } from '@ai-agents/worker';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

/**
 * The daily retention job (issue 24, point 3) as the workers run it: real Postgres and Redis, two
 * workers in-process, installation defaults from the environment, per-tenant settings in the tenants
 * table. The scheduler's first job runs as soon as it is installed, on the rows set up before.
 */

let stack: Stack;
const workers: RunningWorker[] = [];
const tenants: Record<'byDefault' | 'longer' | 'keeps', string> = { byDefault: '', longer: '', keeps: '' };
const day = 86_400_000;

async function addAudit(tenantId: string, action: string, ageDays: number) {
  const at = new Date(Date.now() - ageDays * day).toISOString();
  await withTenant(stack.database.db, tenantId, (tx) =>
    tx.execute(sql`insert into audit_log (tenant_id, actor, action, created_at)
                   values (${tenantId}, 'test', ${action}, ${at})`),
  );
}

async function auditActions(tenantId: string): Promise<string[]> {
  const { rows } = await withTenant(stack.database.db, tenantId, (tx) =>
    tx.execute<{ action: string }>(
      sql`select action from audit_log where action like '%-days' order by action`,
    ),
  );
  return rows.map((r) => r.action);
}

async function completedRetentionJobs(): Promise<number> {
  return (await stack.queue.getJobs(['completed'])).filter((j) => j.name === 'retention-sweep').length;
}

async function removedCount(table: string): Promise<number> {
  let total = 0;
  for (const w of workers) {
    const metric = await w.metrics.registry.getSingleMetric('retention_rows_removed_total')?.get();
    for (const v of metric?.values ?? []) if (v.labels.table === table) total += v.value;
  }
  return total;
}

beforeAll(async () => {
  stack = await startStack({ env: { RETENTION_AUDIT_DAYS: '30', RETENTION_INTERVAL_HOURS: '24' } });
  const { db } = stack.database;
  tenants.byDefault = stack.tenantId;
  tenants.longer = (await testTenant(db, stack.box, { settings: { retentionAuditDays: 90 } })).tenant.id;
  tenants.keeps = (await testTenant(db, stack.box)).tenant.id;
  await updateTenantSettings({ db, tenantId: tenants.keeps }, { retentionAuditDays: 0 }, 'test');
  for (const tenantId of Object.values(tenants)) {
    await addAudit(tenantId, 'a-29-days', 29);
    await addAudit(tenantId, 'b-60-days', 60);
    await addAudit(tenantId, 'c-120-days', 120);
  }
  workers.push(await stack.startWorker(), await stack.startWorker());
  await waitFor(
    async () => ((await completedRetentionJobs()) >= 1 ? true : undefined),
    20_000,
    'a retention run',
  );
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('the daily retention job', () => {
  it("applies the installation's default, a tenant's longer setting, and a tenant's 'keep'", async () => {
    expect(await auditActions(tenants.byDefault)).toEqual(['a-29-days']);
    expect(await auditActions(tenants.longer)).toEqual(['a-29-days', 'b-60-days']);
    expect(await auditActions(tenants.keeps)).toEqual(['a-29-days', 'b-60-days', 'c-120-days']);
  });

  it('counts the rows it removed on retention_rows_removed_total by table', async () => {
    expect(await removedCount('audit_log')).toBe(3);
    expect(await removedCount('ticket_history')).toBe(0);
  });

  it('is scheduled once however many workers start: one scheduler, one run', async () => {
    workers.push(await stack.startWorker());
    const schedulers = (await stack.queue.getJobSchedulers()).filter((s) => s.key === RETENTION_SCHEDULER_ID);
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]?.every).toBe(86_400_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await completedRetentionJobs()).toBe(1);
  });
});
