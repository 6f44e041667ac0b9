import { describe, expect, it } from 'vitest';
import { startSandbox } from './test-sandbox.js';

// A sandbox's MSP portal (msp-portal.ts) for the tests of one connection with many customers: it
// answers beside the sandbox's own portal, holds the seeded accounts, and closes with the sandbox.

describe('sandbox.addMspPortal', () => {
  it('starts an MSP portal with seeded accounts beside the default one, and closes it with the sandbox', async () => {
    const sandbox = await startSandbox();
    const { sdp, accounts } = await sandbox.addMspPortal({
      edition: 'msp-onprem',
      technicianKeys: ['msp-sandbox-key'],
      accounts: [{ name: 'Acme', tickets: 1, history: 2 }, { name: 'Globex' }],
    });
    expect(sdp.url).not.toBe(sandbox.sdp.url);
    expect(accounts.map((a) => [a.name, a.tickets.length, a.history.length])).toEqual([
      ['Acme', 1, 2],
      ['Globex', 0, 0],
    ]);
    const ticket = accounts[0]?.tickets[0];
    const res = await fetch(`${sdp.url}/api/v3/requests/${ticket?.id}`, {
      headers: { authtoken: 'msp-sandbox-key', accept: 'application/vnd.manageengine.sdp.v3+json' },
    });
    expect(((await res.json()) as { request: { account: unknown } }).request.account).toEqual({
      id: accounts[0]?.id,
      name: 'Acme',
    });
    // The sandbox's own portal is a single-portal one, as before.
    expect(sandbox.sdp.accounts()).toEqual([]);
    await sandbox.close();
    await expect(fetch(`${sdp.url}/api/v3/requests`)).rejects.toThrow();
  });
});
