import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyTenantRetention,
  createDatabase,
  type Database,
  daysBefore,
  monthsBefore,
  type RemovedRows,
  type RetentionPolicy,
  recordLlmExchange,
  removeOldAudit,
  removeOldEnhancements,
  updateTenantSettings,
  withTenant,
} from '../src/index.js';

// Retention against a real, migrated Postgres, as the application role (row-level security on).
// Ages are measured from the real clock: the database functions' floors use now().

let testDb: TestDatabase;
let database: Database;
const box = createSecretBox(randomBytes(32).toString('base64'));
const KEEP: RetentionPolicy = { historyMonths: 0, enhancementDays: 0, auditDays: 0, feedbackCommentDays: 0 };

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 2 });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const scopeOf = (tenantId: string) => ({ db: database.db, tenantId });
const second = 1_000;
const iso = (d: Date) => d.toISOString();

async function newTenant(): Promise<string> {
  return (await testTenant(database.db, box)).tenant.id;
}

function exec(tenantId: string, query: ReturnType<typeof sql>) {
  return withTenant(database.db, tenantId, (tx) => tx.execute<Record<string, unknown>>(query));
}

async function addHistory(
  tenantId: string,
  subject: string,
  resolvedAt: Date | null,
  createdAt = new Date(),
) {
  await exec(
    tenantId,
    sql`insert into ticket_history (tenant_id, external_id, subject, description, resolved_at, created_at)
        values (${tenantId}, ${randomUUID()}, ${subject}, 'printer jammed on floor two',
                ${resolvedAt ? iso(resolvedAt) : null}, ${iso(createdAt)})`,
  );
}

async function addEnhancement(tenantId: string, createdAt: Date, status = 'posted'): Promise<string> {
  const { rows } = await exec(
    tenantId,
    sql`insert into enhancements (tenant_id, sdp_request_id, event_id, event, status, created_at)
        values (${tenantId}, ${String(Math.floor(Math.random() * 1e9))}, ${randomUUID()}, 'request.created',
                ${status}, ${iso(createdAt)}) returning id`,
  );
  return String(rows[0]?.id);
}

async function addFeedback(tenantId: string, enhancementId: string, createdAt: Date, comment: string | null) {
  await exec(
    tenantId,
    sql`insert into feedback (tenant_id, enhancement_id, helpful, comment, source, created_at)
        values (${tenantId}, ${enhancementId}, true, ${comment}, 'link', ${iso(createdAt)})`,
  );
}

async function addAudit(tenantId: string, action: string, createdAt: Date) {
  await exec(
    tenantId,
    sql`insert into audit_log (tenant_id, actor, action, created_at)
        values (${tenantId}, 'test', ${action}, ${iso(createdAt)})`,
  );
}

async function column(tenantId: string, query: ReturnType<typeof sql>): Promise<string[]> {
  const { rows } = await exec(tenantId, query);
  return rows.map((r) => String(Object.values(r)[0])).sort();
}

async function counts(tenantId: string) {
  const { rows } = await exec(
    tenantId,
    sql`select (select count(*)::int from ticket_history) as history,
               (select count(*)::int from ticket_terms) as terms,
               (select count(*)::int from enhancements) as enhancements,
               (select count(*)::int from feedback) as feedback,
               (select count(*)::int from feedback where comment is not null) as comments,
               (select count(*)::int from audit_log) as audit`,
  );
  return rows[0];
}

function apply(tenantId: string, policy: Partial<RetentionPolicy>, now: Date, batchSize = 1_000) {
  const batches: RemovedRows[] = [];
  return applyTenantRetention(
    scopeOf(tenantId),
    { ...KEEP, ...policy },
    { now, batchSize, onBatch: (b) => batches.push(b) },
  ).then((totals) => ({ totals, batches }));
}

