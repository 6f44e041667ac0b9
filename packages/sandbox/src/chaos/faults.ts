import { setTimeout as sleep } from 'node:timers/promises';
import type { PrivateRedis } from '../testing.js';
import type { Restartable } from './stack.js';
import type { TimedFault } from './timeline.js';

type Say = (line: string) => void;

/** The worker SIGKILLed mid-run and started again a second later; `beforeKill` reads what it alone knows. */
export function workerKill(
  at: number,
  worker: Restartable,
  say: Say,
  beforeKill: () => Promise<void>,
): TimedFault {
  return {
    at,
    async run() {
      await beforeKill();
      say('SIGKILL the worker');
      await worker.stop('SIGKILL');
      await sleep(1_000);
      await worker.start();
      say('worker restarted');
    },
  };
}

/**
 * The API stopped (SIGTERM, as a deploy or rollback stops it) for `seconds` while tickets keep being
 * created: their webhooks find nothing listening and are never sent again.
 */
export function apiOutage(at: number, api: Restartable, seconds: number, say: Say): TimedFault {
  return {
    at,
    async run() {
      say(`API stopped for ${seconds} s`);
      await api.stop('SIGTERM');
      await sleep(seconds * 1_000);
      await api.start();
      say('API started again');
    },
  };
}

/** Redis killed and restarted: webhooks answered 503 meanwhile are not sent again either. */
export function redisRestart(at: number, redis: PrivateRedis, say: Say): TimedFault {
  return {
    at,
    async run() {
      say('Redis stopped');
      await redis.stop();
      await sleep(2_000);
      await redis.start();
      say('Redis started again');
    },
  };
}
