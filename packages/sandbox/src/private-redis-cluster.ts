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

interface ClusterSettings {
  primaries: number;
  replicas: number;
  nodeTimeoutMs: number;
  user: string;
  password: string;
  tls: TestTls | undefined;
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
  const settings: ClusterSettings = {
    primaries: options.primaries ?? 3,
    replicas: options.replicas ?? 0,
    nodeTimeoutMs: options.nodeTimeoutMs ?? 3_000,
    user: 'ai-agents',
    password: `cluster-${Math.random().toString(36).slice(2)}`,
    tls: options.tls,
  };
  const dir = await mkdtemp(join(tmpdir(), 'ai-agents-redis-cluster-'));
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < settings.primaries * (1 + settings.replicas); i++) {
    const port = await freePort();
    // The bus port explicitly: the default (port + 10000) can be taken, or beyond 65535.
    const busPort = await freePort();
    const nodeDir = join(dir, String(port));
    await mkdir(nodeDir);
    nodes.push(clusterNode(port, nodeArgs(settings, port, busPort, nodeDir)));
  }
  const clients = nodeClients(settings);
  const destroy = async () => {
    clients.disconnect();
    for (const node of nodes) await node.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const primaryFor = (key: string) => primaryServing(nodes, clients.of, key);
  const cluster: PrivateRedisCluster = {
    url: `${settings.tls ? 'rediss' : 'redis'}://${settings.user}:${settings.password}@${nodes
      .slice(0, settings.primaries)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',')}`,
    user: settings.user,
    password: settings.password,
    nodes,
    primaryFor,
    waitUntilHealthy: (key, timeoutMs = 30_000) =>
      waitFor(
        async () =>
          (await allNodesHealthy(nodes, clients.of)) ? primaryFor(key).catch(() => undefined) : undefined,
        timeoutMs,
        'the Redis Cluster to report cluster_state:ok',
      ),
    isPrimary: async (node) => (await clients.of(node).info('replication')).includes('role:master'),
    keysOn: async (node, pattern) => (await clients.of(node).call('KEYS', pattern)) as string[],
    destroy,
  };
  try {
    for (const node of nodes) await node.start();
    await createCluster(settings, nodes);
    await cluster.waitUntilHealthy('{probe}');
  } catch (error) {
    await destroy();
    throw error;
  }
  return cluster;
}

/** One node's redis-server command line: cluster mode, AOF with fsync always, the ACL user. */
function nodeArgs(settings: ClusterSettings, port: number, busPort: number, nodeDir: string): string[] {
  const { tls, user, password } = settings;
  return [
    ...(tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          ...tlsServerArgs(tls),
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
    String(settings.nodeTimeoutMs),
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
}

function clusterNode(port: number, args: string[]): ClusterNode {
  let child: ChildProcess | undefined;
  return {
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
}

/** One client per node, made when first needed, logged in as the cluster's user. */
function nodeClients(settings: ClusterSettings) {
  const clients = new Map<number, Redis>();
  return {
    of(node: ClusterNode): Redis {
      let c = clients.get(node.port);
      if (!c) {
        c = new Redis({
          host: '127.0.0.1',
          port: node.port,
          username: settings.user,
          password: settings.password,
          ...(settings.tls ? { tls: { ca: settings.tls.ca } } : {}),
          maxRetriesPerRequest: 1,
          retryStrategy: () => 200,
          lazyConnect: false,
        });
        c.on('error', () => {});
        clients.set(node.port, c);
      }
      return c;
    },
    disconnect() {
      for (const c of clients.values()) c.disconnect();
    },
  };
}

async function primaryServing(
  nodes: ClusterNode[],
  client: (node: ClusterNode) => Redis,
  key: string,
): Promise<ClusterNode> {
  for (const node of nodes.filter((n) => n.running())) {
    try {
      const c = client(node);
      const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const owner = nodes.find((n) => n.port === range?.[2][1]);
      if (owner?.running()) return owner;
    } catch {
      // ask another node
    }
  }
  throw new Error(`no running primary serves the slot of ${key}`);
}

/** Every running node reports cluster_state:ok, and every replica's link to its primary is up. */
async function allNodesHealthy(nodes: ClusterNode[], client: (node: ClusterNode) => Redis): Promise<boolean> {
  for (const node of nodes.filter((n) => n.running())) {
    const info = await client(node)
      .call('CLUSTER', 'INFO')
      .catch(() => '');
    if (!String(info).includes('cluster_state:ok')) return false;
    // A replica that has not synced cannot take over: wait for its link to be up.
    const replication = String(
      await client(node)
        .info('replication')
        .catch(() => ''),
    );
    if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
  }
  return true;
}

/** `redis-cli --cluster create` over the started nodes: the first `primaries` become primaries. */
async function createCluster(settings: ClusterSettings, nodes: ClusterNode[]): Promise<void> {
  await promisify(execFile)(
    'redis-cli',
    [
      ...(settings.tls ? ['--tls', '--cacert', settings.tls.caFile] : []),
      '--user',
      settings.user,
      '-a',
      settings.password,
      '--no-auth-warning',
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(settings.replicas),
      '--cluster-yes',
    ],
    { timeout: 30_000 },
  );
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

/** redis-server arguments for one user allowed everything with this password, and no default user. */
export function redisUserArgs(user: string, password: string): string[] {
  return ['--user', user, 'on', `>${password}`, '~*', '&*', '+@all', '--user', 'default', 'off'];
}

/** redis-server arguments for TLS with `tls`; clients need no certificate of their own. */
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
