import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { type Db, findWebhookTenant, loadTenant, type TenantRow } from '@ai-agents/db';
import type { Command } from 'commander';
import type { BackfillProgress } from '../../history/sdp-backfill.js';
import { type AdminContext, AdminError, withContext, withSharedServiceDesk } from '../context.js';
import { dateOption } from './options.js';

async function tenantBySlug(db: Db, slug: string): Promise<TenantRow> {
  const found = await findWebhookTenant(db, slug);
  const tenant = found ? await loadTenant({ db, tenantId: found.id }) : null;
  if (!tenant) throw new AdminError(`no tenant with slug "${slug}"`);
  return tenant;
}

async function readableFile(path: string): Promise<string> {
  try {
    await access(path);
    return path;
  } catch {
    throw new AdminError(`cannot read ${path}`, 2);
  }
}

function parseSince(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : dateOption(value, '--since');
}

async function csvImport<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const { CsvFormatError } = await import('../../history/csv-history.js');
    if (error instanceof CsvFormatError) throw new AdminError(error.message, 2);
    // csv-parse names the line of malformed CSV (an unclosed quote, a stray column).
    if ((error as { code?: string }).code?.startsWith('CSV_'))
      throw new AdminError(`malformed CSV: ${(error as Error).message}`, 2);
    throw error;
  }
}

function skippedNote(lines: number[]): string {
  if (lines.length === 0) return '';
  const shown = lines.slice(0, 10).join(', ');
  return `\nSkipped ${lines.length} row(s) without an id/name or text (data lines ${shown}${lines.length > 10 ? ', …' : ''}).`;
}

/** One line rewritten in place on a terminal, a line per page otherwise (logs, CI). */
function progressPrinter(ctx: AdminContext) {
  const tty = process.stderr.isTTY && !ctx.json;
  return (p: BackfillProgress) => {
    const line = `page ${p.page}: ${p.imported} tickets imported${p.skipped ? `, ${p.skipped} gone` : ''}${p.done ? ', done' : ''}`;
    process.stderr.write(tty ? `\r${line}${p.done ? '\n' : ''}` : `${line}\n`);
  };
}

interface HistoryImportOptions {
  tenant: string;
  csv?: string;
  fromSdp?: boolean;
  since?: string;
  restart?: boolean;
}

async function importHistoryFromCsv(ctx: AdminContext, tenant: TenantRow, file: string): Promise<void> {
  const { importHistoryCsv } = await import('../../history/csv-history.js');
  const result = await csvImport(() =>
    importHistoryCsv(ctx.database.db, tenant.id, createReadStream(file), {
      onProgress: (n) => !ctx.json && process.stderr.write(`${n} rows imported\n`),
    }),
  );
  ctx.print(
    `Imported ${result.imported} tickets into ${tenant.slug}'s history.${skippedNote(result.skippedLines)}`,
    {
      tenant: tenant.slug,
      imported: result.imported,
      skipped_lines: result.skippedLines,
    },
  );
}

async function backfillHistoryFromSdp(
  ctx: AdminContext,
  tenant: TenantRow,
  opts: { since: Date | undefined; restart: boolean },
): Promise<void> {
  const [{ createTenantClients }, { backfillFromSdp }] = await Promise.all([
    import('@ai-agents/servicedesk'),
    import('../../history/sdp-backfill.js'),
  ]);
  const result = await withSharedServiceDesk(ctx, (shared) => {
    const sdp = createTenantClients({
      box: ctx.box,
      timeoutMs: ctx.config.sdpTimeoutMs,
      requireHttps: ctx.config.isProduction,
      ...(shared ? { shared } : {}),
    }).forTenant(tenant);
    return backfillFromSdp(ctx.database.db, tenant, sdp, {
      since: opts.since,
      restart: opts.restart,
      requestsPerSecond: ctx.config.backfillRequestsPerSecond,
      onProgress: progressPrinter(ctx),
    });
  });
  ctx.print(
    `${result.resumedAt ? `Resumed at request ${result.resumedAt}. ` : ''}${tenant.slug}: ${result.imported} resolved tickets in history from ServiceDesk Plus${result.skipped ? ` (${result.skipped} disappeared while importing)` : ''}.`,
    {
      tenant: tenant.slug,
      imported: result.imported,
      skipped: result.skipped,
      resumed_at: result.resumedAt,
    },
  );
}

