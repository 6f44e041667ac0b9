import { createDatabase, findWebhookTenant } from '@ai-agents/db';
import { randomEncryptionKey, type TestDatabase } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { delugeSnippet } from '../src/admin/deluge-snippet.js';
import { addTenant, admin, adminDatabase } from './support/run-admin.js';

const key = randomEncryptionKey();
let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await adminDatabase({
    ENCRYPTION_KEY: key,
    PUBLIC_BASE_URL: 'https://agents.msp.example/',
    SDP_TECHNICIAN_KEY: 'tk-secret',
  });
});

afterAll(async () => {
  await testDb?.drop();
});

describe('admin tenant add', () => {
  const fabrikam = { slug: 'fabrikam', name: 'Fabrikam', sdpUrl: 'https://sdp.fabrikam.example' };

  it('creates the tenant and prints its webhook URL, secret and a filled-in Deluge snippet', async () => {
    const { code, out } = await addTenant(fabrikam);
    expect(code).toBe(0);
    expect(out).toContain('Webhook URL:    https://agents.msp.example/v1/webhooks/servicedesk/fabrikam');
    const secret = /Webhook secret: (\S+)/.exec(out)?.[1] ?? '';
    expect(out).toContain(`secret = "${secret}";`);
    // The one function the README and docs show (deluge-snippet.test.ts), filled in.
    expect(out).toContain(
      delugeSnippet('https://agents.msp.example/v1/webhooks/servicedesk/fabrikam', secret),
    );
    expect(out).toContain('zoho.encryption.hmacsha256');
    // Whole seconds (a Deluge division keeps the fraction) and the JSON content type the way
    // Deluge's invokeurl takes it (a text body goes out as text/plain otherwise).
    expect(out).toContain('timestamp = (zoho.currenttime.toLong() / 1000).toLong().toString();');
    expect(out).toContain('content-type: "application/json"');
    const database = createDatabase({ url: testDb.appUrl, max: 1 });
    try {
      const stored = await findWebhookTenant(database.db, 'fabrikam');
      expect(
        createSecretBox(key).decrypt(stored?.webhookSecretEnc ?? '', {
          tenantId: stored?.id ?? '',
          purpose: 'webhook_secret',
        }),
      ).toBe(secret);
    } finally {
      await database.close();
    }
  });

  it('refuses a duplicate slug with exit code 1 and says why', async () => {
    const { code, err } = await addTenant(fabrikam);
    expect(code).toBe(1);
    expect(err).toBe('error: a tenant with slug "fabrikam" already exists\n');
  });

  it('exits 2 on bad input, naming the problem', async () => {
    const badUrl = await addTenant({ slug: 'x', name: 'X', sdpUrl: 'ftp://x' });
    expect(badUrl).toMatchObject({
      code: 2,
      err: 'error: --sdp-url must be an http(s) URL, got "ftp://x"\n',
    });
    const missing = await admin('tenant', 'add', '--slug', 'x');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '--name <name>' not specified");
  });

  it('prints JSON for scripts', async () => {
    const { code, out } = await addTenant({
      slug: 'json-co',
      name: 'J',
      sdpUrl: 'https://s.example',
      json: true,
    });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      slug: 'json-co',
      webhook_url: 'https://agents.msp.example/v1/webhooks/servicedesk/json-co',
    });
  });
});

