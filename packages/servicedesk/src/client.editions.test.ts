import { randomUUID } from 'node:crypto';
import {
  type FakeServiceDesk,
  randomEncryptionKey,
  STRICT_QUIRKS,
  startFakeServiceDesk,
  TEST_REDIS_URL,
  ZOHO_TOKENS_PER_WINDOW,
} from '@ai-agents/sandbox';
import {
  createRedisNoteShapeMemory,
  createRedisTokenStore,
  createServiceDeskClient,
  type ServiceDeskAuth,
  type ServiceDeskError,
  TOKEN_REQUESTS_PER_WINDOW,
} from '@ai-agents/servicedesk';
import { createSecretBox } from '@ai-agents/shared';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../test/failure.js';

/**
 * The client against the strict sandbox editions: each test sets up the portal the way a real
 * installation of that edition and build behaves (docs/servicedesk-plus.md).
 */

const KEY = 'onprem-technician-key-editions';
const OAUTH = {
  clientId: '1000.EDITIONSCLIENT',
  clientSecret: 'editions-client-secret-0123456789',
  refreshToken: '1000.editions-refresh-token-0123456789',
};

const running: FakeServiceDesk[] = [];
let redis: Redis;
const secretBox = createSecretBox(randomEncryptionKey());
const context = { tenantId: 'tenant-a', purpose: 'sdp_access_token' } as const;
const box = {
  encrypt: (v: string) => secretBox.encrypt(v, context),
  decrypt: (v: string) => secretBox.decrypt(v, context),
};
const prefix = `test-${randomUUID()}`;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function portal(options: Parameters<typeof startFakeServiceDesk>[0] = {}) {
  const sdp = await startFakeServiceDesk({ technicianKeys: [KEY], oauth: OAUTH, ...options });
  running.push(sdp);
  const noteCalls = (id: string) => sdp.calls.filter((c) => c.path.endsWith(`/requests/${id}/notes`));
  const tokenCalls = () => sdp.calls.filter((c) => c.path === '/oauth/v2/token').length;
  return { sdp, noteCalls, tokenCalls };
}

const onprem = (sdp: FakeServiceDesk, extra: Partial<Parameters<typeof createServiceDeskClient>[0]> = {}) =>
  createServiceDeskClient({ baseUrl: sdp.url, auth: { type: 'onprem', technicianKey: KEY }, ...extra });

const cloudAuth = (sdp: FakeServiceDesk): ServiceDeskAuth => ({
  type: 'cloud',
  ...OAUTH,
  accountsUrl: sdp.accountsUrl,
});
const cloud = (sdp: FakeServiceDesk, extra: Partial<Parameters<typeof createServiceDeskClient>[0]> = {}) =>
  createServiceDeskClient({ baseUrl: `${sdp.url}/app/itdesk`, auth: cloudAuth(sdp), ...extra });

