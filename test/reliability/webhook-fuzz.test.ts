import { connect } from 'node:net';
import { seededRandom } from '@ai-agents/sandbox';
import { signWebhook } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

// 2,000+ generated malformed requests against the real, listening API (no worker runs, so every
// stored job stays countable). Seeded, so a failure reproduces.

let stack: Stack;
const BODY_LIMIT = 64 * 1024;

beforeAll(async () => {
  stack = await startStack({
    env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000', WEBHOOK_BODY_LIMIT_BYTES: String(BODY_LIMIT) },
  });
  await stack.startApi();
});

afterAll(async () => {
  await stack?.close();
});

const random = seededRandom(20261123);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

const UNICODE = ['\u0000', '\ud800', '\udfff', '\ufeff', '\u202e', '𝔘𝔫𝔦', 'é', '\u200b', '\uffff', '🧨'];
const WRONG_TYPES = [null, true, 0, -1, 1.5, 1e308, [], {}, [1, 2], '', ' ', { id: {} }];

interface Case {
  kind: string;
  body: Buffer | string;
  contentType?: string;
  sign: boolean;
  /** Headers set after signing (to break them). */
  headers?: Record<string, string>;
  expected: number[];
}

function signedJsonCases(): Case[] {
  const valid = () => ({ event: 'request.created', event_id: `fz-${random()}`, request: { id: '42' } });
  const cases: Case[] = [];
  // Truncated JSON of a valid body.
  const full = JSON.stringify(valid());
  cases.push({
    kind: 'truncated',
    body: full.slice(0, 1 + Math.floor(random() * (full.length - 2))),
    sign: true,
    expected: [400],
  });
  // Deep nesting, as arrays and as objects.
  const depth = 1_000 + Math.floor(random() * 20_000);
  cases.push({
    kind: 'deep-array',
    body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    sign: true,
    expected: [400, 413, 422],
  });
  cases.push({
    kind: 'deep-object',
    body: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    sign: true,
    expected: [400, 413, 422],
  });
  // Huge strings, under and over the body limit.
  const size = 201 + Math.floor(random() * BODY_LIMIT * 1.5);
  const huge = JSON.stringify({ ...valid(), event_id: 'x'.repeat(size) });
  cases.push({
    kind: 'huge-string',
    body: huge,
    sign: true,
    expected: huge.length > BODY_LIMIT ? [413] : [422],
  });
  // Wrong types in each field.
  const field = pick(['event', 'event_id', 'request', 'request.id', 'body']);
  const value = pick(WRONG_TYPES);
  const body: Record<string, unknown> = valid();
  if (field === 'request.id') body.request = { id: value };
  else if (field !== 'body') body[field] = value;
  const wrong = field === 'body' ? JSON.stringify(value) : JSON.stringify(body);
  const acceptable = field === 'event_id' && (value === null || value === 0) ? [202] : [];
  const numberId = field === 'request.id' && value === 0 ? [202] : [];
  cases.push({
    kind: `wrong-type:${field}`,
    body: wrong,
    sign: true,
    expected: [422, ...acceptable, ...numberId],
  });
  // Unicode edge cases inside otherwise valid JSON: accepted or refused, never a crash.
  const u = Array.from({ length: 1 + Math.floor(random() * 8) }, () => pick(UNICODE)).join('');
  cases.push({
    kind: 'unicode',
    body: JSON.stringify({
      event: `request.created${u}`,
      event_id: `fz-${u}-${random()}`,
      request: { id: `7${u}` },
    }),
    sign: true,
    expected: [202, 422],
  });
  cases.push({ kind: 'bom', body: `\ufeff${full}`, sign: true, expected: [400] });
  cases.push({
    kind: 'random-bytes-signed',
    body: randomBytes(1 + Math.floor(random() * 512)),
    sign: true,
    expected: [400, 422],
  });
  return cases;
}

