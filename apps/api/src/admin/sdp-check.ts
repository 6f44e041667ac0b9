import {
  createServiceDeskClient,
  createTenantClients,
  insecureServiceDeskUrls,
  parseServiceDeskAuth,
  type ServiceDeskAuth,
  type ServiceDeskClient,
  type ServiceDeskConnection,
  ServiceDeskError,
  type TenantClientDeps,
} from '@ai-agents/servicedesk';
import type { SecretBox } from '@ai-agents/shared';

export type CheckProblem =
  | 'bad_credentials'
  | 'wrong_data_centre'
  | 'wrong_url'
  | 'forbidden'
  | 'missing_scope'
  | 'insecure_url'
  | 'unreachable'
  | 'unexpected';

/** One thing the worker does with ServiceDesk Plus, and whether these credentials may do it. */
export interface CapabilityResult {
  capability: Capability['name'];
  /** Without it no note is posted; the others only degrade the note's context. */
  required: boolean;
  ok: boolean;
  problem?: CheckProblem;
  message?: string;
}

export type CheckResult =
  | { ok: true; capabilities: CapabilityResult[] }
  | { ok: false; problem: CheckProblem; message: string; capabilities: CapabilityResult[] };

interface Capability {
  name: 'read requests' | 'add notes' | 'read knowledge base' | 'read categories and priorities';
  required: boolean;
  /** The Zoho scope a Cloud token needs for it (docs/operating-tenants.md, "Cloud: the refresh token"). */
  scope: string;
  /** The technician permission an on-premises key needs for it. */
  permission: string;
  probe(sdp: ServiceDeskClient): Promise<unknown>;
}

// A request id no portal issues: posting to it proves the right to post without creating anything.
// SDP answers 4007/404 when the caller may post notes, and refuses first when it may not.
const NO_SUCH_REQUEST = '0';

/** Fields under which SDP may name the request id it does not know. */
const ID_FIELDS = new Set(['id', 'request_id', 'request']);

/**
 * The portal does not know request 0, so the caller got past the permission check: 404/4007, or
 * 400/4001 ("id or name given does not exist" in the vendor's error-code table, sdpop-v3-api and
 * sdpod-v3-api getting-started/common-error-code.html), which some builds answer for an unknown
 * request id. A 4001 that names a field of the note itself is a real refusal, not this.
 */
function unknownRequest(error: unknown): boolean {
  if (!(error instanceof ServiceDeskError)) return false;
  if (error.kind === 'not_found') return true;
  if (error.httpStatus !== 400 || error.sdpStatusCode !== 4001) return false;
  return error.sdpFields.length === 0 || error.sdpFields.some((f) => ID_FIELDS.has(f));
}

const CAPABILITIES: readonly Capability[] = [
  {
    name: 'read requests',
    required: true,
    scope: 'SDPOnDemand.requests.ALL',
    permission: 'View requests',
    probe: (sdp) => sdp.ping(),
  },
  {
    name: 'add notes',
    required: true,
    scope: 'SDPOnDemand.requests.ALL',
    permission: 'Add notes to requests',
    probe: (sdp) =>
      sdp.addNote(NO_SUCH_REQUEST, { description: 'ai-agents permission check' }).then(
        () => undefined,
        (error: unknown) => {
          if (unknownRequest(error)) return undefined;
          throw error;
        },
      ),
  },
  {
    name: 'read knowledge base',
    required: false,
    scope: 'SDPOnDemand.solutions.READ',
    permission: 'View solutions',
    probe: (sdp) => sdp.searchSolutions(['printer'], { rowCount: 1 }),
  },
  {
    name: 'read categories and priorities',
    required: false,
    scope: 'SDPOnDemand.setup.READ',
    permission: 'View categories and priorities (Setup)',
    probe: (sdp) => Promise.all([sdp.listCategories(), sdp.listPriorities()]),
  },
];

