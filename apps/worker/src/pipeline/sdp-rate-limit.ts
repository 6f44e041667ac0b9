import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JobKind, takeTokens } from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';

/**
 * The ServiceDesk Plus calls each job kind makes on its ordinary path, reserved before the job starts
 * so that it rarely stalls half-way with its LLM answer in hand:
 * - enhance-ticket: read the request, search the knowledge base (none while the tenant's search is
 *   cached: one call too many reserved then, never one too few), add the note
 *   (processors/enhance-ticket.ts, pipeline/gather-context.ts, pipeline/post-note.ts);
 * - ingest-history: read the request, read its resolution (processors/ingest-history.ts).
 * What a job makes beyond these (taxonomy lists on a cold cache, a Zoho token, the note in the other
 * wrapper, an applied category, the note list after a crash) is reserved call by call as it is made
 * (`budgetedFetch`), so a job never calls more than it reserved.
 */
export const SDP_CALLS_UP_FRONT: Record<JobKind, number> = {
  'enhance-ticket': 3,
  'ingest-history': 2,
  // A tick only reads Postgres and queues jobs.
  'reconcile-tick': 0,
  // A tenant's sweep reserves each page's list call itself (reserveSweepCall in
  // processors/reconcile-tenant.ts), so that over budget it stops instead of waiting.
  'reconcile-tenant': 0,
  // An MSP connection's sweep reserves each page the same way, from the connection's budget.
  'reconcile-connection': 0,
  // Retention only reads and deletes Postgres rows.
  'retention-sweep': 0,
};

// A call past the up-front reservation waits at most this long for its token, then the job fails
// (and is retried): at the default 300 a minute a token comes back every 200 ms.
const MAX_CALL_WAIT_MS = 60_000;

interface CallMeter {
  beforeCall(): Promise<void>;
  /** Calls the job reserved itself, as it went: they are not drawn again when made. */
  prepaid(calls: number): void;
}

const currentJob = new AsyncLocalStorage<CallMeter>();

/**
 * `inner` for the ServiceDesk Plus client: inside a job run by `metered`, each call beyond what the
 * job reserved first takes one more token from its connection's budget.
 */
export function budgetedFetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    await currentJob.getStore()?.beforeCall();
    return inner(input, init);
  };
}

/**
 * Tells the running job's meter that `calls` more were reserved by the job itself (the sweep reserves
 * page by page), so budgetedFetch does not take a second token for them. Outside a metered job: nothing.
 */
export function countReservedCalls(calls: number): void {
  currentJob.getStore()?.prepaid(calls);
}

/** Whose budget a tenant's calls draw from: its connection's, at the connection's rate (null: the default). */
export type BudgetOf = (
  tenantId: string,
) => Promise<{ connectionId: string; perMinute: number | null } | null>;

/**
 * Outbound limit on ServiceDesk Plus calls per connection (one instance: every tenant of an MSP
 * instance draws from one budget, since the load lands on one server; issue 25), shared by every
 * worker through Redis. `budgetOf` names a tenant's connection (a tenant it cannot find draws from a
 * budget under its own id); without it, each tenant is its own budget. A connection made by
 * migration 0020 has its tenant's id, so its bucket key is the one it had.
 */
export function createSdpRateLimit(deps: {
  redis: RedisClient;
  prefix: string;
  perMinute: number;
  budgetOf?: BudgetOf;
}) {
  const reserve = async (tenantId: string, calls: number): Promise<number> => {
    const budget = (await deps.budgetOf?.(tenantId)) ?? null;
    const key = `${deps.prefix}:ratelimit:sdp:${budget?.connectionId ?? tenantId}`;
    return takeTokens(deps.redis, key, { perMinute: budget?.perMinute ?? deps.perMinute }, calls);
  };

  async function drawOne(tenantId: string): Promise<void> {
    const deadline = Date.now() + MAX_CALL_WAIT_MS;
    for (;;) {
      const waitMs = await reserve(tenantId, 1);
      if (waitMs <= 0) return;
      if (Date.now() + waitMs > deadline) throw new Error('ServiceDesk Plus budget used up during the job');
      await sleep(waitMs);
    }
  }

  return {
    /** 0 when the calls may go now, otherwise ms until they may (nothing reserved then). */
    reserve,
    /**
     * Runs `work` with `reserved` calls already taken: its further calls through `budgetedFetch`
     * take a token each before they go.
     */
    metered<T>(tenantId: string, reserved: number, work: () => Promise<T>): Promise<T> {
      let made = 0;
      let taken = reserved;
      const meter: CallMeter = {
        async beforeCall() {
          made++;
          if (made <= taken) return;
          taken++;
          await drawOne(tenantId);
        },
        prepaid(calls) {
          taken += calls;
        },
      };
      return currentJob.run(meter, work);
    },
  };
}

export type SdpRateLimit = ReturnType<typeof createSdpRateLimit>;

/** Connections change rarely: a tenant's is looked up at most once per this many ms per process. */
const BUDGET_CACHE_MS = 30_000;
const BUDGET_CACHE_MAX = 10_000;

/**
 * BudgetOf from `load` (the tenant's connection id and rate), cached per process for
 * BUDGET_CACHE_MS, at most BUDGET_CACHE_MAX tenants (the oldest go first): a new
 * `connection set --sdp-rate-limit` applies within the TTL.
 */
export function cachedBudgetOf(
  load: (tenantId: string) => Promise<{ connectionId: string; perMinute: number | null } | null>,
): BudgetOf {
  const cache = new Map<string, { value: Awaited<ReturnType<BudgetOf>>; expires: number }>();
  return async (tenantId) => {
    const now = Date.now();
    const cached = cache.get(tenantId);
    if (cached && cached.expires > now) return cached.value;
    const value = await load(tenantId);
    cache.delete(tenantId);
    cache.set(tenantId, { value, expires: now + BUDGET_CACHE_MS });
    while (cache.size > BUDGET_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    return value;
  };
}
