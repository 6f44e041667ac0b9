import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { addHistory, enhancements, withTenant } from '@ai-agents/db';
import { type FakeServiceDesk, startFakeServiceDesk, waitFor } from '@ai-agents/sandbox';
import { createLogger, signWebhook } from '@ai-agents/shared';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

// Two tenants with near-identical resolved tickets, the real API and worker, the sandbox ServiceDesk
// Plus (one per tenant) and LLM. A job whose payload names tenant A must build its note, and its LLM
// prompt, from A's history only. The same run, logged at trace level, must not leak a secret into a
// log line, a job in Redis or an API response.

const openAiKey = 'sk-isolation-test-openai-key-1234567890';
const keyA = 'technician-key-of-tenant-a';
const keyB = 'technician-key-of-tenant-b';
const keyC = 'stale-technician-key-of-tenant-c';
const ticketText = 'Excel freezes when opening the quarterly budget workbook';

const logLines: string[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});
const logger = createLogger({ name: 'isolation', level: 'trace' }, logStream);

let stack: Stack;
let sdpA: FakeServiceDesk;
let sdpB: FakeServiceDesk;
let llm: Stack['llm'];
let promptRecorder: Server;
const prompts: string[] = [];
const responses: string[] = [];
const tenants: Record<'a' | 'b' | 'c', { id: string; secret: string }> = {} as never;

// Same subjects, descriptions and resolutions in both tenants; only the ids differ.
const history = (ids: [string, string, string]) => [
  {
    externalId: ids[0],
    subject: 'Excel freezes when opening a large workbook',
    description: 'Excel hangs on open of a big spreadsheet with many formulas.',
    resolution: 'Disabled hardware graphics acceleration and the COM add-ins.',
  },
  {
    externalId: ids[1],
    subject: 'Excel not responding opening budget workbook',
    description: 'Budget spreadsheet makes Excel freeze.',
    resolution: 'Repaired Office and switched calculation to manual.',
  },
  { externalId: ids[2], subject: 'Printer offline', resolution: 'Restarted the spooler.' },
];

