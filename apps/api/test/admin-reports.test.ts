import {
  createDatabase,
  type Database,
  enhancements,
  findWebhookTenant,
  loadTenantAndClaim,
  markPosted,
  notHelpfulRates,
  recordFeedback,
  tenants,
  withTenant,
} from '@ai-agents/db';
import { randomEncryptionKey, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox, NOTE_LANGUAGES } from '@ai-agents/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, adminDatabase } from './support/run-admin.js';

const key = randomEncryptionKey();
let testDb: TestDatabase;
let database: Database;

async function tenantWithNotes(
  slug: string,
  notes: { tokensIn: number; tokensOut: number; costUsd: number }[],
) {
  const { tenant } = await testTenant(database.db, createSecretBox(key), { slug });
  const ids: string[] = [];
  for (const [i, n] of notes.entries()) {
    const claim = await withTenant(database.db, tenant.id, async (tx) => {
      const scope = { db: database.db, tenantId: tenant.id, tx };
      const { claim: c } = await loadTenantAndClaim(scope, {
        eventId: `${slug}-${i}`,
        event: 'request.created',
        requestId: String(i),
      });
      if (!c) throw new Error(`tenant ${slug} not found`);
      await markPosted(scope, c.id, {
        noteId: `n${i}`,
        fallback: false,
        model: 'gpt-4o-mini',
        latencyMs: 1,
        ...n,
      });
      return c;
    });
    ids.push(claim.id);
  }
  return { id: tenant.id, ids };
}

let contoso: { id: string; ids: string[] };