describe('retention removes exactly the rows past their age', () => {
  it('history: resolved before the cutoff goes with its search index; at or after it stays', async () => {
    const tenant = await newTenant();
    const now = new Date();
    const cutoff = monthsBefore(now, 6);
    await addHistory(tenant, 'older by a second', new Date(cutoff.getTime() - second));
    await addHistory(tenant, 'exactly at the cutoff', cutoff);
    await addHistory(tenant, 'newer by a second', new Date(cutoff.getTime() + second));
    // No resolution time: its creation time counts.
    await addHistory(tenant, 'never resolved, created long ago', null, daysBefore(now, 400));
    const termsBefore = (await counts(tenant))?.terms as number;

    const { totals } = await apply(tenant, { historyMonths: 6 }, now);

    expect(await column(tenant, sql`select subject from ticket_history`)).toEqual([
      'exactly at the cutoff',
      'newer by a second',
    ]);
    expect(totals.ticket_history).toBe(2);
    // The removed tickets' postings went with them, counted; the kept tickets' postings stay.
    const termsAfter = (await counts(tenant))?.terms as number;
    expect(totals.ticket_terms).toBeGreaterThan(0);
    expect(totals.ticket_terms).toBe(termsBefore - termsAfter);
    expect(
      await column(
        tenant,
        sql`select count(*) from ticket_terms where history_id not in (select id from ticket_history)`,
      ),
    ).toEqual(['0']);
    const stats = await column(tenant, sql`select docs from ticket_history_stats`);
    expect(stats).toEqual(['2']);
  });

  it('enhancements: final ones past their age go with their feedback; in-flight ones never', async () => {
    const tenant = await newTenant();
    const now = new Date();
    const cutoff = daysBefore(now, 40);
    const old = await addEnhancement(tenant, new Date(cutoff.getTime() - second));
    await addFeedback(tenant, old, new Date(cutoff.getTime() - second), 'useful');
    await addEnhancement(tenant, new Date(cutoff.getTime() - 5 * second), 'failed');
    await addEnhancement(tenant, new Date(cutoff.getTime() - 5 * second), 'skipped');
    const atCutoff = await addEnhancement(tenant, cutoff);
    const processing = await addEnhancement(tenant, daysBefore(now, 90), 'processing');
    const posting = await addEnhancement(tenant, daysBefore(now, 90), 'posting');
    // The tenant's sweep cursor starts when it was added (now): no cursor floor here.

    const { totals } = await apply(tenant, { enhancementDays: 40 }, now);

    expect(totals).toMatchObject({ enhancements: 3, feedback: 1 });
    expect(await column(tenant, sql`select id from enhancements`)).toEqual(
      [atCutoff, processing, posting].sort(),
    );
    expect((await counts(tenant))?.feedback).toBe(0);
  });

  it('audit entries and feedback comments: the cutoff itself stays; the vote of a cleared comment stays', async () => {
    const tenant = await newTenant();
    const now = new Date();
    const cutoff = daysBefore(now, 30);
    await addAudit(tenant, 'older', new Date(cutoff.getTime() - second));
    await addAudit(tenant, 'at-cutoff', cutoff);
    const enhancement = await addEnhancement(tenant, daysBefore(now, 1));
    await addFeedback(tenant, enhancement, new Date(cutoff.getTime() - second), 'old comment');
    await addFeedback(tenant, enhancement, cutoff, 'comment at the cutoff');

    const { totals } = await apply(tenant, { auditDays: 30, feedbackCommentDays: 30 }, now);

    expect(totals).toMatchObject({ audit_log: 1, feedback_comments: 1 });
    expect(await column(tenant, sql`select action from audit_log`)).toEqual(['at-cutoff', 'tenant.created']);
    expect(await column(tenant, sql`select coalesce(comment, '(none)') from feedback`)).toEqual([
      '(none)',
      'comment at the cutoff',
    ]);
    expect(await column(tenant, sql`select helpful from feedback`)).toEqual(['true', 'true']);
  });

  it('leaves every other tenant untouched, and a policy of 0 removes nothing', async () => {
    const [target, other] = [await newTenant(), await newTenant()];
    const now = new Date();
    for (const tenant of [target, other]) {
      await addHistory(tenant, 'ancient', daysBefore(now, 3_000));
      const e = await addEnhancement(tenant, daysBefore(now, 500));
      await addFeedback(tenant, e, daysBefore(now, 500), 'old words');
      await addAudit(tenant, 'ancient', daysBefore(now, 500));
    }
    const otherBefore = await counts(other);
    const policy = { historyMonths: 12, enhancementDays: 100, auditDays: 100, feedbackCommentDays: 100 };

    // The kept model I/O follows the tenant's own --keep-llm-io and is looked at every run: none here.
    expect((await apply(target, KEEP, now)).totals).toEqual({ llm_exchanges: 0 });
    await apply(target, policy, now);

    expect(await counts(target)).toMatchObject({ history: 0, enhancements: 0, feedback: 0, audit: 1 });
    expect(await counts(other)).toEqual(otherBefore);
  });
});