describe('admin commands: bad input and help', () => {
  const bySlug = [
    ['tenant', 'show'],
    ['tenant', 'check'],
    ['tenant', 'disable'],
    ['tenant', 'enable'],
    ['tenant', 'rotate-secret'],
    ['tenant', 'retire-secret'],
    ['tenant', 'set', '--name', 'N'],
  ];

  it('an unknown slug exits 1 and names the slug, for every command that takes one', async () => {
    for (const [group, command, ...rest] of bySlug) {
      const result = await admin(group ?? '', command ?? '', 'no-such-co', ...rest);
      expect(result, command).toEqual({
        code: 1,
        out: '',
        err: 'error: no tenant with slug "no-such-co" (see: tenant list)\n',
      });
    }
  });

  it('a missing slug or flag exits 2 with the usage', async () => {
    for (const [group, command] of bySlug) {
      const result = await admin(group ?? '', command ?? '');
      expect(result.code, command).toBe(2);
      expect(result.err, command).toContain("missing required argument 'slug'");
    }
    expect(await admin('tenant', 'set', 'fabrikam')).toMatchObject({
      code: 2,
      err: 'error: nothing to change: give at least one of --name, --sdp-url, --model, --embedding-model, --token-mode, --knowledge-base\n',
    });
    expect(await admin('tenant', 'set', 'fabrikam', '--sdp-url', 'sdp.fabrikam')).toMatchObject({
      code: 2,
      err: 'error: --sdp-url must be an http(s) URL, got "sdp.fabrikam"\n',
    });
    const badMode = await admin('tenant', 'set', 'fabrikam', '--token-mode', 'yes');
    expect(badMode.code).toBe(2);
    expect(badMode.err).toContain('Allowed choices are on, off');
    expect((await admin('keys', 'spin')).code).toBe(2);
  });

  it('--help works on every command, without any environment', async () => {
    vi.stubEnv('DATABASE_URL', '');
    try {
      for (const args of [
        [],
        ['tenant'],
        ...bySlug.map(([g, c]) => [g ?? '', c ?? '']),
        ['tenant', 'add'],
        ['tenant', 'list'],
        ['keys'],
        ['keys', 'rotate'],
      ]) {
        const result = await admin(...args, '--help');
        expect(result.code, args.join(' ')).toBe(0);
        expect(result.out, args.join(' ')).toMatch(/^Usage: admin/);
      }
    } finally {
      vi.stubEnv('DATABASE_URL', testDb.appUrl);
    }
  });

  it('set changes only what is given and says when nothing changed', async () => {
    const first = await admin(
      '--json',
      'tenant',
      'set',
      'fabrikam',
      '--model',
      'gpt-4.1',
      '--name',
      'Fabrikam',
    );
    expect(JSON.parse(first.out)).toEqual({ slug: 'fabrikam', changed: ['llmModel'] });
    const again = await admin('tenant', 'set', 'fabrikam', '--model', 'gpt-4.1');
    expect(again.out).toBe('Tenant fabrikam already had these settings; nothing changed.\n');
    const reset = await admin('--json', 'tenant', 'set', 'fabrikam', '--model', 'default');
    expect(JSON.parse(reset.out)).toEqual({ slug: 'fabrikam', changed: ['llmModel'] });
    const shown = JSON.parse((await admin('--json', 'tenant', 'show', 'fabrikam')).out);
    expect(shown).toMatchObject({ slug: 'fabrikam', model: null, sdp_url: 'https://sdp.fabrikam.example' });
  });

  it('set --embedding-model gives a tenant its own embeddings API model, and "default" takes it back', async () => {
    const own = await admin(
      '--json',
      'tenant',
      'set',
      'fabrikam',
      '--embedding-model',
      'text-embedding-3-large',
    );
    expect(JSON.parse(own.out)).toEqual({ slug: 'fabrikam', changed: ['embeddingModel'] });
    const reset = await admin('--json', 'tenant', 'set', 'fabrikam', '--embedding-model', 'default');
    expect(JSON.parse(reset.out)).toEqual({ slug: 'fabrikam', changed: ['embeddingModel'] });
    const empty = await admin('tenant', 'set', 'fabrikam', '--embedding-model', ' ');
    expect(empty).toMatchObject({ code: 2, err: 'error: --embedding-model must not be empty\n' });
  });
});

describe('admin tenant set --knowledge-base', () => {
  it('limits the solutions to some topics, turns them off or back to the edition default (all on a single portal), and refuses a bad list', async () => {
    const topics = await admin('--json', 'tenant', 'set', 'fabrikam', '--knowledge-base', 'Network, VPN');
    expect(JSON.parse(topics.out)).toEqual({
      slug: 'fabrikam',
      changed: ['knowledgeBase', 'knowledgeBaseTopics'],
    });
    const show = async () =>
      JSON.parse((await admin('--json', 'tenant', 'show', 'fabrikam')).out).knowledge_base;
    expect(await show()).toEqual({ mode: 'topics', topics: ['Network', 'VPN'] });
    const same = await admin('tenant', 'set', 'fabrikam', '--knowledge-base', 'Network,VPN');
    expect(same.out).toBe('Tenant fabrikam already had these settings; nothing changed.\n');
    await admin('tenant', 'set', 'fabrikam', '--knowledge-base', 'off');
    expect(await show()).toEqual({ mode: 'off' });
    expect((await admin('tenant', 'show', 'fabrikam')).out).toContain('  knowledge base:  off\n');
    await admin('tenant', 'set', 'fabrikam', '--knowledge-base', 'default');
    expect(await show()).toEqual({ mode: 'all' });
    expect((await admin('tenant', 'show', 'fabrikam')).out).toContain(
      '  knowledge base:  all (the edition default)\n',
    );
    expect(await admin('tenant', 'set', 'fabrikam', '--knowledge-base', ' , ')).toMatchObject({
      code: 2,
      err: 'error: --knowledge-base: the knowledge base must be all, off, default or a comma-separated list of solution topics\n',
    });
  });
});

describe('admin keys rotate without the old key', () => {
  it('reports every tenant it cannot decrypt, changes nothing, and exits 1', async () => {
    vi.stubEnv('ENCRYPTION_KEY', randomEncryptionKey());
    try {
      const result = await admin('--json', 'keys', 'rotate');
      expect(result.code).toBe(1);
      const report = JSON.parse(result.out);
      expect(report).toMatchObject({ tenants: 0, reencrypted: 0 });
      // Each tenant's connection (its credentials) is reported too.
      expect(report.failed.map((f: { slug: string }) => f.slug)).toEqual([
        'fabrikam',
        'json-co',
        'connection fabrikam',
        'connection json-co',
      ]);
      expect(report.failed[0].error).toMatch(/^No encryption key with id [0-9a-f]{12} is configured/);
      expect(result.err).toBe('error: 4 tenant(s) or connection(s) could not be re-encrypted (see above)\n');
    } finally {
      vi.stubEnv('ENCRYPTION_KEY', key);
    }
    // Nothing was rewritten: the stored secret is still under the original key.
    const database = createDatabase({ url: testDb.appUrl, max: 1 });
    try {
      const stored = await findWebhookTenant(database.db, 'fabrikam');
      expect(createSecretBox(key).keyIdOf(stored?.webhookSecretEnc ?? '')).toBe(
        createSecretBox(key).currentKeyId,
      );
    } finally {
      await database.close();
    }
  });
});
