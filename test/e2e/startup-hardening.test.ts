import { Writable } from 'node:stream';
import { createApi } from '@ai-agents/api';
import {
  createTestDatabase,
  type PrivateRedis,
  randomEncryptionKey,
  startPrivateRedis,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { createLogger, loadConfig } from '@ai-agents/shared';
import { startWorker } from '@ai-agents/worker';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Startup refuses, in production, a database role that bypasses row-level security and a Redis that
// may evict queued jobs; in development it only warns.
// Uses a private redis-server whose policy the test may change, never the machine's shared one.

let testDb: TestDatabase;
let redis: PrivateRedis;

function env(nodeEnv: 'production' | 'development') {
  return {
    NODE_ENV: nodeEnv,
    DATABASE_URL: testDb.appUrl,
    REDIS_URL: redis.url,
    ENCRYPTION_KEY: randomEncryptionKey(),
    OPENAI_API_KEY: 'sk-a-real-looking-key-for-startup-tests',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    PUBLIC_BASE_URL: 'https://agents.msp.example',
  };
}

function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger(
    { name: 'startup', level: 'warn' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { logger, text: () => lines.join('') };
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  redis = await startPrivateRedis();
  const client = new Redis(redis.url);
  await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
  client.disconnect();
});

afterAll(async () => {
  await redis?.stop();
  await testDb?.drop();
});

describe('Redis must not evict jobs', () => {
  it('the API and the worker refuse to start in production with an evicting Redis', async () => {
    const { logger } = capturingLogger();
    const expected = 'REDIS_URL: Redis must run with maxmemory-policy noeviction, it reports allkeys-lru';
    await expect(createApi(loadConfig(env('production'), 'api'), logger)).rejects.toThrow(expected);
    await expect(startWorker(loadConfig(env('production'), 'worker'), logger)).rejects.toThrow(expected);
  });

  it('in development they start and warn', async () => {
    const { logger, text } = capturingLogger();
    const api = await createApi(loadConfig(env('development'), 'api'), logger);
    await api.close();
    const worker = await startWorker(loadConfig(env('development'), 'worker'), logger);
    await worker.close();
    expect(text().match(/maxmemory-policy noeviction, it reports allkeys-lru/g)).toHaveLength(2);
  });
});

describe('the database role must be subject to row-level security', () => {
  it('the API and the worker refuse a superuser DATABASE_URL in production, naming the problem', async () => {
    const { logger } = capturingLogger();
    const superuser = { ...env('production'), DATABASE_URL: testDb.ownerUrl };
    const expected = /^DATABASE_URL must connect as the application role: role \w+ is a superuser/;
    await expect(createApi(loadConfig(superuser, 'api'), logger)).rejects.toThrow(expected);
    await expect(startWorker(loadConfig(superuser, 'worker'), logger)).rejects.toThrow(expected);
  });
});
