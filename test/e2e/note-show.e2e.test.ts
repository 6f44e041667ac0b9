import { addHistory } from '@ai-agents/db';
import {
  TECHNICIAN_KEY,
  TEST_ADMIN_DATABASE_URL,
  testTenant,
  waitFor,
  withDatabase,
} from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { admin } from '../../apps/api/test/support/run-admin.js';
import { type Stack, startRunningStack } from '../kit/stack.js';

/*
 * Issue 27, item 2: `note show <ref>` explains a note the pipeline posted (similar tickets and
 * knowledge-base solutions with their scores and how they were found, the model, tokens, cost,
 * timings), and the model's input and output are kept only for a tenant that turned it on, shown,
 * and removed by the retention job after the tenant's days. Real Postgres and Redis, the API and a
 * worker in-process, the fake ServiceDesk Plus and LLM.
 */

let stack: Stack;
// A second tenant on the same portal that never turns keeping on.
const other = { id: '', slug: '', secret: '' };

const HISTORY = [
  {
    externalId: '9101',
    subject: 'Outlook prompts for password repeatedly after mailbox migration',
    description: 'Outlook keeps asking for credentials after the move to Exchange Online.',
    resolution: 'Cleared cached credentials and re-created the Outlook profile.',
    category: 'Email',
  },
  {
    externalId: '9102',
    subject: 'Outlook password prompt loop',
    description: 'Outlook asks for the password again and again.',
    resolution: 'Enabled the modern authentication registry key.',
    category: 'Email',
  },
  {
    externalId: '9103',
    subject: 'Printer on floor 3 jams',
    resolution: 'Replaced the fuser.',
    category: 'Hardware',
  },
];

/** A ticket through the webhook to its posted note; returns the `ai-agents:` reference the note prints. */
// Each ticket its own subject: the same subject again within minutes is an alert storm (one note).
async function noteRef(
  eventId: string,
  subject: string,
  as?: { slug: string; secret: string },
): Promise<string> {
  const request = stack.sdp.addRequest({
    subject,
    description:
      '<p>Outlook asks for the password every few minutes. Write to anna.berg@contoso.example.</p>',
  });
  const res = await stack.post(
    { event: 'request.created', event_id: eventId, request: { id: request.id } },
    {},
    as,
  );
  expect(res.status).toBe(202);
  const [note] = await waitFor(
    () => (stack.sdp.notes(request.id).length > 0 ? stack.sdp.notes(request.id) : undefined),
    20_000,
    'the note',
  );
  const ref = /ai-agents:[0-9a-f-]{36}/.exec(note?.description ?? '')?.[0];
  if (!ref) throw new Error('the note prints no ai-agents: reference');
  return ref;
}

/** The model I/O rows a tenant has, read as the database owner (the test's view, not the app's). */
async function exchangeRows(tenantId: string): Promise<{ enhancement_id: string; prompt: string }[]> {
  const name = new URL(stack.env.DATABASE_URL ?? '').pathname.slice(1);
  const client = new pg.Client({ connectionString: withDatabase(TEST_ADMIN_DATABASE_URL, name) });
  await client.connect();
  try {
    return (
      await client.query('select enhancement_id, prompt from llm_exchanges where tenant_id = $1', [tenantId])
    ).rows;
  } finally {
    await client.end();
  }
}

/** Moves a kept exchange `days` into the past, as the owner (the application may not rewrite it). */
async function age(ref: string, days: number): Promise<void> {
  const name = new URL(stack.env.DATABASE_URL ?? '').pathname.slice(1);
  const client = new pg.Client({ connectionString: withDatabase(TEST_ADMIN_DATABASE_URL, name) });
  await client.connect();
  try {
    await client.query(
      `update llm_exchanges set created_at = now() - make_interval(days => $2) where enhancement_id = $1`,
      [ref.replace('ai-agents:', ''), days],
    );
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  stack = await startRunningStack();
  for (const key of ['DATABASE_URL', 'ENCRYPTION_KEY', 'REDIS_URL', 'QUEUE_PREFIX'] as const)
    vi.stubEnv(key, stack.env[key]);
  const { db } = stack.database;
  const created = await testTenant(db, stack.box, {
    sdpBaseUrl: stack.sdp.url,
    technicianKey: TECHNICIAN_KEY,
  });
  Object.assign(other, { id: created.tenant.id, slug: created.tenant.slug, secret: created.webhookSecret });
  for (const tenantId of [stack.tenantId, other.id]) await addHistory({ db, tenantId }, HISTORY);
  stack.sdp.addSolution({
    id: '7101',
    title: 'Outlook password prompts after a mailbox migration',
    description: 'Clear the cached credentials in Credential Manager, then re-create the Outlook profile.',
  });
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await stack?.close();
});

