/**
 * The least enhancement retention accepted anywhere (RETENTION_ENHANCEMENT_DAYS, `tenant retention`,
 * the tenants check constraint, and again inside retention_remove_enhancements of migration 0012).
 * An enhancement is how the reconcile sweep knows a ticket was handled: a week is far beyond its
 * ten-minute overlap (RECONCILE_OVERLAP_MS). The database function adds the floors that depend on
 * the tenant: its sweep cursor, and the current month (the token budget sums this month's rows).
 */
export const MIN_ENHANCEMENT_DAYS = 7;

/** The longest retention a setting accepts: a century, in days or months. */
export const MAX_RETENTION_DAYS = 36_500;
export const MAX_RETENTION_MONTHS = 1_200;

/** The BullMQ job scheduler that makes the daily retention job (apps/worker/src/retention/scheduler.ts). */
export const RETENTION_SCHEDULER_ID = 'retention-daily';

/**
 * The scheduler's job template. One attempt: a run that fails part-way has removed whole batches
 * (each its own transaction) and the next day's run goes on from there. Kept a week for inspection.
 */
export const RETENTION_JOB_TEMPLATE = {
  name: 'retention-sweep',
  data: {},
  opts: {
    attempts: 1,
    removeOnComplete: { age: 7 * 24 * 3600, count: 30 },
    removeOnFail: { age: 14 * 24 * 3600, count: 30 },
  },
} as const;
