import { pgTable, timestamp, uuid } from '../orm.js';
import { tenants } from './tenants.js';

/**
 * How far the reconcile sweep has read a tenant's portal: every request created up to `swept_to`
 * (the portal's own created_time, or the moment the tenant was added before its first sweep) has
 * been seen, and queued if no webhook had brought it. A tenant without a row starts at its creation
 * (loadReconcileCursor), so adding a tenant never investigates its backlog; the migration that made
 * this table gave every tenant of the day a row at that moment, for the same reason.
 */
export const reconcileCursors = pgTable('reconcile_cursors', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  sweptTo: timestamp('swept_to', { withTimezone: true, mode: 'date' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
