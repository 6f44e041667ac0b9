import { type TenantRow, tenantLlmApiKey } from '@ai-agents/db';
import { createLlmClient, type LlmClientOptions } from '@ai-agents/retrieval';
import { llmEndpointLabel, llmEndpointOf, llmEndpointProblem, type SecretBox } from '@ai-agents/shared';
import type OpenAI from 'openai';

/** The client a tenant's notes are written with, and which endpoint it reaches ("installation" or kind and host). */
export type TenantLlm =
  | { ok: true; client: OpenAI; endpoint: string }
  | { ok: false; endpoint: string; problem: string };

export interface TenantLlmDeps {
  /** The installation's client (OPENAI_BASE_URL, OPENAI_API_KEY): every tenant without its own endpoint. */
  installation: OpenAI;
  box: SecretBox;
  /** The installation's timeout and retries hold for tenants' endpoints too (LLM_TIMEOUT_MS, LLM_MAX_RETRIES). */
  client: LlmClientOptions;
  /** Production: refuse a tenant's plain-http endpoint. */
  requireHttps: boolean;
}

/**
 * One client per tenant with its own endpoint (`tenant llm --endpoint`), rebuilt when the tenant row
 * changes (`updated_at` moves with every endpoint or key change), so the SDK's keep-alive and settings
 * are not rebuilt per job. A tenant whose endpoint cannot be used (a plain-http URL in production, a
 * key that no longer decrypts) gets `ok: false` and a note from its context alone, with the reason.
 */
export function createTenantLlms(deps: TenantLlmDeps) {
  const clients = new Map<string, { version: number; llm: TenantLlm }>();
  return {
    forTenant(tenant: TenantRow): TenantLlm {
      const endpoint = llmEndpointOf(tenant);
      if (endpoint === null) return { ok: true, client: deps.installation, endpoint: 'installation' };
      const version = tenant.updatedAt.getTime();
      const cached = clients.get(tenant.id);
      if (cached && cached.version === version) return cached.llm;
      const label = llmEndpointLabel(endpoint);
      const llm = ((): TenantLlm => {
        const problem = llmEndpointProblem(endpoint, deps.requireHttps);
        if (problem !== null) return { ok: false, endpoint: label, problem };
        let key: string | null;
        try {
          key = tenantLlmApiKey(deps.box, tenant);
        } catch {
          return { ok: false, endpoint: label, problem: 'its key does not decrypt (ENCRYPTION_KEYS?)' };
        }
        if (key === null) return { ok: false, endpoint: label, problem: 'it has no key' };
        return { ok: true, client: createLlmClient(endpoint, key, deps.client), endpoint: label };
      })();
      clients.set(tenant.id, { version, llm });
      return llm;
    },
  };
}

export type TenantLlms = ReturnType<typeof createTenantLlms>;
