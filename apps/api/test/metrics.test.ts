import { createLogger, signWebhook } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiApp, createApi } from '../src/index.js';
import { type ApiFixture, createApiFixture } from './support/api-fixture.js';

let fixture: ApiFixture;
let app: ApiApp;
let secret: string;

function post(slug: string, raw: string, signWith?: string) {
  return app.inject({
    method: 'POST',
    url: `/v1/webhooks/servicedesk/${slug}`,
    headers: { 'content-type': 'application/json', ...(signWith ? signWebhook(signWith, raw) : {}) },
    payload: raw,
  });
}

async function metrics(): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

/** The value of one sample line, or undefined when the series does not exist. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  fixture = await createApiFixture();
  ({ webhookSecret: secret } = await fixture.addTenant({ slug: 'acme', name: 'Acme' }));
  app = await createApi(fixture.config(), createLogger({ name: 'api-metrics-test', level: 'silent' }));
});

afterAll(async () => {
  await app?.close();
  await fixture?.close();
});

describe('GET /metrics on the API', () => {
  it('counts webhooks by tenant, outcome and rejection reason, with bounded labels', async () => {
    const event = JSON.stringify({ event: 'request.created', event_id: 'm-1', request: { id: '501' } });
    expect((await post('acme', event, secret)).statusCode).toBe(202);
    expect((await post('acme', event, secret)).statusCode).toBe(202);
    expect((await post('acme', event, 'wrong-secret')).statusCode).toBe(401);
    expect((await post('acme', event)).statusCode).toBe(401);
    expect((await post('acme', '{"event":', secret)).statusCode).toBe(400);
    expect((await post('acme', JSON.stringify({ event: 'request.created' }), secret)).statusCode).toBe(422);
    // A guessed slug: counted, but under "unknown", never under the guess itself.
    expect((await post('guessed-slug-4711', event, secret)).statusCode).toBe(401);

    const text = await metrics();
    const webhook = (tenant: string, outcome: string, reason = '') =>
      sample(text, `webhooks_total{tenant="${tenant}",outcome="${outcome}",reason="${reason}"}`);
    expect(webhook('acme', 'accepted')).toBe(1);
    expect(webhook('acme', 'duplicate')).toBe(1);
    expect(webhook('acme', 'rejected', 'mismatch')).toBe(1);
    expect(webhook('acme', 'rejected', 'missing_headers')).toBe(1);
    expect(webhook('acme', 'rejected', 'malformed_json')).toBe(1);
    expect(webhook('acme', 'rejected', 'invalid_payload')).toBe(1);
    expect(webhook('unknown', 'rejected', 'unknown_tenant')).toBe(1);
    expect(text).not.toContain('guessed-slug-4711');
  });

  it('counts requests by route pattern and status, never by raw path', async () => {
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/no/such/path/9911' });
    const text = await metrics();
    expect(
      sample(
        text,
        'http_requests_total{method="POST",route="/v1/webhooks/servicedesk/:tenant",status="202"}',
      ),
    ).toBe(2);
    expect(
      sample(text, 'http_requests_total{method="GET",route="/health",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('9911');
    expect(
      sample(text, 'http_request_duration_seconds_count{method="GET",route="/health",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('reports the queue depth by state and the age of the oldest waiting job when scraped', async () => {
    const text = await metrics();
    // The one accepted event above waits: no worker runs in this test.
    expect(sample(text, 'queue_jobs{queue="enhance",state="waiting"}')).toBe(1);
    expect(sample(text, 'queue_jobs{queue="enhance",state="failed"}')).toBe(0);
    expect(sample(text, 'queue_oldest_waiting_job_age_seconds{queue="enhance"}')).toBeGreaterThan(0);
  });
});
