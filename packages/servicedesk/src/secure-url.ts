import type { ServiceDeskAuth } from './client.js';
import { ServiceDeskError } from './service-desk-error.js';

/**
 * In production every ServiceDesk Plus portal and Zoho accounts server is reached over https: over
 * plain http the technician key, the OAuth client secret, refresh token and access tokens, and the
 * ticket text would cross the network readable and alterable. Development and the sandbox (whose
 * fake portal serves http on 127.0.0.1) may use http.
 */
export function insecureServiceDeskUrls(baseUrl: string, auth: ServiceDeskAuth): string[] {
  const urls = [baseUrl, ...(auth.type === 'cloud' ? [auth.accountsUrl] : [])];
  return urls.filter((url) => !isHttps(url));
}

export function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** Throws a non-retryable ServiceDeskError naming the first http URL, when `requireHttps`. */
export function assertSecureServiceDesk(baseUrl: string, auth: ServiceDeskAuth, requireHttps: boolean): void {
  if (!requireHttps) return;
  const [insecure] = insecureServiceDeskUrls(baseUrl, auth);
  if (insecure !== undefined) {
    throw new ServiceDeskError(
      `ServiceDesk Plus is configured with a plain http URL (${new URL(insecure).origin}); production requires https`,
      { kind: 'bad_request' },
    );
  }
}
