import type { IncomingMessage } from 'node:http';
import { sdpFailure } from './sdp-answers.js';
import type { NoteWrapper } from './ticket-store.js';

/**
 * What differs between ServiceDesk Plus editions, as the vendor's documentation and public clients
 * describe them (docs/servicedesk-plus.md lists the sources):
 * - Cloud (sdpod-v3-api): `<domain>/app/<portal>/api/v3/...`, `Authorization: Zoho-oauthtoken <token>`
 *   only, scopes on the token, add-note wrapped in `request_note` ("Add Request Note").
 * - On-premises (sdpop-v3-api): `<host>/api/v3/...`, the technician key in the `authtoken` header
 *   only, add-note wrapped in `note` on current builds and in `request_note` on old ones.
 * Both insist on `Accept: application/vnd.manageengine.sdp.v3+json`.
 */
export type Edition = 'onprem' | 'cloud';

/**
 * What a fake portal is: a single-portal edition, or an MSP one (msp.ts), which authenticates and
 * addresses calls as its counterpart: ServiceDesk Plus MSP on premises as on-premises (`/api/v3`,
 * `authtoken`; Fortinet's FortiSOAR MSP connector calls it so), MSP Cloud as Cloud (Zoho OAuth with
 * `SDPOnDemand.*` scopes, service-desk-msp/sdpmspcloud-v3-api/getting-started/oauth-2.0.html).
 */
export type PortalEdition = Edition | 'msp-onprem' | 'msp-cloud';

/** The single-portal edition whose paths and credentials a portal edition takes. */
export function servedEditionOf(edition: PortalEdition | 'both'): Edition | 'both' {
  if (edition === 'msp-onprem') return 'onprem';
  if (edition === 'msp-cloud') return 'cloud';
  return edition;
}

export const SDP_V3_ACCEPT = 'application/vnd.manageengine.sdp.v3+json';

/** The Cloud path prefix of a portal; on-premises URLs have none. */
const CLOUD_PREFIX = /^\/app\/[^/]+(?=\/api\/v3(?:\/|$))/;

export function editionOf(pathname: string): { edition: Edition; apiPath: string } {
  const cloud = CLOUD_PREFIX.exec(pathname);
  return cloud
    ? { edition: 'cloud', apiPath: pathname.slice(cloud[0].length) }
    : { edition: 'onprem', apiPath: pathname };
}

/** The OAuth scopes of SDP Cloud, by what a call touches (sdpod-v3-api "OAuth 2.0", Scopes). */
export type ScopeArea = 'requests' | 'solutions' | 'setup';

export function scopeAreaOf(apiPath: string): ScopeArea {
  if (apiPath.startsWith('/api/v3/solutions')) return 'solutions';
  if (apiPath.startsWith('/api/v3/categories') || apiPath.startsWith('/api/v3/priorities')) return 'setup';
  return 'requests';
}

/** Whether `granted` lets a call of `method` into `area`: ALL covers everything, READ only GET. */
export function scopeAllows(granted: readonly string[], area: ScopeArea, method: string): boolean {
  const prefix = `SDPOnDemand.${area}.`;
  const operations = granted.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
  if (operations.includes('ALL')) return true;
  if (method === 'GET') return operations.includes('READ');
  if (method === 'POST') return operations.includes('CREATE');
  return operations.includes('UPDATE');
}

/** Every scope the worker needs: what the fake grants unless told otherwise. */
export const ALL_WORKER_SCOPES = [
  'SDPOnDemand.requests.ALL',
  'SDPOnDemand.solutions.READ',
  'SDPOnDemand.setup.READ',
] as const;

// Zoho's APIs refuse a token without the scope for a URL with HTTP 401 and OAUTH_SCOPE_MISMATCH. SDP
// Cloud's own wording is not documented; the client treats any answer naming a scope mismatch alike.
export const SCOPE_MISMATCH = sdpFailure(4000, 'OAUTH_SCOPE_MISMATCH');
// Zoho's other wording of the same refusal (zoho.com/social/api/oauth-authentication.html, "Error For
// missing Scopes"; Zoho Mail answers alike), outside SDP's envelope.
export const INVALID_OAUTHSCOPE = { error: { code: 401, message: 'INVALID_OAUTHSCOPE' } } as const;

/** The body of a 401 for a token without the scope, in the wording the portal's OAuth config names. */
export function scopeRefusal(wording: 'oauth-scope-mismatch' | 'invalid-oauthscope' | undefined) {
  return wording === 'invalid-oauthscope' ? INVALID_OAUTHSCOPE : SCOPE_MISMATCH;
}

export const WRONG_ACCEPT = sdpFailure(4000, `Accept header must be ${SDP_V3_ACCEPT}`);

export function acceptsV3(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes(SDP_V3_ACCEPT);
}

/**
 * The refusal of an add-note whose input_data is wrapped in the key this build does not take:
 * HTTP 400, envelope 4000, the offending key named as the field (e.g. 4012 EXTRA_KEY_FOUND_IN_JSON).
 */
export function wrongWrapper(sent: NoteWrapper) {
  return sdpFailure(4012, 'EXTRA_KEY_FOUND_IN_JSON', sent);
}
