import { setTenantStatus } from '@ai-agents/db';
import {
  type PrivateRedis,
  removeAsRetentionDoes,
  startPrivateRedis,
  TEST_REDIS_URL,
  waitFor,
} from '@ai-agents/sandbox';
import {
  computeSignature,
  createLogger,
  EVENTS_QUEUE,
  eventDedupeKey,
  signWebhook,
  storeEventJob,
  tenantBacklogKey,
} from '@ai-agents/shared';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiApp, createApi } from '../src/index.js';
import { type ApiFixture, createApiFixture } from './support/api-fixture.js';

const logger = createLogger({ name: 'api-test', level: 'silent' });

let fixture: ApiFixture;
let app: ApiApp;
let prefix: string;
let queue: Queue;
let queueConnection: Redis;
let secret: string;
let tenantId: string;

const apiConfig = (overrides: Record<string, string> = {}) =>
  fixture.config({ WEBHOOK_BODY_LIMIT_BYTES: String(4 * 1024), TENANT_CACHE_TTL_MS: '0', ...overrides });

const addTenant = (slug: string) => fixture.addTenant({ slug, name: `Client ${slug}` });

function delivery(
  body: object | string,
  options: { secret?: string; now?: number; contentType?: string } = {},
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method: 'POST' as const,
    url: '/v1/webhooks/servicedesk/acme',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...signWebhook(options.secret ?? secret, raw, options.now),
    },
    payload: raw,
  };
}

/** A delivery with the timestamp header exactly as given, signed over it as sent. */
function stamped(raw: string, timestamp: string) {
  return {
    method: 'POST' as const,
    url: '/v1/webhooks/servicedesk/acme',
    headers: {
      'content-type': 'application/json',
      'x-webhook-timestamp': timestamp,
      'x-webhook-signature': `sha256=${computeSignature(secret, timestamp, raw)}`,
    },
    payload: raw,
  };
}

const created = (id: string, eventId?: string) => ({
  event: 'request.created',
  ...(eventId ? { event_id: eventId } : {}),
  request: { id, subject: 'Outlook keeps asking for password', custom_field: { kept: true } },
});

beforeAll(async () => {
  fixture = await createApiFixture();
  prefix = fixture.prefix;
  ({
    webhookSecret: secret,
    tenant: { id: tenantId },
  } = await addTenant('acme'));
  app = await createApi(apiConfig(), logger);
  ({ queue, connection: queueConnection } = fixture.openQueue());
});

afterAll(async () => {
  await app?.close();
  await fixture?.close();
});

