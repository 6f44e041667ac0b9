import { createHmac } from 'node:crypto';
import { notHelpfulRates } from '@ai-agents/db';
import { createFeedbackToken } from '@ai-agents/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { admin } from '../../apps/api/test/support/run-admin.js';
import { type Stack, startRunningStack } from '../kit/stack.js';

// The feedback links of a real note, used the ways a careless or hostile holder of the link would.

let stack: Stack;
let token: string;
let enhancementId: string;
const day = 24 * 3600_000;
// What no terminal may receive from outside text: C0 but tab and newline, DEL, C1, bidi overrides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// An OSC sequence setting the terminal title, a screen clear, an 8-bit CSI and a right-to-left override.
const HOSTILE = 'fine\u001b]0;owned\u0007\u001b[2J then \u009b31mred\u202etxet desrever';

beforeAll(async () => {
  stack = await startRunningStack();
  const { request } = await stack.ticket('Outlook keeps asking for the password', 'feedback-1');
  const [row] = await stack.settled(['feedback-1']);
  enhancementId = row?.id ?? '';
  const note = stack.sdp.notes(request.id)[0]?.description ?? '';
  token = decodeURIComponent(/[?&]token=([^&"]+)/.exec(note.replaceAll('&amp;', '&'))?.[1] ?? '');
  vi.stubEnv('DATABASE_URL', stack.env.DATABASE_URL ?? '');
  vi.stubEnv('ENCRYPTION_KEY', stack.env.ENCRYPTION_KEY ?? '');
  vi.stubEnv('PUBLIC_BASE_URL', 'https://agents.msp.example');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await stack?.close();
});

function vote(body: Record<string, unknown>) {
  return fetch(`${stack.apiUrl}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function setEnhancementAge(days: number) {
  const owner = new pg.Client({ connectionString: stack.testDb.ownerUrl });
  await owner.connect();
  await owner.query(`update enhancements set created_at = now() - make_interval(days => $1) where id = $2`, [
    days,
    enhancementId,
  ]);
  await owner.end();
}

describe('feedback on one note', () => {
  it('counts one vote per enhancement: the last one', async () => {
    expect(token.split('.')).toHaveLength(4);
    for (const body of [{ helpful: true }, { helpful: false }, { helpful: false, comment: HOSTILE }])
      expect((await vote({ token, ...body })).status).toBe(201);
    const summary = JSON.parse((await admin('--json', 'feedback', '--tenant', stack.slug)).out);
    expect(summary).toMatchObject({ total: 1, helpful: 0, not_helpful: 1, not_helpful_rate: 1 });
    expect(summary.comments).toHaveLength(1);
    const [rate] = await notHelpfulRates(stack.database.db, new Date(0));
    expect(rate).toMatchObject({ slug: stack.slug, helpful: 0, notHelpful: 1 });
    // Changing one's mind changes the verdict, not the count.
    expect((await vote({ token, helpful: true })).status).toBe(201);
    expect(JSON.parse((await admin('--json', 'feedback', '--tenant', stack.slug)).out)).toMatchObject({
      total: 1,
      helpful: 1,
      comments: [],
    });
    expect((await vote({ token, helpful: false, comment: HOSTILE })).status).toBe(201);
  });

  it('prints a comment to the operator without its control characters; JSON keeps them escaped', async () => {
    const human = await admin('feedback', '--tenant', stack.slug);
    expect(human.code).toBe(0);
    expect(human.out).toContain('fine]0;owned[2J then 31mredtxet desrever');
    expect(human.out).not.toMatch(CONTROLS);
    const json = await admin('--json', 'feedback', '--tenant', stack.slug);
    expect(json.out).not.toMatch(CONTROLS);
    expect(json.out).toContain('\\u009b');
    expect(JSON.parse(json.out).comments[0].comment).toBe(HOSTILE);
  });

  it('refuses links older than 90 days, whatever their form', async () => {
    const secret = stack.secret;
    const stale = createFeedbackToken(secret, stack.slug, enhancementId, Date.now() - 91 * day);
    const res = await vote({ token: stale, helpful: true });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: 'link_expired',
      message: 'Feedback links expire after 90 days; this one has',
    });
    const page = await fetch(`${stack.apiUrl}/v1/feedback?token=${encodeURIComponent(stale)}&helpful=yes`);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('This feedback link has expired');
    expect(
      (
        await vote({
          token: createFeedbackToken(secret, stack.slug, enhancementId, Date.now() - 89 * day),
          helpful: false,
        })
      ).status,
    ).toBe(201);

    // A link from before links carried a time: the note's age decides.
    const mac = createHmac('sha256', secret)
      .update(`feedback.v1\n${stack.slug}\n${enhancementId}`)
      .digest('base64url');
    const legacy = `${stack.slug}.${enhancementId}.${mac}`;
    expect((await vote({ token: legacy, helpful: false })).status).toBe(201);
    await setEnhancementAge(91);
    expect((await vote({ token: legacy, helpful: false })).status).toBe(401);
    await setEnhancementAge(0);
  });

  it('rate-limits the endpoint per client address, with Retry-After', async () => {
    await stack.stopApi();
    await stack.startApi({ FEEDBACK_RATE_LIMIT_PER_MINUTE: '3' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res =
        i % 2
          ? await fetch(`${stack.apiUrl}/v1/feedback?token=${encodeURIComponent(token)}`)
          : await vote({ token, helpful: false });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([201, 200, 201, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('counts an IPv6 host by its /64 and IPv4 in either spelling as one client', async () => {
    await stack.stopApi();
    // One proxy hop, as behind Caddy or the Ingress: X-Forwarded-For names the client.
    await stack.startApi({ FEEDBACK_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '1' });
    const from = async (address: string) => {
      const res = await fetch(`${stack.apiUrl}/v1/feedback?token=not-a-token`, {
        headers: { 'x-forwarded-for': address },
      });
      await res.arrayBuffer();
      return res.status;
    };
    const rotating = ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:a:b:c:d', '2001:db8:7:1:ffff::9'];
    const statuses: number[] = [];
    for (const address of rotating) statuses.push(await from(address));
    expect(statuses).toEqual([401, 401, 401, 429]);
    // The next /64 is another client.
    expect(await from('2001:db8:7:2::1')).toBe(401);
    const mapped = ['::ffff:198.51.100.23', '198.51.100.23', '::ffff:198.51.100.23', '198.51.100.23'];
    const ipv4: number[] = [];
    for (const address of mapped) ipv4.push(await from(address));
    expect(ipv4).toEqual([401, 401, 401, 429]);
  });

  it('limits the votes through one link, whatever address they come from', async () => {
    await stack.ticket('VPN drops every hour', 'feedback-2');
    const [row] = await stack.settled(['feedback-2']);
    const link = createFeedbackToken(stack.secret, stack.slug, row?.id ?? '');
    const statuses: number[] = [];
    for (const client of ['203.0.113.1', '203.0.113.2', '2001:db8:8::1', '203.0.113.4']) {
      const res = await fetch(`${stack.apiUrl}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
        body: JSON.stringify({ token: link, helpful: true }),
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });
});
