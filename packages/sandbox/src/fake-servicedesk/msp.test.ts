import {
  type FakeServiceDesk,
  type MspPortalOptions,
  startFakeServiceDesk,
  startMspPortal,
} from '@ai-agents/sandbox';
import { afterEach, describe, expect, it } from 'vitest';

/** The MSP edition of the fake (msp.ts): accounts on requests, lists by account, access per technician. */

const ACCEPT = { accept: 'application/vnd.manageengine.sdp.v3+json' };
const KEY_ALL = 'msp-key-all-accounts';
const KEY_ACME = 'msp-key-acme-only';
const OAUTH = {
  clientId: '1000.MSPCLIENT',
  clientSecret: 'msp-client-secret-0123456789',
  refreshToken: '1000.msp-refresh-token-0123456789',
};

interface Message {
  status_code: number;
  field?: string;
}
interface Answer {
  request?: { id: string; account?: { id: string; name: string }; site?: { name: string } };
  requests?: Array<{ id: string; account: { id: string; name: string } }>;
  response_status: { status_code?: number; messages?: Message[] } | Array<{ status_code: number }>;
}

const running: FakeServiceDesk[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function twoAccounts(options: Partial<MspPortalOptions>) {
  const started = await startMspPortal({
    technicianKeys: [KEY_ALL, KEY_ACME],
    oauth: OAUTH,
    accounts: [
      { name: 'Acme', tickets: 2, history: 1 },
      { name: 'Globex', tickets: 1 },
    ],
    keyAccounts: {},
    ...options,
  });
  running.push(started.sdp);
  const [acme, globex] = started.accounts;
  if (!acme || !globex) throw new Error('two accounts were seeded');
  started.sdp.limitAccounts({ technicianKey: KEY_ACME }, [acme.id]);
  return { sdp: started.sdp, acme, globex };
}

async function get(sdp: FakeServiceDesk, path: string, headers: Record<string, string>) {
  const res = await fetch(`${sdp.url}${path}`, { headers: { ...ACCEPT, ...headers } });
  return { status: res.status, body: (await res.json()) as Answer };
}

const listOf = (listInfo: Record<string, unknown>) =>
  `/api/v3/requests?input_data=${encodeURIComponent(JSON.stringify({ list_info: { row_count: 100, ...listInfo } }))}`;

function messages(body: Answer): Message[] {
  const status = Array.isArray(body.response_status) ? undefined : body.response_status;
  return status?.messages ?? [];
}

describe('the MSP fake ServiceDesk Plus (on-premises)', () => {
  it('answers each request with its account and site, as v3 does on MSP', async () => {
    const { sdp, acme } = await twoAccounts({});
    const ticket = acme.tickets[0];
    if (!ticket) throw new Error('seeded');
    const { status, body } = await get(sdp, `/api/v3/requests/${ticket.id}`, { authtoken: KEY_ALL });
    expect(status).toBe(200);
    expect(body.request?.account).toEqual({ id: acme.id, name: 'Acme' });
    expect(body.request?.site).toEqual({ name: 'Acme Base Site' });
  });

  it('lists one account with list_info.account_id, every visible account without it', async () => {
    const { sdp, acme, globex } = await twoAccounts({});
    const all = await get(sdp, listOf({ filter_by: { name: 'All_Requests' } }), { authtoken: KEY_ALL });
    expect(all.body.requests).toHaveLength(4);
    const onlyGlobex = await get(sdp, listOf({ account_id: globex.id }), { authtoken: KEY_ALL });
    expect(onlyGlobex.body.requests?.map((r) => r.account.name)).toEqual(['Globex']);
    // The call log names the account a list narrowed to, and none for a list of every account.
    expect(sdp.calls.slice(-2).map((c) => c.accountId)).toEqual([undefined, globex.id]);
    // A number is the same id (the web client's getAccountId() may send either).
    const asNumber = await get(sdp, listOf({ account_id: Number(acme.id) }), { authtoken: KEY_ALL });
    expect(asNumber.body.requests?.every((r) => r.account.id === acme.id)).toBe(true);
    expect(asNumber.body.requests).toHaveLength(2);
  });

  it('refuses an account_id that is no account as SDP refuses an unknown id: 400, 4001, the field', async () => {
    const { sdp } = await twoAccounts({});
    const { status, body } = await get(sdp, listOf({ account_id: '999999' }), { authtoken: KEY_ALL });
    expect(status).toBe(400);
    expect(messages(body)).toEqual([expect.objectContaining({ status_code: 4001, field: 'account_id' })]);
  });

  it('refuses a technician the requests and the list of an account not theirs (403, 4002)', async () => {
    const { sdp, acme, globex } = await twoAccounts({});
    const theirs = globex.tickets[0];
    if (!theirs) throw new Error('seeded');
    const asAcme = { authtoken: KEY_ACME };
    const read = await get(sdp, `/api/v3/requests/${theirs.id}`, asAcme);
    expect(read.status).toBe(403);
    expect(messages(read.body)[0]?.status_code).toBe(4002);
    expect((await get(sdp, `/api/v3/requests/${theirs.id}/notes`, asAcme)).status).toBe(403);
    const post = await fetch(`${sdp.url}/api/v3/requests/${theirs.id}/notes`, {
      method: 'POST',
      headers: { ...ACCEPT, ...asAcme, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ input_data: JSON.stringify({ note: { description: 'x' } }) }).toString(),
    });
    expect(post.status).toBe(403);
    expect(sdp.notes(theirs.id)).toEqual([]);
    expect((await get(sdp, listOf({ account_id: globex.id }), asAcme)).status).toBe(403);
    // Without an account, the list holds only the accounts the technician may see.
    const visible = await get(sdp, listOf({ filter_by: { name: 'All_Requests' } }), asAcme);
    expect(visible.body.requests?.map((r) => r.account.id)).toEqual([acme.id, acme.id, acme.id]);
    // The same key on its own account works, and limits can be lifted.
    expect((await get(sdp, `/api/v3/requests/${acme.tickets[0]?.id}`, asAcme)).status).toBe(200);
    sdp.limitAccounts({ technicianKey: KEY_ACME }, 'all');
    expect((await get(sdp, `/api/v3/requests/${theirs.id}`, asAcme)).status).toBe(200);
  });

  it('words the refusal in the portal’s refusal shapes (4002 on HTTP 401, code only in messages)', async () => {
    const { sdp, globex } = await twoAccounts({
      refusals: { notAllowedStatus: 401, codes: 'messages-only' },
    });
    const { status, body } = await get(sdp, `/api/v3/requests/${globex.tickets[0]?.id}`, {
      authtoken: KEY_ACME,
    });
    expect(status).toBe(401);
    const envelope = body.response_status as { status_code?: number; messages?: Message[] };
    expect(envelope.status_code).toBeUndefined();
    expect(envelope.messages?.[0]?.status_code).toBe(4002);
  });

  it('adds a request only with its account (by id or name) and requester, as the MSP API requires', async () => {
    const { sdp, acme } = await twoAccounts({});
    expect(() => sdp.addRequest({ subject: 'No account', requester: { name: 'Kim' } })).toThrow(/account/);
    expect(() =>
      sdp.addRequest({ subject: 'Unknown', requester: { name: 'Kim' }, account: { id: '1' } }),
    ).toThrow(/not an account/);
    expect(() => sdp.addRequest({ subject: 'No requester', account: { name: 'Acme' } })).toThrow(/requester/);
    const byName = sdp.addRequest({
      subject: 'By name',
      requester: { name: 'Kim' },
      account: { name: 'acme' },
    });
    expect(byName.account).toEqual({ id: acme.id, name: 'Acme' });
    const control = await fetch(`${sdp.url}/_sandbox/requests`, {
      method: 'POST',
      body: JSON.stringify({ subject: 'Control, no account', requester: { name: 'Kim' } }),
    });
    expect(control.status).toBe(400);
  });

  it('keeps account names unique and account ids digits', async () => {
    const { sdp } = await twoAccounts({});
    expect(() => sdp.addAccount({ name: 'ACME' })).toThrow(/already exists/);
    expect(() => sdp.addAccount({ id: '../x', name: 'Initech' })).toThrow(/digit/);
    expect(sdp.addAccount({ name: 'Initech' }).name).toBe('Initech');
    expect(sdp.accounts().map((a) => a.name)).toEqual(['Acme', 'Globex', 'Initech']);
  });
});

