/**
 * The reference handlers for webhook intake. Takes one JSON argument:
 * {"port", "redisUrl", "prefix", "secret", "guarantees"?}.
 *
 * Minimal (the reference): a Fastify route that checks the HMAC on the raw body and calls
 * BullMQ queue.add with a job id, nothing else (no tenant lookup, validation, dedupe, rate limit,
 * metrics or logging). The practical ceiling for this stack.
 *
 * With "guarantees": true, the same route plus, each in its least costly form, the work the product
 * owes every delivery: the per-tenant rate limit and the duplicate check (one Redis script), the
 * event remembered after the job is stored, one info log line, and a request counter and latency
 * histogram. No tenant database, no payload schema, no error handling beyond 401/429. What the
 * guarantees cost on this stack, measured in the same run (bench/src/scenarios/intake.ts).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  bucketArgs,
  type RedisEval,
  redisScript,
  TAKE_TOKENS,
  type TokenBucketLimit,
} from '@ai-agents/shared';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';

// The product's token bucket plus whether a second key exists: the rate limit and the duplicate
// check in one command, as the API did before its admission script also bounded the backlog.
const TAKE_AND_CHECK = redisScript(`${TAKE_TOKENS}
return {take_tokens(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])), redis.call('EXISTS', KEYS[2])}`);

async function takeTokensAndCheck(
  redis: RedisEval,
  key: string,
  limit: TokenBucketLimit,
  checkKey: string,
): Promise<{ waitMs: number; exists: boolean }> {
  const [wait, exists] = (await TAKE_AND_CHECK(redis, [key, checkKey], bucketArgs(limit, 1))) as [
    number,
    number,
  ];
  return { waitMs: Number(wait), exists: exists === 1 };
}

const { port, redisUrl, prefix, secret, guarantees } = JSON.parse(process.argv[2] ?? '{}') as {
  port: number;
  redisUrl: string;
  prefix: string;
  secret: string;
  guarantees?: boolean;
};

const connection = new Redis(redisUrl, {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  enableAutoPipelining: guarantees === true,
});
await new Promise((resolve) => connection.once('ready', resolve));
const queue = new Queue('enhance', { connection, prefix });
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

const log = pino({ level: 'info' }, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
const registry = new Registry();
const requests = new Counter({
  name: 'webhooks_total',
  help: 'webhooks',
  labelNames: ['outcome'],
  registers: [registry],
});
const latency = new Histogram({ name: 'webhook_seconds', help: 'latency', registers: [registry] });

app.post<{ Params: { tenant: string } }>('/v1/webhooks/servicedesk/:tenant', async (request, reply) => {
  const started = performance.now();
  const raw = request.body as Buffer;
  const timestamp = String(request.headers['x-webhook-timestamp'] ?? '');
  const given = Buffer.from(
    String(request.headers['x-webhook-signature'] ?? '').replace('sha256=', ''),
    'hex',
  );
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send();
  const eventId = String((JSON.parse(raw.toString('utf8')) as { event_id?: unknown }).event_id);
  const jobId = createHash('sha256').update(eventId).digest('hex').slice(0, 40);
  if (!guarantees) {
    await queue.add('enhance-ticket', { eventId, receivedAt: Date.now() }, { jobId, removeOnComplete: true });
    return reply.code(202).send({ status: 'accepted', job_id: jobId });
  }

  const seen = `${prefix}:enhance:seen:${jobId}`;
  const { waitMs, exists } = await takeTokensAndCheck(
    connection,
    `${prefix}:ratelimit:${request.params.tenant}`,
    { perMinute: 1_000_000_000 },
    seen,
  );
  if (waitMs > 0) return reply.code(429).send();
  let duplicate = exists;
  if (!exists) {
    await queue.add('enhance-ticket', { eventId, receivedAt: Date.now() }, { jobId, removeOnComplete: true });
    duplicate = (await connection.set(seen, '1', 'EX', 604_800, 'NX')) === null;
  }
  requests.inc({ outcome: duplicate ? 'duplicate' : 'accepted' });
  latency.observe((performance.now() - started) / 1000);
  log.info({ tenant: request.params.tenant, eventId, jobId, duplicate, status: 202 }, 'webhook accepted');
  return reply.code(202).send({ status: 'accepted', job_id: jobId, ...(duplicate ? { duplicate } : {}) });
});

await app.listen({ host: '127.0.0.1', port });
const stop = async () => {
  await app.close();
  await queue.close();
  connection.disconnect();
  log.flush();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
