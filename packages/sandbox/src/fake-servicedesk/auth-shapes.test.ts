import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeServiceDesk,
  type FakeServiceDeskOptions,
  startFakeServiceDesk,
} from './fake-servicedesk.js';
import { ZOHO_TOKENS_PER_WINDOW } from './oauth-tokens.js';

// The shapes of Zoho's and SDP's refusals a portal can be set to make (oauth-tokens.ts, editions.ts,
// refusal-shapes.ts), on the wire, and what the fake still refuses whatever the shape.

const OAUTH = { clientId: '1000.SHAPES', clientSecret: 'shapes-secret', refreshToken: '1000.shapes-refresh' };
const KEY = 'shapes-technician-key';
const V3 = 'application/vnd.manageengine.sdp.v3+json';

const running: FakeServiceDesk[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function portal(options: FakeServiceDeskOptions) {
  const sdp = await startFakeServiceDesk({ technicianKeys: [KEY], ...options });
  running.push(sdp);
  return sdp;
}

async function tokenAnswer(sdp: FakeServiceDesk) {
  const res = await fetch(`${sdp.accountsUrl}/oauth/v2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: OAUTH.clientId,
      client_secret: OAUTH.clientSecret,
      refresh_token: OAUTH.refreshToken,
      grant_type: 'refresh_token',
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function call(
  sdp: FakeServiceDesk,
  path: string,
  headers: Record<string, string>,
  init: RequestInit = {},
) {
  const res = await fetch(`${sdp.url}${path}`, { ...init, headers: { accept: V3, ...headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Zoho shapes of a portal', () => {
  it.each([
    [undefined, { response_status: { status_code: 4000, status: 'failed' } }],
    ['invalid-oauthscope', { error: { code: 401, message: 'INVALID_OAUTHSCOPE' } }],
  ] as const)(
    'refuses a token without the scope for a URL with 401, worded %s',
    async (scopeRefusal, shape) => {
      const sdp = await portal({
        edition: 'cloud',
        oauth: { ...OAUTH, scopes: ['SDPOnDemand.requests.ALL'], ...(scopeRefusal ? { scopeRefusal } : {}) },
      });
      const token = String((await tokenAnswer(sdp)).body.access_token);
      const auth = { authorization: `Zoho-oauthtoken ${token}` };
      const refused = await call(sdp, '/app/itdesk/api/v3/solutions', auth);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject(shape);
      // The same token still opens what it has the scope for.
      expect((await call(sdp, '/app/itdesk/api/v3/requests', auth)).status).toBe(200);
    },
  );

  it.each([
    [undefined, { error: 'Access Denied', status: 'failure' }],
    ['localised', { error: '拒绝访问' }],
  ] as const)(
    "answers past the token limit with HTTP 400 and Zoho's %s sentence",
    async (throttleAnswer, shape) => {
      const sdp = await portal({ oauth: { ...OAUTH, ...(throttleAnswer ? { throttleAnswer } : {}) } });
      for (let i = 0; i < ZOHO_TOKENS_PER_WINDOW; i++) expect((await tokenAnswer(sdp)).status).toBe(200);
      const throttled = await tokenAnswer(sdp);
      expect(throttled.status).toBe(400);
      expect(throttled.body).toMatchObject(shape);
      expect(typeof throttled.body.error_description).toBe('string');
      expect(throttled.body.access_token).toBeUndefined();
    },
  );

  it('gives expires_in in milliseconds beside expires_in_sec, as older answers do', async () => {
    const current = await tokenAnswer(await portal({ oauth: OAUTH }));
    expect(current.body).toMatchObject({ expires_in: 3600 });
    expect(current.body.expires_in_sec).toBeUndefined();
    const legacy = await tokenAnswer(
      await portal({ oauth: { ...OAUTH, expiryFields: 'legacy-milliseconds' } }),
    );
    expect(legacy.body).toMatchObject({ expires_in_sec: 3600, expires_in: 3_600_000 });
  });
});

describe('SDP refusal shapes of a portal', () => {
  const badUpdate = (sdp: FakeServiceDesk, id: string) =>
    call(
      sdp,
      `/api/v3/requests/${id}`,
      { authtoken: KEY, 'content-type': 'application/x-www-form-urlencoded' },
      {
        method: 'PUT',
        body: new URLSearchParams({
          input_data: JSON.stringify({ request: { category: { name: 'x' }, priority: { name: 'y' } } }),
        }).toString(),
      },
    );

  it('names every refused field: one message each (documented), or one message with fields[]', async () => {
    const documented = await portal({ edition: 'onprem' });
    const one = documented.addRequest({ subject: 'Two wrong names' });
    const each = await badUpdate(documented, one.id);
    expect(each.status).toBe(400);
    expect(each.body.response_status).toMatchObject({
      status_code: 4000,
      status: 'failed',
      messages: [
        { status_code: 4001, field: 'category' },
        { status_code: 4001, field: 'priority' },
      ],
    });
    const merged = await portal({ edition: 'onprem', refusals: { fields: 'fields-array' } });
    const two = merged.addRequest({ subject: 'Two wrong names' });
    const together = await badUpdate(merged, two.id);
    expect(together.status).toBe(400);
    expect(together.body.response_status).toMatchObject({
      messages: [{ status_code: 4001, fields: ['category', 'priority'] }],
    });
  });

  it('gives the code only inside messages when told to', async () => {
    const sdp = await portal({ edition: 'onprem', refusals: { codes: 'messages-only' } });
    const { id } = sdp.addRequest({ subject: 'Code inside' });
    const refused = await badUpdate(sdp, id);
    expect(refused.status).toBe(400);
    const envelope = refused.body.response_status as Record<string, unknown>;
    expect(envelope.status_code).toBeUndefined();
    expect(envelope.messages).toMatchObject([{ status_code: 4001 }, { status_code: 4001 }]);
    // The request was not changed, whatever the wording of the refusal.
    expect(sdp.request(id)?.category).toBeUndefined();
  });

  it('answers "not allowed" (4002) with HTTP 401 when told to, and still refuses a wrong key', async () => {
    const sdp = await portal({ edition: 'onprem', refusals: { notAllowedStatus: 401 } });
    const { id } = sdp.addRequest({ subject: 'Not allowed' });
    sdp.setFault('getRequest', { status: 403 });
    const refused = await call(sdp, `/api/v3/requests/${id}`, { authtoken: KEY });
    expect(refused.status).toBe(401);
    expect(refused.body.response_status).toMatchObject({ messages: [{ status_code: 4002 }] });
    sdp.clearFaults();
    expect((await call(sdp, `/api/v3/requests/${id}`, { authtoken: 'wrong' })).status).toBe(401);
    expect((await call(sdp, `/api/v3/requests/${id}`, { authtoken: KEY })).status).toBe(200);
  });
});
