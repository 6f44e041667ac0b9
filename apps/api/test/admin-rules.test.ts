import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database, findWebhookTenant, listAudit } from '@ai-agents/db';
import {
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeServiceDesk,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, admin, adminDatabase, adminWithStdin } from './support/run-admin.js';

/** `tenant rules set|show|test` against a migrated database and the fake ServiceDesk Plus. */

const technicianKey = 'rules-test-key';
let testDb: TestDatabase;
let database: Database;
let sdp: FakeServiceDesk;
let dir: string;

const RULES = {
  skip: [
    { field: 'request_type.name', is: 'Service Request' },
    { field: 'subject', contains: ['newsletter', 'out of office'] },
  ],
  opt_out_requesters: ['ceo@contoso.example', '@board.contoso.example'],
};

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function tenantId(slug: string): Promise<string> {
  return (await findWebhookTenant(database.db, slug))?.id as string;
}

beforeAll(async () => {
  testDb = await adminDatabase({ ENCRYPTION_KEY: randomEncryptionKey(), SDP_TECHNICIAN_KEY: technicianKey });
  database = createDatabase({ url: testDb.appUrl });
  sdp = await startFakeServiceDesk({ technicianKeys: [technicianKey] });
  dir = await mkdtemp(join(tmpdir(), 'admin-rules-'));
  for (const slug of ['contoso', 'fabrikam'])
    expect((await addTenant({ slug, sdpUrl: sdp.url })).code).toBe(0);
});

afterAll(async () => {
  await database?.close();
  await sdp?.close();
  await testDb?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('admin tenant rules', () => {
  it('has no rules until set: every ticket gets a note', async () => {
    const { code, out } = await admin('tenant', 'rules', 'show', 'contoso');
    expect(code).toBe(0);
    expect(out).toContain('contoso has no rules: every ticket gets a note.');
    expect(JSON.parse((await admin('--json', 'tenant', 'rules', 'show', 'contoso')).out)).toEqual({
      slug: 'contoso',
      rules: null,
    });
  });

  it('sets rules from a file, shows them, audits the change without the opted-out addresses', async () => {
    const set = await admin(
      'tenant',
      'rules',
      'set',
      'contoso',
      '--file',
      await file('r.json', JSON.stringify(RULES)),
    );
    expect(set.code).toBe(0);
    expect(set.out).toContain('skip[0]: request_type.name is "Service Request"');
    const shown = JSON.parse((await admin('--json', 'tenant', 'rules', 'show', 'contoso')).out);
    expect(shown.rules).toEqual(RULES);
    const [entry] = await listAudit({ db: database.db, tenantId: await tenantId('contoso') }, 1);
    expect(entry).toMatchObject({
      action: 'tenant.rules_set',
      details: {
        skip: [
          { field: 'request_type.name', operator: 'is' },
          { field: 'subject', operator: 'contains' },
        ],
        optOutRequesters: 2,
      },
    });
    expect(JSON.stringify(entry?.details)).not.toContain('contoso.example');
    // Another tenant is untouched.
    expect(JSON.parse((await admin('--json', 'tenant', 'rules', 'show', 'fabrikam')).out).rules).toBeNull();
  });

  it('reads standard input with --file -, and "{}" removes every rule', async () => {
    const r = await adminWithStdin('{}', 'tenant', 'rules', 'set', 'fabrikam', '--file', '-');
    expect(r.code).toBe(0);
    expect(r.out).toContain('fabrikam has no rules');
    expect(JSON.parse((await admin('--json', 'tenant', 'rules', 'show', 'fabrikam')).out).rules).toEqual({
      skip: [],
      opt_out_requesters: [],
    });
  });

  it.each([
    ['not JSON', '{"skip": [', 'is not JSON'],
    [
      'an unknown operator',
      '{"skip":[{"field":"subject","matches":"^x"}]}',
      'skip[0]: unknown operator "matches"',
    ],
    [
      'a wrong type',
      '{"opt_out_requesters":"@a.example"}',
      'opt_out_requesters: must be a list, got a string',
    ],
  ])('refuses %s naming the problem, and keeps the rules in force', async (_what, content, message) => {
    const r = await admin('tenant', 'rules', 'set', 'contoso', '--file', await file('bad.json', content));
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
    expect(JSON.parse((await admin('--json', 'tenant', 'rules', 'show', 'contoso')).out).rules).toEqual(
      RULES,
    );
  });

  it('refuses a file or standard input over 64 KB before parsing it, and a missing file', async () => {
    const big = JSON.stringify({ skip: [], pad: 'x'.repeat(70_000) });
    const fromFile = await admin('tenant', 'rules', 'set', 'contoso', '--file', await file('big.json', big));
    expect(fromFile).toMatchObject({ code: 2, err: expect.stringContaining('larger than 64 KB') });
    const fromStdin = await adminWithStdin(big, 'tenant', 'rules', 'set', 'contoso', '--file', '-');
    expect(fromStdin).toMatchObject({
      code: 2,
      err: expect.stringContaining('standard input is larger than 64 KB'),
    });
    const missing = await admin('tenant', 'rules', 'set', 'contoso', '--file', join(dir, 'none.json'));
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining('no such file') });
    expect((await admin('tenant', 'rules', 'show', 'nobody')).err).toContain('no tenant with slug "nobody"');
  });

  it('tests a request fetched from ServiceDesk Plus: the decision and the rule that made it', async () => {
    const service = sdp.addRequest({ subject: 'New laptop', request_type: { name: 'service request' } }).id;
    const boss = sdp.addRequest({
      subject: 'Projector broken',
      requester: { name: 'Board', email_id: 'Chair@Board.Contoso.example' },
    }).id;
    const plain = sdp.addRequest({ subject: 'Printer jammed', request_type: { name: 'Incident' } }).id;

    const skipped = await admin('tenant', 'rules', 'test', 'contoso', '--request', service);
    expect(skipped.code).toBe(0);
    expect(skipped.out).toContain(
      `request ${service}: no note, skipped by skip[0]: request_type.name is "Service Request"`,
    );
    const opted = JSON.parse(
      (await admin('--json', 'tenant', 'rules', 'test', 'contoso', '--request', boss)).out,
    );
    expect(opted).toEqual({
      slug: 'contoso',
      request_id: boss,
      note: false,
      reason: 'opted_out',
      rule: 'opt_out_requesters[1]',
    });
    const noted = await admin('tenant', 'rules', 'test', 'contoso', '--request', plain);
    expect(noted.out).toContain(`request ${plain}: gets a note (no rule matches it)`);
    // The same request for a tenant without rules gets its note; the fake saw our GETs.
    expect((await admin('tenant', 'rules', 'test', 'fabrikam', '--request', service)).out).toContain(
      'gets a note',
    );
    expect(
      sdp.calls.filter((c) => c.method === 'GET' && c.path === `/api/v3/requests/${service}`),
    ).toHaveLength(2);
  });

  it('reports a request the portal does not know', async () => {
    const r = await admin('tenant', 'rules', 'test', 'contoso', '--request', '999999');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not found|does not exist|404/i);
  });
});
