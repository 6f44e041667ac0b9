import { addHistory, createDatabase, type TenantRow, upsertInventory, withTenant } from '@ai-agents/db';
import { type Sandbox, startSandbox, TECHNICIAN_KEY } from '@ai-agents/sandbox';
import { createServiceDeskClient, htmlToText, type ServiceDeskClient } from '@ai-agents/servicedesk';
import { createLogger } from '@ai-agents/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKnowledgeBase, gatherContext } from '../src/index.js';

const logger = createLogger({ name: 'context-test', level: 'silent' });
let sandbox: Sandbox;
let database: Sandbox['database'];
let fakeSdp: Sandbox['sdp'];
let sdp: ServiceDeskClient;
let tenant: TenantRow;
let clock = 0;

const ticket = {
  requestId: 'new-1',
  subject: 'VPN disconnects for everyone on 10.1.2.3',
  description: 'AnyConnect drops every few minutes; the gateway vpn-gw01 was patched last night.',
};

function deps(
  overrides: { timeoutMs?: number; knowledgeBase?: ReturnType<typeof createKnowledgeBase> } = {},
) {
  return {
    db: database.db,
    knowledgeBase:
      overrides.knowledgeBase ?? createKnowledgeBase({ ttlMs: 60_000, toText: htmlToText, now: () => clock }),
    logger,
    similarLimit: 5,
    timeoutMs: overrides.timeoutMs ?? 5_000,
  };
}

const solutionCalls = () => fakeSdp.calls.filter((c) => c.path.endsWith('/api/v3/solutions')).length;

beforeAll(async () => {
  sandbox = await startSandbox({ tenant: { slug: 'fabrikam', name: 'Fabrikam' } });
  ({ database, sdp: fakeSdp, tenant } = sandbox);
  sdp = createServiceDeskClient({
    baseUrl: fakeSdp.url,
    auth: { type: 'onprem', technicianKey: TECHNICIAN_KEY },
  });
  await withTenant(database.db, tenant.id, async (tx) => {
    await addHistory({ db: database.db, tenantId: tenant.id, tx }, [
      {
        externalId: 'h-1',
        subject: 'AnyConnect VPN drops every few minutes',
        resolution: 'Rolled back the gateway patch',
      },
      { externalId: 'h-2', subject: 'Printer jams on floor 3', resolution: 'Replaced the fuser' },
    ]);
    await upsertInventory({ db: database.db, tenantId: tenant.id, tx }, [
      {
        hostname: 'VPN-GW01.fabrikam.local',
        ipAddress: '10.9.9.9',
        kind: 'VPN gateway',
        os: 'Cisco ASA 9.18',
      },
      { hostname: 'core-sw1', ipAddress: '10.1.2.3', kind: 'Switch', location: 'Server room' },
      { hostname: 'unrelated-pc7', ipAddress: '10.5.5.5', kind: 'Workstation' },
    ]);
  });
  fakeSdp.addSolution({ title: 'Printer fuser replacement', description: 'How to replace a fuser.' });
  fakeSdp.addSolution({
    id: '7001',
    title: 'AnyConnect VPN disconnects after gateway update',
    description: '<p>Check the <b>AnyConnect</b> DTLS setting on the gateway.</p>',
    topic: 'Network',
  });
});

afterAll(() => sandbox?.close());

beforeEach(() => fakeSdp.clearFaults());

describe('gatherContext', () => {
  it('returns similar tickets, matching knowledge-base solutions and the mentioned assets', async () => {
    const context = await gatherContext(ticket, tenant, sdp, deps());
    expect(context.unavailable).toEqual([]);
    expect(context.similar[0]?.externalId).toBe('h-1');
    expect(context.solutions[0]).toEqual({
      id: '7001',
      title: 'AnyConnect VPN disconnects after gateway update',
      snippet: 'Check the AnyConnect DTLS setting on the gateway.',
      // Keywords of the ticket found in the solution (note show prints it).
      score: expect.any(Number),
    });
    expect(context.solutions[0]?.score).toBeGreaterThan(0);
    expect(context.solutions.map((s) => s.title)).not.toContain('Printer fuser replacement');
    expect([...context.assets].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'core-sw1', type: 'Switch', ip: '10.1.2.3', owner: null, details: 'Server room' },
      {
        name: 'vpn-gw01.fabrikam.local',
        type: 'VPN gateway',
        ip: '10.9.9.9',
        owner: null,
        details: 'Cisco ASA 9.18',
      },
    ]);
  });

  it('caches knowledge-base answers per tenant until the TTL passes', async () => {
    const knowledgeBase = createKnowledgeBase({ ttlMs: 60_000, toText: htmlToText, now: () => clock });
    const before = solutionCalls();
    await gatherContext(ticket, tenant, sdp, deps({ knowledgeBase }));
    const cached = await gatherContext(ticket, tenant, sdp, deps({ knowledgeBase }));
    expect(solutionCalls()).toBe(before + 1);
    expect(cached.solutions[0]?.id).toBe('7001');
    await knowledgeBase.search('another-tenant', sdp, ticket);
    expect(solutionCalls()).toBe(before + 2);
    clock += 60_001;
    await gatherContext(ticket, tenant, sdp, deps({ knowledgeBase }));
    expect(solutionCalls()).toBe(before + 3);
  });

  it('names a failing knowledge base as unavailable and still returns the other sources', async () => {
    fakeSdp.setFault('listSolutions', { status: 500 });
    const context = await gatherContext(ticket, tenant, sdp, deps());
    expect(context.unavailable).toEqual(['knowledge base']);
    expect(context.solutions).toEqual([]);
    expect(context.similar[0]?.externalId).toBe('h-1');
    expect(context.assets).toHaveLength(2);
  });

  it('gives up on a source that does not answer within its timeout', async () => {
    fakeSdp.setFault('listSolutions', { hang: true });
    const started = Date.now();
    const context = await gatherContext(ticket, tenant, sdp, deps({ timeoutMs: 300 }));
    expect(context.unavailable).toEqual(['knowledge base']);
    expect(context.similar.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names the similar-ticket and asset sources when the database fails', async () => {
    const broken = createDatabase({ url: sandbox.testDb.appUrl.replace(/\/[^/]+$/, '/no_such_database') });
    try {
      const context = await gatherContext(ticket, tenant, sdp, { ...deps(), db: broken.db });
      expect(context.unavailable).toEqual(['similar tickets', 'assets']);
      expect(context.solutions[0]?.id).toBe('7001');
    } finally {
      await broken.close();
    }
  });
});
