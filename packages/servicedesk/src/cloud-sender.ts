import type { AccessTokenSource } from './oauth-token.js';
import type { SdpHttpRequest } from './sdp-http.js';
import { ServiceDeskError } from './service-desk-error.js';

type Call = Omit<SdpHttpRequest, 'auth'>;

/**
 * The check that tells a dead token from a token refused for one URL: the request list, one row. Every
 * tenant's token may read it (the worker cannot work without `SDPOnDemand.requests.ALL`), so a token
 * that reads it is alive, and a 401 elsewhere is about that URL (a missing optional scope, such as
 * `SDPOnDemand.solutions.READ`, in a wording we do not know), not about the token.
 */
const TOKEN_CHECK: Call = {
  operation: 'GET requests (token check)',
  method: 'GET',
  path: '/requests',
  query: { input_data: JSON.stringify({ list_info: { row_count: 1, start_index: 1 } }) },
};

function refusedHereOnly(error: ServiceDeskError): ServiceDeskError {
  return new ServiceDeskError(`${error.message} (the token works on other calls: refused for this one)`, {
    kind: 'forbidden',
    httpStatus: error.httpStatus,
    sdpStatusCode: error.sdpStatusCode,
    sdpEnvelopeCode: error.sdpEnvelopeCode,
    sdpFields: error.sdpFields,
    sdpMessages: error.sdpMessages,
    cause: error,
  });
}

/**
 * Sends Cloud calls with the tenant's shared Zoho token. A 401 on a token minted earlier does not by
 * itself prove the token dead: the shared token is discarded (and a new one minted) only when no other
 * process has replaced it already and it fails the token check too. Otherwise the refusal is
 * `forbidden` for that call alone, so one context source degrades while the shared token keeps working
 * for every other call and process (Zoho allows few token requests: one mint per job would soon
 * throttle the whole tenant).
 */
export function createCloudSender(
  tokens: AccessTokenSource,
  withToken: (call: Call, token: string) => Promise<unknown>,
) {
  async function alive(call: Call, token: string): Promise<boolean> {
    if (call.method === TOKEN_CHECK.method && call.path === TOKEN_CHECK.path) return false;
    try {
      await withToken(TOKEN_CHECK, token);
      return true;
    } catch {
      // Refused here too, or no answer: nothing proves the token alive, so it is replaced as before.
      return false;
    }
  }

  return async (call: Call): Promise<unknown> => {
    const first = await tokens.get();
    try {
      return await withToken(call, first.token);
    } catch (error) {
      // A token minted for this very call that is refused is a real auth failure, and a token refused for
      // a missing scope is a permission problem (kind 'forbidden'): neither is worth another token.
      if (!(error instanceof ServiceDeskError && error.kind === 'auth' && first.cached)) throw error;
      const current = await tokens.current();
      // Another process replaced the token meanwhile: use that one, minting nothing.
      if (current !== undefined && current !== first.token) return withToken(call, current);
      if (await alive(call, first.token)) throw refusedHereOnly(error);
      // A cached token can die before its expiry (revoked, or the portal's client regenerated): one
      // fresh token is worth one retry.
      await tokens.invalidate(first.token);
      const second = await tokens.get();
      return withToken(call, second.token);
    }
  };
}
