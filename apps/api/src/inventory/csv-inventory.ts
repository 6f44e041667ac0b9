import type { Readable } from 'node:stream';
import { type Db, type InventorySystem, upsertInventory } from '@ai-agents/db';
import { parse } from 'csv-parse';
import { CsvFormatError } from '../history/csv-history.js';

const BATCH_SIZE = 1_000;

// Accepted spellings of each column (after lower-casing and turning spaces/hyphens into _).
const COLUMNS: Record<keyof InventorySystem, string[]> = {
  hostname: ['hostname', 'host', 'name', 'computer_name'],
  ipAddress: ['ip_address', 'ip', 'ipv4'],
  assetTag: ['asset_tag', 'tag', 'asset'],
  kind: ['kind', 'type', 'product_type'],
  os: ['os', 'operating_system'],
  location: ['location', 'site'],
  owner: ['owner', 'user', 'assigned_to'],
  notes: ['notes', 'description'],
};

/**
 * Imports a tenant's systems from CSV (`hostname,ip_address,asset_tag,kind,os,location,owner,notes`;
 * a row needs a hostname or an asset tag). Existing systems with the same hostname and tag are updated.
 */
export async function importInventoryCsv(
  db: Db,
  tenantId: string,
  input: Readable,
): Promise<{ imported: number; skippedLines: number[] }> {
  const parser = input.pipe(
    parse({
      columns: (header: string[]) =>
        header.map((h) =>
          h
            .trim()
            .toLowerCase()
            .replace(/[\s-]+/g, '_'),
        ),
      bom: true,
      skip_empty_lines: true,
      trim: true,
    }),
  );
  let imported = 0;
  let line = 0;
  const skippedLines: number[] = [];
  let batch = new Map<string, InventorySystem>();
  const flush = async () => {
    const systems = [...batch.values()];
    batch = new Map();
    if (systems.length === 0) return;
    await upsertInventory({ db, tenantId }, systems);
    imported += systems.length;
  };
  for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
    line++;
    if (line === 1) {
      const columns = Object.keys(record);
      if (
        !COLUMNS.hostname.some((c) => columns.includes(c)) &&
        !COLUMNS.assetTag.some((c) => columns.includes(c))
      )
        throw new CsvFormatError('the CSV needs a "hostname" or an "asset_tag" column');
    }
    const system = Object.fromEntries(
      Object.entries(COLUMNS).map(([field, names]) => [
        field,
        names.map((n) => record[n]).find((v) => v) ?? null,
      ]),
    ) as InventorySystem;
    if (!system.hostname && !system.assetTag) {
      skippedLines.push(line);
      continue;
    }
    // One statement must not upsert the same key twice.
    batch.set(`${system.hostname?.toLowerCase() ?? ''}\n${system.assetTag ?? ''}`, system);
    if (batch.size >= BATCH_SIZE) await flush();
  }
  await flush();
  return { imported, skippedLines };
}
