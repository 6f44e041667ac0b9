import type { LlmEndpoint } from '@ai-agents/shared';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, AzureOpenAI } from 'openai';

/**
 * The OpenAI SDK client for a tenant's own model endpoint (packages/shared/src/llm-endpoint.ts).
 * It lives here because this is the package both the worker and the admin CLI (`tenant check`)
 * stand on that already holds the SDK (for the embeddings API).
 */
export interface LlmClientOptions {
  timeoutMs: number;
  /** The SDK retries 408/409/429/5xx and connection errors with backoff, honouring Retry-After. */
  maxRetries: number;
  fetch?: typeof fetch;
}

// OpenAI's API as the SDK addresses it when given no base URL. Given explicitly: left undefined, the
// SDK would read OPENAI_BASE_URL, the installation's server, and send the tenant's key there.
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function createLlmClient(endpoint: LlmEndpoint, apiKey: string, options: LlmClientOptions): OpenAI {
  const common = {
    apiKey,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    // Explicit for the same reason: the SDK would read OPENAI_ORG_ID/OPENAI_PROJECT_ID of the host.
    organization: null,
    project: null,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  if (endpoint.kind === 'azure') {
    // openai-node's AzureOpenAI (src/azure.ts): `api-key` header, `api-version` query, and the
    // deployment inserted into the path (/openai/deployments/<deployment>/chat/completions). The base
    // URL is given as `<endpoint>/openai`, which is what the client derives from `endpoint`: passing
    // `endpoint` itself throws when OPENAI_BASE_URL is set, as it is on a worker.
    return new AzureOpenAI({
      ...common,
      baseURL: `${endpoint.baseUrl.replace(/\/+$/, '')}/openai`,
      deployment: endpoint.deployment,
      apiVersion: endpoint.apiVersion,
    });
  }
  return new OpenAI({ ...common, baseURL: endpoint.baseUrl ?? OPENAI_BASE_URL });
}

interface LlmProbeFailure {
  problem: 'refused_key' | 'not_found' | 'unreachable' | 'timeout' | 'refused';
  message: string;
}

export type LlmProbeResult = { ok: true; model: string } | ({ ok: false } & LlmProbeFailure);

/**
 * `tenant check`'s call: one chat completion of a few tokens with the tenant's model. It is the one
 * call all three kinds serve on the path the worker uses, and it proves the key, the model (or Azure
 * deployment) and the api-version together; a models list would not prove the deployment (Azure's
 * lists the resource's models, not its deployments), and not every compatible server lists models.
 * The answer's text is never shown, nor the server's error message (it may echo a masked key).
 */
export async function probeLlm(client: OpenAI, model: string): Promise<LlmProbeResult> {
  try {
    const answer = await client.chat.completions.create({
      model,
      // Room for a reasoning model to answer at all; the cost is a few tokens.
      max_completion_tokens: 16,
      messages: [{ role: 'user', content: 'Reply with OK.' }],
    });
    return { ok: true, model: answer.model || model };
  } catch (error) {
    return { ok: false, ...probeProblem(error) };
  }
}

function probeProblem(error: unknown): LlmProbeFailure {
  if (error instanceof APIConnectionTimeoutError) return { problem: 'timeout', message: 'timed out' };
  if (error instanceof APIConnectionError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return {
      problem: 'unreachable',
      message: `could not connect${typeof code === 'string' ? ` (${code})` : ''}`,
    };
  }
  if (error instanceof APIError && (error.status === 401 || error.status === 403))
    return { problem: 'refused_key', message: `the endpoint refused the key (HTTP ${error.status})` };
  if (error instanceof APIError && error.status === 404)
    return {
      problem: 'not_found',
      message: 'HTTP 404: no such model or deployment, or a wrong base URL or api-version',
    };
  if (error instanceof APIError)
    return { problem: 'refused', message: `HTTP ${error.status ?? 'error'} from the endpoint` };
  return { problem: 'refused', message: (error as Error).name ?? 'unexpected error' };
}
