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
      const stopped = performance.now();
      say(`API stopping (SIGTERM), away for ${seconds} s`);
      await api.stop('SIGTERM');
      await sleep(seconds * 1_000);
      await api.start();
      // Stopping and starting take their own time on a busy machine: the window is longer than the pause.
      say(`API listening again, ${((performance.now() - stopped) / 1000).toFixed(1)} s after the SIGTERM`);
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
