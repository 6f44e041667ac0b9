import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, link, rm } from 'node:fs/promises';
import { exportTenant } from '@ai-agents/db';
import type { Command } from 'commander';
import { AdminError, tenantBySlug, withContext } from '../context.js';

export function registerTenantExportCommand(tenant: Command): void {
  tenant
    .command('export <slug>')
    .description("write the tenant's data as JSON Lines (docs/tenant-export.md), without secrets")
    .requiredOption('--out <file>', 'the file to write (refused if it exists)')
    .action(async (slug: string, opts: { out: string }, command: Command) => {
      await withContext(command, async (ctx) => {
        const t = await tenantBySlug(ctx, slug);
        const header = { tenant_id: t.id, slug: t.slug, exported_at: new Date().toISOString() };
        const counts = await writeAtomically(opts.out, (write) =>
          exportTenant({ db: ctx.database.db, tenantId: t.id }, header, write),
        );
        const lines = Object.entries(counts).map(([kind, n]) => `  ${kind.padEnd(24)} ${n}`);
        ctx.print([`Exported ${slug} to ${opts.out}:`, ...lines].join('\n'), {
          slug,
          out: opts.out,
          records: counts,
        });
      });
    });
}

/**
 * Writes to `<file>.partial` (created, never overwritten, and removed in the end; readable by its owner only: it holds the
 * client's ticket text) and links it as `file` once complete, so a failed export never leaves a
 * file that looks whole. A line (newline included) that fills the stream's buffer waits for it to
 * drain: memory stays bounded.
 */
async function writeAtomically<T>(
  file: string,
  fill: (write: (line: string) => Promise<void>) => Promise<T>,
) {
  if (await exists(file)) throw new AdminError(`cannot write ${file}: it exists`);
  const partial = `${file}.partial`;
  const stream = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new AdminError(`cannot write ${partial}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const result = await fill((line) => writeLine(stream, line));
    stream.end();
    await once(stream, 'finish');
    // link() refuses an existing file (rename would replace it).
    await link(partial, file).catch((error: NodeJS.ErrnoException) => {
      throw new AdminError(
        `cannot write ${file}: ${error.code === 'EEXIST' ? 'it exists' : (error.code ?? 'error')}`,
      );
    });
    return result;
  } finally {
    stream.destroy();
    await rm(partial, { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, 'drain');
}
