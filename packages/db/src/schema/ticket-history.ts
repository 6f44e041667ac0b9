import { customType, index, pgTable, type SQL, sql, text, timestamp, unique, uuid } from '../orm.js';
import { tenants } from './tenants.js';

const tsvector = customType<{ data: string }>({
  dataType: () => 'tsvector',
});

/** A tenant's resolved tickets: the "similar past tickets" context of every note. */
export const ticketHistory = pgTable(
  'ticket_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    // The ServiceDesk Plus request id (or an imported row's id): what notes cite.
    externalId: text('external_id').notNull(),
    subject: text('subject').notNull(),
    description: text('description').notNull().default(''),
    resolution: text('resolution').notNull().default(''),
    category: text('category'),
    technician: text('technician'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    // Subject weighs more than the body: it is the requester's own summary of the problem.
    search: tsvector('search').generatedAlwaysAs(
      (): SQL =>
        sql`setweight(to_tsvector('english', coalesce(${ticketHistory.subject}, '')), 'A') || setweight(to_tsvector('english', coalesce(${ticketHistory.description}, '') || ' ' || coalesce(${ticketHistory.resolution}, '')), 'B')`,
    ),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('ticket_history_tenant_external_unique').on(t.tenantId, t.externalId),
    index('ticket_history_search_idx').using('gin', t.search),
    // Retention finds a tenant's tickets past their age in batches (packages/db/src/retention/).
    index('ticket_history_tenant_age_idx').on(t.tenantId, sql`coalesce(${t.resolvedAt}, ${t.createdAt})`),
  ],
);

export type TicketHistoryRow = typeof ticketHistory.$inferSelect;
