import { randomBytes } from 'node:crypto';

export interface SandboxOAuthClient {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Lifetime of issued access tokens; Zoho's is 3600. */
  tokenTtlSeconds?: number;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

const DEFAULT_TTL_SECONDS = 3600;

/**
 * Zoho's accounts server, reduced to the refresh-token grant. Like Zoho it answers HTTP 200 with an
 * `error` field when the refresh token or client is wrong.
 */
export function createTokenIssuer(client: SandboxOAuthClient | undefined) {
  const expiries = new Map<string, number>();

  function dropExpired(now: number) {
    for (const [token, expiresAt] of expiries) if (expiresAt <= now) expiries.delete(token);
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
      const ttl = client.tokenTtlSeconds ?? DEFAULT_TTL_SECONDS;
      const token = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
      expiries.set(token, now + ttl * 1000);
      return {
        status: 200,
        body: {
          access_token: token,
          scope: 'SDPOnDemand.requests.ALL',
          api_domain: 'https://www.zohoapis.com',
          token_type: 'Bearer',
          expires_in: ttl,
        },
      };
    },

    isValid(token: string): boolean {
      const expiresAt = expiries.get(token);
      return expiresAt !== undefined && expiresAt > Date.now();
    },

    /** Every issued token stops working, as when a portal admin revokes the client's tokens. */
    revokeAll(): void {
      expiries.clear();
    },
  };
}