describe('the add-note wrapper, on every edition and build', () => {
  it('an old on-prem build refuses note: the client tries request_note once, then remembers it', async () => {
    const { sdp, noteCalls } = await portal({ noteWrappers: { onprem: 'request_note' } });
    const client = onprem(sdp);
    const first = sdp.addRequest({ subject: 'Old build' });
    await client.addNote(first.id, { description: 'First note' });
    expect(noteCalls(first.id).map((c) => [c.wrapper, c.status])).toEqual([
      ['note', 400],
      ['request_note', 200],
    ]);
    expect(sdp.notes(first.id)).toHaveLength(1);

    const second = sdp.addRequest({ subject: 'Old build, later' });
    await client.addNote(second.id, { description: 'Second note' });
    expect(noteCalls(second.id).map((c) => c.wrapper)).toEqual(['request_note']);
  });

  it('a Cloud portal that takes note: the client falls back from request_note in the other direction', async () => {
    const { sdp, noteCalls } = await portal({ noteWrappers: { cloud: 'note' } });
    const { id } = sdp.addRequest({ subject: 'Cloud, other build' });
    const note = await cloud(sdp).addNote(id, { description: 'Hello' });
    expect(note.description).toBe('Hello');
    expect(noteCalls(id).map((c) => [c.wrapper, c.status])).toEqual([
      ['request_note', 400],
      ['note', 200],
    ]);
    expect(sdp.notes(id)).toHaveLength(1);
  });

  it('every worker learns the wrapper once, through Redis', async () => {
    const { sdp, noteCalls } = await portal({ noteWrappers: { onprem: 'request_note' } });
    const key = `${prefix}:sdp-note-wrapper:tenant-a`;
    const [a, b] = [1, 2].map(() => onprem(sdp, { noteShapeMemory: createRedisNoteShapeMemory(redis, key) }));
    const first = sdp.addRequest({ subject: 'Learned by a' });
    await a?.addNote(first.id, { description: 'a' });
    const second = sdp.addRequest({ subject: 'Used by b' });
    await b?.addNote(second.id, { description: 'b' });
    expect(noteCalls(second.id).map((c) => c.wrapper)).toEqual(['request_note']);
  });

  it('a note refused in both shapes fails with both of SDP’s reasons, after one retry', async () => {
    const { sdp, noteCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Empty note' });
    const error = await failure(onprem(sdp).addNote(id, { description: '   ' }));
    expect(error).toMatchObject({ kind: 'bad_request', httpStatus: 400, sdpStatusCode: 4012 });
    expect(error.message).toContain('[field description]');
    expect(error.message).toContain('[field description] (in note with the on-premises fields)');
    expect(error.message).toContain(
      'then in request_note with the on-premises fields: 400 (4012) EXTRA_KEY_FOUND_IN_JSON',
    );
    expect(error.sdpFields).toEqual(['description', 'request_note']);
    expect(noteCalls(id).map((c) => [c.wrapper, c.status])).toEqual([
      ['note', 400],
      ['request_note', 400],
    ]);
    expect(sdp.notes(id)).toHaveLength(0);
  });

  it('a note on a request that does not exist is not_found (4007), with no second try', async () => {
    const { sdp, noteCalls } = await portal({ noteWrappers: { onprem: 'request_note' } });
    const error = await failure(onprem(sdp).addNote('999999', { description: 'x' }));
    expect(error).toMatchObject({ kind: 'not_found', httpStatus: 404, sdpStatusCode: 4007 });
    expect(noteCalls('999999')).toHaveLength(1);
  });
});

describe('the add-note shape on a strict portal (documented fields only, unnamed refusals)', () => {
  it('on-prem gets its documented fields: no notify_technician, one call', async () => {
    const { sdp, noteCalls } = await portal({ edition: 'onprem', quirks: STRICT_QUIRKS });
    const { id } = sdp.addRequest({ subject: 'Strict on-prem' });
    await onprem(sdp).addNote(id, { description: 'Context' });
    expect(noteCalls(id).map((c) => [c.wrapper, c.status])).toEqual([['note', 200]]);
    expect(sdp.notes(id).map((n) => n.description)).toEqual(['Context']);
  });

  it('Cloud gets its documented fields, notify_technician included, one call', async () => {
    const { sdp, noteCalls } = await portal({ edition: 'cloud', quirks: STRICT_QUIRKS });
    const { id } = sdp.addRequest({ subject: 'Strict Cloud' });
    await cloud(sdp).addNote(id, { description: 'Context' });
    expect(noteCalls(id).map((c) => [c.wrapper, c.status])).toEqual([['request_note', 200]]);
  });

  it('an old build that refuses note without naming it gets request_note once, then remembers it', async () => {
    const { sdp, noteCalls } = await portal({
      noteWrappers: { onprem: 'request_note' },
      quirks: ['unnamed-wrapper-refusal'],
    });
    const client = onprem(sdp);
    const first = sdp.addRequest({ subject: 'Old build, silent refusal' });
    await client.addNote(first.id, { description: 'First' });
    expect(noteCalls(first.id).map((c) => [c.wrapper, c.status])).toEqual([
      ['note', 400],
      ['request_note', 200],
    ]);
    const second = sdp.addRequest({ subject: 'Old build, later' });
    await client.addNote(second.id, { description: 'Second' });
    expect(noteCalls(second.id).map((c) => c.wrapper)).toEqual(['request_note']);
    expect(sdp.notes().filter((n) => [first.id, second.id].includes(n.requestId))).toHaveLength(2);
  });

  it('a Cloud build that takes note gets the on-prem fields with it, after one silent refusal', async () => {
    const { sdp, noteCalls } = await portal({
      noteWrappers: { cloud: 'note' },
      quirks: ['unnamed-wrapper-refusal', 'documented-note-fields'],
    });
    const { id } = sdp.addRequest({ subject: 'Cloud, note wrapper' });
    await cloud(sdp).addNote(id, { description: 'Hello' });
    expect(noteCalls(id).map((c) => [c.wrapper, c.status])).toEqual([
      ['request_note', 400],
      ['note', 200],
    ]);
    expect(sdp.notes(id)).toHaveLength(1);
  });
});

// Shapes are (wrapper, field set) pairs (note-shapes.ts). An old on-prem build takes request_note and,
// like every on-prem page, documents no notify_technician; names earlier releases stored a learned
// shape under must still read as what they meant.
describe('add-note shapes as (wrapper, field set) pairs', () => {
  /** An old on-prem build as strict as its page: request_note only, on-prem fields only, silent refusals. */
  const oldStrictBuild = () =>
    portal({
      noteWrappers: { onprem: 'request_note' },
      quirks: ['documented-note-fields', 'unnamed-wrapper-refusal'],
    });
  const remembered = (key: string) => ({ noteShapeMemory: createRedisNoteShapeMemory(redis, key) });
  const posts = (calls: { wrapper?: string; status: number }[]) => calls.map((c) => [c.wrapper, c.status]);

  it('an old strict build gets its note on the second post, and every worker posts right at once after', async () => {
    const { sdp, noteCalls } = await oldStrictBuild();
    const key = `${prefix}:old-build`;
    const first = sdp.addRequest({ subject: 'Old strict build' });
    await onprem(sdp, remembered(key)).addNote(first.id, { description: 'First' });
    expect(posts(noteCalls(first.id))).toEqual([
      ['note', 400],
      ['request_note', 200],
    ]);
    expect(await redis.get(key)).toBe('request_note:onprem');
    const second = sdp.addRequest({ subject: 'Old strict build, another worker' });
    await onprem(sdp, remembered(key)).addNote(second.id, { description: 'Second' });
    expect(posts(noteCalls(second.id))).toEqual([['request_note', 200]]);
    expect(sdp.notes().map((n) => n.description)).toEqual(['First', 'Second']);
  });

  it('a tenant that learned request_note before (sent with notify_technician) gets there in three posts', async () => {
    const { sdp, noteCalls } = await oldStrictBuild();
    const key = `${prefix}:old-build-legacy`;
    await redis.set(key, 'request_note');
    const { id } = sdp.addRequest({ subject: 'Learned by an earlier release' });
    await onprem(sdp, remembered(key)).addNote(id, { description: 'Context' });
    // The refusal named notify_technician, which the next shape drops: one more post is allowed.
    expect(posts(noteCalls(id))).toEqual([
      ['request_note', 400],
      ['note', 400],
      ['request_note', 200],
    ]);
    expect(sdp.notes(id)).toHaveLength(1);
    expect(await redis.get(key)).toBe('request_note:onprem');
  });

  it.each([
    ['note', 'onprem', 'note'],
    ['request_note', 'cloud', 'request_note'],
  ] as const)(
    'a stored %s read on a strict %s portal: posted at once in %s',
    async (stored, edition, wrapper) => {
      const { sdp, noteCalls } = await portal({ edition, quirks: STRICT_QUIRKS });
      const key = `${prefix}:legacy-${stored}`;
      await redis.set(key, stored);
      const { id } = sdp.addRequest({ subject: `Stored ${stored}` });
      await (edition === 'onprem' ? onprem : cloud)(sdp, remembered(key)).addNote(id, {
        description: 'Context',
      });
      expect(posts(noteCalls(id))).toEqual([[wrapper, 200]]);
    },
  );

  it('a note every shape refuses, on Cloud, is tried in two shapes, not three, and nothing is learned', async () => {
    const { sdp, noteCalls } = await portal({ edition: 'cloud', quirks: STRICT_QUIRKS });
    const { id } = sdp.addRequest({ subject: 'Empty note' });
    const key = `${prefix}:bound`;
    const error = await failure(cloud(sdp, remembered(key)).addNote(id, { description: ' ' }));
    expect(error).toMatchObject({ httpStatus: 400, sdpStatusCode: 4012 });
    expect(error.message).toContain('(in request_note with the Cloud fields)');
    expect(error.message).toContain('then in note with the on-premises fields');
    expect(posts(noteCalls(id))).toEqual([
      ['request_note', 400],
      ['note', 400],
    ]);
    expect(sdp.notes(id)).toHaveLength(0);
    expect(await redis.get(key)).toBeNull();
  });
});

describe('ids and notes as a strict portal answers them', () => {
  it('18-digit ids sent as JSON numbers keep every digit', async () => {
    const { sdp } = await portal({ edition: 'onprem', quirks: STRICT_QUIRKS });
    const { id } = sdp.addRequest({ subject: 'Long id' });
    expect(id).toMatch(/^\d{18}$/);
    const raw = await fetch(`${sdp.url}/api/v3/requests/${id}`, {
      headers: { authtoken: KEY, accept: 'application/vnd.manageengine.sdp.v3+json' },
    });
    expect(await raw.text()).toContain(`"id":${id}`);
    const client = onprem(sdp);
    expect((await client.getRequest(id)).id).toBe(id);
    const posted = await client.addNote(id, { description: 'On a long id' });
    expect(posted.id).toBe(sdp.notes(id)[0]?.id);
    expect((await client.listNotes(id)).map((n) => n.id)).toEqual([posted.id]);
  });

  it('a note list without descriptions reads as unknown; the note itself has it', async () => {
    const { sdp } = await portal({ quirks: ['note-list-without-description'] });
    const { id } = sdp.addRequest({ subject: 'Silent list' });
    const seeded = sdp.addNote(id, { description: 'Only by id' });
    const client = onprem(sdp);
    const [listed] = await client.listNotes(id);
    expect(listed?.id).toBe(seeded.id);
    expect(listed?.description).toBeUndefined();
    expect((await client.getNote(id, seeded.id)).description).toBe('Only by id');
    expect((await cloud(sdp).getNote(id, seeded.id)).description).toBe('Only by id');
  });

  it('an unknown request id answered 400/4001 fails as bad_request naming the id', async () => {
    const { sdp, noteCalls } = await portal({ quirks: ['unknown-id-4001'] });
    const error = await failure(onprem(sdp).addNote('999999', { description: 'x' }));
    expect(error).toMatchObject({ kind: 'bad_request', httpStatus: 400, sdpStatusCode: 4001 });
    expect(error.sdpFields).toContain('id');
    expect(noteCalls('999999')).toHaveLength(2);
  });
});

describe('what each edition refuses', () => {
  it('on-prem refuses a Zoho token; Cloud refuses a technician key', async () => {
    const { sdp } = await portal({ edition: 'both' });
    const { id } = sdp.addRequest({ subject: 'Auth headers' });
    const wrongOnprem = await fetch(`${sdp.url}/api/v3/requests/${id}`, {
      headers: {
        authorization: 'Zoho-oauthtoken 1000.x.y',
        accept: 'application/vnd.manageengine.sdp.v3+json',
      },
    });
    expect(wrongOnprem.status).toBe(401);
    const wrongCloud = await fetch(`${sdp.url}/app/itdesk/api/v3/requests/${id}`, {
      headers: { authtoken: KEY, accept: 'application/vnd.manageengine.sdp.v3+json' },
    });
    expect(wrongCloud.status).toBe(401);
  });

  it('both refuse a call without the v3 Accept header', async () => {
    const { sdp } = await portal();
    const { id } = sdp.addRequest({ subject: 'Accept' });
    const res = await fetch(`${sdp.url}/api/v3/requests/${id}`, { headers: { authtoken: KEY } });
    expect(res.status).toBe(400);
  });

  it('a portal of one edition does not answer the other edition’s URLs', async () => {
    const { sdp } = await portal({ edition: 'cloud' });
    const { id } = sdp.addRequest({ subject: 'Cloud only' });
    expect(await failure(onprem(sdp).getRequest(id))).toMatchObject({ kind: 'not_found' });
    expect((await cloud(sdp).getRequest(id)).subject).toBe('Cloud only');
  });
});

describe('Zoho tokens for a Cloud tenant', () => {
  it('several processes share one token through Redis: one token request in all', async () => {
    const { sdp, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Ten pods' });
    const key = `${prefix}:sdp-oauth:shared`;
    // Each client has its own store object (its own lock owner), as separate processes would.
    const pods = Array.from({ length: 6 }, () =>
      cloud(sdp, { tokenStore: createRedisTokenStore(redis, key, box) }),
    );
    const answers = await Promise.all(pods.flatMap((pod) => [pod.getRequest(id), pod.getRequest(id)]));
    expect(answers.every((r) => r.id === id)).toBe(true);
    expect(tokenCalls()).toBe(1);
    // A pod started later reuses it too, and Redis holds it encrypted only.
    await cloud(sdp, { tokenStore: createRedisTokenStore(redis, key, box) }).getRequest(id);
    expect(tokenCalls()).toBe(1);
    const stored = (await redis.get(`${key}:token`)) ?? '';
    expect(stored).not.toContain('1000.');
  });

  it('Zoho’s throttle answer means "retry later", not bad credentials', async () => {
    const { sdp } = await portal();
    // Another installation used up the refresh token's ten token requests.
    for (let i = 0; i < ZOHO_TOKENS_PER_WINDOW; i++) {
      await fetch(`${sdp.accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        body: new URLSearchParams({ ...snake(OAUTH), grant_type: 'refresh_token' }),
      });
    }
    const error = await failure(cloud(sdp).getRequest('1'));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(60_000);
    expect(error.message).not.toContain(OAUTH.clientSecret);
  });

  it('after a revocation, a pod still holding the old token takes the one another pod minted', async () => {
    const { sdp, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Revoked once' });
    const key = `${prefix}:sdp-oauth:replaced`;
    const [a, b] = [0, 1].map(() => cloud(sdp, { tokenStore: createRedisTokenStore(redis, key, box) }));
    if (!a || !b) throw new Error('two pods');
    await a.getRequest(id);
    await b.getRequest(id);
    sdp.revokeTokens();
    expect((await a.getRequest(id)).id).toBe(id);
    const checks = () => sdp.calls.filter((c) => c.path === '/app/itdesk/api/v3/requests').length;
    expect(checks()).toBe(1);
    // Pod b's 401 is answered by the token pod a minted: no token check, no token request.
    expect((await b.getRequest(id)).id).toBe(id);
    expect(checks()).toBe(1);
    expect(tokenCalls()).toBe(2);
  });

  it('Zoho’s throttle holds every process back: another pod does not ask Zoho again meanwhile', async () => {
    const { sdp, tokenCalls } = await portal({ oauth: { ...OAUTH, throttleAnswer: 'localised' } });
    for (let i = 0; i < ZOHO_TOKENS_PER_WINDOW; i++) {
      await fetch(`${sdp.accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        body: new URLSearchParams({ ...snake(OAUTH), grant_type: 'refresh_token' }),
      });
    }
    const key = `${prefix}:sdp-oauth:throttled`;
    const pods = [0, 1].map(() => cloud(sdp, { tokenStore: createRedisTokenStore(redis, key, box) }));
    for (const pod of pods) {
      const error = await failure(pod.getRequest('1'));
      expect(error).toMatchObject({ kind: 'rate_limited', retryable: true });
      expect(error.retryAfterMs).toBeGreaterThan(60_000);
    }
    expect(tokenCalls()).toBe(ZOHO_TOKENS_PER_WINDOW + 1);
  });

  it('never asks Zoho for more than 5 tokens per tenant per 10 minutes, even when every token is revoked', async () => {
    const { sdp, tokenCalls } = await portal();
    const { id } = sdp.addRequest({ subject: 'Revoked again and again' });
    const client = cloud(sdp, { tokenStore: createRedisTokenStore(redis, `${prefix}:sdp-oauth:bound`, box) });
    let last: unknown;
    for (let i = 0; i < 8; i++) {
      sdp.revokeTokens();
      last = await client.getRequest(id).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(tokenCalls()).toBe(TOKEN_REQUESTS_PER_WINDOW);
    expect(last).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect((last as ServiceDeskError).retryAfterMs).toBeGreaterThan(0);
  });

  it('a token without a scope fails only that call, as forbidden, and burns no token refresh', async () => {
    const { sdp, tokenCalls } = await portal({
      oauth: { ...OAUTH, scopes: ['SDPOnDemand.requests.ALL', 'SDPOnDemand.setup.READ'] },
    });
    const client = cloud(sdp);
    const { id } = sdp.addRequest({ subject: 'No KB scope' });
    expect((await client.getRequest(id)).id).toBe(id);
    const error = await failure(client.searchSolutions(['printer']));
    expect(error).toMatchObject({ kind: 'forbidden', scopeMismatch: true, retryable: false });
    await failure(client.searchSolutions(['vpn']));
    expect(tokenCalls()).toBe(1);
    expect(await client.listCategories()).not.toHaveLength(0);
  });
});

describe('history backfill lists what the default view hides', () => {
  it('asks for the All_Requests view, so closed requests come too', async () => {
    const { sdp } = await portal();
    sdp.addRequest({ subject: 'Open one' });
    sdp.addRequest({ subject: 'Resolved one', status: { name: 'Resolved' } });
    sdp.addRequest({ subject: 'Closed one', status: { name: 'Closed' } });
    const page = await onprem(sdp).listRequests({ startIndex: 1, rowCount: 100 });
    expect(page.requests.map((r) => r.subject).sort()).toEqual(['Closed one', 'Resolved one']);
  });

  it('on a build that knows no such view it lists by the status criteria alone', async () => {
    const { sdp } = await portal({ listViews: [], defaultListView: 'all' });
    sdp.addRequest({ subject: 'Closed two', status: { name: 'Closed' } });
    const client = onprem(sdp);
    expect((await client.listRequests({ startIndex: 1, rowCount: 100 })).requests).toHaveLength(1);
    expect((await client.listRequests({ startIndex: 1, rowCount: 100 })).requests).toHaveLength(1);
    const lists = sdp.calls.filter((c) => c.path === '/api/v3/requests').map((c) => c.status);
    expect(lists).toEqual([400, 200, 200]);
  });
});

function snake(o: typeof OAUTH): Record<string, string> {
  return { client_id: o.clientId, client_secret: o.clientSecret, refresh_token: o.refreshToken };
}