describe('POST /v1/webhooks/servicedesk/:tenant', () => {
  it('accepts a signed delivery with 202 only once the job is in Redis', async () => {
    const res = await app.inject(delivery(created('1001', 'evt-1001')));
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ status: 'accepted', event_id: 'evt-1001' });
    expect(body.duplicate).toBeUndefined();
    const job = await queue.getJob(body.job_id);
    expect(job?.data).toMatchObject({
      tenantId,
      eventId: 'evt-1001',
      requestId: '1001',
      event: 'request.created',
    });
    // The job carries ids only: no ticket text is stored in Redis.
    expect(JSON.stringify(job?.data)).not.toContain('Outlook');
  });

  it('answers a redelivery of the same event with duplicate: true and stores no second job', async () => {
    const first = await app.inject(delivery(created('1002', 'evt-1002')));
    const again = await app.inject(delivery(created('1002', 'evt-1002')));
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ duplicate: true, job_id: first.json().job_id });
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    expect(jobs.filter((j) => j.data.requestId === '1002')).toHaveLength(1);
  });

  it('still detects the duplicate after the job itself is gone from the queue', async () => {
    const first = await app.inject(delivery(created('1003', 'evt-1003')));
    // The job is processed, then retention removes it (production keeps finished jobs a day, or
    // the last 10,000).
    const workerConnection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(EVENTS_QUEUE, async () => 'done', { connection: workerConnection, prefix });
    const jobId = first.json().job_id as string;
    await vi.waitFor(async () => expect(await queue.getJobState(jobId)).toBe('completed'), {
      timeout: 5_000,
    });
    await worker.close();
    workerConnection.disconnect();
    await removeAsRetentionDoes(queueConnection, { prefix, name: EVENTS_QUEUE }, jobId);
    expect(await queue.getJob(jobId)).toBeUndefined();
    const again = await app.inject(delivery(created('1003', 'evt-1003')));
    expect(again.json().duplicate).toBe(true);
    expect(await queue.getJob(first.json().job_id)).toBeUndefined();
  });

  it('derives the same event id for the same ticket event when none is sent', async () => {
    const a = await app.inject(delivery(created('1004')));
    const b = await app.inject(delivery(created('1004')));
    expect(a.json().event_id).toMatch(/^derived-/);
    expect(b.json()).toMatchObject({ event_id: a.json().event_id, duplicate: true });
  });

  it('takes a request id of any length up to 20 digits as a JSON number, exactly as sent', async () => {
    // A Cloud id (18 digits, above 2^53), written as a number: JSON.parse would round it.
    const raw = '{"event":"request.created","event_id":"evt-long-id","request":{"id":123640000000279007}}';
    expect(String((JSON.parse(raw) as { request: { id: number } }).request.id)).not.toBe(
      '123640000000279007',
    );
    const res = await app.inject(delivery(raw));
    expect(res.statusCode).toBe(202);
    const job = await queue.getJob(res.json().job_id);
    expect(job?.data).toMatchObject({ requestId: '123640000000279007', eventId: 'evt-long-id' });
    // The largest 20-digit id, and a short number id, too.
    const widest = await app.inject(
      delivery('{"event":"request.created","request":{"id":99999999999999999999}}'),
    );
    expect((await queue.getJob(widest.json().job_id))?.data.requestId).toBe('99999999999999999999');
    const short = await app.inject(delivery('{"event":"request.created","request":{"id":1500}}'));
    expect((await queue.getJob(short.json().job_id))?.data.requestId).toBe('1500');
    // Pretty-printed, with a string beside it that holds a long digit run too.
    const pretty = await app.inject(
      delivery(
        '{\n  "event": "request.created",\n  "note": "ref:1234567890123456789",\n  "request": {\n    "id":\t123640000000279011\n  }\n}',
      ),
    );
    expect(pretty.statusCode).toBe(202);
    expect((await queue.getJob(pretty.json().job_id))?.data.requestId).toBe('123640000000279011');
  });

  it('takes a long event_id given as a JSON number as its digits', async () => {
    const raw = '{"event":"request.resolved","event_id":98765432109876543210123,"request":{"id":"1010"}}';
    const res = await app.inject(delivery(raw));
    expect(res.statusCode).toBe(202);
    expect(res.json().event_id).toBe('98765432109876543210123');
    expect((await queue.getJob(res.json().job_id))?.data.eventId).toBe('98765432109876543210123');
  });

  it.each([
    ['21 digits as a number', '123456789012345678901'],
    ['21 digits as a string', '"123456789012345678901"'],
    ['a fraction', '1500.5'],
    ['an exponent that reads as an integer', '1.5e3'],
    ['an integer written with a fraction', '1500.0'],
    ['a negative number', '-15'],
    ['a number beyond any id', '1e400'],
  ])('422 naming request.id for %s', async (_name, id) => {
    const res = await app.inject(delivery(`{"event":"request.created","request":{"id":${id}}}`));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      error: 'invalid_payload',
      message:
        'request.id must be the ServiceDesk Plus request id: at most 20 digits, as a string or a JSON integer',
    });
  });

  describe('one job per request for request.created', () => {
    it('answers a second request.created for the same request under another event id as a duplicate', async () => {
      const backlog = tenantBacklogKey(prefix, EVENTS_QUEUE, tenantId);
      const backlogBefore = await queueConnection.zcard(backlog);
      const first = await app.inject(delivery(created('1201', 'evt-1201-webhook')));
      const other = await app.inject(delivery(created('1201', 'evt-1201-other')));
      const derived = await app.inject(delivery(created('1201')));
      // The same request as a number: the same request id, so the same job.
      const asNumber = await app.inject(
        delivery('{"event":"request.created","event_id":"evt-1201-n","request":{"id":1201}}'),
      );
      expect(first.json().duplicate).toBeUndefined();
      for (const res of [other, derived, asNumber]) {
        expect(res.statusCode).toBe(202);
        expect(res.json()).toMatchObject({ duplicate: true, job_id: first.json().job_id });
      }
      const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
      expect(jobs.filter((j) => j.data.requestId === '1201').map((j) => j.data.eventId)).toEqual([
        'evt-1201-webhook',
      ]);
      // Counted once in the tenant's backlog, under the one job's id, which the worker releases
      // when that job finishes (apps/worker/src/backlog-release.ts removes job.id).
      expect(await queueConnection.zcard(backlog)).toBe(backlogBefore + 1);
      expect(await queueConnection.zscore(backlog, first.json().job_id)).not.toBeNull();
    });

    it('answers a duplicate while the job of the request is kept, after its dedupe key is gone', async () => {
      const first = await app.inject(delivery(created('1205', 'evt-1205')));
      const jobId = first.json().job_id as string;
      const workerConnection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      const worker = new Worker(EVENTS_QUEUE, async () => 'done', { connection: workerConnection, prefix });
      await vi.waitFor(async () => expect(await queue.getJobState(jobId)).toBe('completed'), {
        timeout: 5_000,
      });
      await worker.close();
      workerConnection.disconnect();
      // The worker releases a finished job from its tenant's backlog (backlog-release.ts); a day
      // later the dedupe key expires, while retention still keeps the job (failed jobs: 14 days).
      const backlog = tenantBacklogKey(prefix, EVENTS_QUEUE, tenantId);
      await queueConnection.zrem(backlog, jobId);
      await queueConnection.del(eventDedupeKey(queue, jobId));
      const later = await app.inject(delivery(created('1205', 'evt-1205-later')));
      expect(later.json()).toMatchObject({ duplicate: true, job_id: jobId });
      // Not counted again for a job BullMQ would not store again (the add of a kept id is ignored).
      expect(await queueConnection.zscore(backlog, jobId)).toBeNull();
    });

    it('keeps one job per event for request.resolved and request.closed', async () => {
      const resolved = await app.inject(
        delivery({ event: 'request.resolved', event_id: 'evt-1202-r1', request: { id: '1202' } }),
      );
      const again = await app.inject(
        delivery({ event: 'request.resolved', event_id: 'evt-1202-r2', request: { id: '1202' } }),
      );
      expect(again.json().duplicate).toBeUndefined();
      expect(again.json().job_id).not.toBe(resolved.json().job_id);
      const created1202 = await app.inject(delivery(created('1202', 'evt-1202-c')));
      expect(created1202.json().duplicate).toBeUndefined();
    });

    it('is one job when the reconcile sweep stores it too, in either order', async () => {
      // The reconcile sweep stores request.created jobs with storeEventJob, as the route does.
      const sweepJob = {
        tenantId,
        event: 'request.created',
        eventId: 'sweep-1203',
        requestId: '1203',
        receivedAt: Date.now(),
      };
      const jobId = await storeEventJob(queue, sweepJob);
      const res = await app.inject(delivery(created('1203', 'evt-1203')));
      expect(res.json()).toMatchObject({ duplicate: true, job_id: jobId });
      // And the other way round: the route first, then the sweep adds nothing.
      const routed = await app.inject(delivery(created('1204', 'evt-1204')));
      expect(await storeEventJob(queue, { ...sweepJob, eventId: 'sweep-1204', requestId: '1204' })).toBe(
        routed.json().job_id,
      );
      const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
      expect(
        jobs
          .filter((j) => ['1203', '1204'].includes(j.data.requestId))
          .map((j) => j.data.eventId)
          .sort(),
      ).toEqual(['evt-1204', 'sweep-1203']);
    });
  });

  describe('401 with one body for every authentication failure', () => {
    const expected = { error: 'unauthorized', message: 'Webhook authentication failed' };

    it.each([
      [
        'no signature headers',
        () => ({ ...delivery(created('2001')), headers: { 'content-type': 'application/json' } }),
      ],
      ['a tampered body', () => ({ ...delivery(created('2002')), payload: JSON.stringify(created('2999')) })],
      ['another secret', () => delivery(created('2003'), { secret: 'not-the-secret' })],
      ['a stale timestamp', () => delivery(created('2004'), { now: Date.now() - 301_000 })],
      ['a future timestamp', () => delivery(created('2005'), { now: Date.now() + 301_000 })],
      ['an unknown tenant', () => ({ ...delivery(created('2006')), url: '/v1/webhooks/servicedesk/nobody' })],
    ])('%s', async (_name, request) => {
      const res = await app.inject(request());
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(expected);
    });

    it('a disabled tenant', async () => {
      const other = await addTenant('disabled-co');
      await setTenantStatus({ db: fixture.database.db, tenantId: other.tenant.id }, 'disabled', 'test');
      const res = await app.inject({
        ...delivery(created('2007'), { secret: other.webhookSecret }),
        url: '/v1/webhooks/servicedesk/disabled-co',
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(expected);
    });
  });

  it('400 for a signed body that is not JSON', async () => {
    const res = await app.inject(delivery('{"event": "request.created",'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'malformed_json', message: 'Body is not valid JSON' });
  });

  it('415 for a content type other than JSON', async () => {
    const res = await app.inject(
      delivery('event=request.created', { contentType: 'application/x-www-form-urlencoded' }),
    );
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toBe('unsupported_media_type');
  });

  it('accepts a text/plain body that is JSON once the signature holds, as Deluge sends it by default', async () => {
    const res = await app.inject(delivery(created('3101'), { contentType: 'text/plain;charset=UTF-8' }));
    expect(res.statusCode).toBe(202);
    const unsigned = delivery(created('3102'), { contentType: 'text/plain' });
    const forged = await app.inject({
      ...unsigned,
      headers: { ...unsigned.headers, 'x-webhook-signature': `sha256=${'0'.repeat(64)}` },
    });
    expect(forged.statusCode).toBe(401);
    const notJson = await app.inject(delivery('event=request.created', { contentType: 'text/plain' }));
    expect(notJson.statusCode).toBe(400);
  });

  it.each([
    ['whole seconds', (ms: number) => String(Math.floor(ms / 1000))],
    // What (zoho.currenttime.toLong() / 1000).toString() gives in Deluge: a decimal.
    ['decimal seconds', (ms: number) => (ms / 1000).toFixed(3)],
    ['13-digit milliseconds', (ms: number) => String(ms)],
  ])('accepts a timestamp in %s, signed over the header as sent', async (_name, format) => {
    const res = await app.inject(
      stamped(JSON.stringify(created(`32${_name.length}`)), format(Date.now() - 1234)),
    );
    expect(res.statusCode).toBe(202);
  });

  it.each([
    ['a stale decimal timestamp', ((Date.now() - 400_000) / 1000).toFixed(3)],
    ['a stale millisecond timestamp', String(Date.now() - 400_000)],
    ['an exponent', '1.7e9'],
    ['a negative time', '-1733100000'],
    ['a trailing dot', '1733100000.'],
  ])('401 for %s', async (_name, timestamp) => {
    const res = await app.inject(stamped(JSON.stringify(created('3301')), timestamp));
    expect(res.statusCode).toBe(401);
  });

  it('413 above the body limit', async () => {
    const res = await app.inject(delivery({ ...created('3001'), padding: 'x'.repeat(5 * 1024) }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: 'payload_too_large',
      message: 'Body exceeds the limit of 4096 bytes',
    });
  });

  it.each([
    ['event', { request: { id: '4001' } }, /^event is required/],
    ['request', { event: 'request.created' }, /^request is required/],
    ['request.id', { event: 'request.created', request: { subject: 'x' } }, /^request\.id is required/],
  ])('422 naming the missing field %s', async (_field, body, message) => {
    const res = await app.inject(delivery(body));
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toBe('invalid_payload');
    expect(res.json().message).toMatch(message);
  });
});

