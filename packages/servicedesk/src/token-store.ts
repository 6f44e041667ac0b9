import { createHash, randomUUID } from 'node:crypto';
import { type RedisEval, redisScript } from '@ai-agents/shared';
import {
  type NoteShape,
  type NoteShapeMemory,
  noteShapeFromStored,
  storedNoteShapeName,
} from './note-shapes.js';

/** An access token and when to stop using it (shortly before it expires). */
export interface StoredToken {
  token: string;
  refreshAt: number;
}

/**
 * Where a tenant's Zoho access token lives between calls, and who may mint the next one. One store
 * per tenant (per refresh token).
 */
export interface TokenStore {
  /** The current token, if any. */
  read(): Promise<StoredToken | undefined>;
  write(token: StoredToken): Promise<void>;
  /** Removes the stored token if it is still `token` (ServiceDesk Plus refused it). */
  discard(token: string): Promise<void>;
  /** Makes this caller the one refresher for `lockMs`; false while another one is. */
  tryLock(lockMs: number): Promise<boolean>;
  unlock(): Promise<void>;
  /**
   * Counts one token request against our own bound; 0 when allowed, else ms until it would be (also
   * while a hold set by `holdMints` lasts).
   */
  takeMint(): Promise<number>;
  /** Zoho throttled us: no process asks for a token for `ms` (Zoho's "rest of the ten minutes"). */
  holdMints(ms: number): Promise<void>;
}

/** Our own bound, half of Zoho's ten token requests per refresh token per ten minutes. */
export const TOKEN_REQUESTS_PER_WINDOW = 5;
export const TOKEN_REQUEST_WINDOW_MS = 10 * 60_000;

/** The store of one process: what a single worker or an admin command without Redis uses. */
export function createMemoryTokenStore(): TokenStore {
  let current: StoredToken | undefined;
  let lockedUntil = 0;
  let heldUntil = 0;
  const mints: number[] = [];
  return {
    read: async () => current,
    write: async (token) => {
      current = token;
    },
    discard: async (token) => {
      if (current?.token === token) current = undefined;
    },
    tryLock: async (lockMs) => {
      if (Date.now() < lockedUntil) return false;
      lockedUntil = Date.now() + lockMs;
      return true;
    },
    unlock: async () => {
      lockedUntil = 0;
    },
    holdMints: async (ms) => {
      heldUntil = Math.max(heldUntil, Date.now() + ms);
    },
    takeMint: async () => {
      const now = Date.now();
      if (now < heldUntil) return heldUntil - now;
      while (mints.length > 0 && (mints[0] ?? 0) <= now - TOKEN_REQUEST_WINDOW_MS) mints.shift();
      if (mints.length >= TOKEN_REQUESTS_PER_WINDOW) return (mints[0] ?? now) + TOKEN_REQUEST_WINDOW_MS - now;
      mints.push(now);
      return 0;
    },
  };
}

/** Encrypts what goes into Redis: the secret box of @ai-agents/shared fits. */
export interface TokenCipher {
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
}

// Each script touches one key, so each runs on one node of a Redis Cluster whatever the key names.
const SET_IF_OWNER_GONE = redisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`);
const DEL_IF_EQUAL = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);
const DEL_IF_CONTAINS = redisScript(`
local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`);
const PUT = redisScript(`redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1`);
const GET = redisScript(`return redis.call('GET', KEYS[1])`);
const PTTL = redisScript(`return redis.call('PTTL', KEYS[1])`);
// A sliding log of token requests in a sorted set, on Redis' own clock so every process agrees.
const TAKE_MINT = redisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0`);

/** A short fingerprint that names a token in Redis without storing it in the clear. */
const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 32);

/**
 * A tenant's token shared by every process of the installation, in Redis, encrypted with the
 * installation's secret box. `keyPrefix` names the tenant, e.g. `ai-agents:sdp-oauth:<tenant id>`.
 */
export function createRedisTokenStore(redis: RedisEval, keyPrefix: string, cipher: TokenCipher): TokenStore {
  const tokenKey = `${keyPrefix}:token`;
  const lockKey = `${keyPrefix}:lock`;
  const mintKey = `${keyPrefix}:mints`;
  const holdKey = `${keyPrefix}:mint-hold`;
  const owner = randomUUID();
  return {
    async read() {
      const raw = await GET(redis, [tokenKey], []);
      if (typeof raw !== 'string') return undefined;
      try {
        const stored = JSON.parse(raw) as { box?: unknown; refreshAt?: unknown };
        if (typeof stored.box !== 'string' || typeof stored.refreshAt !== 'number') return undefined;
        return { token: cipher.decrypt(stored.box), refreshAt: stored.refreshAt };
      } catch {
        // Written with a key this process does not have, or damaged: as good as no token.
        return undefined;
      }
    },
    async write(token) {
      const ttl = Math.max(1000, token.refreshAt - Date.now());
      const value = JSON.stringify({
        fp: fingerprint(token.token),
        box: cipher.encrypt(token.token),
        refreshAt: token.refreshAt,
      });
      await PUT(redis, [tokenKey], [value, ttl]);
    },
    async discard(token) {
      await DEL_IF_CONTAINS(redis, [tokenKey], [`"fp":"${fingerprint(token)}"`]);
    },
    async tryLock(lockMs) {
      return Number(await SET_IF_OWNER_GONE(redis, [lockKey], [owner, Math.ceil(lockMs)])) === 1;
    },
    async unlock() {
      await DEL_IF_EQUAL(redis, [lockKey], [owner]);
    },
    async holdMints(ms) {
      await PUT(redis, [holdKey], ['1', Math.max(1, Math.ceil(ms))]);
    },
    async takeMint() {
      // A separate one-key call, so each script still runs on one node of a Redis Cluster.
      const heldMs = Number(await PTTL(redis, [holdKey], []));
      if (heldMs > 0) return heldMs;
      const member = `${Date.now()}-${randomUUID()}`;
      return Number(
        await TAKE_MINT(redis, [mintKey], [TOKEN_REQUESTS_PER_WINDOW, TOKEN_REQUEST_WINDOW_MS, member]),
      );
    },
  };
}

// A learned note shape is a fact about the installation; a month lets an upgrade of SDP be noticed.
const NOTE_SHAPE_MEMORY_MS = 30 * 24 * 60 * 60_000;

/**
 * The tenant's learned add-note shape in Redis, shared by every worker (see notes.ts, addNote), under
 * the names of note-shapes.ts: values stored by earlier releases (`note`, `request_note`) read as the
 * shapes they were posted in.
 */
export function createRedisNoteShapeMemory(redis: RedisEval, key: string): NoteShapeMemory {
  return {
    async get() {
      return noteShapeFromStored(await GET(redis, [key], []));
    },
    async remember(shape: NoteShape) {
      await PUT(redis, [key], [storedNoteShapeName(shape), NOTE_SHAPE_MEMORY_MS]);
    },
  };
}
