import { setTimeout as sleep } from 'node:timers/promises';
import { readLimitedText } from '@ai-agents/shared';
import { isRecord } from './json-shape.js';
import { redact } from './redact.js';
import { ServiceDeskError } from './service-desk-error.js';
import { createMemoryTokenStore, type StoredToken, type TokenStore } from './token-store.js';
import { transportError } from './transport-error.js';

export interface CloudCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  accountsUrl: string;
}

export interface AccessToken {
  token: string;
  /** True when the token was minted earlier (by this or another process), not by this very call. */
  cached: boolean;
}

export interface AccessTokenSource {
  get(): Promise<AccessToken>;
  /** Forget `token` if it is still the current one (SDP rejected it), so the next get() refreshes. */
  invalidate(token: string): Promise<void>;
  /** The shared store's current token, if it is fresh; never mints one. */
  current(): Promise<string | undefined>;
}

// Refresh a minute early so a token never expires between get() and SDP checking it.
const EXPIRY_MARGIN_MS = 60_000;
// Zoho's access tokens live an hour; used only if an answer forgets to say.
const DEFAULT_EXPIRES_IN_SECONDS = 3600;
// Zoho blocks token creation "for the rest of the ten minutes" once its limit is reached
// (zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html, "Token limits").
const ZOHO_THROTTLE_MS = 10 * 60_000;
// How long one process may hold the refresh lock: one token request, with its timeout, fits.
const LOCK_MARGIN_MS = 5_000;
const POLL_MS = 100;
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

// OAuth's error codes are machine codes: lower-case ASCII words joined by underscores (RFC 6749 §5.2:
// invalid_request, invalid_client, invalid_grant, unsupported_grant_type, invalid_scope), and Zoho's
// own are alike (invalid_code, invalid_redirect_uri, invalid_client: "Generating Access Tokens" of
// zoho.com/contracts/api/getting-started/generating-access-tokens.html, and Zoho CRM's "Kaizen #4 -
// Troubleshooting OAuth2.0" on help.zoho.com).
const OAUTH_MACHINE_CODE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/**
 * Zoho's answer when a refresh token has minted too many access tokens is no machine code but a
 * sentence in the account's language, with a description beside it:
 * `{"error":"Access Denied","error_description":"You have made too many requests continuously. …",
 * "status":"failure"}`, and recorded in Chinese `{"error":"拒绝访问","error_description":"您已连续提出过多请求…"}`.
 * Its HTTP status varies between reports (200, 400), so the body's structure decides, in any language:
 * an `error` that is not a machine code, with an `error_description` (or the English "Access Denied").
 */
function isZohoThrottle(status: number, body: unknown): boolean {
  if (status === 429) return true;
  if (!isRecord(body) || typeof body.error !== 'string') return false;
  const error = body.error.trim();
  if (error === '' || OAUTH_MACHINE_CODE.test(error)) return false;
  return typeof body.error_description === 'string' || /^access denied$/i.test(error);
}

// Zoho documents access tokens living an hour ("expires_in": 3600). Nothing longer is cached, whatever an
// answer says, so a misread lifetime costs at most one early refresh an hour, never a dead token kept.
const MAX_LIFETIME_SECONDS = 3600;
// No lifetime in seconds exceeds a day: an `expires_in` above it is in milliseconds.
const MAX_PLAUSIBLE_SECONDS = 86_400;

/**
 * The token's lifetime in seconds. Older Zoho answers give `expires_in` in milliseconds beside
 * `expires_in_sec` (`{"expires_in_sec":3600,"expires_in":3600000}`; Zoho's own zcrm-python-sdk reads
 * `expires_in` as milliseconds whenever `expires_in_sec` is present, zcrmsdk/OAuthClient.py
 * get_tokens_from_json); current answers give `expires_in` in seconds alone. `expires_in_sec` wins.
 */
export function tokenLifetimeSeconds(body: Record<string, unknown>): number {
  const positive = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  const inSeconds = positive(body.expires_in_sec);
  const given = positive(body.expires_in);
  let seconds = inSeconds;
  if (seconds === undefined && given !== undefined)
    seconds = given > MAX_PLAUSIBLE_SECONDS ? given / 1000 : given;
  return Math.min(seconds ?? DEFAULT_EXPIRES_IN_SECONDS, MAX_LIFETIME_SECONDS);
}

