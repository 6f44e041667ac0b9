import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeServiceDesk, startFakeServiceDesk } from '@ai-agents/sandbox';
import { createServiceDeskClient, type ServiceDeskClient } from '@ai-agents/servicedesk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../test/failure.js';

const KEY = 'onprem-technician-key-0123456789';

let sdp: FakeServiceDesk;
let client: ServiceDeskClient;

beforeAll(async () => {
  sdp = await startFakeServiceDesk({ technicianKeys: [KEY] });
  // A trailing slash, as operators paste URLs, must not produce //api/v3.
  client = createServiceDeskClient({ baseUrl: `${sdp.url}/`, auth: { type: 'onprem', technicianKey: KEY } });
});
afterAll(() => sdp.close());
afterEach(() => sdp.clearFaults());

/** The error of a getRequest answered by a server that redirects every request to `location(path)`. */
async function redirectedFailure(location: (path: string) => string) {
  const redirecting = createServer((req, res) => {
    res.writeHead(302, { Location: location(req.url ?? '/') });
    res.end();
  });
  await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
  try {
    const redirected = createServiceDeskClient({
      baseUrl: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`,
      auth: { type: 'onprem', technicianKey: KEY },
    });
    return await failure(redirected.getRequest('1'));
  } finally {
    redirecting.closeAllConnections();
    await new Promise((resolve) => redirecting.close(resolve));
  }
}

function callsTo(path: string) {
  return sdp.calls.filter((call) => call.path === path);
}

describe('ServiceDesk Plus client, on-prem', () => {
  it('reads a request with its requester and a string id', async () => {
    const created = sdp.addRequest({
      subject: 'Printer offline',
      description: 'The 2nd floor printer shows offline.',
      requester: { name: 'Jordan Lee', email_id: 'jordan@example.com' },
      category: { name: 'Hardware' },
    });
    const request = await client.getRequest(created.id);
    expect(request.id).toBe(created.id);
    expect(request.subject).toBe('Printer offline');
    expect(request.description).toBe('The 2nd floor printer shows offline.');
    expect(request.requester?.email_id).toBe('jordan@example.com');
    expect(request.category?.name).toBe('Hardware');
    expect(typeof request.created_time?.value).toBe('string');
  });

  it('adds an internal note in the note wrapper that current on-prem builds expect', async () => {
    const { id } = sdp.addRequest({ subject: 'VPN drops' });
    const note = await client.addNote(id, { description: '<p>Check the VPN client version.</p>' });
    const stored = sdp.notes(id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      id: note.id,
      description: '<p>Check the VPN client version.</p>',
      show_to_requester: false,
      wrapper: 'note',
    });
    expect(callsTo(`/api/v3/requests/${id}/notes`).map((c) => c.wrapper)).toEqual(['note']);
    expect(note.show_to_requester).toBe(false);
  });

  it('shows a note to the requester only when asked to', async () => {
    const { id } = sdp.addRequest({ subject: 'Password reset' });
    const note = await client.addNote(id, { description: 'Done.', showToRequester: true });
    expect(note.show_to_requester).toBe(true);
    expect(sdp.notes(id)[0]?.show_to_requester).toBe(true);
  });

  it('lists all notes across pages, oldest first', async () => {
    const { id } = sdp.addRequest({ subject: 'Many notes' });
    for (let i = 1; i <= 150; i++) sdp.addNote(id, { description: `note ${i}` });
    const before = callsTo(`/api/v3/requests/${id}/notes`).length;
    const notes = await client.listNotes(id);
    expect(notes.map((n) => n.description)).toEqual(Array.from({ length: 150 }, (_, i) => `note ${i + 1}`));
    expect(new Set(notes.map((n) => n.id)).size).toBe(150);
    expect(callsTo(`/api/v3/requests/${id}/notes`).length - before).toBe(2);
  });

  it('returns no notes for a request without notes', async () => {
    const { id } = sdp.addRequest({ subject: 'No notes' });
    expect(await client.listNotes(id)).toEqual([]);
  });

  it('stops after 10 pages (1,000 notes) on a pathological ticket', async () => {
    const { id } = sdp.addRequest({ subject: 'Endless thread' });
    for (let i = 1; i <= 1005; i++) sdp.addNote(id, { description: `note ${i}` });
    const notes = await client.listNotes(id);
    expect(notes).toHaveLength(1000);
    expect(notes.at(-1)?.description).toBe('note 1000');
    expect(callsTo(`/api/v3/requests/${id}/notes`)).toHaveLength(10);
  });

  it('pings with the configured key', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('is refused by a Cloud portal (/app/<portal>), which takes only Zoho tokens', async () => {
    const prefixed = createServiceDeskClient({
      baseUrl: `${sdp.url}/app/itdesk`,
      auth: { type: 'onprem', technicianKey: KEY },
    });
    const { id } = sdp.addRequest({ subject: 'Prefixed' });
    expect(await failure(prefixed.getRequest(id))).toMatchObject({ kind: 'auth', httpStatus: 401 });
  });

  it('reads notes in the on-prem shape (added_time) like Cloud ones (created_time)', async () => {
    const { id } = sdp.addRequest({ subject: 'Note times' });
    const seeded = sdp.addNote(id, { description: 'Seen' });
    const [note] = await client.listNotes(id);
    expect(note?.created_time?.value).toBe(seeded.created_time.value);
  });

  it('reports a wrong technician key as a non-retryable auth error that does not contain the key', async () => {
    const wrongKey = 'wrong-technician-key-abcdef123456';
    const wrong = createServiceDeskClient({
      baseUrl: sdp.url,
      auth: { type: 'onprem', technicianKey: wrongKey },
    });
    const { id } = sdp.addRequest({ subject: 'Auth' });
    const error = await failure(wrong.getRequest(id));
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401, sdpStatusCode: 4022, retryable: false });
    expect(error.message).toBe(
      `ServiceDesk Plus GET request ${id} failed: 401 (4022) Invalid API key received`,
    );
    expect(`${error.message} ${error.stack}`).not.toContain(wrongKey);
    expect((await failure(wrong.ping())).kind).toBe('auth');
  });

  it('reports an unknown request id as not_found with SDP’s message', async () => {
    const error = await failure(client.getRequest('999999'));
    expect(error).toMatchObject({
      kind: 'not_found',
      httpStatus: 404,
      sdpStatusCode: 4007,
      retryable: false,
    });
    expect(error.message).toBe(
      'ServiceDesk Plus GET request 999999 failed: 404 (4007) Invalid URL or Resource not found',
    );
    expect((await failure(client.addNote('999999', { description: 'x' }))).kind).toBe('not_found');
  });

  it('reports a note SDP refuses (no description) as a non-retryable bad_request', async () => {
    const { id } = sdp.addRequest({ subject: 'Empty note' });
    const error = await failure(client.addNote(id, { description: '   ' }));
    expect(error).toMatchObject({
      kind: 'bad_request',
      httpStatus: 400,
      sdpStatusCode: 4012,
      retryable: false,
    });
    expect(sdp.notes(id)).toHaveLength(0);
  });

  it('reports 429 as rate_limited with the Retry-After delay', async () => {
    const { id } = sdp.addRequest({ subject: 'Busy' });
    sdp.setFault('getRequest', { failNext: 1, status: 429, retryAfterSeconds: 7 });
    const error = await failure(client.getRequest(id));
    expect(error).toMatchObject({
      kind: 'rate_limited',
      httpStatus: 429,
      sdpStatusCode: 4015,
      retryable: true,
    });
    expect(error.retryAfterMs).toBe(7000);
    // failNext: 1 means the next call goes through.
    expect((await client.getRequest(id)).subject).toBe('Busy');
  });

  it('leaves retryAfterMs undefined when a 429 has no Retry-After', async () => {
    const { id } = sdp.addRequest({ subject: 'Busy' });
    sdp.setFault('listNotes', { failNext: 1, status: 429 });
    const error = await failure(client.listNotes(id));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('reports 503 as a retryable server error', async () => {
    const { id } = sdp.addRequest({ subject: 'Down' });
    sdp.setFault('addNote', { failNext: 1 });
    const error = await failure(client.addNote(id, { description: 'x' }));
    expect(error).toMatchObject({ kind: 'server', httpStatus: 503, retryable: true });
    expect(error.message).toContain(`ServiceDesk Plus POST note on request ${id} failed: 503`);
    expect(sdp.notes(id)).toHaveLength(0);
  });

  it('gives up on a server that never answers after timeoutMs, as a retryable timeout', async () => {
    const impatient = createServiceDeskClient({
      baseUrl: sdp.url,
      auth: { type: 'onprem', technicianKey: KEY },
      timeoutMs: 200,
    });
    const { id } = sdp.addRequest({ subject: 'Hang' });
    sdp.setFault('getRequest', { hang: true });
    const started = Date.now();
    const error = await failure(impatient.getRequest(id));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(error.message).toBe(`ServiceDesk Plus GET request ${id} failed: no answer within 200 ms`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const closed = await startFakeServiceDesk();
    const url = closed.url;
    await closed.close();
    const unreachable = createServiceDeskClient({
      baseUrl: url,
      auth: { type: 'onprem', technicianKey: KEY },
    });
    const error = await failure(unreachable.getRequest('1'));
    expect(error).toMatchObject({ kind: 'network', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(KEY);
  });

  it('reports a 200 that is not JSON (a proxy page) as invalid_response, not retryable', async () => {
    const { id } = sdp.addRequest({ subject: 'Proxy' });
    sdp.setFault('getRequest', { failNext: 1, invalidOutput: true });
    const error = await failure(client.getRequest(id));
    expect(error).toMatchObject({ kind: 'invalid_response', httpStatus: 200, retryable: false });
  });

  it('refuses to follow a redirect, so the technician key is never sent to another host', async () => {
    const seenKeys: Array<string | undefined> = [];
    const elsewhere = createServer((req, res) => {
      seenKeys.push(req.headers.authtoken as string | undefined);
      res.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    try {
      const error = await redirectedFailure((path) => `${target}${path}`);
      expect(error).toMatchObject({ kind: 'bad_request', httpStatus: 302, retryable: false });
      expect(error.message).toContain(target);
      expect(seenKeys).toEqual([]);
    } finally {
      elsewhere.closeAllConnections();
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('names where a redirect points without its query, user info or any credential', async () => {
    // An SSO or load balancer redirect can carry a session ticket, a password in the user info, or
    // echo the request's own key back in the query; the error message goes to logs and job failures.
    const error = await redirectedFailure(
      () =>
        `https://admin:pa55word-of-proxy@sso.example.com/${KEY}/login?ticket=st-9d8c7b6a5f4e&authtoken=${KEY}#frag`,
    );
    expect(error).toMatchObject({ kind: 'bad_request', httpStatus: 302 });
    expect(error.message).toContain('redirect to https://sso.example.com/[redacted]/login');
    for (const secret of [KEY, 'st-9d8c7b6a5f4e', 'pa55word-of-proxy', 'admin:'])
      expect(error.message).not.toContain(secret);
  });

  it('rejects a base URL that is not http(s) when the client is created', () => {
    expect(() =>
      createServiceDeskClient({ baseUrl: 'sdp.example.com', auth: { type: 'onprem', technicianKey: KEY } }),
    ).toThrow(/not a URL/);
  });
});

