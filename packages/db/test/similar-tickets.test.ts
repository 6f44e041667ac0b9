import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addHistory,
  createDatabase,
  type Database,
  findSimilarTickets,
  type HistoryTicket,
  ticketHistory,
  withTenant,
} from '../src/index.js';

// A small labelled history: four topics, worded the way requesters write (no two alike).
const FIXTURE: Record<string, string[]> = {
  vpn: [
    'VPN disconnects every few minutes when working from home',
    'Cannot connect to the VPN, AnyConnect says login failed',
    'VPN tunnel drops after Windows update, have to reconnect',
    'Remote access VPN very slow from hotel wifi',
    'AnyConnect client missing after laptop reimage, need VPN',
    'VPN connects but cannot reach file server',
  ],
  printer: [
    'Printer on the third floor jams on every page',
    'Cannot print to the HR printer, job stuck in queue',
    'Printer shows toner low and prints faded pages',
    'New printer needs to be installed for finance team',
    'Print queue stuck, documents never come out of the printer',
    'Printer prints blank pages after driver update',
  ],
  password: [
    'Forgot my password and the account is locked',
    'Password expired, cannot log in to Windows',
    'Please reset password for new starter account',
    'Account locked out after too many password attempts',
    'Password reset link in the self service portal does not work',
    'Need password change, the old one was shared by mistake',
  ],
  mailbox: [
    'Mailbox full, cannot send emails in Outlook',
    'Outlook keeps asking for credentials after mailbox migration',
    'Shared mailbox not showing in Outlook',
    'Emails from customers land in junk folder in Outlook',
    'Need access to the sales shared mailbox',
    'Outlook calendar invites not received in the mailbox',
  ],
};

const QUERIES: [string, string][] = [
  ['vpn', 'VPN keeps disconnecting from home office'],
  ['vpn', 'AnyConnect VPN login fails'],
  ['printer', 'printer jams and the print queue is stuck'],
  ['printer', 'printer prints faded pages, toner?'],
  ['password', 'locked out, need my password reset'],
  ['password', 'password expired cannot log in'],
  ['mailbox', 'Outlook says mailbox full'],
  ['mailbox', 'shared mailbox missing in Outlook'],
];

const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let database: Database;
let tenantId: string;
let otherTenantId: string;
const topicOf = new Map<string, string>();

const tenant = (slug: string) => testTenant(database.db, box, { slug }).then((t) => t.tenant.id);

const similar = (text: string, limit = 3, tenant = tenantId) =>
  findSimilarTickets({ db: database.db, tenantId: tenant }, text, { limit });

const stats = (tenant = tenantId) =>
  withTenant(database.db, tenant, async (tx) => {
    const { rows } = await tx.execute<{ docs: number; total_length: number }>(
      sql`select docs::int, total_length::int from ticket_history_stats`,
    );
    return rows[0];
  });

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 2 });
  tenantId = await tenant('retrieval');
  otherTenantId = await tenant('retrieval-other');
  const tickets: HistoryTicket[] = [];
  for (const [topic, subjects] of Object.entries(FIXTURE)) {
    subjects.forEach((subject, i) => {
      const externalId = `${topic}-${i + 1}`;
      topicOf.set(externalId, topic);
      tickets.push({ externalId, subject, resolution: 'done', category: topic });
    });
  }
  await addHistory({ db: database.db, tenantId: tenantId }, tickets);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('findSimilarTickets (BM25 over the tenant index)', () => {
  it('ranks tickets of the same topic first on a labelled fixture (precision@3 ≥ 0.9)', async () => {
    let hits = 0;
    for (const [topic, text] of QUERIES) {
      const found = await similar(text);
      expect(found, text).toHaveLength(3);
      hits += found.filter((t) => topicOf.get(t.externalId) === topic).length;
    }
    expect(hits / (QUERIES.length * 3)).toBeGreaterThanOrEqual(0.9);
  });

  it('answers queries that share only one word with a ticket (OR semantics, unlike plainto_tsquery)', async () => {
    const found = await similar('the toner cartridge arrived broken');
    expect(found[0]?.externalId).toBe('printer-3');
  });

  it('returns best first with a positive score and excludes the given ticket', async () => {
    const found = await findSimilarTickets(
      { db: database.db, tenantId: tenantId },
      'Shared mailbox not showing in Outlook',
      {
        limit: 5,
        excludeExternalId: 'mailbox-3',
      },
    );
    expect(found.map((t) => t.externalId)).not.toContain('mailbox-3');
    const scores = found.map((t) => t.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0)).toBe(true);
  });

  it('finds nothing for text without a known word, and nothing of another tenant', async () => {
    expect(await similar('zzqx wvut')).toEqual([]);
    expect(await similar('VPN disconnects every few minutes', 3, otherTenantId)).toEqual([]);
  });

  it('keeps the index in step with updates and deletes of history', async () => {
    const before = await stats();
    expect(before?.docs).toBe(24);
    await addHistory({ db: database.db, tenantId: tenantId }, [
      { externalId: 'extra-1', subject: 'Docking station flickers the monitor' },
    ]);
    expect((await similar('docking station flicker'))[0]?.externalId).toBe('extra-1');
    // The same ticket re-imported with another subject: the old words no longer find it.
    await addHistory({ db: database.db, tenantId: tenantId }, [
      { externalId: 'extra-1', subject: 'Webcam not detected in Teams' },
    ]);
    expect((await similar('docking station flicker')).map((t) => t.externalId)).not.toContain('extra-1');
    expect((await similar('webcam'))[0]?.externalId).toBe('extra-1');
    expect((await stats())?.docs).toBe(25);
    await withTenant(database.db, tenantId, (tx) =>
      tx.delete(ticketHistory).where(eq(ticketHistory.externalId, 'extra-1')),
    );
    expect(await similar('webcam')).toEqual([]);
    expect(await stats()).toEqual(before);
  });
});
