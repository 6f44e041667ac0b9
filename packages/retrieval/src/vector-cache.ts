import { loadTicketVectors, type TenantScope } from '@ai-agents/db';
import { VectorIndex } from './vector-index.js';

/*
 * The worker's per-tenant vector indexes, bounded by bytes (least recently used out first) and
 * reloaded in the background once older than `maxAgeMs` (the held index answers meanwhile), so
 * tickets embedded since the load are found soon after that delay. A new model is a new key: its
 * first note waits for its load (within the search's timeout). 50,000 tickets × 100 dimensions × 4 bytes = 20 MB per large tenant.
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
  // One load per tenant and model at a time, however many notes ask meanwhile.
  private readonly loading = new Map<string, Promise<VectorIndex>>();
  private bytes = 0;

  constructor(private readonly options: VectorCacheOptions) {}

  /** The tenant's index under `modelId`, loaded from Postgres when absent or stale. */
  async index(scope: TenantScope, modelId: string, dimensions: number): Promise<VectorIndex> {
    const key = `${scope.tenantId}\0${modelId}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      // Stale: reloaded in the background while this note searches what is held. A reload of
      // 50,000 vectors took 0.3 s of a note's time when it was waited for (docs/performance.md).
      if (Date.now() - hit.loadedAt >= this.options.maxAgeMs) this.reload(scope, modelId, dimensions, key);
      return hit.index;
    }
    return this.reload(scope, modelId, dimensions, key);
  }

  /** Resolves when the loads in progress have ended (tests). */
  async idle(): Promise<void> {
    await Promise.allSettled(this.loading.values());
  }

  private reload(scope: TenantScope, modelId: string, dimensions: number, key: string): Promise<VectorIndex> {
    const pending = this.loading.get(key);
    if (pending) return pending;
    const load = this.load(scope, modelId, dimensions, key).finally(() => this.loading.delete(key));
    // A background reload that fails leaves the held index in use; the next note tries again.
    load.catch(() => {});
    this.loading.set(key, load);
    return load;
  }

  private async load(
    scope: TenantScope,
    modelId: string,
    dimensions: number,
    key: string,
  ): Promise<VectorIndex> {
    // Without the caller's transaction: the load outlives a note that gave up waiting for it.
    const stored = await loadTicketVectors({ db: scope.db, tenantId: scope.tenantId }, modelId);
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
