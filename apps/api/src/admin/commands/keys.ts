import { listTenants, reencryptTenantSecrets } from '@ai-agents/db';
import { safeErrorMessage } from '@ai-agents/shared';
import type { Command } from 'commander';
import { AdminError, withContext } from '../context.js';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage the encryption keys of stored secrets');

  keys
    .command('rotate')
    .description(
      "re-encrypt every tenant's secrets under ENCRYPTION_KEY (older keys must be in ENCRYPTION_KEYS); safe to run again",
    )
    .action(async (_opts, command: Command) => {
      await withContext(command, async (ctx) => {
        const totals = { tenants: 0, reencrypted: 0, alreadyCurrent: 0 };
        const failures: { slug: string; error: string }[] = [];
        // One transaction per tenant: the role sees one tenant at a time, and a tenant whose value
        // cannot be decrypted (its key is missing) must not stop the others.
        for (const tenant of await listTenants(ctx.database.db)) {
          try {
            const result = await reencryptTenantSecrets(
              { db: ctx.database.db, tenantId: tenant.id },
              ctx.box,
              ctx.actor,
            );
            if (!result) continue;
            totals.tenants++;
            totals.reencrypted += result.reencrypted;
            totals.alreadyCurrent += result.current;
          } catch (error) {
            failures.push({ slug: tenant.slug, error: safeErrorMessage(error) });
          }
        }
        ctx.print(
          [
            `Key ${ctx.box.currentKeyId}: re-encrypted ${totals.reencrypted} value(s), ${totals.alreadyCurrent} already current, across ${totals.tenants} tenant(s).`,
            ...failures.map((f) => `  FAILED ${f.slug}: ${f.error}`),
          ].join('\n'),
          {
            key_id: ctx.box.currentKeyId,
            tenants: totals.tenants,
            reencrypted: totals.reencrypted,
            already_current: totals.alreadyCurrent,
            failed: failures,
          },
        );
        if (failures.length > 0) {
          throw new AdminError(`${failures.length} tenant(s) could not be re-encrypted (see above)`);
        }
      });
    });
}
