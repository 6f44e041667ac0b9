import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitFor, waitForPort } from './testing.js';

/**
 * A Redis Cluster of the test's own: `primaries` redis-server processes (and `replicas` per primary)
 * on free ports, each with an append-only file (fsync always) in a temporary directory, joined with
 * `redis-cli --cluster create`. Every node requires an ACL user (the default user is off), so the
 * clients' ACL login is exercised too. Stop a node to play an outage: its replica, if any, takes
 * over after cluster-node-timeout; start it again and it rejoins (as a replica once replaced).
 * Reference: https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/
 */

/**
 * Every node still running, killed when the test process exits: a test run cut short (a hook
 * timeout, a crashed fork) must not leave redis-servers behind.
 */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

export interface ClusterNode {
  port: number;
  running(): boolean;
  start(): Promise<void>;
  /** SIGKILL: no shutdown save, as when a machine dies. */
  stop(): Promise<void>;
}

export interface PrivateRedisCluster {
  /** Seed URL for REDIS_MODE=cluster: every primary as created, with the ACL user and password. */
  url: string;
  user: string;
  password: string;
  nodes: ClusterNode[];
  /** The running node that serves `key`'s slot as primary now. */
  primaryFor(key: string): Promise<ClusterNode>;
  /** Waits until every running node reports cluster_state:ok and `key`'s slot has a running primary. */
  waitUntilHealthy(key: string, timeoutMs?: number): Promise<ClusterNode>;
  isPrimary(node: ClusterNode): Promise<boolean>;
  /** Keys stored on one node (KEYS: the test cluster is small). */
  keysOn(node: ClusterNode, pattern: string): Promise<string[]>;
  destroy(): Promise<void>;
}

