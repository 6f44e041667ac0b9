import type { TenantRow } from '@ai-agents/db';
import {
  createServiceDeskClient,
  insecureServiceDeskUrls,
  parseServiceDeskAuth,
  type ServiceDeskAuth,
  ServiceDeskError,
} from '@ai-agents/servicedesk';
import type { SecretBox } from '@ai-agents/shared';

export type CheckProblem =
  | 'bad_credentials'
  | 'wrong_data_centre'
  | 'wrong_url'
  | 'forbidden'
  | 'unreachable'
  | 'insecure_url'
  | 'unexpected';

export type CheckResult = { ok: true } | { ok: false; problem: CheckProblem; message: string };

/**
 * `tenant check`: one harmless read (list one request) with the stored credentials. The message
 * keeps the client's own error (which never holds a credential) and says what to fix.
 */
export async function checkServiceDesk(
  tenant: TenantRow,
  box: SecretBox,
  timeoutMs: number,
  requireHttps = false,
): Promise<CheckResult> {
  let auth: ServiceDeskAuth;
  try {
    auth = parseServiceDeskAuth(
      box.decrypt(tenant.sdpCredentialsEnc, { tenantId: tenant.id, purpose: 'sdp_credentials' }),
    );
  } catch (error) {
    return {
      ok: false,
      problem: 'bad_credentials',
      message: `stored credentials unusable: ${(error as Error).message}`,
    };
  }
  return checkServiceDeskAuth(tenant.sdpBaseUrl, auth, timeoutMs, requireHttps);
}

/** The same harmless read with credentials not stored yet (`tenant set-credentials` checks first). */
export async function checkServiceDeskAuth(
  baseUrl: string,
  auth: ServiceDeskAuth,
  timeoutMs: number,
  requireHttps = false,
): Promise<CheckResult> {
  const [insecure] = requireHttps ? insecureServiceDeskUrls(baseUrl, auth) : [];
  if (insecure !== undefined)
    return {
      ok: false,
      problem: 'insecure_url',
      message: `${insecure} is plain http; production requires https`,
    };
  try {
    await createServiceDeskClient({ baseUrl, auth, timeoutMs }).ping();
    return { ok: true };
  } catch (error) {
    if (!(error instanceof ServiceDeskError)) {
      return { ok: false, problem: 'unexpected', message: (error as Error).message };
    }
    return { ok: false, ...explain(error, auth.type === 'cloud' ? auth.accountsUrl : undefined) };
  }
}

function explain(
  error: ServiceDeskError,
  accountsUrl: string | undefined,
): { problem: CheckProblem; message: string } {
  const said = error.message;
  switch (error.kind) {
    case 'auth':
      if (accountsUrl && said.includes('OAuth token refresh')) {
        // Zoho answers invalid_code / invalid_client both for a revoked token and for a token sent to
        // another data centre's accounts server: name both causes.
        return {
          problem: 'wrong_data_centre',
          message: `bad credentials or wrong data centre: ${accountsUrl} refused the OAuth client or refresh token (a refresh token works only at the data centre that issued it) — ${said}`,
        };
      }
      return {
        problem: 'bad_credentials',
        message: `bad credentials: ServiceDesk Plus refused the ${accountsUrl ? 'OAuth access token' : 'technician key'} — ${said}`,
      };
    case 'forbidden':
      return { problem: 'forbidden', message: `the credentials may not read requests — ${said}` };
    case 'not_found':
      return {
        problem: accountsUrl ? 'wrong_data_centre' : 'wrong_url',
        message: `no ServiceDesk Plus API at this URL${accountsUrl ? ' (wrong portal or data centre?)' : ''} — ${said}`,
      };
    case 'network':
    case 'timeout':
      return { problem: 'unreachable', message: `unreachable — ${said}` };
    default:
      return { problem: 'unexpected', message: said };
  }
}
