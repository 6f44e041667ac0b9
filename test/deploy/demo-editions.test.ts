import { randomUUID } from 'node:crypto';
import { dropDatabase } from '@ai-agents/db';
import { TEST_ADMIN_DATABASE_URL } from '@ai-agents/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnDemo } from './demo-process.js';

/**
 * `npm run demo` on each sandbox edition, as a new user runs it (the built demo: `npm test` builds
 * first). The on-premises run with --keep-running is covered by smoke-test.test.ts; here each edition
 * runs to the end and must post its note.
 */

const databases: string[] = [];

function runDemo(...args: string[]): Promise<{ code: number | null; log: string }> {
  const database = `aiagents_demo_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  databases.push(database);
  const { child, log } = spawnDemo(database, ...args);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, log: log() })));
}

afterAll(async () => {
  for (const name of databases) await dropDatabase(TEST_ADMIN_DATABASE_URL, name);
}, 60_000);

describe('npm run demo on each ServiceDesk Plus edition', () => {
  it('--edition cloud posts its note on a Cloud portal', async () => {
    const { code, log } = await runDemo('--edition', 'cloud');
    expect(code, log).toBe(0);
    expect(log).toContain('starting the sandbox ServiceDesk Plus (Cloud)');
    expect(log).toMatch(/Internal note posted on request \d+ \(Cloud portal/);
  }, 120_000);

  it("--edition msp posts a note for each of two customers from the connection's one signed webhook URL", async () => {
    const { code, log } = await runDemo('--edition', 'msp');
    expect(code, log).toBe(0);
    expect(log).toContain('starting the sandbox ServiceDesk Plus (MSP, two customers)');
    for (const customer of ['Contoso', 'Fabrikam']) {
      expect(log).toMatch(
        new RegExp(`webhook for ${customer}'s request \\d+ \\(account \\d+\\) to the connection's one URL`),
      );
      expect(log).toMatch(
        new RegExp(`Internal note posted on request \\d+ \\(${customer}, tenant demo-msp-`),
      );
    }
    // Each note cites its own customer's past tickets, never the other's.
    const notes = log.split('── Internal note posted').slice(1);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('Contoso: ');
    expect(notes[0]).not.toContain('Fabrikam');
    expect(notes[1]).toContain('Fabrikam: ');
    expect(notes[1]).not.toContain('Contoso');
  }, 120_000);

  it('refuses an edition it does not know, naming the choices', async () => {
    const { code, log } = await runDemo('--edition', 'mainframe');
    expect(code).toBe(2);
    expect(log).toContain('--edition must be onprem, cloud or msp, got "mainframe"');
  }, 30_000);
});