/** The binaries the cluster needs that are missing from PATH (empty when it can start). */
export function missingRedisClusterBinaries(): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return ['redis-server', 'redis-cli'].filter(
    (name) =>
      !dirs.some((dir) => {
        try {
          accessSync(join(dir, name), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
  );
}

export async function startPrivateRedisCluster(
  options: {
    primaries?: number;
    replicas?: number;
    nodeTimeoutMs?: number;
    /** TLS only (no plain port): clients, the cluster bus and replication all use it. */
    tls?: TestTls;
  } = {},
): Promise<PrivateRedisCluster> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 3_000;
  const user = 'ai-agents';
  const password = `cluster-${Math.random().toString(36).slice(2)}`;
  const dir = await mkdtemp(join(tmpdir(), 'ai-agents-redis-cluster-'));
  const nodes: ClusterNode[] = [];

  for (let i = 0; i < primaries * (1 + replicas); i++) {
    const port = await freePort();
    // The bus port explicitly: the default (port + 10000) can be taken, or beyond 65535.
    const busPort = await freePort();
    const nodeDir = join(dir, String(port));
    await mkdir(nodeDir);
    let child: ChildProcess | undefined;
    const args = [
      ...(options.tls
        ? [
            '--port',
            '0',
            '--tls-port',
            String(port),
            ...tlsServerArgs(options.tls),
            '--tls-cluster',
            'yes',
            '--tls-replication',
            'yes',
          ]
        : ['--port', String(port)]),
      '--cluster-port',
      String(busPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      nodeDir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      // A replica is in sync at once instead of after the default 5 s wait for more replicas.
      '--repl-diskless-sync-delay',
      '0',
      ...redisUserArgs(user, password),
      // Replicas log in to their primary as the same user.
      '--masteruser',
      user,
      '--masterauth',
      password,
    ];
    const node: ClusterNode = {
      port,
      running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
      async start() {
        child = spawn('redis-server', args, { stdio: 'ignore' });
        track(child);
        await waitForPort(port, 5_000);
      },
      async stop() {
        const current = child;
        child = undefined;
        if (!current || current.exitCode !== null || current.signalCode !== null) return;
        await new Promise<void>((resolve) => {
          current.once('exit', () => resolve());
          current.kill('SIGKILL');
        });
      },
    };
    nodes.push(node);
  }

  const clients = new Map<number, Redis>();
  const client = (node: ClusterNode): Redis => {
    let c = clients.get(node.port);
    if (!c) {
      c = new Redis({
        host: '127.0.0.1',
        port: node.port,
        username: user,
        password,
        ...(options.tls ? { tls: { ca: options.tls.ca } } : {}),
        maxRetriesPerRequest: 1,
        retryStrategy: () => 200,
        lazyConnect: false,
      });
      c.on('error', () => {});
      clients.set(node.port, c);
    }
    return c;
  };

  const destroy = async () => {
    for (const c of clients.values()) c.disconnect();
    for (const node of nodes) await node.stop();
    await rm(dir, { recursive: true, force: true });
  };

  async function primaryFor(key: string): Promise<ClusterNode> {
    for (const node of nodes.filter((n) => n.running())) {
      try {
        const c = client(node);
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await c.call('CLUSTER', 'SLOTS')) as [
          number,
          number,
          [string, number, ...unknown[]],
        ][];
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        const owner = nodes.find((n) => n.port === range?.[2][1]);
        if (owner?.running()) return owner;
      } catch {
        // ask another node
      }
    }
    throw new Error(`no running primary serves the slot of ${key}`);
  }

  try {
    for (const node of nodes) await node.start();
    await promisify(execFile)(
      'redis-cli',
      [
        ...(options.tls ? ['--tls', '--cacert', options.tls.caFile] : []),
        '--user',
        user,
        '-a',
        password,
        '--no-auth-warning',
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
  } catch (error) {
    await destroy();
    throw error;
  }

  const cluster: PrivateRedisCluster = {
    url: `${options.tls ? 'rediss' : 'redis'}://${user}:${password}@${nodes
      .slice(0, primaries)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',')}`,
    user,
    password,
    nodes,
    primaryFor,
    async waitUntilHealthy(key, timeoutMs = 30_000) {
      return waitFor(
        async () => {
          for (const node of nodes.filter((n) => n.running())) {
            const info = await client(node)
              .call('CLUSTER', 'INFO')
              .catch(() => '');
            if (!String(info).includes('cluster_state:ok')) return undefined;
            // A replica that has not synced cannot take over: wait for its link to be up.
            const replication = String(
              await client(node)
                .info('replication')
                .catch(() => ''),
            );
            if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
              return undefined;
          }
          return primaryFor(key).catch(() => undefined);
        },
        timeoutMs,
        'the Redis Cluster to report cluster_state:ok',
      );
    },
    async isPrimary(node) {
      return (await client(node).info('replication')).includes('role:master');
    },
    async keysOn(node, pattern) {
      return (await client(node).call('KEYS', pattern)) as string[];
    },
    destroy,
  };
  try {
    await cluster.waitUntilHealthy('{probe}');
  } catch (error) {
    await destroy();
    throw error;
  }
  return cluster;
}

/** A private CA and a certificate for localhost / 127.0.0.1 it signed, for TLS tests. */
export interface TestTls {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The CA certificate, PEM. */
  ca: string;
  remove(): Promise<void>;
}

/** Makes a CA and a server certificate with openssl (null when openssl is missing). */
export async function createTestTls(): Promise<TestTls | null> {
  const dir = await mkdtemp(join(tmpdir(), 'ai-agents-tls-'));
  const run = (args: string[]) => promisify(execFile)('openssl', args, { cwd: dir, timeout: 30_000 });
  try {
    await run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=ai-agents test CA',
    ]);
    await run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ]);
    await writeFile(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await run([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    ca: await readFile(join(dir, 'ca.crt'), 'utf8'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** redis-server arguments for TLS with `tls`; clients need no certificate of their own. */
/** redis-server arguments for one user allowed everything with this password, and no default user. */
export function redisUserArgs(user: string, password: string): string[] {
  return ['--user', user, 'on', `>${password}`, '~*', '&*', '+@all', '--user', 'default', 'off'];
}

export function tlsServerArgs(tls: TestTls): string[] {
  return [
    '--tls-cert-file',
    tls.certFile,
    '--tls-key-file',
    tls.keyFile,
    '--tls-ca-cert-file',
    tls.caFile,
    '--tls-auth-clients',
    'no',
  ];
}
