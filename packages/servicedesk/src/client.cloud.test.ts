import { createServiceDeskClient } from '@ai-agents/servicedesk';
import { describe, expect, it } from 'vitest';
import { cloudPortals, OAUTH } from '../test/cloud-portal.js';
import { failure } from '../test/failure.js';

const portal = cloudPortals();

describe('ServiceDesk Plus client, Cloud (Zoho OAuth)', () => {
  it('fetches one access token and reuses it', async () => {
    const { sdp, client, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Cloud ticket' });
    expect((await client.getRequest(id)).subject).toBe('Cloud ticket');
    await client.listNotes(id);
    await client.addNote(id, { description: 'From the cloud' });
    expect(tokenCalls()).toBe(1);
    // Cloud's "Add Request Note" wraps the input in request_note (sdpod-v3-api/requests/request_note.html).
    expect(sdp.notes(id)[0]).toMatchObject({ description: 'From the cloud', wrapper: 'request_note' });
    expect((await client.listNotes(id))[0]?.created_time?.value).toMatch(/^\d+$/);
  });

  it('shares one refresh between concurrent calls', async () => {
    const { sdp, client, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Burst' });
    const results = await Promise.all(Array.from({ length: 8 }, () => client.getRequest(id)));
    expect(results.every((r) => r.id === id)).toBe(true);
    expect(tokenCalls()).toBe(1);
  });

  // Older Zoho answers give expires_in in milliseconds beside expires_in_sec: read as seconds, the 61 s
  // token's expires_in of 61,000 would keep it for 17 hours.
  it.each(['seconds', 'legacy-milliseconds'] as const)(
    'refreshes before the token expires, without a 401 (lifetime in %s)',
    async (expiryFields) => {
      // The client refreshes 60 s before expiry, so a 61 s token is due after about one second.
      const { sdp, client, tokenCalls, unauthorised } = await portal({ tokenTtlSeconds: 61, expiryFields });
      const { id } = sdp.addRequest({ subject: 'Expiry' });
      await client.getRequest(id);
      await client.getRequest(id);
      expect(tokenCalls()).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await client.getRequest(id);
      expect(tokenCalls()).toBe(2);
      expect(unauthorised()).toBe(0);
    },
  );

  it('refreshes once and retries once when SDP rejects a cached token', async () => {
    const { sdp, client, tokenCalls, unauthorised } = await portal();
    const { id } = sdp.addRequest({ subject: 'Revoked' });
    await client.getRequest(id);
    sdp.revokeTokens();
    const note = await client.addNote(id, { description: 'After revocation' });
    expect(note.description).toBe('After revocation');
    // The refused call, then the token check (one row of the request list) that proves the token dead.
    expect(unauthorised()).toBe(2);
    expect(tokenCalls()).toBe(2);
    expect(sdp.notes(id)).toHaveLength(1);
  });

  it('does not loop when a fresh token is refused too', async () => {
    const { sdp, client, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Still refused' });
    await client.getRequest(id);
    sdp.revokeTokens();
    sdp.setFault('getRequest', { status: 401 });
    const error = await failure(client.getRequest(id));
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401, retryable: false });
    expect(tokenCalls()).toBe(2);
  });

  it('a 401 on one URL while the token works on others keeps the token: that call alone is refused', async () => {
    const { sdp, client, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'One URL refused' });
    await client.getRequest(id);
    sdp.setFault('getRequest', { status: 401 });
    for (let i = 0; i < 3; i++) {
      const error = await failure(client.getRequest(id));
      expect(error).toMatchObject({ kind: 'forbidden', httpStatus: 401, retryable: false });
    }
    sdp.clearFaults();
    expect((await client.getRequest(id)).id).toBe(id);
    expect(tokenCalls()).toBe(1);
  });

  it('a token without the knowledge-base scope, refused as INVALID_OAUTHSCOPE, is kept and never re-minted', async () => {
    const { sdp, client, tokenCalls } = await portal({
      scopes: ['SDPOnDemand.requests.ALL', 'SDPOnDemand.setup.READ'],
      scopeRefusal: 'invalid-oauthscope',
    });
    const { id } = sdp.addRequest({ subject: 'No KB scope' });
    for (let i = 0; i < 6; i++) {
      expect((await client.getRequest(id)).id).toBe(id);
      const error = await failure(client.searchSolutions(['printer']));
      expect(error).toMatchObject({ kind: 'forbidden', scopeMismatch: true, retryable: false });
      expect(error.message).toContain('INVALID_OAUTHSCOPE');
    }
    expect(tokenCalls()).toBe(1);
    // Recognised by its wording: no token check was needed.
    expect(sdp.calls.filter((c) => c.path.endsWith('/api/v3/requests'))).toHaveLength(0);
  });

  it('an HTTP 401 carrying 4002 ("not allowed") is a refusal, not an expired token', async () => {
    const { sdp, client, tokenCalls } = await portal({}, { refusals: { notAllowedStatus: 401 } });
    const { id } = sdp.addRequest({ subject: 'Not allowed' });
    await client.getRequest(id);
    sdp.setFault('addNote', { status: 403 });
    const error = await failure(client.addNote(id, { description: 'Refused' }));
    expect(error).toMatchObject({
      kind: 'forbidden',
      httpStatus: 401,
      sdpStatusCode: 4002,
      retryable: false,
    });
    expect(tokenCalls()).toBe(1);
    expect(sdp.notes(id)).toHaveLength(0);
  });

  it('reports a rejected refresh token as an auth error without leaking secrets', async () => {
    const { sdp, auth, tokenCalls } = await portal();
    const badRefresh = '1000.revoked-refresh-token-0000000000';
    const client = createServiceDeskClient({
      baseUrl: `${sdp.url}/app/itdesk`,
      auth: { ...auth, refreshToken: badRefresh },
    });
    const error = await failure(client.getRequest('1'));
    expect(error).toMatchObject({ kind: 'auth', retryable: false });
    expect(error.message).toBe('ServiceDesk Plus OAuth token refresh failed: invalid_code');
    for (const secret of [badRefresh, OAUTH.clientSecret]) expect(error.message).not.toContain(secret);
    // No API call was attempted without a token.
    expect(sdp.calls.filter((c) => c.path.includes('/api/v3/'))).toHaveLength(0);
    expect(tokenCalls()).toBe(1);
  });

  it('reports a wrong client secret as an auth error', async () => {
    const { sdp, auth } = await portal();
    const client = createServiceDeskClient({
      baseUrl: `${sdp.url}/app/itdesk`,
      auth: { ...auth, clientSecret: 'not-the-secret-123' },
    });
    const error = await failure(client.ping());
    expect(error.kind).toBe('auth');
    expect(error.message).toBe('ServiceDesk Plus OAuth token refresh failed: invalid_client');
  });

  it('treats an outage of the accounts server as retryable, and recovers after it', async () => {
    const { sdp, client, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Zoho down' });
    sdp.setFault('token', { failNext: 1, status: 503 });
    const error = await failure(client.getRequest(id));
    expect(error).toMatchObject({ kind: 'server', httpStatus: 503, retryable: true });
    expect((await client.getRequest(id)).id).toBe(id);
    expect(tokenCalls()).toBe(2);
  });
});
