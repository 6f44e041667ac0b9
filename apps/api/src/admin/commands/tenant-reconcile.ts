import { effectiveRetention, findTenantBySlug, loadRetentionOverrides } from '@ai-agents/db';
import { tenantSweepJob } from '@ai-agents/shared';
import type { Command } from 'commander';
import { type AdminContext, AdminError } from '../context.js';
import { withQueue } from './jobs.js';
import { dateOption } from './options.js';

/**
 * `tenant reconcile <slug> --since <time>`: one sweep of the tenant's portal from that time on, on
 * purpose (a tenant's backlog from before it was added, or an outage longer than the sweep reads).
 * It queues the sweep; a worker runs it, and each request created since then that has no
 * enhancement yet gets its investigation (docs/reliability.md, "The reconcile sweep").
 */
export function registerTenantReconcileCommand(tenant: Command): void {
  tenant
    .command('reconcile')
    .description(
      'sweep the portal for requests created since a time that have no note yet, and investigate them',
    )
    .argument('<slug>', 'the tenant')
    .requiredOption('--since <time>', 'ISO 8601 date or time, e.g. 2025-01-31 or 2025-01-31T08:00Z')
    .action(async (slug: string, opts: { since: string }, command: Command) => {
      const since = dateOption(opts.since, '--since');
      if (since.getTime() > Date.now())
        throw new AdminError(`--since is in the future: ${since.toISOString()}`, 2);
      await withQueue(command, async (ctx, queue) => {
        const found = await findTenantBySlug(ctx.database.db, slug);
        if (!found) throw new AdminError(`no tenant with slug "${slug}"`);
        if (found.status !== 'active')
          throw new AdminError(`tenant "${slug}" is disabled; enable it first (tenant enable ${slug})`);
        await refuseBeforeRetention(ctx, found.id, since);
        const spec = tenantSweepJob({ tenantId: found.id, since: since.getTime() }, Date.now());
        const job = await queue.add(spec.name, spec.data, spec.opts);
        const queued = job.id === spec.opts.jobId;
        ctx.print(
          queued
            ? `Sweep of ${slug} queued: requests created since ${since.toISOString()} without a note will be investigated.`
            : `A sweep of ${slug} asked by an operator is already queued (job ${job.id}); try again once it has run.`,
          { slug, since: since.toISOString(), queued, job_id: job.id ?? null },
        );
      });
    });
}

/**
 * A sweep knows a request was handled by its enhancement; retention removes enhancements older than
 * the tenant's enhancement days (docs/data-lifecycle.md), so a sweep from before then would
 * investigate those requests again and post a second note on each.
 */
async function refuseBeforeRetention(ctx: AdminContext, tenantId: string, since: Date): Promise<void> {
  const overrides = await loadRetentionOverrides({ db: ctx.database.db, tenantId });
  if (!overrides) return;
  const days = effectiveRetention(ctx.config.retention, overrides).enhancementDays;
  if (days > 0 && since.getTime() < Date.now() - days * 86_400_000)
    throw new AdminError(
      `--since is more than ${days} days ago: enhancements older than that are removed by retention, so their tickets would get a second note`,
      2,
    );
}
