import { type FakeServiceDesk, type SeededAccount, STRICT_QUIRKS, startMspPortal } from '@ai-agents/sandbox';
import {
  createServiceDeskClient,
  parseSdpEdition,
  resolvedTicketFrom,
  type SdpEdition,
  type ServiceDeskClient,
  ServiceDeskError,
  ticketHtmlToText,
} from '@ai-agents/servicedesk';
import { afterEach, describe, expect, it } from 'vitest';
import { accountFrom, MAX_ACCOUNT_NAME_CHARS, requestFrom } from './sdp-entities.js';

/**
 * The client against the MSP edition of the sandbox, on premises and Cloud: the account of a
 * fetched request, lists narrowed to one account, and a technician without access to an account.
 */

const KEY = 'msp-client-key';
const OAUTH = {
  clientId: '1000.MSPCLIENTTEST',
  clientSecret: 'msp-client-test-secret-0123456789',
  refreshToken: '1000.msp-client-test-refresh-0123456789',
};
const running: FakeServiceDesk[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

type MspEdition = 'msp-onprem' | 'msp-cloud';

async function portal(edition: MspEdition, extra: Partial<Parameters<typeof startMspPortal>[0]> = {}) {
  const started = await startMspPortal({
    edition,
    technicianKeys: [KEY],
    oauth: OAUTH,
    accounts: [
      { name: 'Acme', tickets: 2, history: 2 },
      { name: 'Globex', tickets: 1, history: 1 },
    ],
    ...extra,
  });
  running.push(started.sdp);
  const [acme, globex] = started.accounts as [SeededAccount, SeededAccount];
  return { sdp: started.sdp, acme, globex };
}

function clientFor(sdp: FakeServiceDesk, edition: SdpEdition): ServiceDeskClient {
  return edition === 'msp-cloud' || edition === 'cloud'
    ? createServiceDeskClient({
        edition,
        baseUrl: `${sdp.url}/app/msp`,
        auth: { type: 'cloud', ...OAUTH, accountsUrl: sdp.accountsUrl },
      })
    : createServiceDeskClient({ edition, baseUrl: sdp.url, auth: { type: 'onprem', technicianKey: KEY } });
}

const first = <T>(list: readonly T[]): T => {
  const [one] = list;
  if (one === undefined) throw new Error('seeded');
  return one;
};

describe.each(['msp-onprem', 'msp-cloud'] as const)('the client on %s', (edition) => {
  it('reads the account of a fetched request', async () => {
    const { sdp, globex } = await portal(edition);
    const request = await clientFor(sdp, edition).getRequest(first(globex.tickets).id);
    expect(request.account).toEqual({ id: globex.id, name: 'Globex' });
  });

  it('lists history and created requests of one account with list_info.account_id', async () => {
    const { sdp, acme, globex } = await portal(edition);
    const client = clientFor(sdp, edition);
    const history = await client.listRequests({ startIndex: 1, rowCount: 100, accountId: acme.id });
    expect(history.requests.map((r) => r.id)).toEqual(acme.history.map((r) => r.id));
    expect(history.requests.every((r) => r.account?.id === acme.id)).toBe(true);
    const since = new Date(0);
    const created = await client.listCreatedRequests({
      since,
      startIndex: 1,
      rowCount: 100,
      accountId: globex.id,
    });
    expect(created.requests.map((r) => r.id).sort()).toEqual(
      [...globex.history, ...globex.tickets].map((r) => r.id).sort(),
    );
    // Without an account: every account's, as before.
    const all = await client.listCreatedRequests({ since, startIndex: 1, rowCount: 100 });
    expect(all.requests).toHaveLength(6);
  });

  it('carries the account into the history ticket it builds', async () => {
    const { sdp, acme } = await portal(edition);
    const client = clientFor(sdp, edition);
    const listed = first(
      (await client.listRequests({ startIndex: 1, rowCount: 1, accountId: acme.id })).requests,
    );
    const request = await client.getRequest(listed.id);
    const ticket = resolvedTicketFrom(request, await client.getResolution(listed.id), ticketHtmlToText);
    expect(ticket.account).toEqual({ id: acme.id, name: 'Acme' });
    expect(ticket.resolution).toContain('Acme: renewed the VPN lease');
  });

  it('reports an account the credential may not see as forbidden, never as a dead credential', async () => {
    const { sdp, acme, globex } = await portal(edition);
    sdp.limitAccounts(edition === 'msp-cloud' ? 'oauth' : { technicianKey: KEY }, [acme.id]);
    const client = clientFor(sdp, edition);
    const read = client.getRequest(first(globex.tickets).id);
    await expect(read).rejects.toBeInstanceOf(ServiceDeskError);
    await expect(read).rejects.toMatchObject({ kind: 'forbidden', httpStatus: 403 });
    const list = client.listRequests({ startIndex: 1, rowCount: 10, accountId: globex.id });
    await expect(list).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(client.addNote(first(globex.tickets).id, { description: 'x' })).rejects.toMatchObject({
      kind: 'forbidden',
    });
    expect(sdp.notes()).toEqual([]);
    // Its own account still works, with the same credential.
    const mine = await client.addNote(first(acme.tickets).id, { description: 'Checked the VPN lease.' });
    expect(sdp.notes(first(acme.tickets).id).map((n) => n.id)).toEqual([mine.id]);
  });
});

describe('the MSP client, the edges', () => {
  it('reads 18-digit account ids losslessly and refuses an unknown account_id as a bad request', async () => {
    const { sdp, acme } = await portal('msp-onprem', { quirks: STRICT_QUIRKS });
    expect(acme.id).toMatch(/^\d{18}$/);
    const client = clientFor(sdp, 'msp-onprem');
    expect((await client.getRequest(first(acme.tickets).id)).account?.id).toBe(acme.id);
    await expect(
      client.listRequests({ startIndex: 1, rowCount: 10, accountId: '424242' }),
    ).rejects.toMatchObject({ kind: 'bad_request', sdpFields: ['account_id'] });
  });

  it('4002 on HTTP 401 (a build that answers so) is still forbidden, not auth', async () => {
    const { sdp, acme, globex } = await portal('msp-onprem', { refusals: { notAllowedStatus: 401 } });
    sdp.limitAccounts({ technicianKey: KEY }, [acme.id]);
    await expect(clientFor(sdp, 'msp-onprem').getRequest(first(globex.tickets).id)).rejects.toMatchObject({
      kind: 'forbidden',
      httpStatus: 401,
    });
  });

  it('sends no call with an account on a single-portal edition, nor an id that is not one', async () => {
    const { sdp } = await portal('msp-onprem');
    const before = sdp.calls.length;
    const onprem = createServiceDeskClient({
      baseUrl: sdp.url,
      auth: { type: 'onprem', technicianKey: KEY },
    });
    await expect(onprem.listRequests({ startIndex: 1, rowCount: 1, accountId: '3001' })).rejects.toThrow(
      /only for the MSP editions, not onprem/,
    );
    const msp = clientFor(sdp, 'msp-onprem');
    await expect(
      msp.listCreatedRequests({ since: new Date(0), startIndex: 1, rowCount: 1, accountId: '1 OR 1' }),
    ).rejects.toMatchObject({ kind: 'bad_request' });
    expect(sdp.calls.length).toBe(before);
  });

  it('refuses an edition that does not authenticate as the credentials do', () => {
    expect(() =>
      createServiceDeskClient({
        edition: 'msp-cloud',
        baseUrl: 'https://sdp.example.com',
        auth: { type: 'onprem', technicianKey: KEY },
      }),
    ).toThrow(/msp-cloud authenticates as cloud, but the credentials are onprem/);
    expect(parseSdpEdition(' MSP-Cloud ')).toBe('msp-cloud');
    expect(() => parseSdpEdition('msp')).toThrow(/onprem, cloud, msp-onprem, msp-cloud/);
  });

  it('bounds what it reads of an account, and drops one without a readable id', () => {
    const long = 'x'.repeat(MAX_ACCOUNT_NAME_CHARS + 50);
    expect(accountFrom({ id: 7, name: long })?.name).toHaveLength(MAX_ACCOUNT_NAME_CHARS);
    expect(accountFrom({ id: 2 ** 53, name: 'Rounded' })).toBeUndefined();
    expect(accountFrom({ id: '9'.repeat(40), name: 'Too long' })).toBeUndefined();
    expect(accountFrom({ name: 'No id' })).toBeUndefined();
    expect(requestFrom({ id: '1', subject: 's', account: 'Acme' })).not.toHaveProperty('account');
    expect(requestFrom({ id: '1', subject: 's' })).not.toHaveProperty('account');
  });
});
