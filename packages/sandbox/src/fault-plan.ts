import { isRecord } from './json-value.js';
import { seededRandom } from './seeded-random.js';

/**
 * How a fake server misbehaves on the calls of one route.
 *
 * Which calls fail: the next `failNext` calls, then (if set) each call with probability `failRate` from a
 * seeded PRNG. With neither set, every call fails if the plan names a failure (`status`, `hang`,
 * `invalidOutput`, `retryAfterSeconds`); a plan with only `latencyMs` slows calls and fails none.
 * How a failing call fails: `hang` (never answered), else `invalidOutput` (200 with a broken body),
 * else HTTP `status` (default 503). `latencyMs` delays every answered call of the route.
 */
export interface FaultPlan {
  latencyMs?: number;
  /** Fail the next N matching calls, then stop failing (unless failRate is also set). */
  failNext?: number;
  /** 0..1, decided by a PRNG seeded afresh by each setFault, so the same calls fail on every run. */
  failRate?: number;
  /** HTTP status of a failing call; default 503. */
  status?: number;
  /** Sends `Retry-After: <seconds>` with a failing call (meant for 429). */
  retryAfterSeconds?: number;
  /** Answer 200 with a body the client cannot use (the LLM: content that is not JSON). */
  invalidOutput?: boolean;
  /** Never answer; the socket stays open until the client gives up or the server closes. */
  hang?: boolean;
}

export type FaultOutcome =
  | { type: 'pass' }
  | { type: 'hang' }
  | { type: 'invalid_output' }
  | { type: 'fail'; status: number; retryAfterSeconds?: number };

export interface FaultDecision {
  latencyMs: number;
  outcome: FaultOutcome;
}

const PLAN_KEYS = new Set([
  'latencyMs',
  'failNext',
  'failRate',
  'status',
  'retryAfterSeconds',
  'invalidOutput',
  'hang',
]);
// Any fixed seed does; it is reset per plan so a run does not depend on what earlier tests consumed.
const SEED = 0x5eed;
const MAX_LATENCY_MS = 600_000;

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`Invalid fault plan: ${message}`);
}

/** Validates a plan from code or from a control request; unknown keys are refused to catch typos. */
export function parseFaultPlan(value: unknown): FaultPlan {
  check(isRecord(value), 'expected an object');
  const plan = value as Record<string, unknown>;
  for (const key of Object.keys(plan)) check(PLAN_KEYS.has(key), `unknown key "${key}"`);
  const { latencyMs, failNext, failRate, status, retryAfterSeconds, invalidOutput, hang } = plan;
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  check(
    latencyMs === undefined || (isNumber(latencyMs) && latencyMs >= 0 && latencyMs <= MAX_LATENCY_MS),
    'latencyMs must be 0..600000',
  );
  check(
    failNext === undefined || (Number.isInteger(failNext) && (failNext as number) >= 0),
    'failNext must be a whole number >= 0',
  );
  check(
    failRate === undefined || (isNumber(failRate) && failRate >= 0 && failRate <= 1),
    'failRate must be 0..1',
  );
  check(
    status === undefined ||
      (Number.isInteger(status) && (status as number) >= 400 && (status as number) <= 599),
    'status must be 400..599',
  );
  check(
    retryAfterSeconds === undefined || (isNumber(retryAfterSeconds) && retryAfterSeconds >= 0),
    'retryAfterSeconds must be >= 0',
  );
  check(invalidOutput === undefined || typeof invalidOutput === 'boolean', 'invalidOutput must be a boolean');
  check(hang === undefined || typeof hang === 'boolean', 'hang must be a boolean');
  return { ...(plan as FaultPlan) };
}

interface ActivePlan {
  plan: FaultPlan;
  remaining: number;
  random: () => number;
}

export interface FaultBoard<Route extends string> {
  set(route: Route | 'all', plan: FaultPlan): void;
  clear(): void;
  /** Consumes one call of `route`: a route's own plan wins over the 'all' plan. */
  decide(route: Route): FaultDecision;
}

const PASS: FaultDecision = { latencyMs: 0, outcome: { type: 'pass' } };

function namesFailure(plan: FaultPlan): boolean {
  return (
    plan.hang === true ||
    plan.invalidOutput === true ||
    plan.status !== undefined ||
    plan.retryAfterSeconds !== undefined
  );
}

function selects(active: ActivePlan): boolean {
  if (active.remaining > 0) {
    active.remaining--;
    return true;
  }
  if (active.plan.failRate !== undefined) return active.random() < active.plan.failRate;
  if (active.plan.failNext !== undefined) return false;
  return namesFailure(active.plan);
}

function outcomeOf(plan: FaultPlan): FaultOutcome {
  if (plan.hang) return { type: 'hang' };
  if (plan.invalidOutput) return { type: 'invalid_output' };
  return { type: 'fail', status: plan.status ?? 503, retryAfterSeconds: plan.retryAfterSeconds };
}

export function createFaultBoard<Route extends string>(): FaultBoard<Route> {
  const plans = new Map<Route | 'all', ActivePlan>();
  return {
    set(route, plan) {
      const valid = parseFaultPlan(plan);
      plans.set(route, { plan: valid, remaining: valid.failNext ?? 0, random: seededRandom(SEED) });
    },
    clear() {
      plans.clear();
    },
    decide(route) {
      const active = plans.get(route) ?? plans.get('all');
      if (!active) return PASS;
      const latencyMs = active.plan.latencyMs ?? 0;
      return { latencyMs, outcome: selects(active) ? outcomeOf(active.plan) : { type: 'pass' } };
    },
  };
}
