import { addHistory } from '@ai-agents/db';
import {
  DEFAULT_CATEGORIES,
  DEMO_HISTORY,
  DEMO_TICKET,
  type Sandbox,
  startSandbox,
  TECHNICIAN_KEY,
} from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enhanceTicket, processorDeps } from './support/processor.js';

// `npm run demo` is the first note a newcomer reads: the demo's tenant, history and ticket through the
// processor, against the fake portal (its stock taxonomy) and the fake LLM, as the demo runs them.

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(() => sandbox?.close());

/** The note's visible text: tags dropped, entities of the escaped model text decoded. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ');
}

describe("the demo's note", () => {
  it('reads like a real one: no label repeated, a cause and a category grounded in the similar tickets', async () => {
    const { sdp } = sandbox;
    const { tenant } = await sandbox.addTenant({ sdpBaseUrl: sdp.url, technicianKey: TECHNICIAN_KEY });
    await addHistory({ db: sandbox.database.db, tenantId: tenant.id }, DEMO_HISTORY);
    // The portal's stock list starts with "Desktop Hardware": the old fake took the list's head.
    expect(DEFAULT_CATEGORIES[0]).toBe('Desktop Hardware');

    const { html, row } = await enhanceTicket(processorDeps(sandbox), sdp, tenant.id, {
      subject: DEMO_TICKET.subject,
      description: DEMO_TICKET.description,
    });
    const note = text(html);
    expect(row).toMatchObject({ status: 'posted', fallback: false });
    expect(note).not.toMatch(/Likely cause:\s*Likely cause/i);
    expect(note).not.toMatch(/\b(\w[\w ]{2,30}):\s*\1:/i);
    // The cause comes from the resolution of a similar Outlook ticket of the demo history.
    const resolutions = DEMO_HISTORY.map((t) => t.resolution ?? '').filter((r) => r !== '');
    const cause = /Likely cause:\s*(.*?)(?:Next steps|$)/.exec(note)?.[1] ?? '';
    expect(resolutions.some((r) => cause.includes(r))).toBe(true);
    // The suggestion is a category the similar tickets carry, not the head of the portal's list.
    const similarCategories = new Set(DEMO_HISTORY.map((t) => t.category));
    expect(row.suggestedCategory).toBe('Email');
    expect(similarCategories.has(row.suggestedCategory)).toBe(true);
  });
});
