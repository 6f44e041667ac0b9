/**
 * `npm run chaos`: a bounded mixed-fault run against a local stack, all on 127.0.0.1.
 *
 * Starts its own database, a private persistent redis-server, the sandbox ServiceDesk Plus and LLM,
 * and the built API and worker as real processes (the worker's reconcile sweep every few seconds).
 * Before the tenant is onboarded, the portal already holds a backlog of tickets (created from a day to
 * a second before). Then tickets are created at a steady pace, each followed by one signed webhook, as
 * ServiceDesk Plus fires them: never retried, whatever the answer (SDP does not redeliver; issue 21).
 * 10% of the webhooks are never sent and 30% are sent twice; ServiceDesk Plus fails 10% of reads (the
 * sweep's list calls included) with 503 and answers 10% of note posts with 429, the LLM fails 10% of
 * calls; the worker is SIGKILLed once, the API is stopped for some seconds while tickets keep coming,
 * and Redis restarts once.
 *
 * Prints what was sent, accepted and lost on the way, the notes, and how many tickets the sweep caught;
 * exits 1 unless every ticket created while the tenant was active has exactly one note and no backlog
 * ticket has one. Usage: npm run chaos [-- --events 200 --timeout-seconds 150 --reconcile-seconds 3]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { seedBacklog } from './chaos/backlog.js';
import { apiOutage, redisRestart, workerKill } from './chaos/faults.js';
import { counterTotal } from './chaos/metrics.js';
import { onboardChaosTenant, startChaosBackends, startChaosServices } from './chaos/stack.js';
import { notesBroughtBySweep } from './chaos/sweep-notes.js';
import { type ChaosTicket, createAndDeliver } from './chaos/timeline.js';
import { printVerdict, tally } from './chaos/verdict.js';
import type { FakeServiceDesk } from './fake-servicedesk/index.js';
import { seededRandom } from './seeded-random.js';
import { randomEncryptionKey } from './testing.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200' },
    'timeout-seconds': { type: 'string', default: '150' },
    'reconcile-seconds': { type: 'string', default: '3' },
  },
});
const EVENTS = Number(args.events);
const TIMEOUT_MS = Number(args['timeout-seconds']) * 1000;
const RECONCILE_SECONDS = Number(args['reconcile-seconds']);
const usageError = (message: string) => {
  console.error(`chaos: ${message}`);
  process.exit(2);
};
if (!Number.isInteger(EVENTS) || EVENTS < 10 || EVENTS > 5_000)
  usageError('--events must be a whole number from 10 to 5000');
if (!Number.isFinite(TIMEOUT_MS) || TIMEOUT_MS < 10_000 || TIMEOUT_MS > 600_000)
  usageError('--timeout-seconds must be 10..600');
if (!Number.isInteger(RECONCILE_SECONDS) || RECONCILE_SECONDS < 1 || RECONCILE_SECONDS > 60)
  usageError('--reconcile-seconds must be a whole number from 1 to 60');

/** The name of the worker's counter of tickets the sweep found that no webhook had delivered. */
const SWEEP_FOUND_METRIC = 'reconcile_missed_tickets_total';
// One ticket every 100 ms (the run's stream lasts EVENTS / 10 s); the API stays away for 5 s of it.
const PACE_MS = 100;
const API_OUTAGE_SECONDS = 5;
const say = (line: string) => console.log(`chaos: ${line}`);

/** Waits until every ticket has a note (or the timeout), then two more sweeps for late duplicates. */
async function waitForNotes(sdp: FakeServiceDesk, tickets: ChaosTicket[]): Promise<void> {
  const until = Date.now() + TIMEOUT_MS;
  while (Date.now() < until && !tickets.every((t) => sdp.notes(t.requestId).length >= 1)) await sleep(500);
  await sleep(2 * RECONCILE_SECONDS * 1000 + 1_000);
}

async function main(cleanups: (() => Promise<unknown>)[]): Promise<number> {
  const backends = await startChaosBackends(cleanups);
  const { sdp, llm, redis } = backends;
  sdp.setFault('getRequest', { failRate: 0.1, status: 503 });
  sdp.setFault('listRequests', { failRate: 0.1, status: 503 });
  sdp.setFault('addNote', { failRate: 0.1, status: 429, retryAfterSeconds: 1 });
  llm.setFault({ failRate: 0.1, status: 500 });

  const backlog = seedBacklog(sdp);
  // The last backlog ticket is a second old; onboarding comes a second later still.
  await sleep(1_000);
  const encryptionKey = randomEncryptionKey();
  const { tenantId, secret } = await onboardChaosTenant(backends.database, sdp.url, encryptionKey);
  const services = await startChaosServices(backends, encryptionKey, RECONCILE_SECONDS);
  cleanups.push(() => Promise.all([services.api.stop('SIGKILL'), services.worker.stop('SIGKILL')]));
  say(
    `stack up; ${backlog.length} backlog tickets; creating ${EVENTS} tickets, sweep every ${RECONCILE_SECONDS} s`,
  );

  let sweepCounter = 0;
  const readCounter = async () => {
    sweepCounter += (await counterTotal(services.metricsUrl, SWEEP_FOUND_METRIC)) ?? 0;
  };
  const tickets = await createAndDeliver({
    sdp,
    webhookUrl: services.webhookUrl,
    secret,
    tickets: EVENTS,
    paceMs: PACE_MS,
    dropShare: 0.1,
    duplicateShare: 0.3,
    random: seededRandom(0xc4a05),
    faults: [
      workerKill(Math.floor(EVENTS / 5), services.worker, say, readCounter),
      apiOutage(Math.floor((2 * EVENTS) / 5), services.api, API_OUTAGE_SECONDS, say),
      redisRestart(Math.floor((4 * EVENTS) / 5), redis, say),
    ],
  });
  say(`all tickets created; waiting for the notes (at most ${TIMEOUT_MS / 1000} s)`);
  await waitForNotes(sdp, tickets);
  await readCounter();

  const sweptNotes = await notesBroughtBySweep(
    backends.database.appUrl,
    tenantId,
    tickets.map((t) => t.requestId),
  );
  const verdict = tally(sdp, tickets, backlog, { notes: sweptNotes, counter: sweepCounter });
  printVerdict(verdict);
  say(verdict.pass ? 'PASS: every ticket got exactly one note, and no backlog ticket got one' : 'FAIL');
  if (!verdict.pass)
    for (const service of [services.api, services.worker]) console.error(service.output().slice(-2_000));
  return verdict.pass ? 0 : 1;
}

const cleanups: (() => Promise<unknown>)[] = [];
const stopEverything = async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
};
// Past the ticket stream, the wait for notes and a margin, the run gives up: it still stops what it
// started (the API, the worker, its redis-server), within 15 s, before it exits.
const watchdogMs = EVENTS * PACE_MS + TIMEOUT_MS + 90_000;
const watchdog = setTimeout(() => {
  console.error(`chaos: did not finish within ${watchdogMs / 1000} s; giving up`);
  setTimeout(() => process.exit(1), 15_000).unref();
  void stopEverything().finally(() => process.exit(1));
}, watchdogMs);
watchdog.unref();
process.exitCode = await main(cleanups)
  .catch((error) => {
    console.error(`chaos: ${(error as Error).message}`);
    return 1;
  })
  .finally(stopEverything);