describe('note show', () => {
  it('shows the similar tickets and solutions with score and how found, the model, tokens, cost and timings', async () => {
    const ref = await noteRef(
      'evt-explain-1',
      'Outlook keeps asking for my password since the mailbox migration',
    );
    const shown = await admin('note', 'show', ref);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`Note ${ref} of tenant ${stack.slug}`);
    expect(shown.out).toMatch(/1\. #910[12] {2}score \d+\.\d{4} {2}by words {2}in prompt/);
    expect(shown.out).toContain('Outlook password prompt loop');
    expect(shown.out).not.toContain('#9103');
    expect(shown.out).toMatch(/1\. solution 7101 {2}score \d+ {2}in prompt/);
    expect(shown.out).toMatch(/tokens \d+ in \/ \d+ out, cost USD \d+\.\d{6}/);
    // Every stage of the job, in the order it ran them.
    expect(shown.out).toMatch(
      /Stage timings \(ms\): claim [\d.]+, sdp_fetch [\d.]+, context [\d.]+, llm [\d.]+, post_note [\d.]+; total \d+/,
    );
    expect(shown.out).toMatch(/category "[^"]+": not applied \(auto-apply is off for this tenant\)/);
    expect(shown.out).toContain(
      `Model input and output: not kept (tenant llm ${stack.slug} --keep-llm-io <days>`,
    );

    const json = JSON.parse((await admin('--json', 'note', 'show', ref.replace('ai-agents:', ''))).out);
    expect(json).toMatchObject({ tenant: stack.slug, status: 'posted', exchange: null, keepLlmIoDays: 0 });
    expect(json.model).toBeTruthy();
    expect(json.tokensIn).toBeGreaterThan(0);
    expect(json.explanation.similar.map((t: { id: string }) => t.id).sort()).toEqual(['9101', '9102']);
    expect(json.explanation.similar[0]).toMatchObject({ rank: 1, foundBy: 'words', inPrompt: true });
    expect(json.explanation.solutions).toEqual([
      expect.objectContaining({ id: '7101', rank: 1, inPrompt: true, score: expect.any(Number) }),
    ]);
    // Ids and scores only: no ticket text in the record itself.
    expect(JSON.stringify(json.explanation)).not.toContain('Outlook');
  });

  it('says so, exit 1, for a reference to no note, and exit 2 for something that is not a reference', async () => {
    const unknown = await admin('note', 'show', 'ai-agents:00000000-0000-4000-8000-000000000000');
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.err).toContain('no note with reference ai-agents:00000000-0000-4000-8000-000000000000');
    const bad = await admin('note', 'show', 'ai-agents:not-an-id');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('is not a note reference');
  });
});

describe("keeping the model's input and output", () => {
  it('refuses a number of days out of bounds', async () => {
    const r = await admin('tenant', 'llm', stack.slug, '--keep-llm-io', '91');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--keep-llm-io must be a whole number from 0 to 90');
  });

  it('keeps them only for the tenant that turned it on, shows them, and the retention job removes them after its days', async () => {
    expect((await admin('tenant', 'llm', stack.slug, '--keep-llm-io', '1')).code).toBe(0);
    const old = await noteRef(
      'evt-explain-keep-old',
      'Outlook password prompt comes back after the migration',
    );
    const recent = await noteRef(
      'evt-explain-keep-new',
      'Outlook keeps asking for my password, mailbox moved',
    );
    const elsewhere = await noteRef(
      'evt-explain-other',
      'Outlook password loop since the mailbox move',
      other,
    );

    const shown = await admin('note', 'show', recent);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('--- sent to the model (redacted) ---');
    expect(shown.out).toContain('Outlook keeps asking for my password, mailbox moved');
    // The tenant redacts personal data (the default): the address never reached the model.
    expect(shown.out).not.toContain('anna.berg@contoso.example');
    expect(shown.out).toContain('[email 1]');
    expect(shown.out).toContain("--- the model's answer ---");
    expect(shown.out).toContain('"summary"');
    expect(await exchangeRows(other.id)).toEqual([]);
    expect((await admin('note', 'show', elsewhere)).out).toContain('Model input and output: not kept');

    await age(old, 2);
    await stack.startWorker({ RETENTION_INTERVAL_HOURS: '24' });
    await waitFor(
      async () => ((await exchangeRows(stack.tenantId)).length === 1 ? true : undefined),
      20_000,
      "the retention job to remove the exchange older than the tenant's day",
    );
    expect((await exchangeRows(stack.tenantId))[0]?.enhancement_id).toBe(recent.replace('ai-agents:', ''));
    expect((await admin('note', 'show', old)).out).toContain(
      'Model input and output: none kept for this note (the tenant keeps them 1 days)',
    );
  });
});
