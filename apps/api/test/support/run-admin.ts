import { Readable } from 'node:stream';
import {
  createTestDatabase,
  randomEncryptionKey,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { vi } from 'vitest';
import { runAdmin } from '../../src/admin/main.js';

/** Runs the operator CLI in-process and captures what it prints, as a terminal would see it. */
export async function admin(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return capture(() => runAdmin(args));
}

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += chunk;
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += chunk;
    return true;
  });
  try {
    const code = await run();
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The same, with `input` on standard input (as `echo … | npm run admin -- …`). */
export async function adminWithStdin(
  input: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  return capture(() => runAdmin(args, { stdin: Readable.from([input]) }));
}

/** What `tenant add` needs to be told; the name defaults to the slug and the auth to on-premises. */
export interface TenantToAdd {
  slug: string;
  name?: string;
  sdpUrl: string;
  auth?: 'onprem' | 'cloud';
  /** Put `--json` first, for tests that read the printed webhook secret. */
  json?: boolean;
}

/** `tenant add` with the flags every tenant needs, then `extra` (e.g. a Cloud tenant's `--client-id`). */
export function addTenant(
  tenant: TenantToAdd,
  ...extra: string[]
): Promise<{ code: number; out: string; err: string }> {
  const { slug, name = slug, sdpUrl, auth = 'onprem', json = false } = tenant;
  const flags = ['--slug', slug, '--name', name, '--sdp-url', sdpUrl, '--sdp-auth', auth];
  return admin(...(json ? ['--json'] : []), 'tenant', 'add', ...flags, ...extra);
}

/**
 * A migrated database for the CLI and the environment an operator's shell would have for it:
 * DATABASE_URL pointing at it, then `env` (ENCRYPTION_KEY and whatever the test needs). Its `drop()`
 * also takes the environment back.
 */
export async function adminDatabase(env: Record<string, string>): Promise<TestDatabase> {
  const testDb = await createTestDatabase();
  vi.stubEnv('DATABASE_URL', testDb.appUrl);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return {
    ...testDb,
    async drop() {
      vi.unstubAllEnvs();
      await testDb.drop();
    },
  };
}

/** adminDatabase() with what queue commands need besides: Redis and a queue prefix of the test's own. */
export function adminQueueDatabase(queuePrefix: string): Promise<TestDatabase> {
  return adminDatabase({
    ENCRYPTION_KEY: randomEncryptionKey(),
    PUBLIC_BASE_URL: 'https://agents.msp.example/',
    SDP_TECHNICIAN_KEY: 'tk-secret',
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
  });
}