/** One token request to Zoho: a new access token and when to refresh it, or the typed failure. */
async function mint(
  credentials: CloudCredentials,
  http: { fetch: typeof fetch; timeoutMs: number },
  tokenUrl: string,
  secrets: readonly string[],
): Promise<{ token: string; refreshAt: number }> {
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
  // Too many token requests is "retry later", never "bad credentials": the refresh token is fine.
  if (isZohoThrottle(status, body)) {
    // Zoho's sentence is not quoted: it is localised, and says nothing the kind does not.
    throw failed(`Zoho throttled token requests (HTTP ${status})`, secrets, {
      kind: 'rate_limited',
      httpStatus: status,
      retryAfterMs: ZOHO_THROTTLE_MS,
    });
  }
  // An outage at Zoho is worth retrying; a rejected refresh token or client is not.
  if (status >= 500)
    throw failed(errorCode ?? `HTTP ${status}`, secrets, { kind: 'server', httpStatus: status });
  if (errorCode !== undefined || status !== 200) {
    throw failed(errorCode ?? `HTTP ${status}`, secrets, { kind: 'auth', httpStatus: status });
  }
  const token = isRecord(body) ? body.access_token : undefined;
  if (typeof token !== 'string' || token === '') {
    throw failed('answer has no access_token', secrets, { kind: 'auth', httpStatus: status });
  }
  const lifetimeMs = tokenLifetimeSeconds(isRecord(body) ? body : {}) * 1000;
  return { token, refreshAt: Date.now() + Math.max(lifetimeMs - EXPIRY_MARGIN_MS, 1000) };
}

/**
 * Under the store's lock: the token another process wrote meanwhile, or a new one from Zoho if our own
 * bound (and any hold after Zoho's throttle) allows a token request now.
 */
async function refreshLocked(
  store: TokenStore,
  mintNew: () => Promise<StoredToken>,
): Promise<{ stored: StoredToken; cached: boolean }> {
  const again = await store.read();
  if (again !== undefined && Date.now() < again.refreshAt) return { stored: again, cached: true };
  const waitMs = await store.takeMint();
  if (waitMs > 0) {
    const reason = 'no token request now (our bound of 5 per tenant per 10 minutes, or Zoho throttled us)';
    throw failed(reason, [], { kind: 'rate_limited', retryAfterMs: waitMs });
  }
  const minted = await mintNew().catch(async (error: unknown) => {
    // Zoho's throttle holds every process of the installation back, not just this one.
    if (error instanceof ServiceDeskError && error.kind === 'rate_limited' && error.retryAfterMs)
      await store.holdMints(error.retryAfterMs);
    throw error;
  });
  await store.write(minted);
  return { stored: minted, cached: false };
}

/**
 * Zoho access tokens for SDP Cloud, minted from the long-lived refresh token. Zoho allows ten token
 * requests per refresh token per ten minutes and keeps at most 30 live tokens per refresh token, so
 * the whole installation shares one token per tenant: `store` (Redis in production) holds it, one
 * process at a time refreshes it under the store's lock while the others wait and reuse the result,
 * and the store counts our own, lower bound of token requests. Without a store the token is shared
 * inside this process only.
 */
export function createAccessTokenSource(
  credentials: CloudCredentials,
  http: { fetch: typeof fetch; timeoutMs: number },
  store: TokenStore = createMemoryTokenStore(),
): AccessTokenSource {
  const secrets = [credentials.clientSecret, credentials.refreshToken];
  const tokenUrl = `${credentials.accountsUrl.replace(/\/+$/, '')}/oauth/v2/token`;
  let local: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<AccessToken> | undefined;

  const fresh = (t: { refreshAt: number } | undefined): t is { token: string; refreshAt: number } =>
    t !== undefined && Date.now() < t.refreshAt;

  async function obtain(): Promise<AccessToken> {
    const lockMs = http.timeoutMs + LOCK_MARGIN_MS;
    // Waiting for another process's refresh is bounded by what that refresh may take, twice.
    const deadline = Date.now() + 2 * lockMs;
    for (;;) {
      const shared = await store.read();
      if (fresh(shared)) {
        local = shared;
        return { token: shared.token, cached: true };
      }
      if (await store.tryLock(lockMs)) {
        try {
          const { stored, cached } = await refreshLocked(store, () =>
            mint(credentials, http, tokenUrl, secrets),
          );
          local = stored;
          return { token: stored.token, cached };
        } finally {
          await store.unlock();
        }
      }
      if (Date.now() > deadline) {
        throw failed('gave up waiting for another process to refresh the token', secrets, {
          kind: 'timeout',
        });
      }
      await sleep(POLL_MS);
    }
  }

  return {
    async get() {
      if (fresh(local)) return { token: local.token, cached: true };
      inFlight ??= obtain().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    async invalidate(token) {
      if (local?.token === token) local = undefined;
      await store.discard(token);
    },
    async current() {
      const shared = await store.read();
      return fresh(shared) ? shared.token : undefined;
    },
  };
}
