import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, ensureDatabase, runMigrations } from '@ai-agents/db';

/**
 * Real Postgres and Redis for integration tests: TEST_DATABASE_URL / TEST_REDIS_URL when set, the
 * local servers otherwise. Under vitest both are always set: its global setup found the local servers
 * or started containers (test-services.ts, test/kit/global-setup.ts). Each test file gets its own database and queue prefix, so files can run
 * in parallel and again without cleaning up after each other.
 */

export const TEST_ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The application role used by tests and the demo; the password only matters where auth is not trust. */
export const LOCAL_APP_ROLE = 'ai_agents_app';
export const LOCAL_APP_PASSWORD = 'ai-agents-local-only';

export function randomEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

export function withDatabase(
  url: string,
  database: string,
  credentials?: { user: string; password: string },
): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (credentials) {
    u.username = encodeURIComponent(credentials.user);
    u.password = encodeURIComponent(credentials.password);
  }
  return u.toString();
}

export interface TestDatabase {
  name: string;
  /** Owner/superuser connection to this database: for setup and assertions only. */
  ownerUrl: string;
  /** The application role's connection: what the API and worker use. */
  appUrl: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'aiagents_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await ensureDatabase(TEST_ADMIN_DATABASE_URL, name);
  const ownerUrl = withDatabase(TEST_ADMIN_DATABASE_URL, name);
  await runMigrations({ databaseUrl: ownerUrl, appRole: LOCAL_APP_ROLE, appPassword: LOCAL_APP_PASSWORD });
  return {
    name,
    ownerUrl,
    appUrl: withDatabase(TEST_ADMIN_DATABASE_URL, name, {
      user: LOCAL_APP_ROLE,
      password: LOCAL_APP_PASSWORD,
    }),
    drop: () => dropDatabase(TEST_ADMIN_DATABASE_URL, name),
  };
}

export function testQueuePrefix(): string {
  return `test-${randomUUID()}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Stops the server; a persistent one keeps its data for the next start(). */
  stop(): Promise<void>;
  /** Stops the server and deletes its data for good. */
  destroy(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free port, to stop and restart for outage tests without
 * touching the machine's shared server. Keeps nothing on disk, unless `persistent`: then it writes an
 * append-only file (fsync on every write) in a temporary directory, as a production Redis should, so a
 * restart — even after SIGKILL — keeps the queue. `maxmemory` (e.g. '16mb') caps its memory as a
 * production Redis is capped; with noeviction, writes past it fail.
 */
export async function startPrivateRedis(
  options: { persistent?: boolean; maxmemory?: string } = {},
): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = options.persistent ? await mkdtemp(join(tmpdir(), 'ai-agents-redis-')) : undefined;

  const persistence = dir
    ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    : ['--save', '', '--appendonly', 'no'];
  let child: ChildProcess | undefined;
  const instance: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          ...persistence,
          ...(options.maxmemory ? ['--maxmemory', options.maxmemory] : []),
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: 'ignore' },
      );
      await waitForPort(port, 5_000);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
    async destroy() {
      await instance.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Removes a finished job the way BullMQ's retention (removeOnComplete / removeOnFail) does, as
 * removeJobsByMaxAge and removeJobsByMaxCount do it: out of its finished set, its keys deleted, its
 * deduplication key left to its TTL. queue.clean() and job.remove() delete the deduplication key too,
 * so they cannot stand in for retention.
 */
export async function removeAsRetentionDoes(
  redis: { zrem(key: string, member: string): Promise<number>; del(...keys: string[]): Promise<number> },
  queue: { prefix: string; name: string },
  jobId: string,
): Promise<void> {
  const base = `${queue.prefix}:${queue.name}`;
  await redis.zrem(`${base}:completed`, jobId);
  await redis.zrem(`${base}:failed`, jobId);
  await redis.del(`${base}:${jobId}`, `${base}:${jobId}:logs`);
}
