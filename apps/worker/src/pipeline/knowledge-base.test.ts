import { DEFAULT_TECHNICIAN_KEY, startFakeServiceDesk } from '@ai-agents/sandbox';
import { createServiceDeskClient, ticketHtmlToText } from '@ai-agents/servicedesk';
import { afterAll, describe, expect, it } from 'vitest';
import { createKnowledgeBase } from './knowledge-base.js';

const OAUTH = {
  clientId: '1000.KBTEST',
  clientSecret: 'kb-test-secret',
  refreshToken: '1000.kb-test-refresh',
};
const closing: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closing.map((close) => close()));
});

/** A Cloud portal whose token lacks the knowledge-base scope, refused in Zoho's INVALID_OAUTHSCOPE wording. */
async function portalWithoutKbScope() {
  const sdp = await startFakeServiceDesk({
    edition: 'cloud',
    oauth: { ...OAUTH, scopes: ['SDPOnDemand.requests.ALL'], scopeRefusal: 'invalid-oauthscope' },
  });
  closing.push(() => sdp.close());
  sdp.addSolution({ title: 'Printer offline', description: 'Power-cycle the printer.' });
  const client = createServiceDeskClient({
    baseUrl: `${sdp.url}/app/itdesk`,
    auth: { type: 'cloud', ...OAUTH, accountsUrl: sdp.accountsUrl },
  });
  const searches = () => sdp.calls.filter((c) => c.path.endsWith('/api/v3/solutions')).length;
  return { client, searches };
}

describe('knowledge base on a portal that refuses the search', () => {
  it('asks once per cache period, and each ticket still sees the refusal', async () => {
    let now = 0;
    const kb = createKnowledgeBase({ ttlMs: 60_000, toText: ticketHtmlToText, now: () => now });
    const { client, searches } = await portalWithoutKbScope();
    for (const subject of ['Printer offline', 'VPN drops', 'Mailbox full']) {
      await expect(
        kb.search('t1', client, { subject, description: 'since this morning' }),
      ).rejects.toMatchObject({
        kind: 'forbidden',
      });
    }
    expect(searches()).toBe(1);
    now += 60_001;
    await expect(kb.search('t1', client, { subject: 'Printer jam', description: '' })).rejects.toMatchObject({
      kind: 'forbidden',
    });
    expect(searches()).toBe(2);
  });

  it('without a cache, asks for every ticket', async () => {
    const kb = createKnowledgeBase({ ttlMs: 0, toText: ticketHtmlToText });
    const { client, searches } = await portalWithoutKbScope();
    for (const subject of ['Printer offline', 'VPN drops']) {
      await expect(kb.search('t1', client, { subject, description: '' })).rejects.toMatchObject({
        kind: 'forbidden',
      });
    }
    expect(searches()).toBe(2);
  });
});

describe("knowledge base limited to a tenant's solution topics", () => {
  it('offers only solutions filed under the topics, the best of those first, and caches per topic list', async () => {
    const sdp = await startFakeServiceDesk();
    closing.push(() => sdp.close());
    sdp.addSolution({ title: 'VPN drops hourly', description: 'Renew the VPN lease.', topic: 'Contoso VPN' });
    sdp.addSolution({
      title: 'VPN drops after an hour',
      description: 'VPN lease of Fabrikam.',
      topic: 'Fabrikam',
    });
    sdp.addSolution({ title: 'VPN drops', description: 'VPN client reinstall.', topic: 'Network' });
    const client = createServiceDeskClient({
      baseUrl: sdp.url,
      auth: { type: 'onprem', technicianKey: DEFAULT_TECHNICIAN_KEY },
    });
    const kb = createKnowledgeBase({ ttlMs: 60_000, toText: ticketHtmlToText });
    const ticket = { subject: 'VPN drops every hour', description: 'the VPN lease ends' };
    const titles = async (topics?: string[]) =>
      (await kb.search('t1', client, ticket, topics)).map((s) => s.topic);
    expect(await titles(['contoso vpn', 'Network'])).toEqual(['Contoso VPN', 'Network']);
    expect(await titles(['Fabrikam'])).toEqual(['Fabrikam']);
    expect((await titles()).sort()).toEqual(['Contoso VPN', 'Fabrikam', 'Network']);
    expect(await titles(['No such topic'])).toEqual([]);
  });
});
