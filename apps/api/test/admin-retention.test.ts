import { randomEncryptionKey, TEST_REDIS_URL, type TestDatabase, testQueuePrefix } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, admin, adminDatabase } from './support/run-admin.js';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await adminDatabase({
    ENCRYPTION_KEY: randomEncryptionKey(),
    PUBLIC_BASE_URL: 'https://agents.msp.example/',
    SDP_TECHNICIAN_KEY: 'tk-secret',
    // `tenant reconcile` opens the queue before it checks the tenant; nothing is queued here.
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: testQueuePrefix(),
    // The installation keeps audit entries a year and the rest for ever.
    RETENTION_AUDIT_DAYS: '365',
  });
  for (const slug of ['northwind', 'fabrikam'])
    expect((await addTenant({ slug, sdpUrl: `https://sdp.${slug}.example` })).code).toBe(0);
});

afterAll(async () => {
  await testDb?.drop();
});

describe('admin tenant retention', () => {
  it('shows the policy in force and where each value comes from', async () => {
    const { code, out } = await admin('tenant', 'retention', 'northwind');
    expect(code).toBe(0);
    expect(out).toContain('history-months: keep for ever (installation default)');
    expect(out).toContain('audit-days: 365 days (installation default)');
  });

  it('sets, turns off and returns to the default, one flag at a time, leaving other tenants alone', async () => {
    let r = await admin('tenant', 'retention', 'northwind', '--history-months', '24', '--audit-days', 'off');
    expect(r.code).toBe(0);
    expect(r.out).toContain('history-months: 24 months (tenant setting)');
    expect(r.out).toContain('audit-days: keep for ever (tenant setting)');

    r = await admin('--json', 'tenant', 'retention', 'northwind', '--audit-days', 'default');
    expect(JSON.parse(r.out)).toMatchObject({
      changed: ['retentionAuditDays'],
      policy: { historyMonths: 24, auditDays: 365, enhancementDays: 0, feedbackCommentDays: 0 },
    });

    const other = JSON.parse((await admin('--json', 'tenant', 'retention', 'fabrikam')).out);
    expect(other.policy).toEqual({
      historyMonths: 0,
      enhancementDays: 0,
      auditDays: 365,
      feedbackCommentDays: 0,
    });
  });

  it('refuses enhancement retention below the floor the reconcile sweep needs, and non-numbers', async () => {
    const low = await admin('tenant', 'retention', 'northwind', '--enhancement-days', '3');
    expect(low.code).toBe(2);
    expect(low.err).toContain('--enhancement-days must be a whole number from 7');
    expect((await admin('tenant', 'retention', 'northwind', '--feedback-comment-days', 'soon')).code).toBe(2);
  });

  it('refuses a reconcile sweep from before the enhancements retention removes', async () => {
    expect((await admin('tenant', 'retention', 'fabrikam', '--enhancement-days', '30')).code).toBe(0);
    const since = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const { code, err } = await admin('tenant', 'reconcile', 'fabrikam', '--since', since);
    expect(code).toBe(2);
    expect(err).toContain('more than 30 days ago');
  });
});