/**
 * `tenant check`: each thing the worker does with ServiceDesk Plus, tried harmlessly with the stored
 * credentials (reads, and a note posted to a request id that does not exist). A missing required
 * capability fails the check; a missing optional one is reported with the scope or permission to
 * grant. Messages keep the client's own error (which never holds a credential) and say what to fix.
 */
export async function checkServiceDesk(
  connection: ServiceDeskConnection,
  box: SecretBox,
  timeoutMs: number,
  options: { shared?: TenantClientDeps['shared']; requireHttps?: boolean } = {},
): Promise<CheckResult> {
  let auth: ServiceDeskAuth;
  try {
    auth = parseServiceDeskAuth(
      box.decrypt(connection.sdpCredentialsEnc, { tenantId: connection.id, purpose: 'sdp_credentials' }),
    );
  } catch (error) {
    return {
      ok: false,
      problem: 'bad_credentials',
      message: `stored credentials unusable: ${(error as Error).message}`,
      capabilities: [],
    };
  }
  const insecure = insecureUrl(connection.sdpBaseUrl, auth, options.requireHttps ?? false);
  if (insecure) return insecure;
  // The worker's own clients: with Redis, the check reuses (and shares) the installation's token.
  const sdp = createTenantClients({
    box,
    timeoutMs,
    ...(options.shared ? { shared: options.shared } : {}),
  }).forConnection(connection);
  return checkCapabilities(sdp, auth);
}

/** The same checks with credentials not stored yet (`tenant set-credentials` checks first). */
export async function checkServiceDeskAuth(
  baseUrl: string,
  auth: ServiceDeskAuth,
  timeoutMs: number,
  requireHttps = false,
): Promise<CheckResult> {
  const insecure = insecureUrl(baseUrl, auth, requireHttps);
  if (insecure) return insecure;
  return checkCapabilities(createServiceDeskClient({ baseUrl, auth, timeoutMs }), auth);
}

function insecureUrl(baseUrl: string, auth: ServiceDeskAuth, requireHttps: boolean): CheckResult | undefined {
  const [insecure] = requireHttps ? insecureServiceDeskUrls(baseUrl, auth) : [];
  if (insecure === undefined) return undefined;
  return {
    ok: false,
    problem: 'insecure_url',
    message: `${insecure} is plain http; production requires https`,
    capabilities: [],
  };
}

async function checkCapabilities(sdp: ServiceDeskClient, auth: ServiceDeskAuth): Promise<CheckResult> {
  const cloudAccounts = auth.type === 'cloud' ? auth.accountsUrl : undefined;
  const capabilities: CapabilityResult[] = [];
  for (const capability of CAPABILITIES) {
    try {
      await capability.probe(sdp);
      capabilities.push({ capability: capability.name, required: capability.required, ok: true });
    } catch (error) {
      const explained =
        error instanceof ServiceDeskError
          ? explain(error, cloudAccounts, capability)
          : { problem: 'unexpected' as const, message: (error as Error).message };
      capabilities.push({
        capability: capability.name,
        required: capability.required,
        ok: false,
        ...explained,
      });
      // Nothing else can work when reading fails (bad key, wrong URL, unreachable): stop here.
      if (capability.name === 'read requests') return { ok: false, ...explained, capabilities };
    }
  }
  const failed = capabilities.find((c) => c.required && !c.ok);
  if (failed?.problem && failed.message)
    return { ok: false, problem: failed.problem, message: failed.message, capabilities };
  return { ok: true, capabilities };
}

function explain(
  error: ServiceDeskError,
  accountsUrl: string | undefined,
  capability: Capability,
): { problem: CheckProblem; message: string } {
  const said = error.message;
  const grant = accountsUrl
    ? `the refresh token lacks the scope ${capability.scope}`
    : `the technician lacks the permission "${capability.permission}"`;
  if (error.scopeMismatch)
    return { problem: 'missing_scope', message: `cannot ${capability.name}: ${grant} — ${said}` };
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
      return { problem: 'forbidden', message: `cannot ${capability.name}: ${grant} — ${said}` };
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
