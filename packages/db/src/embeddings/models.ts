import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface EmbeddingModelRow {
  modelId: string;
  dimensions: number;
  fittedOn: number;
  /** The serialised LSA fit; null for an embeddings-API model. */
  fit: Buffer | null;
  createdAt: Date;
}

/** Records a model as the tenant's newest (its vectors are written next, then older models dropped). */
export async function saveEmbeddingModel(scope: TenantScope, model: Omit<EmbeddingModelRow, 'createdAt'>) {
  await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`
      insert into embedding_models (tenant_id, model_id, dimensions, fitted_on, fit)
      values (${scope.tenantId}, ${model.modelId}, ${model.dimensions}, ${model.fittedOn}, ${model.fit})
      on conflict (tenant_id, model_id) do update
        set dimensions = excluded.dimensions, fitted_on = excluded.fitted_on, fit = excluded.fit, created_at = now()`),
  );
}

/** The tenant's models, newest first. */
export async function listEmbeddingModels(scope: TenantScope): Promise<EmbeddingModelRow[]> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{
      model_id: string;
      dimensions: number;
      fitted_on: number;
      fit: Buffer | null;
      created_at: string | Date;
    }>(
      sql`select model_id, dimensions, fitted_on, fit, created_at from embedding_models order by created_at desc, model_id`,
    ),
  );
  return result.rows.map((r) => ({
    modelId: r.model_id,
    dimensions: r.dimensions,
    fittedOn: r.fitted_on,
    fit: r.fit,
    createdAt: new Date(r.created_at),
  }));
}

/** Drops every model but `keep`, and their vectors: once `keep`'s vectors are all written. */
export async function dropEmbeddingModelsExcept(scope: TenantScope, keep: string): Promise<void> {
  await inTenant(scope, 'transaction', async (tx) => {
    await tx.execute(sql`delete from ticket_vectors where model_id <> ${keep}`);
    await tx.execute(sql`delete from embedding_models where model_id <> ${keep}`);
  });
}