describe('the MSP fake ServiceDesk Plus (Cloud)', () => {
  async function token(sdp: FakeServiceDesk): Promise<string> {
    const res = await fetch(`${sdp.accountsUrl}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: OAUTH.clientId,
        client_secret: OAUTH.clientSecret,
        refresh_token: OAUTH.refreshToken,
      }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('answers under /app/<portal>/api/v3 with Zoho tokens only, limited to the token’s accounts', async () => {
    const { sdp, acme, globex } = await twoAccounts({ edition: 'msp-cloud' });
    const auth = { authorization: `Zoho-oauthtoken ${await token(sdp)}` };
    const mine = await get(sdp, `/app/msp/api/v3/requests/${globex.tickets[0]?.id}`, auth);
    expect(mine.body.request?.account?.name).toBe('Globex');
    expect((await get(sdp, `/api/v3/requests/${globex.tickets[0]?.id}`, { authtoken: KEY_ALL })).status).toBe(
      404,
    );
    sdp.limitAccounts('oauth', [acme.id]);
    expect((await get(sdp, `/app/msp/api/v3/requests/${globex.tickets[0]?.id}`, auth)).status).toBe(403);
    expect((await get(sdp, `/app/msp${listOf({ account_id: globex.id })}`, auth)).status).toBe(403);
    expect((await get(sdp, `/app/msp/api/v3/requests/${acme.tickets[0]?.id}`, auth)).status).toBe(200);
  });
});

describe('a single-portal fake stays as it was', () => {
  it('has no accounts and ignores account_id', async () => {
    const sdp = await startFakeServiceDesk({ technicianKeys: [KEY_ALL] });
    running.push(sdp);
    sdp.addRequest({ subject: 'Plain' });
    expect(() => sdp.addAccount({ name: 'Acme' })).toThrow(/MSP portals/);
    expect(sdp.accounts()).toEqual([]);
    const { status, body } = await get(sdp, listOf({ account_id: '3001' }), { authtoken: KEY_ALL });
    expect(status).toBe(200);
    expect(body.requests?.[0]).not.toHaveProperty('account');
  });
});

describe('startMspPortal, the seeding helper', () => {
  it('seeds each account’s tickets and history in one creation order, history resolved with a resolution', async () => {
    const { sdp, acme, globex } = await twoAccounts({});
    const seeded = [...acme.history, ...acme.tickets, ...globex.history, ...globex.tickets];
    const times = seeded.map((r) => Number(r.created_time.value));
    expect(new Set(times).size).toBe(seeded.length);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const request of acme.history) {
      const stored = sdp.request(request.id);
      expect(stored?.status).toEqual({ name: 'Resolved' });
      expect(stored?.resolution).toEqual({ content: expect.stringContaining('Acme') });
    }
    expect(globex.tickets.every((r) => r.subject.startsWith('Globex:'))).toBe(true);
  });
});
