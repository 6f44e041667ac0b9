import { monthWindow, tenantUsage } from '@ai-agents/db';
import type { Command } from 'commander';
import { AdminError, withContext } from '../context.js';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function parseMonth(value: string | undefined): { label: string; at: Date } {
  if (value === undefined) {
    const now = new Date();
    return { label: now.toISOString().slice(0, 7), at: now };
  }
  const match = MONTH.exec(value);
  if (!match) throw new AdminError(`--month must be YYYY-MM, got "${value}"`, 2);
  return { label: value, at: new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)) };
}

/** The tenant and its endpoint left-aligned, the figures right-aligned. */
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, i) => (i <= 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

export function registerUsageCommand(program: Command): void {
  program
    .command('usage')
    .description(
      'LLM and embeddings API tokens and estimated cost per tenant for one calendar month (UTC), for billing',
    )
    .option('--month <YYYY-MM>', 'the month (default: the current one)')
    .action(async (opts: { month?: string }, command: Command) => {
      const month = parseMonth(opts.month);
      await withContext(command, async (ctx) => {
        const { from, to } = monthWindow(month.at);
        const usage = await tenantUsage(ctx.database.db, from, to);
        const total = usage.reduce(
          (sum, u) => ({
            enhancements: sum.enhancements + u.enhancements,
            llmCalls: sum.llmCalls + u.llmCalls,
            tokensIn: sum.tokensIn + u.tokensIn,
            tokensOut: sum.tokensOut + u.tokensOut,
            costUsd: sum.costUsd + u.costUsd,
            embeddingTokens: sum.embeddingTokens + u.embeddingTokens,
          }),
          { enhancements: 0, llmCalls: 0, tokensIn: 0, tokensOut: 0, costUsd: 0, embeddingTokens: 0 },
        );
        const row = (name: string, u: typeof total, endpoint = '') => [
          name,
          endpoint,
          String(u.enhancements),
          String(u.llmCalls),
          String(u.tokensIn),
          String(u.tokensOut),
          String(u.embeddingTokens),
          u.costUsd.toFixed(6),
        ];
        const human = [
          `LLM and embeddings usage for ${month.label} (UTC)`,
          table([
            [
              'tenant',
              'llm endpoint',
              'notes',
              'llm calls',
              'tokens in',
              'tokens out',
              'embedding tokens',
              'cost USD',
            ],
            ...usage.map((u) => row(u.slug, u, u.llmEndpoint)),
            row('TOTAL', total),
          ]),
        ].join('\n');
        ctx.print(human, {
          month: month.label,
          tenants: usage.map((u) => ({
            slug: u.slug,
            name: u.name,
            llm_endpoint: u.llmEndpoint,
            enhancements: u.enhancements,
            llm_calls: u.llmCalls,
            tokens_in: u.tokensIn,
            tokens_out: u.tokensOut,
            embedding_tokens: u.embeddingTokens,
            embedding_cost_usd: Number(u.embeddingCostUsd.toFixed(10)),
            cost_usd: Number(u.costUsd.toFixed(6)),
          })),
          total: {
            enhancements: total.enhancements,
            llm_calls: total.llmCalls,
            tokens_in: total.tokensIn,
            tokens_out: total.tokensOut,
            embedding_tokens: total.embeddingTokens,
            cost_usd: Number(total.costUsd.toFixed(6)),
          },
        });
      });
    });
}
