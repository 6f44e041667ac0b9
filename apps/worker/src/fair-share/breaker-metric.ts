import { type Db, loadTenant } from '@ai-agents/db';
import type { Logger } from '@ai-agents/shared';
import type { WorkerMetrics } from '../metrics.js';
import type { BreakerState } from './tenant-breaker.js';

/**
 * Sets `tenant_circuit_state{tenant}` from what this worker sees of each tenant's breaker. The label
 * is the tenant's slug read from the database (the job payload names only the id), looked up once
 * per tenant and process; a tenant deleted meanwhile gets no series.
 */
export function breakerMetric(db: Db, metrics: WorkerMetrics, logger: Logger) {
  const slugs = new Map<string, Promise<string | null>>();
  const slugOf = (tenantId: string) => {
    let slug = slugs.get(tenantId);
    if (!slug) {
      slug = loadTenant({ db, tenantId }).then(
        (row) => row?.slug ?? null,
        () => null,
      );
      slugs.set(tenantId, slug);
    }
    return slug;
  };
  return (tenantId: string, state: BreakerState): void => {
    slugOf(tenantId)
      .then((slug) => {
        if (slug === null) slugs.delete(tenantId);
        else metrics.observeBreaker(slug, state);
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not set the breaker metric'));
  };
}
