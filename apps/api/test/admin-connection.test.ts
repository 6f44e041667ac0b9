import {
  type FakeServiceDesk,
  randomEncryptionKey,
  startFakeServiceDesk,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { delugeSnippet } from '../src/admin/deluge-snippet.js';
import { addTenant, admin, adminDatabase } from './support/run-admin.js';

// The operator's connection commands (issue 25): one ServiceDesk Plus MSP instance, its customers
// mapped as tenants, one credential rotation for all of them.

let testDb: TestDatabase;
let sdp: FakeServiceDesk;
const BASE = 'https://agents.msp.example';

const addConnection = (slug: string, edition: string, sdpUrl: string, auth = 'onprem') =>
  admin(
    '--json',
    'connection',
    'add',
    '--slug',
    slug,
    '--name',
    `${slug} instance`,
    '--sdp-url',
    sdpUrl,
    '--sdp-auth',
    auth,
    '--edition',
    edition,
  );
const mapTenant = (slug: string, connection: string, ...extra: string[]) =>
  admin('tenant', 'add', '--slug', slug, '--name', slug, '--connection', connection, ...extra);

beforeAll(async () => {
  sdp = await startFakeServiceDesk({ technicianKeys: ['new-key'] });
  testDb = await adminDatabase({
    ENCRYPTION_KEY: randomEncryptionKey(),
    PUBLIC_BASE_URL: BASE,
    SDP_TECHNICIAN_KEY: 'old-key',
  });
});

afterAll(async () => {
  await sdp?.close();
  await testDb?.drop();
});

describe('admin connection', () => {
  it('adds an MSP connection: --json carries its webhook URL and secret, the text its Deluge function', async () => {
    const added = await addConnection('acme-msp', 'msp-onprem', sdp.url);
    expect(added.code).toBe(0);
    const json = JSON.parse(added.out);
    expect(json).toMatchObject({
      slug: 'acme-msp',
      edition: 'msp-onprem',
      webhook_url: `${BASE}/v1/webhooks/servicedesk/connections/acme-msp`,
    });
    expect(json.webhook_secret).toMatch(/^[\w-]{43}$/);
    const text = await admin('connection', 'rotate-webhook-secret', 'acme-msp', '--force');
    const secret = /New webhook secret of connection acme-msp: (\S+)/.exec(text.out)?.[1] ?? '';
    expect(text.out).toContain(delugeSnippet(json.webhook_url, secret, { account: true }));
    expect(text.out).toContain('accountObj.get("id").toString()');
    expect(text.out).toContain('"account": { "id": "<insert the $ variable');
  });

  it('refuses an edition that does not match the auth, and a secret on the command line', async () => {
    const wrong = await addConnection('bad', 'msp-cloud', sdp.url, 'onprem');
    expect(wrong).toMatchObject({ code: 2, err: 'error: --edition msp-cloud takes --sdp-auth cloud\n' });
    const flagged = await admin(
      'connection',
      'add',
      '--slug',
      'x',
      '--name',
      'x',
      '--sdp-url',
      sdp.url,
      '--sdp-auth',
      'onprem',
      '--edition',
      'onprem',
      '--technician-key',
      'k',
    );
    expect(flagged.code).toBe(2);
    expect(flagged.err).toContain('--technician-key');
  });

  it('maps customers by account id and refuses a missing, a duplicate and a misplaced account in words', async () => {
    expect(
      (
        await mapTenant(
          'customer-a',
          'acme-msp',
          '--sdp-account-id',
          '301',
          '--sdp-account-name',
          'Customer A',
        )
      ).code,
    ).toBe(0);
    expect((await mapTenant('customer-b', 'acme-msp', '--sdp-account-id', '302')).code).toBe(0);
    expect(await mapTenant('no-account', 'acme-msp')).toMatchObject({
      code: 1,
      err: "error: connection acme-msp (msp-onprem) serves many customer accounts: give the customer's --sdp-account-id\n",
    });
    expect(await mapTenant('again', 'acme-msp', '--sdp-account-id', '301')).toMatchObject({
      code: 1,
      err: 'error: connection acme-msp (msp-onprem) already has a tenant for account 301\n',
    });
    expect((await mapTenant('digits', 'acme-msp', '--sdp-account-id', 'abc')).code).toBe(2);
    await addConnection('portal', 'onprem', sdp.url);
    expect(await mapTenant('on-portal', 'portal', '--sdp-account-id', '5')).toMatchObject({
      code: 1,
      err: 'error: connection portal (onprem) is a single portal with no accounts: leave out --sdp-account-id\n',
    });
    expect(await mapTenant('x', 'nowhere')).toMatchObject({
      code: 1,
      err: 'error: no connection with slug "nowhere" (see: connection list)\n',
    });
    const shown = JSON.parse((await admin('--json', 'connection', 'show', 'acme-msp')).out);
    expect(shown.tenant_list).toEqual([
      { slug: 'customer-a', sdp_account_id: '301', sdp_account_name: 'Customer A' },
      { slug: 'customer-b', sdp_account_id: '302', sdp_account_name: null },
    ]);
  });

  it('keeps plain tenant add as it was: a tenant with a portal of its own', async () => {
    const plain = await addTenant({ slug: 'fabrikam', sdpUrl: 'https://sdp.fabrikam.example' });
    expect(plain.code).toBe(0);
    // Its connection would take the slug of an existing connection: refused with the way to map it.
    expect(await addTenant({ slug: 'acme-msp', sdpUrl: 'https://sdp.x.example' })).toMatchObject({
      code: 1,
      err: 'error: a connection with slug "acme-msp" already exists; map the tenant to it with --connection acme-msp\n',
    });
    const list = JSON.parse((await admin('--json', 'connection', 'list')).out);
    expect(list.find((c: { slug: string }) => c.slug === 'fabrikam')).toMatchObject({
      edition: 'onprem',
      tenants: 1,
      webhook_url: null,
    });
  });

  it("replaces the instance's credentials once, and every tenant of it uses them", async () => {
    for (const slug of ['customer-a', 'customer-b'])
      expect((await admin('tenant', 'check', slug)).code).toBe(1);
    vi.stubEnv('SDP_TECHNICIAN_KEY', 'new-key');
    const replaced = await admin('connection', 'set-credentials', 'acme-msp');
    expect(replaced.out).toContain(
      'ServiceDesk Plus credentials of connection acme-msp replaced for its 2 tenant(s); checked: OK.',
    );
    for (const slug of ['customer-a', 'customer-b']) {
      expect((await admin('tenant', 'check', slug)).code).toBe(0);
      // Each tenant's audit trail says so, without the value.
      const shown = await admin('tenant', 'show', slug);
      expect(shown.out).toContain('connection.sdp_credentials_replaced');
      expect(shown.out).not.toContain('new-key');
    }
    expect((await admin('connection', 'check', 'acme-msp')).code).toBe(0);
  });

  it('lists mapped accounts with their tenant', async () => {
    const accounts = JSON.parse((await admin('--json', 'connection', 'accounts', 'acme-msp')).out);
    expect(
      accounts.map((a: { sdp_account_id: string; tenant: string | null }) => [a.sdp_account_id, a.tenant]),
    ).toEqual([
      ['301', 'customer-a'],
      ['302', 'customer-b'],
    ]);
  });
});