function unsignedCases(): Case[] {
  const body = JSON.stringify({ event: 'request.created', request: { id: '42' } });
  const signature = signWebhook('wrong-secret', body);
  return [
    { kind: 'random-bytes', body: randomBytes(Math.floor(random() * 2048)), sign: false, expected: [401] },
    { kind: 'no-signature', body, sign: false, expected: [401] },
    { kind: 'wrong-secret', body, sign: false, headers: signature, expected: [401] },
    {
      kind: 'stale-timestamp',
      body,
      sign: true,
      headers: { 'x-webhook-timestamp': String(Math.floor(Date.now() / 1000) - 86_400) },
      expected: [401],
    },
    {
      kind: 'garbage-signature',
      body,
      sign: true,
      headers: {
        'x-webhook-signature': pick([
          'sha256=',
          'sha1=00',
          'sha256=zz',
          'x'.repeat(5000),
          `sha256=${'0'.repeat(64)}`,
        ]),
      },
      expected: [401],
    },
    {
      kind: 'wrong-content-type',
      body,
      sign: true,
      // text/plain is taken (Deluge's default for a text body), so it is not among the wrong types.
      contentType: pick([
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonp',
      ]),
      expected: [415],
    },
    {
      kind: 'oversized',
      body: Buffer.alloc(BODY_LIMIT + 1 + Math.floor(random() * BODY_LIMIT), 0x20),
      sign: false,
      expected: [413],
    },
  ];
}

// The job ids of every 202: two deliveries of one request may race past the duplicate check, and
// both name the one job stored.
const stored = new Set<string>();

async function send(c: Case): Promise<number> {
  const bytes = Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body, 'utf8');
  // Signatures cover bytes: sign exactly the bytes sent.
  const headers: Record<string, string> = {
    'content-type': c.contentType ?? 'application/json',
    ...(c.sign ? signWebhook(stack.secret, bytes) : {}),
    ...c.headers,
  };
  const res = await fetch(`${stack.apiUrl}/v1/webhooks/servicedesk/${stack.slug}`, {
    method: 'POST',
    headers,
    body: bytes,
  });
  const answer = await res.text();
  // A 202 names the job stored for it (now or before).
  if (res.status === 202) stored.add((JSON.parse(answer) as { job_id: string }).job_id);
  return res.status;
}

/** Raw HTTP over a socket, for what fetch refuses to send: CR/LF in headers, slow bodies. */
function rawRequest(head: string, chunks: Buffer[], delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(stack.apiUrl);
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on('connect', async () => {
      socket.write(head);
      for (const chunk of chunks) {
        await new Promise((r) => setTimeout(r, delayMs));
        if (!socket.destroyed) socket.write(chunk);
      }
      socket.end();
    });
  });
}

describe('webhook fuzz', () => {
  it('answers 2,000+ malformed requests with the documented 4xx, stores nothing unsigned, stays up', async () => {
    const cases: Case[] = [];
    while (cases.length < 2_100) cases.push(...signedJsonCases(), ...unsignedCases());
    const heapBefore = process.memoryUsage().heapUsed;
    const unexpected: string[] = [];
    let accepted = 0;
    for (let i = 0; i < cases.length; i += 20) {
      const batch = cases.slice(i, i + 20);
      const statuses = await Promise.all(batch.map(send));
      statuses.forEach((status, j) => {
        const c = batch[j] as Case;
        if (status === 202) accepted++;
        if (!c.expected.includes(status))
          unexpected.push(`${c.kind}: ${status} (expected ${c.expected.join('/')})`);
      });
    }
    expect(unexpected.slice(0, 20)).toEqual([]);

    // Header injection and slow bodies, over a raw socket.
    const body = Buffer.from(JSON.stringify({ event: 'request.created', request: { id: '1' } }));
    const path = `/v1/webhooks/servicedesk/${stack.slug}`;
    const injected = await rawRequest(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Webhook-Signature: sha256=00\r\nX-Webhook-Timestamp: 1\r\n\rX-Evil: 1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      [body],
      0,
    );
    expect([400, 401]).toContain(injected);
    const badLength = await rawRequest(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\nContent-Length: 20\r\nConnection: close\r\n\r\n`,
      [body],
      0,
    );
    expect(badLength).toBe(400);
    const slow = await Promise.all(
      Array.from({ length: 5 }, () =>
        rawRequest(
          `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
          Array.from({ length: body.length / 8 }, (_, k) => body.subarray(k * 8, k * 8 + 8)),
          40,
        ),
      ),
    );
    expect(slow).toEqual([401, 401, 401, 401, 401]);

    // Every stored job came from a correctly signed request.
    const jobs = (await stack.queue.getJobCounts('waiting', 'delayed', 'prioritized')) as Record<
      string,
      number
    >;
    expect((jobs.waiting ?? 0) + (jobs.delayed ?? 0) + (jobs.prioritized ?? 0)).toBe(stored.size);
    const signedOk = cases.filter((c) => c.sign && !c.headers && c.expected.includes(202)).length;
    expect(accepted).toBeLessThanOrEqual(signedOk);

    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
    // Generous: the point is "bounded", not a number; 2,000 requests leave no per-request garbage.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);
});
