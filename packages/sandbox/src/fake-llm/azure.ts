import type { IncomingMessage } from 'node:http';

/**
 * Azure OpenAI's shape of the chat completions call, as the Azure OpenAI REST reference documents it
 * (learn.microsoft.com/azure/ai-services/openai/reference, "Chat completions"):
 * `POST {endpoint}/openai/deployments/{deployment-id}/chat/completions?api-version={api-version}`,
 * the key in the `api-key` header (an `Authorization: Bearer` value is read as a Microsoft Entra
 * token, which an API key is not). What it refuses, checked in this order:
 * - no `api-version`: 404 `{"error":{"code":"404","message":"Resource not found"}}` (reported in
 *   MicrosoftDocs/azure-docs#114602: the same call without api-version answers 404);
 * - no key or a wrong one: 401 with code "401" and "Access denied due to invalid subscription key or
 *   wrong API endpoint…";
 * - a deployment the resource does not have: 404 with code "DeploymentNotFound".
 * Azure's error body is `{ error: { code, message } }`, not OpenAI's four fields.
 */
export interface FakeAzureOptions {
  /** The deployments the fake resource has; any other is refused with DeploymentNotFound. */
  deployments: readonly string[];
}

const DEPLOYMENT_CHAT = /^\/openai\/deployments\/([^/]{1,256})\/chat\/completions$/;

/** The deployment of an Azure-shaped chat completions path, or null. */
export function azureDeploymentOf(path: string): string | null {
  const match = DEPLOYMENT_CHAT.exec(path);
  return match?.[1] === undefined ? null : decodeURIComponent(match[1]);
}

export interface AzureRefusal {
  status: 401 | 404;
  body: { error: { code: string; message: string } };
}

const azureError = (status: 401 | 404, code: string, message: string): AzureRefusal => ({
  status,
  body: { error: { code, message } },
});

/** What Azure refuses before it reads the body (see above); null: the call goes on. */
export function azureRefusal(
  options: FakeAzureOptions,
  expectedKey: string | undefined,
  req: IncomingMessage,
  url: URL,
  deployment: string,
): AzureRefusal | null {
  if (!url.searchParams.get('api-version')) return azureError(404, '404', 'Resource not found');
  const key = req.headers['api-key'];
  if (typeof key !== 'string' || key === '' || (expectedKey !== undefined && key !== expectedKey)) {
    return azureError(
      401,
      '401',
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    );
  }
  if (!options.deployments.includes(deployment)) {
    return azureError(
      404,
      'DeploymentNotFound',
      'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
    );
  }
  return null;
}
