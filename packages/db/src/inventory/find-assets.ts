import type { Tx } from '../client.js';
import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface AssetRecord {
  hostname: string | null;
  ipAddress: string | null;
  assetTag: string | null;
  kind: string | null;
  os: string | null;
  location: string | null;
  owner: string | null;
  notes: string | null;
  /** What in the ticket matched: the IP address, hostname or asset tag as the ticket wrote it. */
  matched: string;
}

/**
 * Systems of the current tenant (RLS) that a ticket mentions: by IP address, by hostname (full or
 * its first label, so "fs01" finds "fs01.corp.example"), or by asset tag (case-insensitive).
 */
export async function findAssets(
  scope: TenantScope,
  mentions: { ips: string[]; names: string[] },
  options: { limit: number },
): Promise<AssetRecord[]> {
  if (mentions.ips.length === 0 && mentions.names.length === 0) return [];
  return inTenant(scope, 'statement', (tx) => selectAssets(tx, mentions, options.limit));
}

async function selectAssets(
  tx: Tx,
  mentions: { ips: string[]; names: string[] },
  limit: number,
): Promise<AssetRecord[]> {
  // Bound as two array parameters (node-postgres sends JS arrays as Postgres arrays).
  const ips = sql.param(mentions.ips);
  const names = sql.param(mentions.names.map((n) => n.toLowerCase()));
  const result = await tx.execute<{
    hostname: string | null;
    ip_address: string | null;
    asset_tag: string | null;
    kind: string | null;
    os: string | null;
    location: string | null;
    owner: string | null;
    notes: string | null;
    matched: string;
  }>(sql`
    select i.hostname, i.ip_address, i.asset_tag, i.kind, i.os, i.location, i.owner, i.notes,
           coalesce(
             case when i.ip_address = any(${ips}::text[]) then i.ip_address end,
             case when i.hostname = any(${names}::text[]) or split_part(i.hostname, '.', 1) = any(${names}::text[])
                  then i.hostname end,
             i.asset_tag
           ) as matched
      from system_inventory i
     where i.tenant_id = current_tenant_id()
       and (i.ip_address = any(${ips}::text[])
            or i.hostname = any(${names}::text[])
            or split_part(i.hostname, '.', 1) = any(${names}::text[])
            or lower(i.asset_tag) = any(${names}::text[]))
     order by i.hostname nulls last, i.asset_tag
     limit ${limit}`);
  return result.rows.map((r) => ({
    hostname: r.hostname,
    ipAddress: r.ip_address,
    assetTag: r.asset_tag,
    kind: r.kind,
    os: r.os,
    location: r.location,
    owner: r.owner,
    notes: r.notes,
    matched: r.matched,
  }));
}
