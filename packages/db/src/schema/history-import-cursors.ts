import { integer, pgTable, text, timestamp, uuid } from '../orm.js';
import { tenants } from './tenants.js';

/**
 * Where a tenant's ServiceDesk Plus backfill stopped: an interrupted `history import --from-sdp`
 * resumes from the next page instead of starting over.
 */
export const historyImportCursors = pgTable('history_import_cursors', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  // The --since of the run this cursor belongs to ('' for none): another --since starts afresh.
  since: text('since').notNull().default(''),
  nextStartIndex: integer('next_start_index').notNull(),
  imported: integer('imported').notNull().default(0),
  completedAt: timestamp('completed_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
