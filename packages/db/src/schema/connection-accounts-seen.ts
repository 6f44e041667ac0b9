import { bigint, check, pgTable, primaryKey, sql, text, timestamp, uuid } from '../orm.js';
import { connections } from './connections.js';

/**
 * The accounts a connection's webhooks named that no tenant was mapped to (`connection accounts`
 * lists them so the operator can onboard them). Written only through the SECURITY DEFINER function
 * connection_account_seen() (migration 0020_connections), which keeps at most
 * CONNECTION_ACCOUNTS_SEEN_MAX rows per connection: a sender inventing account ids cannot grow it.
 */
export const connectionAccountsSeen = pgTable(
  'connection_accounts_seen',
  {
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    sdpAccountId: text('sdp_account_id').notNull(),
    // As the payload named it, if it did (display only).
    sdpAccountName: text('sdp_account_name'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    deliveries: bigint('deliveries', { mode: 'number' }).notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.sdpAccountId] }),
    check('connection_accounts_seen_account_id_format', sql`${t.sdpAccountId} ~ '^[0-9]{1,20}$'`),
    check('connection_accounts_seen_account_name_length', sql`length(${t.sdpAccountName}) <= 200`),
  ],
);

/** Rows kept per connection (the function refuses more; the metric and the log still count them). */
export const CONNECTION_ACCOUNTS_SEEN_MAX = 1_000;

export type ConnectionAccountSeenRow = typeof connectionAccountsSeen.$inferSelect;
