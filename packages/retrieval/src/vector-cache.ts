import { loadTicketVectors, type TenantScope } from '@ai-agents/db';
import { VectorIndex } from './vector-index.js';

/*
 * The worker's per-tenant vector indexes, bounded by bytes (least recently used out first) and
 * refreshed after `maxAgeMs`, so tickets embedded since the load are found within that delay and a
 * new model is picked up. 50,000 tickets × 100 dimensions × 4 bytes = 20 MB per large tenant.
 */

export interface VectorCacheOptions {
  maxBytes: number;
  maxAgeMs: number;
}

interface Entry {
  index: VectorIndex;
  loadedAt: number;
}

export class VectorCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly options: VectorCacheOptions) {}

  /** The tenant's index under `modelId`, loaded from Postgres when absent or stale. */
  async index(scope: TenantScope, modelId: string, dimensions: number): Promise<VectorIndex> {
    const key = `${scope.tenantId}\0${modelId}`;
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.loadedAt < this.options.maxAgeMs) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.index;
    }
    const stored = await loadTicketVectors(scope, modelId);
    const index = new VectorIndex(
      stored.map((s) => s.externalId),
      stored.map((s) => s.vector),
      dimensions,
    );
    this.put(key, { index, loadedAt: Date.now() });
    return index;
  }

  get size(): { tenants: number; bytes: number } {
    return { tenants: this.entries.size, bytes: this.bytes };
  }

  private put(key: string, entry: Entry): void {
    this.remove(key);
    this.entries.set(key, entry);
    this.bytes += entry.index.bytes;
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.options.maxBytes || oldest === key) break;
      this.remove(oldest);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.index.bytes;
    this.entries.delete(key);
  }
}