/** Forwards to the fake LLM and keeps each prompt, to see what context the worker sent. */
async function startPromptRecorder(target: string): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    prompts.push(body);
    const upstream = await fetch(`${target}${req.url?.replace(/^\/v1/, '')}`, {
      method: req.method,
      headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
      body,
    });
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(await upstream.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

async function deliver(slug: string, body: object, headers: (raw: string) => Record<string, string>) {
  const raw = JSON.stringify(body);
  const res = await fetch(`${stack.apiUrl}/v1/webhooks/servicedesk/${slug}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers(raw) },
    body: raw,
  });
  const text = await res.text();
  responses.push(text);
  return { status: res.status, text };
}

async function finalStatus(tenantId: string, eventId: string) {
  return waitFor(
    () =>
      withTenant(stack.database.db, tenantId, async (tx) => {
        const [row] = await tx.select().from(enhancements).where(eq(enhancements.eventId, eventId));
        return row && (row.status === 'posted' || row.status === 'failed') ? row : undefined;
      }),
    20_000,
    `event ${eventId}`,
  );
}

/** Every value stored under the test's queue prefix, as text. */
async function redisContents(): Promise<string> {
  const redis = new Redis(stack.redisUrl);
  try {
    const parts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stack.queuePrefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'string') parts.push((await redis.get(key)) ?? '');
        else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
        else if (type === 'zset') parts.push(...(await redis.zrange(key, '0', '-1')));
        else if (type === 'set') parts.push(...(await redis.smembers(key)));
        else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

beforeAll(async () => {
  stack = await startStack({
    sdp: { technicianKeys: [keyA] },
    logger,
    env: {
      LOG_LEVEL: 'trace',
      // Every ticket here deliberately shares one subject; alert-storm grouping (tested in
      // test/reliability/floods.test.ts) would turn all but the first into short follower notes.
      ALERT_STORM_DEDUPE: 'false',
      OPENAI_API_KEY: openAiKey,
      LLM_MAX_RETRIES: '0',
    },
  });
  ({ sdp: sdpA, llm } = stack);
  sdpB = await startFakeServiceDesk({ technicianKeys: [keyB] });
  const recorder = await startPromptRecorder(llm.url);
  promptRecorder = recorder.server;

  for (const [name, sdp, key, ids] of [
    ['a', sdpA, keyA, ['5101', '5102', '5103']],
    ['b', sdpB, keyB, ['7101', '7102', '7103']],
    ['c', sdpA, keyC, ['8101', '8102', '8103']],
  ] as const) {
    const { tenant, webhookSecret } = await stack.addTenant({
      slug: `client-${name}`,
      name: `Client ${name}`,
      sdpBaseUrl: sdp.url,
      technicianKey: key,
      // Client A also takes ServiceDesk Plus native webhooks (token mode), so that path is logged too.
      ...(name === 'a' ? { settings: { webhookTokenEnabled: true } } : {}),
    });
    tenants[name] = { id: tenant.id, secret: webhookSecret };
    await addHistory({ db: stack.database.db, tenantId: tenant.id }, history([...ids]));
  }

  await stack.startApi({ OPENAI_BASE_URL: recorder.url });
  await stack.startWorker({ OPENAI_BASE_URL: recorder.url });
});

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => promptRecorder?.close(resolve));
  await sdpB?.close();
});

describe('a job for tenant A uses only tenant A’s context', () => {
  it('the note and the LLM prompt cite A’s similar tickets and none of B’s identical ones', async () => {
    const request = sdpA.addRequest({ subject: ticketText, description: 'Excel hangs, budget workbook.' });
    const sent = await deliver(
      'client-a',
      { event: 'request.created', event_id: 'iso-llm', request: { id: request.id } },
      (raw) => signWebhook(tenants.a.secret, raw),
    );
    expect(sent.status).toBe(202);
    expect(await finalStatus(tenants.a.id, 'iso-llm')).toMatchObject({ status: 'posted', fallback: false });

    const [note] = sdpA.notes(request.id);
    expect(note?.description).toMatch(/#510[12]/);
    expect(note?.description).not.toMatch(/#?710[123]|#?810[123]/);
    expect(prompts.length).toBeGreaterThan(0);
    const prompt = prompts.join('\n');
    expect(prompt).toContain('5101');
    expect(prompt).not.toMatch(/7101|7102|8101|8102/);
    expect(sdpB.calls).toEqual([]);
  });

  it('the context-only fallback note (LLM down) lists A’s tickets only', async () => {
    llm.setFault({ status: 500 });
    try {
      const request = sdpA.addRequest({ subject: ticketText, description: 'Excel freezes again.' });
      await deliver(
        'client-a',
        { event: 'request.created', event_id: 'iso-fallback', request: { id: request.id } },
        (raw) => signWebhook(tenants.a.secret, raw),
      );
      expect(await finalStatus(tenants.a.id, 'iso-fallback')).toMatchObject({
        status: 'posted',
        fallback: true,
      });
      const [note] = sdpA.notes(request.id);
      expect(note?.description).toContain('#5101');
      expect(note?.description).not.toMatch(/7101|7102|8101|8102/);
    } finally {
      llm.clearFaults();
    }
    expect(sdpB.calls).toEqual([]);
  });
});

describe('secrets stay out of logs, jobs and responses', () => {
  it('a full run — accepted, rejected, failing tenant — logs at trace level without any secret', async () => {
    // A delivery under a wrong secret, and one for a tenant whose ServiceDesk Plus key is stale.
    expect(
      (
        await deliver('client-a', { event: 'request.created', request: { id: '1' } }, (raw) =>
          signWebhook(tenants.b.secret, raw),
        )
      ).status,
    ).toBe(401);
    const tokenRequest = sdpA.addRequest({ subject: ticketText, description: 'Sent by a native webhook.' });
    const byToken = await deliver(
      'client-a',
      { event: 'request.created', event_id: 'iso-token', request: { id: tokenRequest.id } },
      () => ({ 'x-webhook-token': tenants.a.secret }),
    );
    expect(byToken.status).toBe(202);
    expect(await finalStatus(tenants.a.id, 'iso-token')).toMatchObject({ status: 'posted' });
    // Token mode is off for client-b: its secret sent in the clear is refused.
    expect(
      (
        await deliver('client-b', { event: 'request.created', request: { id: '1' } }, () => ({
          'x-webhook-token': tenants.b.secret,
        }))
      ).status,
    ).toBe(401);
    const requestC = sdpA.addRequest({ subject: ticketText, description: 'Excel freezes for C.' });
    await deliver(
      'client-c',
      { event: 'request.created', event_id: 'iso-stale-key', request: { id: requestC.id } },
      (raw) => signWebhook(tenants.c.secret, raw),
    );
    const failed = await finalStatus(tenants.c.id, 'iso-stale-key');
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.error).toMatch(/401|auth/i);

    const logs = logLines.join('');
    expect(logs).toContain('webhook accepted');
    expect(logs).toContain('webhook rejected');
    expect(logLines.length).toBeGreaterThan(10);
    const stored = await redisContents();
    expect(stored).toContain('iso-llm'); // the jobs are there to be searched
    const secrets = {
      'tenant A webhook secret': tenants.a.secret,
      'tenant B webhook secret': tenants.b.secret,
      'tenant C webhook secret': tenants.c.secret,
      'tenant A technician key': keyA,
      'tenant B technician key': keyB,
      'tenant C technician key': keyC,
      ENCRYPTION_KEY: stack.encryptionKey,
      OPENAI_API_KEY: openAiKey,
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(logs.includes(secret), `${what} in a log line`).toBe(false);
      expect(stored.includes(secret), `${what} in Redis`).toBe(false);
      expect(responses.join('\n').includes(secret), `${what} in an API response`).toBe(false);
      expect(failed.error?.includes(secret), `${what} in the recorded error`).toBe(false);
    }
    // Nor the ticket text: logs and jobs carry ids.
    expect(logs).not.toContain(ticketText);
    expect(stored).not.toContain(ticketText);
  });
});
