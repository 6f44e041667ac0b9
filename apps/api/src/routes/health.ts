import { type Db, sql } from '@ai-agents/db';
import type { FastifyPluginAsync } from 'fastify';

export interface HealthRouteOptions {
  db: Db;
  /** Resolves when Redis answers for the queue's keys (see probeRedis). */
  redisProbe: () => Promise<unknown>;
  timeoutMs?: number;
}

type CheckResult = 'ok' | 'unavailable';

const readyBody = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: {
      type: 'object',
      properties: { postgres: { type: 'string' }, redis: { type: 'string' } },
    },
  },
} as const;

/** /health: the process answers (liveness). /ready: Postgres and Redis answer too (readiness). */
export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, opts) => {
  const timeoutMs = opts.timeoutMs ?? 2_000;

  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['health'],
        response: {
          200: { description: 'Alive', type: 'object', properties: { status: { type: 'string' } } },
        },
      },
    },
    async () => ({
      status: 'ok',
    }),
  );

  const readiness = {
    summary: 'Readiness: Postgres and Redis answer',
    description: `Each dependency is given ${timeoutMs} ms.`,
    tags: ['health'],
    response: {
      200: { ...readyBody, description: 'Ready' },
      503: { ...readyBody, description: 'A dependency is unavailable; `checks` says which' },
    },
  };
  app.get('/ready', { schema: readiness }, async (request, reply) => {
    const [postgres, redis] = await Promise.all([
      check('postgres', () => opts.db.execute(sql`select 1`)),
      check('redis', opts.redisProbe),
    ]);
    const ready = postgres === 'ok' && redis === 'ok';
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ok' : 'unavailable', checks: { postgres, redis } });

    async function check(name: string, probe: () => Promise<unknown>): Promise<CheckResult> {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          probe(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return 'ok';
      } catch (error) {
        request.log.warn({ dependency: name, err: error }, 'readiness check failed');
        return 'unavailable';
      } finally {
        clearTimeout(timer);
      }
    }
  });
};
