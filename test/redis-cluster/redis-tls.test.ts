import { type ChildProcess, spawn } from 'node:child_process';
import tls from 'node:tls';
import {
  createTestTls,
  freePort,
  missingRedisClusterBinaries,
  type PrivateRedisCluster,
  redisUserArgs,
  startPrivateRedisCluster,
  type TestTls,
  tlsServerArgs,
  waitForPort,
} from '@ai-agents/sandbox';
import { createRedisClient } from '@ai-agents/shared/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startRunningStack } from '../kit/stack.js';

// rediss:// with an ACL user, against private TLS-only redis-servers: one server (single mode) and a
// three-primary cluster whose bus and replication also run over TLS. Certificates come from a CA
// the test makes with openssl; the process trusts it as an operator would add a private CA
// (NODE_EXTRA_CA_CERTS), here through tls.setDefaultCACertificates. The clients check the
// certificate: nothing in the product turns verification off.

const missing = missingRedisClusterBinaries();
let testTls: TestTls | null = null;
let skipReason =
  missing.length > 0 ? `${missing.join(' and ')} not installed (apt-get install redis-server)` : '';

const USER = 'ai-agents-tls';
const PASSWORD = `tls-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  if (skipReason) return;
  testTls = await createTestTls();
  if (!testTls) {
    skipReason = 'openssl not installed (apt-get install openssl)';
    return;
  }
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), testTls.ca]);
});

afterAll(async () => {
  await testTls?.remove();
});

/** Skips (with the reason) where a binary is missing; under CI that is a failure. */
function needsBinaries(context: { skip: (note?: string) => void }) {
  if (!skipReason) return;
  if (process.env.CI) throw new Error(`the Redis TLS suite cannot run: ${skipReason}`);
  console.warn(`Redis TLS suite skipped: ${skipReason}`);
  context.skip(skipReason);
}

async function ticketToNote(stack: Stack, eventId: string) {
  const { request, res } = await stack.ticket(`Certificate warning in Outlook ${eventId}`, eventId);
  expect(res.status).toBe(202);
  const [row] = await stack.settled([eventId]);
  expect(row?.status).toBe('posted');
  expect(stack.sdp.notes(request.id)).toHaveLength(1);
}

describe('one Redis over TLS with an ACL user (REDIS_MODE=single, rediss://)', () => {
  let server: ChildProcess | undefined;
  let stack: Stack | undefined;
  let port = 0;

  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      server?.kill('SIGKILL');
    }
  });

  it('takes a webhook and posts the note, and a plain connection gets nowhere', async (context) => {
    needsBinaries(context);
    const certs = testTls as TestTls;
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        ...tlsServerArgs(certs),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        ...redisUserArgs(USER, PASSWORD),
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 5_000);
    stack = await startRunningStack({
      redisUrl: `rediss://${USER}:${encodeURIComponent(PASSWORD)}@localhost:${port}`,
    });
    await ticketToNote(stack, 'evt-tls-single');

    const plain = createRedisClient(
      { redisUrl: `redis://${USER}:${PASSWORD}@localhost:${port}`, redisMode: 'single' },
      { maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null },
    );
    plain.on('error', () => {});
    await expect(plain.ping()).rejects.toThrow();
    plain.disconnect();
    const wrongPassword = createRedisClient(
      { redisUrl: `rediss://${USER}:not-it@localhost:${port}`, redisMode: 'single' },
      { maxRetriesPerRequest: 0, retryStrategy: () => null },
    );
    wrongPassword.on('error', () => {});
    await expect(wrongPassword.ping()).rejects.toThrow(/WRONGPASS|NOAUTH|closed/);
    wrongPassword.disconnect();
  }, 60_000);
});

describe('a Redis Cluster over TLS with an ACL user (REDIS_MODE=cluster, rediss:// seeds)', () => {
  let cluster: PrivateRedisCluster | undefined;
  let stack: Stack | undefined;

  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      await cluster?.destroy();
    }
  });

  it('discovers the nodes from the seeds, takes a webhook and posts the note', async (context) => {
    needsBinaries(context);
    cluster = await startPrivateRedisCluster({ primaries: 3, replicas: 0, tls: testTls as TestTls });
    expect(cluster.url).toMatch(/^rediss:\/\//);
    // One seed is enough: the client finds the other primaries itself.
    const oneSeed = cluster.url.replace(/,.*$/, '');
    stack = await startRunningStack({ redisUrl: oneSeed, env: { REDIS_MODE: 'cluster' } });
    await ticketToNote(stack, 'evt-tls-cluster');
    expect(
      await cluster.keysOn(await cluster.primaryFor(stack.queuePrefix), `${stack.queuePrefix}:enhance:meta`),
    ).toEqual([`${stack.queuePrefix}:enhance:meta`]);
  }, 90_000);
});
