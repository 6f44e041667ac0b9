import { readLimitedText } from '@ai-agents/shared';
import { isRecord } from './json-shape.js';
import { redact } from './redact.js';
import { ServiceDeskError } from './service-desk-error.js';
import { transportError } from './transport-error.js';

export interface CloudCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  accountsUrl: string;
}

export interface AccessToken {
  token: string;
  /** True when the token came from the cache rather than a refresh this call waited for. */
  cached: boolean;
}

export interface AccessTokenSource {
  get(): Promise<AccessToken>;
  /** Forget `token` if it is still the cached one (SDP rejected it), so the next get() refreshes. */
  invalidate(token: string): void;
}

// Refresh a minute early so a token never expires between get() and SDP checking it.
const EXPIRY_MARGIN_MS = 60_000;
// Zoho's access tokens live an hour; used only if an answer forgets to say.
const DEFAULT_EXPIRES_IN_SECONDS = 3600;
const OPERATION = 'OAuth token refresh';

function failed(
  reason: string,
  secrets: readonly string[],
  details: ConstructorParameters<typeof ServiceDeskError>[1],
) {
  return new ServiceDeskError(
    `ServiceDesk Plus ${OPERATION} failed: ${redact(reason, secrets).slice(0, 200)}`,
    details,
  );
}

/**
 * Zoho access tokens for SDP Cloud, minted from the long-lived refresh token and cached until shortly
 * before they expire. Concurrent callers share one in-flight refresh: Zoho rate-limits the token
 * endpoint hard, and a burst of jobs must not each mint a token.
 */
export function createAccessTokenSource(
  credentials: CloudCredentials,
  http: { fetch: typeof fetch; timeoutMs: number },
): AccessTokenSource {
  const secrets = [credentials.clientSecret, credentials.refreshToken];
  const tokenUrl = `${credentials.accountsUrl.replace(/\/+$/, '')}/oauth/v2/token`;
  let current: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function refresh(): Promise<string> {
    let status: number;
    let location: string | null;
    let body: unknown;
    try {
      const response = await http.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        // In the body, not the query string, so the secret stays out of proxy and access logs.
        body: new URLSearchParams({
          refresh_token: credentials.refreshToken,
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          grant_type: 'refresh_token',
        }).toString(),
        signal: AbortSignal.timeout(http.timeoutMs),
        // A followed 307/308 would resend the client secret and refresh token to wherever it points.
        redirect: 'manual',
      });
      status = response.status;
      location = response.headers.get('location');
      const text = await readLimitedText(response);
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    } catch (error) {
      throw transportError(OPERATION, error, http.timeoutMs, secrets);
    }

    if (status >= 300 && status < 400) {
      throw failed(
        `${status} redirect to ${location ?? 'an unknown location'} refused; configure the final accounts URL`,
        secrets,
        { kind: 'bad_request', httpStatus: status },
      );
    }
    const errorCode = isRecord(body) && typeof body.error === 'string' ? body.error : undefined;
    // An outage at Zoho is worth retrying; a rejected refresh token or client is not.
    if (status >= 500)
      throw failed(errorCode ?? `HTTP ${status}`, secrets, { kind: 'server', httpStatus: status });
    if (status === 429)
      throw failed(errorCode ?? 'HTTP 429', secrets, { kind: 'rate_limited', httpStatus: status });
    if (errorCode !== undefined || status !== 200) {
      throw failed(errorCode ?? `HTTP ${status}`, secrets, { kind: 'auth', httpStatus: status });
    }
    const token = isRecord(body) ? body.access_token : undefined;
    if (typeof token !== 'string' || token === '') {
      throw failed('answer has no access_token', secrets, { kind: 'auth', httpStatus: status });
    }
    const expiresIn = isRecord(body) && typeof body.expires_in === 'number' ? body.expires_in : undefined;
    const lifetimeMs = (expiresIn ?? DEFAULT_EXPIRES_IN_SECONDS) * 1000;
    current = { token, refreshAt: Date.now() + lifetimeMs - EXPIRY_MARGIN_MS };
    return token;
  }

  return {
    async get() {
      if (current && Date.now() < current.refreshAt) return { token: current.token, cached: true };
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return { token: await inFlight, cached: false };
    },
    invalidate(token) {
      if (current?.token === token) current = undefined;
    },
  };
}
