import { type TenantRow, tenantLlmApiKey } from '@ai-agents/db';
import {
  type LlmEndpoint,
  llmEndpointLabel,
  llmEndpointOf,
  llmEndpointProblem,
  type SecretBox,
} from '@ai-agents/shared';

/** What `tenant check` and `tenant llm` report of a tenant's model endpoint. ok null: not tried. */
export interface LlmCheck {
  endpoint: string;
  model: string | null;
  ok: boolean | null;
  message: string;
}

export interface LlmCheckOptions {
  timeoutMs: number;
  requireHttps: boolean;
}

/**
 * One cheap call to the endpoint with the key and model (probeLlm: a chat completion of a few
 * tokens, which all three kinds serve). The key never appears in the result, nor the server's words.
 */
export async function checkLlmEndpoint(
  endpoint: LlmEndpoint,
  apiKey: string,
  model: string | null,
  options: LlmCheckOptions,
): Promise<LlmCheck> {
  const label = llmEndpointLabel(endpoint);
  const problem = llmEndpointProblem(endpoint, options.requireHttps);
  if (problem !== null) return { endpoint: label, model, ok: false, message: problem };
  if (model === null) {
    return {
      endpoint: label,
      model,
      ok: null,
      message: 'not tried: no model named for the tenant (set one with tenant llm --model)',
    };
  }
  // Loaded here, not at the CLI's start: the openai SDK is for the commands that call a model (main.ts).
  const { createLlmClient, probeLlm } = await import('@ai-agents/retrieval');
  // One try: the operator is waiting, and a retry would only hide what the endpoint said.
  const client = createLlmClient(endpoint, apiKey, { timeoutMs: options.timeoutMs, maxRetries: 0 });
  const result = await probeLlm(client, model);
  return result.ok
    ? { endpoint: label, model, ok: true, message: `answered with model ${result.model}` }
    : { endpoint: label, model, ok: false, message: result.message };
}

/** The stored endpoint of a tenant, tried with its stored key; the installation's is the worker's to use. */
export async function checkTenantLlm(
  box: SecretBox,
  tenant: TenantRow,
  options: LlmCheckOptions,
): Promise<LlmCheck> {
  const endpoint = llmEndpointOf(tenant);
  if (endpoint === null) {
    return {
      endpoint: 'installation',
      model: tenant.llmModel,
      ok: null,
      message: "the installation's endpoint (OPENAI_BASE_URL, OPENAI_API_KEY of the worker); not tried here",
    };
  }
  let key: string | null;
  try {
    key = tenantLlmApiKey(box, tenant);
  } catch {
    key = null;
  }
  if (key === null) {
    const message = 'its stored key does not decrypt with ENCRYPTION_KEY/ENCRYPTION_KEYS';
    return { endpoint: llmEndpointLabel(endpoint), model: tenant.llmModel, ok: false, message };
  }
  return checkLlmEndpoint(endpoint, key, tenant.llmModel, options);
}

/** One line for the operator: "LLM: azure contoso.openai.azure.com, model gpt-4o: OK (…)". */
export function llmCheckLine(check: LlmCheck): string {
  const verdict = check.ok === null ? 'not tried' : check.ok ? 'OK' : 'FAILED';
  return `LLM: ${check.endpoint}, model ${check.model ?? '(installation default)'}: ${verdict} (${check.message})`;
}
