import { index, pgTable, sql, text, timestamp, unique, uuid } from '../orm.js';
import { tenants } from './tenants.js';

/**
 * A tenant's systems (servers, workstations, printers…), fed by `admin inventory import --csv`.
 * Tickets that mention an IP address, hostname or asset tag are matched against it.
 */
export const systemInventory = pgTable(
  'system_inventory',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    // Lower-cased on import: hostnames are case-insensitive and tickets spell them any way.
    hostname: text('hostname'),
    ipAddress: text('ip_address'),
    assetTag: text('asset_tag'),
    kind: text('kind'),
    os: text('os'),
    location: text('location'),
    owner: text('owner'),
    notes: text('notes'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The import's upsert key: a system is known by its hostname, or its asset tag when it has none.
    unique('system_inventory_tenant_key_unique').on(t.tenantId, t.hostname, t.assetTag).nullsNotDistinct(),
    index('system_inventory_hostname_idx').on(t.tenantId, t.hostname),
    index('system_inventory_ip_idx').on(t.tenantId, t.ipAddress),
    index('system_inventory_asset_tag_idx').on(t.tenantId, sql`lower(${t.assetTag})`),
  ],
);

export type SystemInventoryRow = typeof systemInventory.$inferSelect;
