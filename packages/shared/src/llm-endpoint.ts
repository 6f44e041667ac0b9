/**
 * A tenant's own model endpoint (`tenant llm <slug> --endpoint …`), or null: the installation's
 * (OPENAI_BASE_URL, OPENAI_API_KEY, LLM_MODEL). The key is not part of it: it is stored encrypted
 * (`tenants.llm_api_key_enc`) and decrypted only where the client is built.
 *
 * - `openai`: OpenAI's API, at `baseUrl` when given (a regional host such as a European one), else
 *   the SDK's default.
 * - `azure`: Azure OpenAI. `baseUrl` is the resource endpoint (`https://<resource>.openai.azure.com`);
 *   requests go to `/openai/deployments/<deployment>/chat/completions?api-version=<apiVersion>` with the
 *   key in the `api-key` header, as the Azure OpenAI REST reference
 *   (learn.microsoft.com/azure/ai-services/openai/reference, "Chat completions") and openai-node's
 *   `AzureOpenAI` client (src/azure.ts: `endpoint`, `deployment`, `apiVersion`) have it.
 * - `compatible`: any server that speaks OpenAI's chat completions at `baseUrl` (vLLM, Ollama's
 *   `/v1`, an in-house gateway).
 */
export type LlmEndpoint =
  | { kind: 'openai'; baseUrl: string | null }
  | { kind: 'azure'; baseUrl: string; deployment: string; apiVersion: string }
  | { kind: 'compatible'; baseUrl: string };

export type LlmEndpointKind = LlmEndpoint['kind'];

export const LLM_ENDPOINT_KINDS: readonly LlmEndpointKind[] = ['openai', 'azure', 'compatible'];

/** The columns of `tenants` that describe the endpoint (packages/db, migration 0017). */
export interface LlmEndpointColumns {
  llmEndpoint: string | null;
  llmBaseUrl: string | null;
  llmAzureDeployment: string | null;
  llmAzureApiVersion: string | null;
}

/** The tenant's endpoint, or null for the installation's. The table's check constraint keeps the columns whole. */
export function llmEndpointOf(row: LlmEndpointColumns): LlmEndpoint | null {
  switch (row.llmEndpoint) {
    case 'openai':
      return { kind: 'openai', baseUrl: row.llmBaseUrl };
    case 'azure':
      return {
        kind: 'azure',
        baseUrl: row.llmBaseUrl ?? '',
        deployment: row.llmAzureDeployment ?? '',
        apiVersion: row.llmAzureApiVersion ?? '',
      };
    case 'compatible':
      return { kind: 'compatible', baseUrl: row.llmBaseUrl ?? '' };
    default:
      return null;
  }
}

/** The columns for an endpoint (null: back to the installation's). */
export function llmEndpointColumns(
  endpoint: LlmEndpoint | null,
): LlmEndpointColumns & { llmEndpoint: LlmEndpointKind | null } {
  return {
    llmEndpoint: endpoint?.kind ?? null,
    llmBaseUrl: endpoint?.baseUrl ?? null,
    llmAzureDeployment: endpoint?.kind === 'azure' ? endpoint.deployment : null,
    llmAzureApiVersion: endpoint?.kind === 'azure' ? endpoint.apiVersion : null,
  };
}

const OPENAI_HOST = 'api.openai.com';

/**
 * What the usage report and `tenant check` name: "installation", or the kind and host ("azure
 * contoso.openai.azure.com"). Never a path or query (a gateway may carry a token there), never the key.
 */
export function llmEndpointLabel(endpoint: LlmEndpoint | null): string {
  if (endpoint === null) return 'installation';
  return `${endpoint.kind} ${endpoint.baseUrl === null ? OPENAI_HOST : hostOf(endpoint.baseUrl)}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Why the endpoint may not be used, or null. In production it must be https, as ServiceDesk Plus
 * portals must (packages/servicedesk/src/secure-url.ts): over plain http the key and every ticket's
 * redacted text would cross the network readable. A private certificate authority is trusted
 * through EXTRA_CA_FILE, as for every outbound call.
 */
export function llmEndpointProblem(endpoint: LlmEndpoint, requireHttps: boolean): string | null {
  if (endpoint.baseUrl === null) return null;
  let url: URL;
  try {
    url = new URL(endpoint.baseUrl);
  } catch {
    return `the ${endpoint.kind} endpoint's base URL is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `the ${endpoint.kind} endpoint's base URL must be http(s), got ${url.protocol}`;
  if (url.username !== '' || url.password !== '')
    return `the ${endpoint.kind} endpoint's base URL must not hold credentials; the key is stored encrypted on its own`;
  if (requireHttps && url.protocol !== 'https:')
    return `the ${endpoint.kind} endpoint is plain http (${url.origin}); production requires https`;
  return null;
}

/**
 * Whether a stored key may be used with `next` when no new key is given: only for the same kind at
 * the same origin (scheme, host, port), so a key is never sent to a server it was not given for.
 */
export function llmKeyMayFollow(previous: LlmEndpoint | null, next: LlmEndpoint): boolean {
  if (previous === null || previous.kind !== next.kind) return false;
  return originOf(previous.baseUrl) === originOf(next.baseUrl);
}

function originOf(url: string | null): string | null {
  if (url === null) return 'default';
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
