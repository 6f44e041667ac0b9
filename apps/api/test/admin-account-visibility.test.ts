import { DEFAULT_TECHNICIAN_KEY, type FakeServiceDesk, startMspPortal } from '@ai-agents/sandbox';
import { createServiceDeskClient } from '@ai-agents/servicedesk';
import { afterAll, describe, expect, it } from 'vitest';
import { accountVisibilityLines, checkAccountVisibility } from '../src/admin/account-visibility.js';

/**
 * `connection check`, per mapped account, against the fake ServiceDesk Plus MSP, whose key can be
 * limited to some accounts and refuses the others as the portal documents (4002, HTTP 403).
 */
const portals: FakeServiceDesk[] = [];
afterAll(async () => {
  await Promise.all(portals.map((p) => p.close()));
});

describe('whether the key of an MSP connection can see each mapped account', () => {
  it('says which accounts the key sees, which it may not, and which do not exist', async () => {
    const started = await startMspPortal({
      edition: 'msp-onprem',
      accounts: [
        { name: 'Contoso', tickets: 1 },
        { name: 'Fabrikam', tickets: 1 },
      ],
    });
    portals.push(started.sdp);
    const [contoso, fabrikam] = started.accounts;
    if (!contoso || !fabrikam) throw new Error('two accounts seeded');
    // The key's technician is associated with Contoso only.
    started.sdp.limitAccounts({ technicianKey: DEFAULT_TECHNICIAN_KEY }, [contoso.id]);
    const sdp = createServiceDeskClient({
      baseUrl: started.sdp.url,
      edition: 'msp-onprem',
      auth: { type: 'onprem', technicianKey: DEFAULT_TECHNICIAN_KEY },
    });
    const results = await checkAccountVisibility(sdp, [
      { accountId: contoso.id, tenant: 'contoso' },
      { accountId: fabrikam.id, tenant: 'fabrikam' },
      { accountId: '999999', tenant: 'typo' },
    ]);
    expect(results.map((r) => [r.tenant, r.visible, 'problem' in r ? r.problem : null])).toEqual([
      ['contoso', true, null],
      ['fabrikam', false, 'forbidden'],
      ['typo', false, 'no_such_account'],
    ]);
    expect(accountVisibilityLines(results)).toEqual([
      `  account ${contoso.id} (contoso): the key can see it`,
      `  account ${fabrikam.id} (fabrikam): cannot see account ${fabrikam.id}: associate the key's technician with the account (MSP admin guide, configuring accounts)`,
      "  account 999999 (typo): the instance has no account 999999: check the tenant's --sdp-account-id",
    ]);
    // One list per account, narrowed to it (the fake logs the account of a list it answered or
    // refused for permission; the unknown id is refused before); nothing else was asked.
    const lists = started.sdp.calls.filter((c) => c.path === '/api/v3/requests');
    expect(lists.map((c) => c.accountId)).toEqual([contoso.id, fabrikam.id, undefined]);
    expect(started.sdp.calls).toHaveLength(3);
  });

  it('reports a refused key as not checked, not as an account it cannot see', async () => {
    const started = await startMspPortal({ edition: 'msp-onprem', accounts: [{ name: 'Contoso' }] });
    portals.push(started.sdp);
    const [contoso] = started.accounts;
    const sdp = createServiceDeskClient({
      baseUrl: started.sdp.url,
      edition: 'msp-onprem',
      auth: { type: 'onprem', technicianKey: 'revoked-key' },
    });
    const [result] = await checkAccountVisibility(sdp, [{ accountId: contoso?.id ?? '', tenant: 'contoso' }]);
    expect(result).toMatchObject({ visible: null, problem: 'auth' });
  });
});
