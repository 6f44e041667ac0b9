import { sql } from '../orm.js';
import { systemInventory } from '../schema/system-inventory.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface InventorySystem {
  hostname?: string | null;
  ipAddress?: string | null;
  assetTag?: string | null;
  kind?: string | null;
  os?: string | null;
  location?: string | null;
  owner?: string | null;
  notes?: string | null;
}

const clean = (value: string | null | undefined) => value?.trim() || null;

/**
 * Adds or refreshes systems of the tenant. A system is keyed by hostname and asset tag (hostnames
 * lower-cased: they are case-insensitive and tickets spell them any way).
 */
export async function upsertInventory(scope: TenantScope, systems: InventorySystem[]): Promise<number> {
  const rows = systems.map((s) => ({
    tenantId: scope.tenantId,
    hostname: clean(s.hostname)?.toLowerCase() ?? null,
    ipAddress: clean(s.ipAddress),
    assetTag: clean(s.assetTag),
    kind: clean(s.kind),
    os: clean(s.os),
    location: clean(s.location),
    owner: clean(s.owner),
    notes: clean(s.notes),
  }));
  if (rows.length === 0) return 0;
  await inTenant(scope, 'statement', (tx) =>
    tx
      .insert(systemInventory)
      .values(rows)
      .onConflictDoUpdate({
        target: [systemInventory.tenantId, systemInventory.hostname, systemInventory.assetTag],
        set: {
          ipAddress: sql`excluded.ip_address`,
          kind: sql`excluded.kind`,
          os: sql`excluded.os`,
          location: sql`excluded.location`,
          owner: sql`excluded.owner`,
          notes: sql`excluded.notes`,
          updatedAt: sql`now()`,
        },
      }),
  );
  return rows.length;
}
