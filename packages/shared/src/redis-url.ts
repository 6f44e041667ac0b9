/**
 * REDIS_URL and REDIS_MODE, parsed without a Redis client (the client factory is in redis-client.ts).
 *
 *   single:  redis[s]://[user[:password]@]host[:port][/db]
 *   cluster: redis[s]://[user[:password]@]host[:port][,host[:port]...]   (seed nodes; no db)
 *
 * The seed list is the form ioredis' Cluster takes (an array of startup nodes, the rest discovered
 * with CLUSTER SLOTS), and what managed services print as a configuration endpoint: one host name
 * (ElastiCache, Azure Managed Redis OSS cluster policy) or several nodes. `rediss://` turns TLS on;
 * the user name is the Redis 6+ ACL user, with the password as its password (no user: the `default`
 * user, AUTH password only). User name and password are percent-decoded.
 */

export type RedisMode = 'single' | 'cluster';

export const REDIS_MODES: readonly RedisMode[] = ['single', 'cluster'];

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisTarget {
  mode: RedisMode;
  /** One node in single mode; the seed nodes in cluster mode. */
  nodes: RedisNode[];
  tls: boolean;
  username?: string;
  password?: string;
  /** Database number (single mode only; a cluster has database 0 only). */
  db: number;
}

// Long enough for dozens of seed nodes with credentials; anything longer is not a REDIS_URL.
const MAX_URL_LENGTH = 4_096;
const MAX_NODES = 64;

export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

/** Parses REDIS_URL for `mode`; throws a RedisUrlError whose message never contains the password. */
export function parseRedisUrl(url: string, mode: RedisMode): RedisTarget {
  if (url.length > MAX_URL_LENGTH) throw new RedisUrlError(`is longer than ${MAX_URL_LENGTH} characters`);
  const scheme = /^(rediss?):\/\//i.exec(url);
  if (!scheme?.[1]) throw new RedisUrlError('must start with redis:// or rediss://');
  let rest = url.slice(scheme[0].length);
  // The authority ends at the first '/', '?' or '#'; user info ends at its last '@'.
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  rest = end === -1 ? '' : rest.slice(end);
  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? '' : authority.slice(0, at);
  const hosts = at === -1 ? authority : authority.slice(at + 1);

  let username: string | undefined;
  let password: string | undefined;
  if (userInfo) {
    const colon = userInfo.indexOf(':');
    const rawUser = colon === -1 ? userInfo : userInfo.slice(0, colon);
    const rawPassword = colon === -1 ? undefined : userInfo.slice(colon + 1);
    try {
      username = rawUser ? decodeURIComponent(rawUser) : undefined;
      password = rawPassword ? decodeURIComponent(rawPassword) : undefined;
    } catch {
      throw new RedisUrlError('has a malformed percent-encoding in its user name or password');
    }
  }

  const entries = hosts.split(',');
  if (entries.length > MAX_NODES) throw new RedisUrlError(`names more than ${MAX_NODES} nodes`);
  const nodes = entries.map(parseNode);
  if (mode === 'single' && nodes.length > 1)
    throw new RedisUrlError('names several nodes; set REDIS_MODE=cluster for a Redis Cluster');

  let db = 0;
  const path = /^\/?([^?#]*)/.exec(rest)?.[1] ?? '';
  if (path) {
    if (!/^\d{1,2}$/.test(path)) throw new RedisUrlError('has a path other than a database number');
    db = Number(path);
    if (mode === 'cluster' && db !== 0)
      throw new RedisUrlError('names a database: a Redis Cluster has database 0 only');
  }
  if (/[?#]/.test(rest)) throw new RedisUrlError('has query parameters, which are not read');

  return {
    mode,
    nodes,
    tls: scheme[1].toLowerCase() === 'rediss',
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
  };
}

function parseNode(entry: string): RedisNode {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!match?.[1]) throw new RedisUrlError('has a host that is not host[:port]');
  const port = match[2] === undefined ? 6379 : Number(match[2]);
  if (port < 1 || port > 65_535) throw new RedisUrlError('has a port outside 1-65535');
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  return { host, port };
}

/**
 * The prefix BullMQ and the product's own keys live under. In cluster mode every key of a queue must
 * hash to one slot (BullMQ's Lua scripts touch several at once), and so must the webhook's rate-limit
 * and duplicate-check script: the prefix becomes a hash tag, `ai-agents` → `{ai-agents}`, and a
 * prefix already in braces is kept. Redis hashes only the part between the first `{` and the next
 * `}` (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags), so
 * every key that starts with the prefix lands in one slot. In single mode the prefix is used as
 * given, so an existing installation's queued jobs stay where they are.
 */
export function effectiveQueuePrefix(prefix: string, mode: RedisMode): string {
  if (/^\{[^{}]+\}$/.test(prefix)) return prefix;
  return mode === 'cluster' ? `{${prefix}}` : prefix;
}
