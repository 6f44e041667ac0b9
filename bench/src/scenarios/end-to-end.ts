import type { Stack } from '../stack.js';
import { sendWebhook } from '../stack.js';
import { percentile, sleep } from '../stats.js';
import { trackNotes, waitForNotes } from './worker-pipeline.js';

export interface EndToEndResult {
  ticketsPerSecond: number;
  tickets: number;
  llmLatencyMs: number;
  /** Webhook sent → note stored by the sandbox SDP, minus the fake LLM's configured latency. */
  overheadP50Ms: number;
  overheadP95Ms: number;
  rawP95Ms: number;
}

/**
 * Tickets arrive at a steady rate (each webhook sent at its scheduled time, whatever happened to
 * the previous ones, so a slow answer cannot hide queueing). The overhead is the time from the
 * webhook to the note, minus the LLM latency the fake was told to add; the sandbox SDP answers at
 * once. Both clocks are this machine's (the fakes run in this process).
 */
export async function runEndToEnd(
  stack: Stack,
  opts: { ticketsPerSecond: number; durationSec: number; llmLatencyMs: number },
  say: (m: string) => void,
): Promise<EndToEndResult> {
  await stack.resetQueue();
  stack.llm.setFault({ latencyMs: opts.llmLatencyMs });
  const tickets = opts.ticketsPerSecond * opts.durationSec;
  const ids = Array.from(
    { length: tickets },
    // One requester per ticket, or they would be one alert storm and skip the LLM (see queueTickets).
    (_, i) =>
      stack.sdp.addRequest({
        subject: `Printer on floor 3 shows offline (e2e ${i})`,
        requester: { name: `Bench user ${i}`, email_id: `bench.user.${i}@example.com` },
      }).id,
  );
  say(
    `end-to-end: ${tickets} tickets at ${opts.ticketsPerSecond}/s, LLM latency ${opts.llmLatencyMs} ms, one worker`,
  );
  const worker = stack.startWorker({ LOG_LEVEL: 'warn' });
  const sentAt = new Map<string, number>();
  try {
    // The worker must be up before the clock starts, or its start-up would count as overhead.
    await sleep(1_500);
    const warm = stack.sdp.addRequest({ subject: 'warm-up ticket' }).id;
    await sendWebhook(stack.webhookUrl(), stack.tenant.secret, `e2e-warm-${warm}`, warm);
    await waitForNotes(trackNotes(stack, [warm]), worker, 1, 30_000);

    const interval = 1000 / opts.ticketsPerSecond;
    const start = performance.now() + 50;
    const sends: Promise<void>[] = [];
    for (const [i, id] of ids.entries()) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      sentAt.set(id, Date.now());
      sends.push(sendWebhook(stack.webhookUrl(), stack.tenant.secret, `e2e-${id}`, id));
    }
    await Promise.all(sends);
    const tracker = trackNotes(stack, ids);
    await waitForNotes(tracker, worker, tickets, 60_000);
    const raw = ids.map((id) => (tracker.postedAt.get(id) ?? Number.NaN) - (sentAt.get(id) ?? Number.NaN));
    const overhead = raw.map((ms) => ms - opts.llmLatencyMs);
    return {
      ticketsPerSecond: opts.ticketsPerSecond,
      tickets,
      llmLatencyMs: opts.llmLatencyMs,
      overheadP50Ms: percentile(overhead, 50),
      overheadP95Ms: percentile(overhead, 95),
      rawP95Ms: percentile(raw, 95),
    };
  } finally {
    stack.llm.clearFaults();
    await worker.stop();
  }
}
