import { findWebhookTenant, summariseFeedback } from '@ai-agents/db';
import type { Command } from 'commander';
import { AdminError, withContext } from '../context.js';
import { terminalLine } from '../terminal-text.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function registerFeedbackCommand(program: Command): void {
  program
    .command('feedback')
    .description(
      "summarise technicians' feedback on one tenant's notes (helpful / not helpful, latest comments)",
    )
    .requiredOption('--tenant <slug>', 'the tenant')
    .option('--since <YYYY-MM-DD>', 'only feedback from this day on (UTC)')
    .option('--comments <n>', 'how many of the latest comments to show', '10')
    .action(async (opts: { tenant: string; since?: string; comments: string }, command: Command) => {
      if (opts.since !== undefined && (!DATE.test(opts.since) || Number.isNaN(Date.parse(opts.since))))
        throw new AdminError(`--since must be YYYY-MM-DD, got "${opts.since}"`, 2);
      const comments = Number(opts.comments);
      if (!Number.isInteger(comments) || comments < 0 || comments > 1000)
        throw new AdminError(`--comments must be a whole number from 0 to 1000, got "${opts.comments}"`, 2);
      await withContext(command, async (ctx) => {
        const tenant = await findWebhookTenant(ctx.database.db, opts.tenant);
        if (!tenant) throw new AdminError(`no tenant with slug "${opts.tenant}"`);
        const since = opts.since ? new Date(`${opts.since}T00:00:00Z`) : undefined;
        const summary = await summariseFeedback(
          { db: ctx.database.db, tenantId: tenant.id },
          { ...(since ? { since } : {}), comments },
        );
        const rate =
          summary.notHelpfulRate === null ? 'n/a' : `${(summary.notHelpfulRate * 100).toFixed(1)}%`;
        const human = [
          `Feedback for ${opts.tenant}${opts.since ? ` since ${opts.since}` : ''}: ${summary.total} answer(s), ${summary.helpful} helpful, ${summary.notHelpful} not helpful (not helpful rate ${rate})`,
          ...summary.comments.map(
            (c) =>
              `  ${c.createdAt.toISOString().slice(0, 16).replace('T', ' ')}  ${c.helpful ? 'helpful    ' : 'not helpful'}  ${c.enhancementId}  ${terminalLine(c.comment)}`,
          ),
        ].join('\n');
        ctx.print(human, {
          tenant: opts.tenant,
          since: opts.since ?? null,
          total: summary.total,
          helpful: summary.helpful,
          not_helpful: summary.notHelpful,
          not_helpful_rate: summary.notHelpfulRate,
          comments: summary.comments.map((c) => ({
            enhancement_id: c.enhancementId,
            helpful: c.helpful,
            comment: c.comment,
            created_at: c.createdAt.toISOString(),
          })),
        });
      });
    });
}
