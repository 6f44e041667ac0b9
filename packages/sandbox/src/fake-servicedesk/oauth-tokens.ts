import { randomBytes } from 'node:crypto';
import { ALL_WORKER_SCOPES } from './editions.js';

export interface SandboxOAuthClient {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Lifetime of issued access tokens; Zoho's is 3600. */
  tokenTtlSeconds?: number;
  /** Scopes the refresh token was granted; default every scope the worker needs. */
  scopes?: readonly string[];
  /**
   * How a portal refuses a token without the scope for a URL (HTTP 401 either way):
   * 'oauth-scope-mismatch' (default): `OAUTH_SCOPE_MISMATCH` in SDP's envelope, as Zoho CRM words it;
   * 'invalid-oauthscope': `{"error":{"code":401,"message":"INVALID_OAUTHSCOPE"}}`, Zoho's other wording
   * (zoho.com/social/api/oauth-authentication.html "Error For missing Scopes"; Zoho Mail alike).
   */
  scopeRefusal?: 'oauth-scope-mismatch' | 'invalid-oauthscope';
  /** Zoho's answer past its token limit: 'english' (default) or 'localised' (recorded, in Chinese). */
  throttleAnswer?: 'english' | 'localised';
  /**
   * 'seconds' (default, current answers): `expires_in` in seconds. 'legacy-milliseconds': older answers,
   * `expires_in_sec` in seconds beside `expires_in` in milliseconds (zoho/zcrm-python-sdk reads them so,
   * zcrmsdk/OAuthClient.py get_tokens_from_json).
   */
  expiryFields?: 'seconds' | 'legacy-milliseconds';
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

const DEFAULT_TTL_SECONDS = 3600;
/**
 * Zoho's token limits (zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html and the
 * "Token limits" page it links): at most ten access tokens per refresh token in ten minutes, then
 * "Access Denied" until the ten minutes are over; at most 30 live access tokens per refresh token,
 * the oldest deleted when a 31st is created.
 */
export const ZOHO_TOKENS_PER_WINDOW = 10;
export const ZOHO_TOKEN_WINDOW_MS = 10 * 60_000;
export const ZOHO_LIVE_TOKENS = 30;

/** Zoho's answer past its token limit; the HTTP status of this answer varies between reports. */
export const ZOHO_THROTTLED = {
  error_description: 'You have made too many requests continuously. Please try again after some time.',
  error: 'Access Denied',
  status: 'failure',
} as const;

/**
 * The same answer as recorded from an account whose language is Chinese (HTTP 400, issue 21). The
 * recording's description begins "您已连续提出过多请求" ("you have made too many requests continuously");
 * its end here is ours.
 */
export const ZOHO_THROTTLED_LOCALISED = {
  error: '拒绝访问',
  error_description: '您已连续提出过多请求。请稍后重试。',
} as const;

/** The token lifetime fields of a token answer, in the client's chosen generation of Zoho's answer. */
function expiryFields(client: SandboxOAuthClient, ttlSeconds: number): Record<string, number> {
  return client.expiryFields === 'legacy-milliseconds'
    ? { expires_in_sec: ttlSeconds, expires_in: ttlSeconds * 1000 }
    : { expires_in: ttlSeconds };
}

/**
 * Zoho's accounts server, reduced to the refresh-token grant. Like Zoho it answers HTTP 200 with an
 * `error` field when the refresh token or client is wrong, and enforces the token limits.
 */
export function createTokenIssuer(client: SandboxOAuthClient | undefined) {
  // Insertion order is creation order: the first key is the oldest live token.
  const live = new Map<string, { expiresAt: number; scopes: readonly string[] }>();
  const issuedAt: number[] = [];

  function dropExpired(now: number) {
    for (const [token, { expiresAt }] of live) if (expiresAt <= now) live.delete(token);
    while (issuedAt.length > 0 && (issuedAt[0] ?? 0) <= now - ZOHO_TOKEN_WINDOW_MS) issuedAt.shift();
  }

  return {
    issue(params: URLSearchParams): TokenAnswer {
      if (params.get('grant_type') !== 'refresh_token')
        return { status: 200, body: { error: 'unsupported_grant_type' } };
      if (
        !client ||
        params.get('client_id') !== client.clientId ||
        params.get('client_secret') !== client.clientSecret
      ) {
        return { status: 200, body: { error: 'invalid_client' } };
      }
      if (params.get('refresh_token') !== client.refreshToken)
        return { status: 200, body: { error: 'invalid_code' } };
      const now = Date.now();
      dropExpired(now);
      if (issuedAt.length >= ZOHO_TOKENS_PER_WINDOW) {
        const throttled = client.throttleAnswer === 'localised' ? ZOHO_THROTTLED_LOCALISED : ZOHO_THROTTLED;
        return { status: 400, body: { ...throttled } };
      }
      issuedAt.push(now);
      const ttl = client.tokenTtlSeconds ?? DEFAULT_TTL_SECONDS;
      const token = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
      const scopes = client.scopes ?? ALL_WORKER_SCOPES;
      live.set(token, { expiresAt: now + ttl * 1000, scopes });
      while (live.size > ZOHO_LIVE_TOKENS) {
        const oldest = live.keys().next().value;
        if (oldest === undefined) break;
        live.delete(oldest);
      }
      return {
        status: 200,
        body: {
          access_token: token,
          scope: scopes.join(' '),
          api_domain: 'https://www.zohoapis.com',
          token_type: 'Bearer',
          ...expiryFields(client, ttl),
        },
      };
    },

    /** The scopes of a live token, or undefined for a token that is unknown, expired or revoked. */
    scopesOf(token: string): readonly string[] | undefined {
      const found = live.get(token);
      return found && found.expiresAt > Date.now() ? found.scopes : undefined;
    },

    /** Every issued token stops working, as when a portal admin revokes the client's tokens. */
    revokeAll(): void {
      live.clear();
    },

    /** Live tokens now: what Zoho's 30-token limit counts. */
    liveCount(): number {
      dropExpired(Date.now());
      return live.size;
    },
  };
}
