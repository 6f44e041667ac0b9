import { bigserial, integer, jsonb, pgTable, text, timestamp, uuid } from '../orm.js';

/**
 * One record per erased tenant (`tenant erase`): who erased which tenant when, and how many rows per
 * table and Redis keys went. Installation-level on purpose: the tenant's own row and its audit_log
 * entries are erased with it, so the proof that it was erased cannot live in them. It holds no
 * ticket content and no secret: the tenant's id and slug (to answer "was client X erased, when, by
 * whom"), counts and times. The column is `erased_tenant_id`, not `tenant_id`, so the erasure's own
 * discovery of tenant tables (every table with a `tenant_id` column) never erases its record.
 */
export const erasureLog = pgTable('erasure_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  erasedTenantId: uuid('erased_tenant_id').notNull().unique(),
  slug: text('slug').notNull(),
  actor: text('actor').notNull(),
  // Table name → the tenant's rows in it when the erasure began (tenants: 1); every one is deleted.
  rowsDeleted: jsonb('rows_deleted').$type<Record<string, number>>().notNull().default({}),
  redisKeysDeleted: integer('redis_keys_deleted').notNull().default(0),
  // A re-run after a crash continues the same record.
  runs: integer('runs').notNull().default(1),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

export type ErasureLogRow = typeof erasureLog.$inferSelect;
