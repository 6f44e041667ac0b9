import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * GET /metrics in the Prometheus text format. Not for the public internet: the reverse proxy and the
 * Kubernetes Ingress do not route it; Prometheus scrapes the pods directly.
 */
export const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, opts) => {
  app.get('/metrics', async (_request, reply) => {
    const body = await opts.registry.metrics();
    return reply.type(opts.registry.contentType).send(body);
  });
};
