import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL, withDatabase } from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './repo.js';

/**
 * `npm run demo` on each sandbox edition, as a new user runs it (the built demo: `npm test` builds
 * first). The on-premises run with --keep-running is covered by smoke-test.test.ts; here each edition
 * runs to the end and must post its note.
 */

const databases: string[] = [];

function runDemo(...args: string[]): Promise<{ code: number | null; log: string }> {
  const database = `aiagents_demo_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  databases.push(database);
  const child = spawn(process.execPath, ['packages/sandbox/dist/demo.js', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: withDatabase(TEST_ADMIN_DATABASE_URL, database),
      REDIS_URL: TEST_REDIS_URL,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, log })));
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: TEST_ADMIN_DATABASE_URL });
  await client.connect();
  try {
    for (const name of databases)
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
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