describe('health and readiness', () => {
  it('/health answers without checking dependencies', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/ready reports Postgres and Redis', async () => {
    const res = await app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('unknown routes get a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });
});

describe('when Redis is down', () => {
  let redis: PrivateRedis;
  let outageApp: ApiApp;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    outageApp = await createApi(apiConfig({ REDIS_URL: redis.url }), logger);
    await waitFor(async () =>
      (await outageApp.inject({ method: 'GET', url: '/ready' })).statusCode === 200 ? true : undefined,
    );
  });

  afterAll(async () => {
    await outageApp?.close();
    await redis?.stop();
  });

  it('answers 503 with Retry-After (never 202), reports not ready, and takes the event once Redis is back', async () => {
    await redis.stop();
    const during = await outageApp.inject(delivery(created('5001', 'evt-5001')));
    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBe('5');
    expect(during.json().error).toBe('queue_unavailable');

    const ready = await outageApp.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toEqual({ postgres: 'ok', redis: 'unavailable' });

    await redis.start();
    // The sender retries; the API reconnects by itself.
    const after = await waitFor(
      async () => {
        const res = await outageApp.inject(delivery(created('5001', 'evt-5001')));
        return res.statusCode === 202 ? res : undefined;
      },
      15_000,
      'the API to accept again',
    );
    expect(after.json().duplicate).toBeUndefined();
    const connection = new Redis(redis.url);
    const stored = new Queue(EVENTS_QUEUE, { connection, prefix });
    try {
      expect((await stored.getJob(after.json().job_id))?.data.requestId).toBe('5001');
    } finally {
      await stored.close();
      connection.disconnect();
    }
  });
});

