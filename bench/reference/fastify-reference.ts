/**
 * The minimal reference for webhook intake: a Fastify route that checks the HMAC on the raw body and
 * calls BullMQ queue.add with a job id, nothing else (no tenant lookup, validation, dedupe, metrics
 * or logging). The practical ceiling for this stack. Takes one JSON argument:
 * {"port", "redisUrl", "prefix", "secret"}.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const { port, redisUrl, prefix, secret } = JSON.parse(process.argv[2] ?? '{}') as {
  port: number;
  redisUrl: string;
  prefix: string;
  secret: string;
};

const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
await new Promise((resolve) => connection.once('ready', resolve));
const queue = new Queue('enhance', { connection, prefix });
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.post('/v1/webhooks/servicedesk/:tenant', async (request, reply) => {
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
  await queue.add('enhance-ticket', { eventId, receivedAt: Date.now() }, { jobId, removeOnComplete: true });
  return reply.code(202).send({ status: 'accepted', job_id: jobId });
});

await app.listen({ host: '127.0.0.1', port });
const stop = async () => {
  await app.close();
  await queue.close();
  connection.disconnect();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
