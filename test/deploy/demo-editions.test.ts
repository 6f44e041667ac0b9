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

  it('refuses an edition it does not know, naming the choices', async () => {
    const { code, log } = await runDemo('--edition', 'mainframe');
    expect(code).toBe(2);
    expect(log).toContain('--edition must be onprem or cloud, got "mainframe"');
  }, 30_000);
});