describe('logging', () => {
  it('writes one info line per accepted webhook with the access and delivery facts, no ticket text', async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = createLogger(
      { name: 'api-log-test', level: 'info' },
      {
        write: (line: string) => lines.push(JSON.parse(line)),
      },
    );
    const logged = await createApi(apiConfig(), capture);
    try {
      const res = await logged.inject(delivery(created('1101', 'evt-1101')));
      expect(res.statusCode).toBe(202);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        msg: 'webhook accepted',
        method: 'POST',
        route: '/v1/webhooks/servicedesk/:tenant',
        status: 202,
        tenant: 'acme',
        auth: 'signature',
        eventId: 'evt-1101',
        jobId: res.json().job_id,
        duplicate: false,
      });
      expect(typeof lines[0]?.ms).toBe('number');
      expect(JSON.stringify(lines)).not.toContain('Outlook');

      // A line a route writes through request.log (made when first written to, access-log.ts)
      // carries the request id of its access line.
      lines.length = 0;
      const forged = await logged.inject(delivery(created('1102', 'evt-1102'), { secret: 'not-the-secret' }));
      expect(forged.statusCode).toBe(401);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({ msg: 'webhook rejected', tenant: 'acme', level: 30 });
      expect(lines[0]?.reqId).toBeDefined();
      expect(lines[1]).toMatchObject({ msg: 'request completed', status: 401, reqId: lines[0]?.reqId });

      lines.length = 0;
      await logged.inject({ method: 'GET', url: '/health' });
      expect(lines).toEqual([
        expect.objectContaining({ msg: 'request completed', route: '/health', status: 200 }),
      ]);
    } finally {
      await logged.close();
    }
  });
});
