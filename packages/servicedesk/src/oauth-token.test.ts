import { type FakeServiceDesk, ZOHO_TOKENS_PER_WINDOW } from '@ai-agents/sandbox';
import { describe, expect, it } from 'vitest';
import { cloudPortals, OAUTH } from '../test/cloud-portal.js';
import { failure } from '../test/failure.js';
import { tokenLifetimeSeconds } from './oauth-token.js';

const portal = cloudPortals();

/** Another installation spends the refresh token's token requests, as in the ten-minute window. */
async function spendTokenLimit(sdp: FakeServiceDesk) {
  for (let i = 0; i < ZOHO_TOKENS_PER_WINDOW; i++) {
    await fetch(`${sdp.accountsUrl}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: OAUTH.clientId,
        client_secret: OAUTH.clientSecret,
        refresh_token: OAUTH.refreshToken,
        grant_type: 'refresh_token',
      }),
    });
  }
}

describe('Zoho token answers', () => {
  it('reads the localised throttle answer as "retry later", not as bad credentials', async () => {
    const { sdp, client, tokenCalls } = await portal({ throttleAnswer: 'localised' });
    await spendTokenLimit(sdp);
    const error = await failure(client.getRequest('1'));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, httpStatus: 400 });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(60_000);
    expect(error.message).not.toContain(OAUTH.clientSecret);
    // The back-off holds: the next call does not ask Zoho again while the throttle lasts.
    const again = await failure(client.getRequest('1'));
    expect(again).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(tokenCalls()).toBe(ZOHO_TOKENS_PER_WINDOW + 1);
  });

  it.each([
    [{ expires_in_sec: 3600, expires_in: 3_600_000 }, 3600],
    [{ expires_in: 3600 }, 3600],
    [{ expires_in: 120 }, 120],
    // No lifetime in seconds is above a day: milliseconds.
    [{ expires_in: 3_600_000 }, 3600],
    // Never cached past Zoho's documented hour, whatever an answer says.
    [{ expires_in_sec: 86_400 }, 3600],
    [{}, 3600],
    [{ expires_in: -5, expires_in_sec: 'x' }, 3600],
  ])('reads the lifetime of %j as %i s', (body, seconds) => {
    expect(tokenLifetimeSeconds(body)).toBe(seconds);
  });
});
