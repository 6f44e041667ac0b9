import {
  listConnections,
  listTenants,
  reencryptConnectionSecrets,
  reencryptTenantSecrets,
} from '@ai-agents/db';
import { safeErrorMessage } from '@ai-agents/shared';
import type { Command } from 'commander';
import { type AdminContext, AdminError, withContext } from '../context.js';

interface Totals {
  tenants: number;
  connections: number;
  reencrypted: number;
  alreadyCurrent: number;
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage the encryption keys of stored secrets');

  keys
    .command('rotate')
    .description(
      "re-encrypt every tenant's and connection's secrets under ENCRYPTION_KEY (older keys must be in ENCRYPTION_KEYS); safe to run again",
    )
    .action(async (_opts, command: Command) => {
      await withContext(command, async (ctx) => {
        const totals: Totals = { tenants: 0, connections: 0, reencrypted: 0, alreadyCurrent: 0 };
        const failures: { slug: string; error: string }[] = [];
        // One transaction per tenant and per connection: the role sees one at a time, and a value
        // that cannot be decrypted (its key is missing) must not stop the others.
        for (const tenant of await listTenants(ctx.database.db)) {
          const scope = { db: ctx.database.db, tenantId: tenant.id };
          await count(totals, 'tenants', failures, tenant.slug, () =>
            reencryptTenantSecrets(scope, ctx.box, ctx.actor),
          );
        }
        for (const connection of await listConnections(ctx.database.db)) {
          const scope = { db: ctx.database.db, connectionId: connection.id };
          await count(totals, 'connections', failures, `connection ${connection.slug}`, () =>
            reencryptConnectionSecrets(scope, ctx.box),
          );
        }
        report(ctx, totals, failures);
      });
    });
}

async function count(
  totals: Totals,
  kind: 'tenants' | 'connections',
  failures: { slug: string; error: string }[],
  slug: string,
  reencrypt: () => Promise<{ reencrypted: number; current: number } | null>,
): Promise<void> {
  try {
    const result = await reencrypt();
    if (!result) return;
    totals[kind]++;
    totals.reencrypted += result.reencrypted;
    totals.alreadyCurrent += result.current;
  } catch (error) {
    failures.push({ slug, error: safeErrorMessage(error) });
  }
}

function report(ctx: AdminContext, totals: Totals, failures: { slug: string; error: string }[]): void {
  ctx.print(
    [
      `Key ${ctx.box.currentKeyId}: re-encrypted ${totals.reencrypted} value(s), ${totals.alreadyCurrent} already current, across ${totals.tenants} tenant(s) and ${totals.connections} connection(s).`,
      ...failures.map((f) => `  FAILED ${f.slug}: ${f.error}`),
    ].join('\n'),
    {
      key_id: ctx.box.currentKeyId,
      tenants: totals.tenants,
      connections: totals.connections,
      reencrypted: totals.reencrypted,
      already_current: totals.alreadyCurrent,
      failed: failures,
    },
  );
  if (failures.length > 0) {
    throw new AdminError(
      `${failures.length} tenant(s) or connection(s) could not be re-encrypted (see above)`,
    );
  }
}
