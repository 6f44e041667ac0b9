export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAiError(message: string, type: string, code: string | null = null): OpenAiErrorBody {
  return { error: { message, type, param: null, code } };
}

/** OpenAI's wording for the statuses a fault can inject. */
export function faultError(status: number): OpenAiErrorBody {
  if (status === 401)
    return openAiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
  if (status === 429) {
    return openAiError('Rate limit reached for requests (sandbox fault).', 'requests', 'rate_limit_exceeded');
  }
  if (status === 503)
    return openAiError('The engine is currently overloaded, please try again later.', 'server_error');
  if (status >= 500)
    return openAiError('The server had an error while processing your request.', 'server_error');
  return openAiError(`Sandbox fault: HTTP ${status}.`, 'invalid_request_error');
}