describe("the model's input and output a tenant keeps", () => {
  const exchange = { prompt: '[user]\nPrinter 2 jams', answer: '{"summary":"jam"}' };
  const keep = (tenantId: string, days: number) =>
    updateTenantSettings(scopeOf(tenantId), { keepLlmIoDays: days }, 'test');
  const kept = async (tenantId: string) =>
    Number((await exec(tenantId, sql`select count(*) as n from llm_exchanges`)).rows[0]?.n);

  it('is never written for a tenant that did not turn it on', async () => {
    const tenant = await newTenant();
    expect(await recordLlmExchange(scopeOf(tenant), await addEnhancement(tenant, new Date()), exchange)).toBe(
      false,
    );
    expect(await kept(tenant)).toBe(0);
  });

  it("is removed after the tenant's days, all of it once turned off, and only the tenant's", async () => {
    const [tenant, other] = [await newTenant(), await newTenant()];
    for (const t of [tenant, other]) {
      await keep(t, 3);
      expect(await recordLlmExchange(scopeOf(t), await addEnhancement(t, new Date()), exchange)).toBe(true);
    }
    const now = new Date();
    expect((await apply(tenant, KEEP, new Date(now.getTime() + 2 * 86_400_000))).totals.llm_exchanges).toBe(
      0,
    );
    expect(await kept(tenant)).toBe(1);
    expect((await apply(tenant, KEEP, new Date(now.getTime() + 4 * 86_400_000))).totals.llm_exchanges).toBe(
      1,
    );
    expect(await kept(tenant)).toBe(0);

    await recordLlmExchange(scopeOf(tenant), await addEnhancement(tenant, new Date()), exchange);
    await keep(tenant, 0);
    expect((await apply(tenant, KEEP, new Date())).totals.llm_exchanges).toBe(1);
    expect(await kept(tenant)).toBe(0);
    expect(await kept(other)).toBe(1);
  });
});

describe('bounded batches', () => {
  it('a tenant with more old rows than a batch is finished in one run, one short statement at a time', async () => {
    const tenant = await newTenant();
    const now = new Date();
    for (let i = 0; i < 25; i++) await addAudit(tenant, `old-${i}`, daysBefore(now, 50 + i));
    for (let i = 0; i < 7; i++) await addHistory(tenant, `old ticket ${i}`, daysBefore(now, 800 + i));

    const { totals, batches } = await apply(tenant, { auditDays: 10, historyMonths: 12 }, now, 10);

    expect(totals).toMatchObject({ audit_log: 25, ticket_history: 7 });
    expect(batches.map((b) => b.audit_log).filter((n) => n !== undefined)).toEqual([10, 10, 5]);
    expect(batches.every((b) => Object.values(b).every((n) => n <= 10 || n === b.ticket_terms))).toBe(true);
    expect(await counts(tenant)).toMatchObject({ history: 0, audit: 1 });
  });
});

describe('the floors the database keeps whatever the caller asks', () => {
  it('audit entries younger than a day and enhancements younger than a week stay', async () => {
    const tenant = await newTenant();
    const now = new Date();
    await addAudit(tenant, 'an hour old', new Date(now.getTime() - 3_600_000));
    await addEnhancement(tenant, daysBefore(now, 3));

    expect(await removeOldAudit(scopeOf(tenant), now, 100)).toEqual({ audit_log: 0 });
    expect(await removeOldEnhancements(scopeOf(tenant), now, 100)).toEqual({ enhancements: 0, feedback: 0 });
  });

  it('enhancements the reconcile sweep can still read (after a day before its cursor) stay', async () => {
    const tenant = await newTenant();
    const now = new Date();
    // A tenant added 100 days ago whose sweep never ran (interval 0, or its portal down since): the
    // sweep's next run reads from then, so what it handled since then must stay.
    await exec(
      tenant,
      sql`update tenants set created_at = ${iso(daysBefore(now, 100))} where id = ${tenant}`,
    );
    await addEnhancement(tenant, daysBefore(now, 60));
    const beforeCursor = await addEnhancement(tenant, daysBefore(now, 120));

    const { totals } = await apply(tenant, { enhancementDays: 40 }, now);

    expect(totals).toMatchObject({ enhancements: 1 });
    expect(await column(tenant, sql`select id from enhancements`)).not.toContain(beforeCursor);
    expect((await counts(tenant))?.enhancements).toBe(1);
  });
});

describe('the functions behind retention', () => {
  it('remove nothing outside a tenant transaction: the app role cannot reach across tenants with them', async () => {
    const tenant = await newTenant();
    await addAudit(tenant, 'ancient', daysBefore(new Date(), 900));
    const { rows } = await database.db.execute<{ n: number }>(
      sql`select retention_remove_audit(now(), 10000) as n`,
    );
    expect(rows[0]?.n).toBe(0);
    expect(await column(tenant, sql`select action from audit_log where action = 'ancient'`)).toEqual([
      'ancient',
    ]);
  });
});

describe('monthsBefore', () => {
  it('clamps to the last day of a shorter month, as Postgres intervals do', () => {
    expect(iso(monthsBefore(new Date('2026-03-31T10:00:00Z'), 1))).toBe('2026-02-28T10:00:00.000Z');
    expect(iso(monthsBefore(new Date('2026-01-15T00:00:00Z'), 13))).toBe('2024-12-15T00:00:00.000Z');
  });
});
