/**
 * `npm run chaos`: a bounded mixed-fault run against a local stack, all on 127.0.0.1.
 *
 * Starts its own database, a private persistent redis-server, the sandbox ServiceDesk Plus and LLM,
 * and the built API and worker as real processes. Sends N ticket events as signed webhooks, 30% of
 * them delivered twice, while ServiceDesk Plus fails 10% of reads with 5xx and answers some note posts
 * with 429, the LLM fails 10% of calls, the worker is SIGKILLed once and Redis restarts once. The
 * sender retries 503/429/connection errors, as ServiceDesk Plus' webhook retries would.
 *
 * Prints webhooks sent, accepted, events, notes posted, duplicates and lost; exits 1 unless every
 * event got exactly one note. Usage: npm run chaos [-- --events 200 --timeout-seconds 150]
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createDatabase, createTenant } from '@ai-agents/db';
import { createSecretBox, signWebhook } from '@ai-agents/shared';
import { startFakeLlm } from './fake-llm/index.js';
import { startFakeServiceDesk } from './fake-servicedesk/index.js';
import { type NodeProcess, startNodeProcess } from './node-process.js';
import { seededRandom } from './seeded-random.js';
import { createTestDatabase, freePort, randomEncryptionKey, startPrivateRedis, waitFor } from './testing.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200' },
    'timeout-seconds': { type: 'string', default: '150' },
  },
});
const EVENTS = Number(args.events);
const TIMEOUT_MS = Number(args['timeout-seconds']) * 1000;
if (!Number.isInteger(EVENTS) || EVENTS < 10 || EVENTS > 5_000) {
  console.error('chaos: --events must be a whole number from 10 to 5000');
  process.exit(2);
}
if (!Number.isFinite(TIMEOUT_MS) || TIMEOUT_MS < 10_000 || TIMEOUT_MS > 600_000) {
  console.error('chaos: --timeout-seconds must be 10..600');
  process.exit(2);
}

const TOPICS = ['printer', 'outlook', 'vpn', 'teams', 'excel', 'wifi', 'badge', 'monitor', 'laptop', 'phone'];
const say = (line: string) => console.log(`chaos: ${line}`);

async function main(): Promise<number> {
  const random = seededRandom(0xc4a05);
  const cleanups: (() => Promise<unknown>)[] = [];
  const deadline = setTimeout(() => {
    console.error(`chaos: did not finish within ${TIMEOUT_MS / 1000 + 60} s; giving up`);
    process.exit(1);
  }, TIMEOUT_MS + 60_000);
  deadline.unref();
  try {
    const db = await createTestDatabase('aiagents_chaos');
    cleanups.push(() => db.drop());
    const redis = await startPrivateRedis({ persistent: true });
    cleanups.push(() => redis.destroy());
    const sdp = await startFakeServiceDesk({ technicianKeys: ['chaos-key'] });
    cleanups.push(() => sdp.close());
    const llm = await startFakeLlm();
    cleanups.push(() => llm.close());
    sdp.setFault('getRequest', { failRate: 0.1, status: 503 });
    sdp.setFault('addNote', { failRate: 0.1, status: 429, retryAfterSeconds: 1 });
    llm.setFault({ failRate: 0.1, status: 500 });

    const encryptionKey = randomEncryptionKey();
    const database = createDatabase({ url: db.appUrl, max: 2 });
    const created = await createTenant(database.db, createSecretBox(encryptionKey), {
      slug: 'chaos',
      name: 'Chaos Ltd',
      sdpBaseUrl: sdp.url,
      sdpAuthType: 'onprem',
      sdpCredentials: { type: 'onprem', technicianKey: 'chaos-key' },
      actor: 'chaos',
    });
    await database.close();
    if (created.outcome === 'slug_taken') throw new Error('the chaos tenant already exists');
    const secret = created.webhookSecret;

    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.appUrl,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `chaos-${randomUUID().slice(0, 8)}`,
      ENCRYPTION_KEY: encryptionKey,
      OPENAI_API_KEY: 'sandbox',
      OPENAI_BASE_URL: llm.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_LOCK_DURATION_MS: '3000',
      WORKER_CONCURRENCY: '20',
      // Any free port for the worker's /metrics, /health and /ready: its default (9464) may be taken.
      WORKER_HTTP_PORT: '0',
      SDP_RATE_LIMIT_PER_MINUTE: '100000',
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000',
      // All events belong to one tenant and are sent as fast as the sender can: above the default bound.
      TENANT_BACKLOG_LIMIT: '100000',
    };
    const processes: NodeProcess[] = [];
    cleanups.push(async () => {
      for (const p of processes) await p.kill('SIGKILL');
    });
    const start = async (script: string, ready: string) => {
      const child = startNodeProcess(script, { ...env, LOG_LEVEL: 'info' });
      processes.push(child);
      await waitFor(() => (child.output().includes(ready) ? true : undefined), 20_000, script);
      return child;
    };
    await start('apps/api/dist/server.js', 'Server listening');
    let worker = await start('apps/worker/dist/main.js', 'worker started');
    say(`stack up (api on 127.0.0.1:${port}); sending ${EVENTS} events with 30% duplicate deliveries`);

    // The deliveries: each event once, 30% of them a second time, in a shuffled order.
    const events = Array.from({ length: EVENTS }, (_, i) => {
      const request = sdp.addRequest({
        subject: `${TOPICS[i % TOPICS.length]} ${TOPICS[Math.floor(i / TOPICS.length) % TOPICS.length]} problem ${'abcdefghij'[Math.floor(i / 100) % 10]}${'klmnopqrst'[Math.floor(i / 10) % 10]}`,
        description: `<p>Chaos ticket ${i}</p>`,
      });
      return { eventId: `chaos-${i}`, requestId: request.id };
    });
    const deliveries = [...events, ...events.filter(() => random() < 0.3)];
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deliveries[i], deliveries[j]] = [
        deliveries[j] as (typeof deliveries)[number],
        deliveries[i] as (typeof deliveries)[number],
      ];
    }

    let sent = 0;
    let accepted = 0;
    const acceptedEvents = new Set<string>();
    const deliver = async (event: { eventId: string; requestId: string }) => {
      const body = JSON.stringify({
        event: 'request.created',
        event_id: event.eventId,
        request: { id: event.requestId },
      });
      // Up to a minute of retries, as a webhook sender with backoff would.
      for (let attempt = 0; attempt < 60; attempt++) {
        sent++;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/v1/webhooks/servicedesk/chaos`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...signWebhook(secret, body) },
            body,
            signal: AbortSignal.timeout(5_000),
          });
          await res.arrayBuffer();
          if (res.status === 202) {
            accepted++;
            acceptedEvents.add(event.eventId);
            return;
          }
        } catch {
          // connection refused or timed out: retry
        }
        await sleep(1_000);
      }
    };

    // Faults at fixed points of the run: a worker SIGKILL at a third, a Redis restart at two thirds.
    let done = 0;
    const faults = (async () => {
      await waitFor(
        () => (done >= deliveries.length / 3 ? true : undefined),
        TIMEOUT_MS,
        'a third of the deliveries',
      );
      say('SIGKILL the worker');
      await worker.kill('SIGKILL');
      await sleep(1_000);
      worker = await start('apps/worker/dist/main.js', 'worker started');
      say('worker restarted');
      await waitFor(() => (done >= (2 * deliveries.length) / 3 ? true : undefined), TIMEOUT_MS, 'two thirds');
      say('Redis stopped');
      await redis.stop();
      await sleep(2_000);
      await redis.start();
      say('Redis started again');
    })();

    const queue = [...deliveries];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          await deliver(next);
          done++;
          // Paced (about 30 a second in all), so the faults land while webhooks are still arriving.
          await sleep(300);
        }
      }),
    );
    await faults;
    say(`all deliveries made; waiting for the notes (at most ${TIMEOUT_MS / 1000} s)`);

    const noteCount = (requestId: string) => sdp.notes(requestId).length;
    const waitUntil = Date.now() + TIMEOUT_MS;
    while (Date.now() < waitUntil && !events.every((e) => noteCount(e.requestId) >= 1)) await sleep(500);
    // Give a duplicate note, if any, time to appear before counting.
    await sleep(3_000);

    const notes = events.reduce((sum, e) => sum + noteCount(e.requestId), 0);
    const duplicates = events.reduce((sum, e) => sum + Math.max(0, noteCount(e.requestId) - 1), 0);
    const lost = events.filter((e) => noteCount(e.requestId) === 0).length;
    const result = {
      webhooks_sent: sent,
      accepted,
      events: events.length,
      events_accepted: acceptedEvents.size,
      notes_posted: notes,
      duplicates,
      lost,
    };
    console.log(`webhooks sent: ${sent}`);
    console.log(`accepted:      ${accepted}`);
    console.log(`events:        ${events.length}`);
    console.log(`notes posted:  ${notes}`);
    console.log(`duplicates:    ${duplicates}`);
    console.log(`lost:          ${lost}`);
    console.log(JSON.stringify(result));
    const ok = notes === events.length && duplicates === 0 && lost === 0;
    say(ok ? 'PASS: every event got exactly one note' : 'FAIL');
    if (!ok) for (const p of processes) console.error(p.output().slice(-2_000));
    return ok ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

process.exitCode = await main().catch((error) => {
  console.error(`chaos: ${(error as Error).message}`);
  return 1;
});