beforeAll(async () => {
  testDb = await adminDatabase({ ENCRYPTION_KEY: key });
  database = createDatabase({ url: testDb.appUrl });
  contoso = await tenantWithNotes('contoso', [
    { tokensIn: 1_000, tokensOut: 200, costUsd: 0.00027 },
    { tokensIn: 3_000, tokensOut: 500, costUsd: 0.00075 },
    // Moved to October below: must not count in November.
    { tokensIn: 99_999, tokensOut: 1, costUsd: 5 },
  ]);
  await tenantWithNotes('fabrikam', [{ tokensIn: 500, tokensOut: 100, costUsd: 0.000135 }]);
  const owner = new pg.Client({ connectionString: testDb.ownerUrl });
  await owner.connect();
  await owner.query(`update enhancements set created_at = '2026-11-10T12:00:00Z'`);
  await owner.query(`update enhancements set created_at = '2026-10-31T23:59:59Z' where id = $1`, [
    contoso.ids[2],
  ]);
  await owner.end();

  for (const [i, helpful] of [true, false, false, true].entries()) {
    await recordFeedback(
      { db: database.db, tenantId: contoso.id },
      {
        enhancementId: contoso.ids[i % 2] as string,
        helpful,
        comment: helpful ? null : `wrong cause ${i}`,
        source: 'link',
      },
    );
  }
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('admin usage --month', () => {
  it('prints tokens and cost per tenant for the month, with a total', async () => {
    const { code, out } = await admin('usage', '--month', '2026-11');
    expect(code).toBe(0);
    expect(out).toContain('LLM and embeddings usage for 2026-11 (UTC)');
    // Columns: llm endpoint, notes, llm calls, tokens in, tokens out, embedding tokens (none here), cost.
    expect(out).toMatch(/contoso\s+installation\s+2\s+2\s+4000\s+700\s+0\s+0\.001020/);
    expect(out).toMatch(/fabrikam\s+installation\s+1\s+1\s+500\s+100\s+0\s+0\.000135/);
    expect(out).toMatch(/TOTAL\s+3\s+3\s+4500\s+800\s+0\s+0\.001155/);
  });

  it('--json gives the same figures to scripts; another month holds only its own rows', async () => {
    const { out } = await admin('--json', 'usage', '--month', '2026-10');
    const report = JSON.parse(out);
    expect(report.tenants).toEqual([
      expect.objectContaining({ slug: 'contoso', enhancements: 1, tokens_in: 99_999, cost_usd: 5 }),
      expect.objectContaining({ slug: 'fabrikam', enhancements: 0, tokens_in: 0, cost_usd: 0 }),
    ]);
  });

  it('exits 2 naming the flag for a malformed month', async () => {
    const { code, err } = await admin('usage', '--month', '2026-13');
    expect(code).toBe(2);
    expect(err).toContain('--month must be YYYY-MM');
  });
});

describe('admin feedback --tenant', () => {
  it('summarises helpful / not helpful with the rate and the latest comments', async () => {
    const { code, out } = await admin('feedback', '--tenant', 'contoso');
    expect(code).toBe(0);
    // Four votes on two notes: each note's last vote counts (note 0: not helpful, note 1: helpful),
    // and only that vote's comment is shown.
    expect(out).toContain('2 answer(s), 1 helpful, 1 not helpful (not helpful rate 50.0%)');
    expect(out).toContain('wrong cause 2');
    expect(out).not.toContain('wrong cause 1');
  });

  it('a tenant with no feedback, and an unknown tenant (exit 1)', async () => {
    const { out } = await admin('--json', 'feedback', '--tenant', 'fabrikam');
    expect(JSON.parse(out)).toMatchObject({ total: 0, not_helpful_rate: null, comments: [] });
    const unknown = await admin('feedback', '--tenant', 'nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no tenant with slug "nobody"');
  });

  it('the "not helpful" rate per tenant is available to metrics through the application role', async () => {
    expect(await notHelpfulRates(database.db, new Date(0))).toEqual([
      { slug: 'contoso', helpful: 1, notHelpful: 1, notHelpfulRate: 0.5 },
      { slug: 'fabrikam', helpful: 0, notHelpful: 0, notHelpfulRate: null },
    ]);
  });

  it('without a tenant the application role still sees no enhancement rows directly', async () => {
    const rows = await database.db.select().from(enhancements);
    expect(rows).toEqual([]);
  });
});

describe('admin tenant llm', () => {
  it('changes only the settings given, and "none" clears the budget', async () => {
    const set = await admin(
      'tenant',
      'llm',
      'fabrikam',
      '--pii-redaction',
      'off',
      '--auto-apply',
      'on',
      '--auto-apply-min-confidence',
      '0.9',
      '--monthly-token-budget',
      '2000000',
    );
    expect(set.code).toBe(0);
    const found = await findWebhookTenant(database.db, 'fabrikam');
    const read = async () =>
      withTenant(database.db, found?.id ?? '', async (tx) => (await tx.select().from(tenants))[0]);
    expect(await read()).toMatchObject({
      piiRedaction: false,
      autoApplySuggestions: true,
      autoApplyMinConfidence: 0.9,
      monthlyTokenBudget: 2_000_000,
      budgetSoftLimitPercent: 80,
    });
    expect((await admin('tenant', 'llm', 'fabrikam', '--monthly-token-budget', 'none')).code).toBe(0);
    expect(await read()).toMatchObject({ monthlyTokenBudget: null, piiRedaction: false });
  });

  it("sets the note's language and the default for tickets whose language cannot be told", async () => {
    const found = await findWebhookTenant(database.db, 'fabrikam');
    const read = async () =>
      withTenant(database.db, found?.id ?? '', async (tx) => (await tx.select().from(tenants))[0]);
    expect(await read()).toMatchObject({ noteLanguage: 'auto', defaultLanguage: 'en' });
    // Every language the worker can name is one the column accepts.
    for (const code of Object.keys(NOTE_LANGUAGES)) {
      expect((await admin('tenant', 'llm', 'fabrikam', '--note-language', code)).code).toBe(0);
      expect((await admin('tenant', 'llm', 'fabrikam', '--default-language', code)).code).toBe(0);
      expect(await read()).toMatchObject({ noteLanguage: code, defaultLanguage: code });
    }
    expect((await admin('tenant', 'llm', 'fabrikam', '--note-language', 'auto')).code).toBe(0);
    expect(await read()).toMatchObject({ noteLanguage: 'auto' });
    const bad = await admin('tenant', 'llm', 'fabrikam', '--note-language', 'klingon');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      '--note-language must be one of auto, en, de, fr, es, it, nl, pt, got "klingon"',
    );
    const noAuto = await admin('tenant', 'llm', 'fabrikam', '--default-language', 'auto');
    expect(noAuto.code).toBe(2);
    expect(noAuto.err).toContain('--default-language must be one of en, de');
  });

  it('exits 2 naming a bad value, 1 for an unknown tenant', async () => {
    const bad = await admin('tenant', 'llm', 'fabrikam', '--auto-apply-min-confidence', '2');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--auto-apply-min-confidence must be a number from 0 to 1');
    const unknown = await admin('tenant', 'llm', 'nobody', '--auto-apply', 'on');
    expect(unknown.code).toBe(1);
  });
});
