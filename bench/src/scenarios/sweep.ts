import { createDatabase, createTenant } from '@ai-agents/db';
import { createTestDatabase, type FakeServiceDesk, startFakeServiceDesk } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { describeExit } from '../processes.js';
import type { Stack } from '../stack.js';
import { round, sleep } from '../stats.js';

export interface SweepResult {
  /** Tenants swept, all on the worker's one database: the idle ones plus the busy ones. */
  tenants: number;
  idleTenants: number;
  /** Tenants whose portal got one new ticket (no webhook) after onboarding. */
  busyTenants: number;
  intervalSec: number;
  /**
   * SDP calls the idle tenants' portal answered in one sweep (the second, warm one), per idle tenant:
   * counted from the fake portal's call log, not timed. The target is 1, the list call itself.
   */
  callsPerIdleTenantPerInterval: number;
  /** The same for the first sweep (anything a cold worker calls once, e.g. a token, shows here). */
  firstSweepCallsPerIdleTenant: number;
  /** Each sweep's duration: from its first list call to its last, every tenant swept. */
  sweepSeconds: number[];
  /** From the first sweep's first list call to the second's: the scheduler's interval as observed. */
  observedIntervalSec: number;
  /** From the first sweep's first list call until every busy tenant's new ticket had its note. */
  newTicketsNotedSec: number;
}

/**
 * A quiet spell this long after the last list call ends a sweep: a quarter of the interval, so the
 * next sweep cannot start inside it, and at most 5 s, well above any pause within one sweep.
 */
const quietMs = (intervalSec: number) => Math.min(5_000, intervalSec * 250);
const TECHNICIAN_KEY = 'bench-sweep-key';

const isListCall = (c: { method: string; path: string }) =>
  c.method === 'GET' && c.path === '/api/v3/requests';
const listCalls = (sdp: FakeServiceDesk) => sdp.calls.filter(isListCall).length;

/** Onboards `count` tenants on one portal through the db package's createTenant, a few at a time. */
async function addTenants(databaseUrl: string, encryptionKey: string, portalUrl: string, slugs: string[]) {
  const db = createDatabase({ url: databaseUrl, max: 4 });
  const box = createSecretBox(encryptionKey);
  try {
    let next = 0;
    const lane = async () => {
      for (let slug = slugs[next++]; slug !== undefined; slug = slugs[next++]) {
        const created = await createTenant(db.db, box, {
          slug,
          name: `Sweep ${slug}`,
          sdpBaseUrl: portalUrl,
          sdpAuthType: 'onprem',
          sdpCredentials: { type: 'onprem', technicianKey: TECHNICIAN_KEY },
          actor: 'bench',
        });
        if (created.outcome !== 'created') throw new Error(`sweep: tenant ${slug} already exists`);
      }
    };
    await Promise.all(Array.from({ length: 4 }, lane));
  } finally {
    await db.close();
  }
}

interface SweepWindow {
  startMs: number;
  endMs: number;
  /** Calls on the idle portal when the sweep ended (all kinds, not only list calls). */
  idleCallsAtEnd: number;
}

/**
 * Follows the list calls of every portal, and returns `count` sweeps: each starts with a list call
 * after a quiet spell and ends with its last list call before the next quiet spell.
 */
async function watchSweeps(
  portals: { idle: FakeServiceDesk; all: FakeServiceDesk[] },
  opts: { count: number; quietMs: number; timeoutMs: number; alive: () => void },
): Promise<SweepWindow[]> {
  const sweeps: SweepWindow[] = [];
  const deadline = Date.now() + opts.timeoutMs;
  let seen = 0;
  let current: { startMs: number; lastMs: number } | undefined;
  while (sweeps.length < opts.count) {
    if (Date.now() > deadline)
      throw new Error(`sweep: ${sweeps.length} of ${opts.count} sweeps within ${opts.timeoutMs / 1000} s`);
    opts.alive();
    const now = performance.now();
    const total = portals.all.reduce((sum, sdp) => sum + listCalls(sdp), 0);
    if (total > seen) {
      seen = total;
      current = current ? { ...current, lastMs: now } : { startMs: now, lastMs: now };
    } else if (current && now - current.lastMs >= opts.quietMs) {
      sweeps.push({
        startMs: current.startMs,
        endMs: current.lastMs,
        idleCallsAtEnd: portals.idle.calls.length,
      });
      current = undefined;
    }
    await sleep(20);
  }
  return sweeps;
}

