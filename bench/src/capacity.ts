/**
 * `npm run capacity [-- --tickets=N] [-- --history=N]`: the per-item costs behind docs/capacity.md,
 * measured on the real API and worker processes (bench/src/stack.ts: a migrated database of its own,
 * a private redis-server, the sandbox ServiceDesk Plus and fake LLM):
 *   - Redis bytes per waiting job, per remembered event id, per completed job, per failed job
 *     (INFO used_memory_dataset deltas on the private server, divided by the count);
 *   - Postgres bytes and rows per history ticket (with its search index rows) and per enhanced ticket
 *     (enhancements and audit_log), from pg_total_relation_size deltas after VACUUM;
 *   - prompt and completion tokens per note, and the estimated cost per 1,000 tickets at the default
 *     model's built-in price;
 *   - Redis commands per ticket (INFO total_commands_processed, intake to completed job);
 *   - peak Postgres connections of the API and one worker while it drains the queue.
 * Tickets are made from the shared dataset (../shared/datasets/it-tickets/dev.csv). Writes
 * bench/results/capacity.json and prints a table. All traffic goes to 127.0.0.1; bounded in count.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LLM_PRICES, estimateCost } from '@ai-agents/shared';
import pg from 'pg';
import { loadDataset, resampleTickets } from './dataset.js';
import { createPeakRss, ROOT, stopAll } from './processes.js';
import { type Stack, sendWebhooks, startStack, type Tenant } from './stack.js';
import { sleep } from './stats.js';

const argValue = (name: string, fallback: number) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.split('=')[1]) : fallback;
  if (!Number.isInteger(value) || value < 10 || value > 100_000) {
    console.error(`capacity: --${name} must be an integer from 10 to 100000`);
    process.exit(2);
  }
  return value;
};
const TICKETS = argValue('tickets', 2_000);
const HISTORY = argValue('history', 10_000);
const FAILED = Math.max(10, Math.round(TICKETS / 4));
const MODEL = 'gpt-4o-mini';

const started = performance.now();
const say = (m: string) =>
  process.stderr.write(
    `[capacity ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${m}\n`,
  );

/** INFO used_memory: what Redis' allocator holds, keyspace tables included (what maxmemory counts). */
async function usedMemory(stack: Stack): Promise<number> {
  // Let replies and lazy frees settle, so client buffers of the last commands are gone.
  await sleep(300);
  const info = await stack.redisClient.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

const TABLES = [
  'ticket_history',
  'ticket_terms',
  'ticket_term_stats',
  'ticket_history_stats',
  'enhancements',
  'audit_log',
  'feedback',
] as const;

async function commandsProcessed(stack: Stack): Promise<number> {
  const info = await stack.redisClient.info('stats');
  return Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

async function tableSizes(owner: pg.Client): Promise<Record<string, { bytes: number; rows: number }>> {
  await owner.query(`vacuum ${TABLES.join(', ')}`);
  const out: Record<string, { bytes: number; rows: number }> = {};
  for (const table of TABLES) {
    const { rows } = await owner.query<{ bytes: string; rows: number }>(
      `select pg_total_relation_size($1::regclass)::bigint as bytes, (select count(*)::int from ${table}) as rows`,
      [table],
    );
    out[table] = { bytes: Number(rows[0]?.bytes ?? 0), rows: rows[0]?.rows ?? 0 };
  }
  return out;
}

function delta(
  before: Record<string, { bytes: number; rows: number }>,
  after: Record<string, { bytes: number; rows: number }>,
  tables: readonly string[],
  per: number,
) {
  return Object.fromEntries(
    tables.map((t) => [
      t,
      {
        bytesPerItem: Math.round(((after[t]?.bytes ?? 0) - (before[t]?.bytes ?? 0)) / per),
        rowsPerItem: Number((((after[t]?.rows ?? 0) - (before[t]?.rows ?? 0)) / per).toFixed(2)),
      },
    ]),
  );
}

/** Tickets in the sandbox SDP from the dataset, and one signed webhook each through the API. */
async function sendTickets(
  stack: Stack,
  tenant: Tenant,
  count: number,
  runId: string,
  texts: string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const text = texts[i % texts.length] ?? '';
    const request = stack.sdp.addRequest({
      subject: text.split(' ').slice(0, 8).join(' '),
      description: `<p>${text}</p>`,
      requester: { name: `Capacity user ${i}`, email_id: `capacity.user.${i}@example.com` },
    });
    ids.push(request.id);
  }
  await sendWebhooks(
    stack.webhookUrl(tenant.slug),
    tenant.secret,
    ids.map((requestId) => ({ eventId: `${runId}-${requestId}`, requestId })),
  );
  return ids;
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function main() {
  const peak = createPeakRss();
  const stack = await startStack(peak, say);
  const owner = new pg.Client({ connectionString: stack.database.ownerUrl });
  await owner.connect();
  try {
    const dataset = loadDataset();
    say(`history: ${HISTORY} resampled dataset tickets in one tenant`);
    const beforeHistory = await tableSizes(owner);
    const history = resampleTickets(dataset, HISTORY);
    const tenant = await stack.addTenant('capacity', history);
    const afterHistory = await tableSizes(owner);
    const perHistoryTicket = delta(
      beforeHistory,
      afterHistory,
      ['ticket_history', 'ticket_terms', 'ticket_term_stats', 'ticket_history_stats'],
      HISTORY,
    );

    await stack.resetQueue();
    const empty = await usedMemory(stack);
    const commandsBefore = await commandsProcessed(stack);
    say(`queueing ${TICKETS} tickets through the API, no worker running`);
    const texts = dataset.map((r) => r.text);
    await sendTickets(stack, tenant, TICKETS, 'cap', texts);
    const queued = await usedMemory(stack);
    const prefix = stack.serviceEnv.QUEUE_PREFIX;
    const seenKeys: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await stack.redisClient.scan(
        cursor,
        'MATCH',
        `${prefix}:enhance:de:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      seenKeys.push(...keys);
    } while (cursor !== '0');
    if (seenKeys.length !== TICKETS)
      throw new Error(`expected ${TICKETS} event ids, found ${seenKeys.length}`);
    const seenValues = await stack.redisClient.mget(...seenKeys);
    const seenTtl = await stack.redisClient.ttl(seenKeys[0] ?? '');

    say('draining with one worker (concurrency 20); sampling Postgres connections');
    const beforeEnhance = await tableSizes(owner);
    let peakConnections = 0;
    const sampler = setInterval(() => {
      void owner
        .query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [stack.database.name],
        )
        .then((r) => {
          peakConnections = Math.max(peakConnections, r.rows[0]?.n ?? 0);
        })
        .catch(() => {});
    }, 100);
    const worker = stack.startWorker({ WORKER_CONCURRENCY: '20', WORKER_HTTP_PORT: '0' });
    await waitUntil(
      'the queue to drain',
      async () => {
        const { rows } = await owner.query<{ n: number }>(
          "select count(*)::int as n from enhancements where status in ('posted', 'failed', 'skipped')",
        );
        return (rows[0]?.n ?? 0) >= TICKETS;
      },
      300_000,
    );
    // The last jobs' completion reaches Redis just after their rows.
    await sleep(1_000);
    clearInterval(sampler);
    const drained = await usedMemory(stack);
    // Every Redis command of intake and processing, this script's few INFO and SCAN calls aside.
    const commandsPerTicket = ((await commandsProcessed(stack)) - commandsBefore) / TICKETS;
    const afterEnhance = await tableSizes(owner);
    const perEnhancement = delta(beforeEnhance, afterEnhance, ['enhancements', 'audit_log'], TICKETS);
    const tokens = await owner.query<{ prompt: number; completion: number; notes: number; posted: number }>(
      `select avg(tokens_in)::float as prompt, avg(tokens_out)::float as completion,
              count(*) filter (where tokens_in is not null)::int as notes,
              count(*) filter (where status = 'posted')::int as posted
         from enhancements`,
    );
    const t = tokens.rows[0];

    say(`${FAILED} tickets that fail for good (ServiceDesk Plus answers 403)`);
    stack.sdp.setFault('getRequest', { status: 403 });
    const beforeFailed = await usedMemory(stack);
    await sendTickets(stack, tenant, FAILED, 'capfail', texts);
    await waitUntil(
      'the failed jobs',
      async () => (await stack.redisClient.zcard(`${prefix}:enhance:failed`)) >= FAILED,
      120_000,
    );
    await sleep(500);
    const afterFailed = await usedMemory(stack);
    stack.sdp.clearFaults();
    await worker.stop();

    // The remembered event ids alone: the same keys and values, written as the API writes them
    // (SET ... EX ... NX), into the emptied server.
    await stack.resetQueue();
    const bare = await usedMemory(stack);
    for (let i = 0; i < seenKeys.length; i += 500) {
      const batch = stack.redisClient.pipeline();
      for (let j = i; j < Math.min(i + 500, seenKeys.length); j++)
        batch.set(seenKeys[j] ?? '', seenValues[j] ?? '', 'EX', seenTtl, 'NX');
      await batch.exec();
    }
    const perSeen = ((await usedMemory(stack)) - bare) / seenKeys.length;
    const perWaiting = (queued - empty) / TICKETS - perSeen;
    const perCompleted = (drained - queued) / TICKETS + perWaiting;
    // Each failed ticket also remembered its event id.
    const perFailed = (afterFailed - beforeFailed) / FAILED - perSeen;

    const prompt = t?.prompt ?? 0;
    const completion = t?.completion ?? 0;
    const costPerNote =
      estimateCost(DEFAULT_LLM_PRICES, MODEL, Math.round(prompt), Math.round(completion)) ?? 0;
    // The most a first answer can cost: the ticket and context at LLM_PROMPT_TOKEN_BUDGET on top of
    // everything measured here, and the completion at max_completion_tokens (generate-note.ts).
    const costAtCap = estimateCost(DEFAULT_LLM_PRICES, MODEL, Math.round(prompt) + 3_000, 800) ?? 0;
    const result = {
      command: `npm run capacity${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      measuredAt: new Date().toISOString(),
      tickets: TICKETS,
      historyTickets: HISTORY,
      failedTickets: FAILED,
      redisBytes: {
        perWaitingJob: Math.round(perWaiting),
        perRememberedEventId: Math.round(perSeen),
        perCompletedJob: Math.round(perCompleted),
        perFailedJob: Math.round(perFailed),
      },
      redisCommandsPerTicket: Math.round(commandsPerTicket),
      postgresPerHistoryTicket: perHistoryTicket,
      postgresPerEnhancedTicket: perEnhancement,
      llm: {
        model: MODEL,
        price: DEFAULT_LLM_PRICES[MODEL],
        notesWithTokens: t?.notes ?? 0,
        posted: t?.posted ?? 0,
        promptTokensPerNote: Math.round(prompt),
        completionTokensPerNote: Math.round(completion),
        usdPer1000Tickets: Number((costPerNote * 1000).toFixed(4)),
        usdPer1000TicketsUpperBound: Number((costAtCap * 1000).toFixed(4)),
      },
      postgresConnections: { peakDuringDrain: peakConnections, apiPoolMax: 10, workerPoolMax: 10 },
      peakRssMb: peak.peaks(),
    };
    writeFileSync(join(ROOT, 'bench/results/capacity.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    peak.close();
    await owner.end();
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    console.error(`capacity failed: ${error instanceof Error ? error.stack : String(error)}`);
    await stopAll();
    process.exit(1);
  },
);
