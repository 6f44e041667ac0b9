import { type ChildProcess, spawn } from 'node:child_process';
import { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL, withDatabase } from '@ai-agents/sandbox';
import { ROOT } from './repo.js';

/**
 * The built demo (what `npm run demo` runs) on a database of its own and the test Redis, with no
 * other environment, as an operator starts it. Its progress goes to stderr, collected in `log()`.
 */
export function spawnDemo(database: string, ...args: string[]): { child: ChildProcess; log(): string } {
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
  return { child, log: () => log };
}