/** Resolves once every request has a note on its portal; returns when, as performance.now(). */
async function notesPosted(busy: Array<{ sdp: FakeServiceDesk; requestId: string }>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!busy.every((b) => b.sdp.notes(b.requestId).length > 0)) {
    if (Date.now() > deadline) throw new Error('sweep: a new ticket of a busy tenant got no note');
    await sleep(20);
  }
  return performance.now();
}

/**
 * The reconcile sweep's cost: `tenants` tenants on one idle portal (nothing new since onboarding) and
 * `busy` tenants each on a portal of its own with one ticket created after onboarding and no webhook.
 * One worker, the sweep every `intervalSec`; two sweeps are followed through the fake portals' logs.
 */
export async function runSweep(
  stack: Stack,
  opts: { tenants: number; busy: number; intervalSec: number },
  say: (m: string) => void,
): Promise<SweepResult> {
  await stack.resetQueue();
  stack.llm.clearFaults();
  const database = await createTestDatabase('aiagents_bench_sweep');
  stack.defer(() => database.drop());
  const idle = await startFakeServiceDesk({ technicianKeys: [TECHNICIAN_KEY] });
  const busyPortals = await Promise.all(
    Array.from({ length: opts.busy }, () => startFakeServiceDesk({ technicianKeys: [TECHNICIAN_KEY] })),
  );
  const portals = [idle, ...busyPortals];
  stack.defer(async () => void (await Promise.all(portals.map((p) => p.close()))));
  try {
    say(`sweep: onboarding ${opts.tenants} idle tenants on one portal and ${opts.busy} busy ones`);
    const slugs = Array.from({ length: opts.tenants }, (_, i) => `idle-${i}`);
    await addTenants(database.appUrl, stack.encryptionKey, idle.url, slugs);
    for (const [i, sdp] of busyPortals.entries())
      await addTenants(database.appUrl, stack.encryptionKey, sdp.url, [`busy-${i}`]);
    // A second later, so each new ticket is created after its tenant's cursor started.
    await sleep(1_000);
    const busy = busyPortals.map((sdp, i) => ({
      sdp,
      requestId: sdp.addRequest({ subject: `Sweep bench ticket ${i}`, description: '<p>No webhook</p>' }).id,
    }));
    return await measureSweeps(stack, { ...opts, database: database.appUrl, idle, portals, busy }, say);
  } finally {
    await Promise.all(portals.map((p) => p.close()));
  }
}

/** Starts the worker on the sweep's database and follows two sweeps. */
async function measureSweeps(
  stack: Stack,
  opts: {
    tenants: number;
    intervalSec: number;
    database: string;
    idle: FakeServiceDesk;
    portals: FakeServiceDesk[];
    busy: Array<{ sdp: FakeServiceDesk; requestId: string }>;
  },
  say: (m: string) => void,
): Promise<SweepResult> {
  say(`sweep: one worker, RECONCILE_INTERVAL_SECONDS=${opts.intervalSec}; following two sweeps`);
  const worker = stack.startWorker({
    DATABASE_URL: opts.database,
    RECONCILE_INTERVAL_SECONDS: String(opts.intervalSec),
  });
  try {
    const alive = () => {
      if (worker.process.exitCode !== null) throw new Error(describeExit(worker));
    };
    const timeoutMs = (3 * opts.intervalSec + 120) * 1000;
    const noted = notesPosted(opts.busy, timeoutMs);
    noted.catch(() => {});
    const [first, second] = await watchSweeps(
      { idle: opts.idle, all: opts.portals },
      { count: 2, quietMs: quietMs(opts.intervalSec), timeoutMs, alive },
    );
    if (!first || !second) throw new Error('sweep: two sweeps expected');
    const notedAt = await noted;
    return {
      tenants: opts.tenants + opts.busy.length,
      idleTenants: opts.tenants,
      busyTenants: opts.busy.length,
      intervalSec: opts.intervalSec,
      callsPerIdleTenantPerInterval: round((second.idleCallsAtEnd - first.idleCallsAtEnd) / opts.tenants, 3),
      firstSweepCallsPerIdleTenant: round(first.idleCallsAtEnd / opts.tenants, 3),
      sweepSeconds: [first, second].map((s) => round((s.endMs - s.startMs) / 1000, 2)),
      observedIntervalSec: round((second.startMs - first.startMs) / 1000, 2),
      newTicketsNotedSec: round((notedAt - first.startMs) / 1000, 2),
    };
  } finally {
    await worker.stop();
  }
}
