import { ServiceDeskError } from '@ai-agents/servicedesk';
import { type EventJob, eventJobSchema, type Logger, safeErrorMessage } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';

/**
 * The job's payload, checked with the schema the API produced it with. A payload that does not
 * parse will not parse on a retry either: BullMQ's UnrecoverableError ends it (an ordinary error,
 * or a home-made class, is retried).
 */
export function readJobPayload(job: Job): EventJob {
  const parsed = eventJobSchema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(`Invalid job payload: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  return parsed.data;
}

/**
 * Runs `work`; a ServiceDesk Plus refusal that a retry cannot change (bad credentials, a request that
 * does not exist, a missing scope: `retryable` false) ends the job for good, after `onGiveUp` has
 * recorded why. Every other error is rethrown for BullMQ to retry.
 */
export async function withFinalSdpRefusals<T>(
  log: Logger,
  work: () => Promise<T>,
  onGiveUp?: (message: string) => Promise<void>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ServiceDeskError) || error.retryable) throw error;
    const message = safeErrorMessage(error);
    await onGiveUp?.(message);
    log.warn({ kind: error.kind, httpStatus: error.httpStatus }, `giving up: ${message}`);
    throw new UnrecoverableError(message);
  }
}
