/**
 * Which ServiceDesk Plus an installation runs. The MSP editions serve many customers ("accounts",
 * MSP Cloud says "customers") from one instance: each request carries `account {id, name}`, and a
 * list narrows to one account with `list_info.account_id` (docs/servicedesk-plus-msp.md, its sources).
 * They authenticate and address calls as their single-portal counterparts: ServiceDesk Plus MSP (on
 * premises) takes the technician key in the `authtoken` header under `/api/v3` (Fortinet's FortiSOAR
 * connector for it, fortinet-fortisoar/connector-manage-engine-service-desk-plus-msp, calls
 * `/api/v3/requests` so); MSP Cloud takes Zoho OAuth tokens with `SDPOnDemand.<scope>.<operation>`
 * scopes (service-desk-msp/sdpmspcloud-v3-api/getting-started/oauth-2.0.html).
 */
export type SdpEdition = 'onprem' | 'cloud' | 'msp-onprem' | 'msp-cloud';

export const SDP_EDITIONS: readonly SdpEdition[] = ['onprem', 'cloud', 'msp-onprem', 'msp-cloud'];

/** How an edition authenticates and which add-note page it follows: the single-portal one it extends. */
export type SdpAuthType = 'onprem' | 'cloud';

export function isSdpEdition(value: unknown): value is SdpEdition {
  return typeof value === 'string' && (SDP_EDITIONS as readonly string[]).includes(value);
}

export function isMspEdition(edition: SdpEdition): boolean {
  return edition === 'msp-onprem' || edition === 'msp-cloud';
}

export function authTypeOf(edition: SdpEdition): SdpAuthType {
  return edition === 'cloud' || edition === 'msp-cloud' ? 'cloud' : 'onprem';
}

/** The edition named by an operator (a flag, a stored column); the error names the accepted values. */
export function parseSdpEdition(raw: string): SdpEdition {
  const value = raw.trim().toLowerCase();
  if (isSdpEdition(value)) return value;
  throw new Error(`unknown ServiceDesk Plus edition "${raw}": use one of ${SDP_EDITIONS.join(', ')}`);
}