describe('ServiceDesk Plus client, taxonomy and request updates', () => {
  it('lists every category and priority across pages', async () => {
    const many = Array.from({ length: 150 }, (_, i) => `Category ${i + 1}`);
    sdp.setTaxonomy({ categories: many, priorities: ['Low', 'High'] });
    try {
      const categories = await client.listCategories();
      expect(categories.map((c) => c.name)).toEqual(many);
      expect((await client.listPriorities()).map((p) => p.name)).toEqual(['Low', 'High']);
      expect(callsTo('/api/v3/categories')).toHaveLength(2);
    } finally {
      sdp.setTaxonomy({ categories: ['Email', 'Network'], priorities: ['Low', 'Medium', 'High'] });
    }
  });

  it('sets category and priority by name with PUT, leaving other fields alone', async () => {
    const { id } = sdp.addRequest({ subject: 'Mail bounces', priority: { name: 'Low' } });
    const updated = await client.updateRequest(id, { category: 'Email', priority: 'High' });
    expect(updated.category?.name).toBe('Email');
    expect(sdp.request(id)).toMatchObject({
      subject: 'Mail bounces',
      category: { name: 'Email' },
      priority: { name: 'High' },
    });
    expect(sdp.calls.at(-1)).toMatchObject({ method: 'PUT', path: `/api/v3/requests/${id}`, status: 200 });
  });

  it('fails with a bad_request error for a name outside the portal taxonomy', async () => {
    const { id } = sdp.addRequest({ subject: 'Mail bounces' });
    const error = await failure(client.updateRequest(id, { category: 'Invented' }));
    expect(error.kind).toBe('bad_request');
    expect(sdp.request(id)?.category).toBeUndefined();
  });
});