/**
 * Fits the tenant's LSA model on the history just imported (or refits it when the history grew by a
 * fifth) and embeds every ticket, so the first notes already find similar tickets by meaning.
 */
async function fitSimilarByMeaning(ctx: AdminContext, tenant: TenantRow): Promise<void> {
  const { refreshTenantLsa } = await import('@ai-agents/retrieval');
  const started = Date.now();
  const modelId = await refreshTenantLsa({ db: ctx.database.db, tenantId: tenant.id });
  ctx.print(
    modelId
      ? `Similar tickets by meaning: model ${modelId} ready in ${Math.round((Date.now() - started) / 100) / 10} s.`
      : 'Similar tickets by meaning: no history to fit on yet.',
    { tenant: tenant.slug, embedding_model: modelId },
  );
}

/** `history import`: from a CSV file or, with --from-sdp, from the tenant's ServiceDesk Plus. */
async function importHistory(opts: HistoryImportOptions, command: Command): Promise<void> {
  if (Boolean(opts.csv) === Boolean(opts.fromSdp))
    throw new AdminError('give exactly one of --csv FILE or --from-sdp', 2);
  if (opts.since && !opts.fromSdp) throw new AdminError('--since goes with --from-sdp', 2);
  const since = parseSince(opts.since);
  const file = opts.csv ? await readableFile(opts.csv) : undefined;
  await withContext(command, async (ctx) => {
    const tenant = await tenantBySlug(ctx.database.db, opts.tenant);
    if (file) await importHistoryFromCsv(ctx, tenant, file);
    else await backfillHistoryFromSdp(ctx, tenant, { since, restart: Boolean(opts.restart) });
    await fitSimilarByMeaning(ctx, tenant);
  });
}

/** `inventory import`. */
async function importInventory(opts: { tenant: string; csv: string }, command: Command): Promise<void> {
  const file = await readableFile(opts.csv);
  await withContext(command, async (ctx) => {
    const tenant = await tenantBySlug(ctx.database.db, opts.tenant);
    const { importInventoryCsv } = await import('../../inventory/csv-inventory.js');
    const result = await csvImport(() =>
      importInventoryCsv(ctx.database.db, tenant.id, createReadStream(file)),
    );
    ctx.print(
      `Imported ${result.imported} systems into ${tenant.slug}'s inventory.${skippedNote(result.skippedLines)}`,
      {
        tenant: tenant.slug,
        imported: result.imported,
        skipped_lines: result.skippedLines,
      },
    );
  });
}

export function registerHistoryCommands(program: Command): void {
  const history = program.command('history').description("a tenant's resolved-ticket history");
  history
    .command('import')
    .description('import resolved tickets from a CSV file or from ServiceDesk Plus')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option(
      '--csv <file>',
      'CSV with id,text (or id,subject,description) and optional resolution,category,technician,resolved_at',
    )
    .option('--from-sdp', "backfill resolved and closed requests through the tenant's ServiceDesk Plus API")
    .option('--since <date>', 'with --from-sdp: only requests resolved after this date')
    .option('--restart', 'with --from-sdp: ignore the stored resume point and start from the first page')
    .action(importHistory);

  const inventory = program
    .command('inventory')
    .description("a tenant's systems (servers, workstations, printers)");
  inventory
    .command('import')
    .description('import systems from CSV: hostname,ip_address,asset_tag,kind,os,location,owner,notes')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--csv <file>', 'CSV file')
    .action(importInventory);
}
