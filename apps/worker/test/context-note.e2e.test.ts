import { addHistory, upsertInventory, withTenant } from '@ai-agents/db';
import { type Sandbox, startSandbox } from '@ai-agents/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EnhanceDeps } from '../src/processors/enhance-ticket.js';
import { enhanceTicket, processorDeps } from './support/processor.js';

// The gathered context (similar tickets, knowledge base, assets) through the processor into the
// prompt and the posted note, against the fake ServiceDesk Plus and the fake LLM.

let sandbox: Sandbox;
let deps: EnhanceDeps;

const enhance = (ticket: { subject: string; description: string }) =>
  enhanceTicket(deps, sandbox.sdp, sandbox.tenantId, ticket);

const ticket = {
  subject: 'VPN drops for the whole office behind core-sw1',
  description:
    'AnyConnect disconnects every few minutes since last night; the switch at 10.1.2.3 was patched.',
};

beforeAll(async () => {
  sandbox = await startSandbox({ tenant: { slug: 'contextnote', name: 'Context Note' } });
  const { database, tenantId } = sandbox;
  await withTenant(database.db, tenantId, async (tx) => {
    await addHistory({ db: database.db, tenantId, tx }, [
      {
        externalId: '8001',
        subject: 'AnyConnect VPN disconnects every few minutes',
        resolution: 'Rolled back the patch.',
      },
    ]);
    await upsertInventory({ db: database.db, tenantId, tx }, [
      { hostname: 'core-sw1', ipAddress: '10.1.2.3', kind: 'Core switch' },
    ]);
  });
  sandbox.sdp.addSolution({
    id: '7001',
    title: 'AnyConnect disconnects after a switch patch',
    description: 'Check DTLS.',
  });
  deps = processorDeps(sandbox, { CONTEXT_SOURCE_TIMEOUT_MS: '2000' });
});

afterAll(() => sandbox?.close());

beforeEach(() => sandbox.sdp.clearFaults());

describe('gathered context in the prompt and the note', () => {
  it('gives the LLM the similar ticket, the solution and the mentioned switch, and shows the asset', async () => {
    const { html, row } = await enhance(ticket);
    const prompt = sandbox.llm.prompts.at(-1) ?? '';
    expect(prompt).toContain('8001');
    expect(prompt).toContain('AnyConnect disconnects after a switch patch');
    expect(prompt).toContain('core-sw1');
    expect(html).toContain('core-sw1');
    expect(html).not.toContain('unavailable');
    expect(row?.status).toBe('posted');
  });

  it('posts the note anyway when the knowledge base fails, and says it was unavailable', async () => {
    sandbox.sdp.setFault('listSolutions', { status: 500 });
    const { html, row } = await enhance(ticket);
    expect(html).toContain('Knowledge base unavailable.');
    expect(html).toContain('#8001');
    expect(row?.status).toBe('posted');
  });
});
