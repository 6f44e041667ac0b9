/**
 * Ticket events that add to a tenant's resolved-ticket history instead of asking for a note. They
 * travel on the enhance queue under their own job name, with the same payload schema (ids only).
 */
export const HISTORY_JOB = 'ingest-history';

export const HISTORY_EVENTS: readonly string[] = ['request.resolved', 'request.closed'];

/** The job kind a webhook event becomes. */
export function jobNameForEvent(event: string, enhanceJob: string): string {
  return HISTORY_EVENTS.includes(event) ? HISTORY_JOB : enhanceJob;
}
