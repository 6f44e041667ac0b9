import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { assertRedisNoEviction, type RedisInfoSource } from './redis-policy.js';
import { parseRedisUrl, type RedisMode } from './redis-url.js';

/**
 * The one place the API, worker, admin CLI and bench open Redis: REDIS_URL and REDIS_MODE give a
 * plain ioredis client (single) or an ioredis Cluster (cluster) that discovers the other nodes from
 * the seeds (CLUSTER SLOTS) and follows MOVED/ASK redirections. TLS (`rediss://`) and an ACL user
 * and password apply to every node. BullMQ takes either as its connection.
 * Modelled on ioredis' README, "Cluster" (startup nodes, redisOptions, dnsLookup for TLS endpoints
 * of managed services) and BullMQ's guide "Redis Cluster" (hash-tagged prefix).
 */

export type RedisClient = Redis | Cluster;

export interface RedisSettings {
  redisUrl: string;
  redisMode: RedisMode;
}

/** What each caller tunes for its role (producer, blocking worker, one-shot CLI). */
export interface RedisClientOptions {
  /** null: retry for ever (BullMQ requires it on workers' connections). */
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
  enableAutoPipelining?: boolean;
  commandTimeout?: number;
  connectTimeout?: number;
  /** Delay before reconnect attempt n, or null to give up. */
  retryStrategy?: (attempt: number) => number | null;
}

export function createRedisClient(settings: RedisSettings, options: RedisClientOptions = {}): RedisClient {
  const target = parseRedisUrl(settings.redisUrl, settings.redisMode);
  const perNode: RedisOptions = {
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    // Certificates are checked against the host name given (or, for discovered nodes, announced).
    ...(target.tls ? { tls: {} } : {}),
    ...(options.maxRetriesPerRequest !== undefined
      ? { maxRetriesPerRequest: options.maxRetriesPerRequest }
      : {}),
    ...(options.commandTimeout !== undefined ? { commandTimeout: options.commandTimeout } : {}),
    ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
  };
  const shared = {
    ...(options.enableOfflineQueue !== undefined ? { enableOfflineQueue: options.enableOfflineQueue } : {}),
    ...(options.enableAutoPipelining !== undefined
      ? { enableAutoPipelining: options.enableAutoPipelining }
      : {}),
  };
  if (target.mode === 'single') {
    const [node] = target.nodes;
    if (!node) throw new Error('REDIS_URL: no host');
    return new Redis({
      host: node.host,
      port: node.port,
      db: target.db,
      ...perNode,
      ...shared,
      ...(options.retryStrategy ? { retryStrategy: options.retryStrategy } : {}),
    });
  }
  return new Cluster(target.nodes, {
    redisOptions: perNode,
    ...shared,
    ...(options.retryStrategy ? { clusterRetryStrategy: options.retryStrategy } : {}),
    // Managed clusters behind TLS (ElastiCache, Azure Managed Redis) are reached by a host name their
    // certificate names; resolving it here to an IP would fail the certificate check (ioredis README).
    ...(target.tls
      ? { dnsLookup: (address: string, callback: (e: null, a: string) => void) => callback(null, address) }
      : {}),
    // A primary that stops answering: refresh the slot map soon, so a promoted replica is found.
    slotsRefreshInterval: 5_000,
  });
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/**
 * Resolves once the client is ready, or after `timeoutMs` (whatever its state then). A cluster is
 * ready once it has the slot map; a single client once its connection is.
 */
export async function waitForRedis(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(client.status === 'ready');
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}

/**
 * Whether Redis answers for the queue's keys: a cluster's keyless PING goes to any node, so there
 * the probe is a read of a key under the prefix, which reaches the primary of the queue's slot.
 */
export async function probeRedis(client: RedisClient, prefix: string): Promise<void> {
  if (isCluster(client)) await client.exists(`${prefix}:ready-probe`);
  else await client.ping();
}

/** assertRedisNoEviction() for every primary of a cluster, or the one server. */
export async function assertNoEviction(
  client: RedisClient,
  options: { production: boolean; warn: (message: string) => void },
): Promise<void> {
  const sources: RedisInfoSource[] = isCluster(client) ? client.nodes('master') : [client];
  for (const source of sources) await assertRedisNoEviction(source, options);
}
