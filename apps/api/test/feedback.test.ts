import { randomUUID } from 'node:crypto';
import { feedback, loadTenantAndClaim, withTenant } from '@ai-agents/db';
import { createFeedbackToken, createLogger, signWebhook } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiApp, createApi } from '../src/index.js';
import { type ApiFixture, createApiFixture } from './support/api-fixture.js';

const logger = createLogger({ name: 'feedback-test', level: 'silent' });

let fixture: ApiFixture;
let app: ApiApp;
const tenants: Record<string, { id: string; secret: string; enhancementId: string }> = {};

async function addTenantWithEnhancement(slug: string) {
  const { tenant, webhookSecret } = await fixture.addTenant({ slug });
  const { claim } = await loadTenantAndClaim(
    { db: fixture.database.db, tenantId: tenant.id },
    { eventId: `ev-${slug}`, event: 'request.created', requestId: '1' },
  );
  if (!claim) throw new Error(`tenant ${slug} not found`);
  tenants[slug] = { id: tenant.id, secret: webhookSecret, enhancementId: claim.id };
}

function feedbackRows(slug: string) {
  const t = tenants[slug];
  if (!t) throw new Error(slug);
  return withTenant(fixture.database.db, t.id, (tx) => tx.select().from(feedback));
}

function signed(body: object, secret: string) {
  const raw = JSON.stringify(body);
  return app.inject({
    method: 'POST',
    url: '/v1/feedback',
    headers: { 'content-type': 'application/json', ...signWebhook(secret, raw) },
    payload: raw,
  });
}

function withToken(body: object) {
  return app.inject({ method: 'POST', url: '/v1/feedback', payload: body });
}

function tokenFor(slug: string, enhancementId?: string) {
  const t = tenants[slug];
  if (!t) throw new Error(slug);
  return createFeedbackToken(t.secret, slug, enhancementId ?? t.enhancementId);
}

beforeAll(async () => {
  fixture = await createApiFixture();
  await addTenantWithEnhancement('contoso');
  await addTenantWithEnhancement('fabrikam');
  app = await createApi(
    fixture.config({ TENANT_CACHE_TTL_MS: '0', PUBLIC_BASE_URL: 'https://agents.msp.example/ai/' }),
    logger,
  );
});

afterAll(async () => {
  await app?.close();
  await fixture?.close();
});

describe('POST /v1/feedback', () => {
  it('signed like a webhook: records "not helpful" with a comment (201)', async () => {
    const contoso = tenants.contoso;
    if (!contoso) throw new Error('setup');
    const res = await signed(
      {
        tenant: 'contoso',
        enhancement_id: contoso.enhancementId,
        helpful: false,
        comment: 'Cited the wrong printer',
      },
      contoso.secret,
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'recorded', feedback_id: expect.any(String) });
    const rows = await feedbackRows('contoso');
    expect(rows).toEqual([
      expect.objectContaining({ helpful: false, comment: 'Cited the wrong printer', source: 'signed' }),
    ]);
  });

  it('with the link token from the note: JSON (201) and the browser form (201 page)', async () => {
    expect((await withToken({ token: tokenFor('fabrikam'), helpful: true })).statusCode).toBe(201);
    const form = await app.inject({
      method: 'POST',
      url: '/v1/feedback',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: tokenFor('fabrikam'), helpful: 'no', comment: '' }).toString(),
    });
    expect(form.statusCode).toBe(201);
    expect(form.headers['content-type']).toMatch(/text\/html/);
    expect(form.body).toContain('Thank you');
    const rows = await feedbackRows('fabrikam');
    expect(rows.map((r) => [r.helpful, r.source, r.comment])).toEqual([
      [true, 'link', null],
      [false, 'link', null],
    ]);
  });

  it('401 for a bad token, a token of another tenant, a bad signature or no credentials', async () => {
    const contoso = tenants.contoso;
    const fabrikam = tenants.fabrikam;
    if (!contoso || !fabrikam) throw new Error('setup');
    const forged = `${tokenFor('contoso').slice(0, -3)}AAA`;
    const [, , mac] = tokenFor('contoso').split('.');
    const crossTenant = `fabrikam.${contoso.enhancementId}.${mac}`;
    for (const res of [
      await withToken({ token: forged, helpful: true }),
      await withToken({ token: 'garbage', helpful: true }),
      await withToken({ token: crossTenant, helpful: true }),
      await signed(
        { tenant: 'contoso', enhancement_id: contoso.enhancementId, helpful: true },
        fabrikam.secret,
      ),
      await signed(
        { tenant: 'nobody', enhancement_id: contoso.enhancementId, helpful: true },
        contoso.secret,
      ),
      await withToken({ enhancement_id: contoso.enhancementId, helpful: true }),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'unauthorized', message: 'Feedback authentication failed' });
    }
  });

  it("404 for an enhancement the tenant does not have (including another tenant's)", async () => {
    const contoso = tenants.contoso;
    const fabrikam = tenants.fabrikam;
    if (!contoso || !fabrikam) throw new Error('setup');
    expect((await withToken({ token: tokenFor('contoso', randomUUID()), helpful: true })).statusCode).toBe(
      404,
    );
    const res = await signed(
      { tenant: 'contoso', enhancement_id: fabrikam.enhancementId, helpful: true },
      contoso.secret,
    );
    expect(res.statusCode).toBe(404);
  });

  it('422 naming the field for invalid input', async () => {
    const contoso = tenants.contoso;
    if (!contoso) throw new Error('setup');
    const cases: [object, RegExp][] = [
      [{ token: tokenFor('contoso') }, /^helpful is required/],
      [{ token: tokenFor('contoso'), helpful: 'maybe' }, /^helpful/],
      [
        { token: tokenFor('contoso'), helpful: true, comment: 'x'.repeat(2_001) },
        /^comment must be at most 2000/,
      ],
      [{ token: tokenFor('contoso'), helpful: true, comment: 42 }, /^comment must be a string/],
    ];
    for (const [body, message] of cases) {
      const res = await withToken(body);
      expect(res.statusCode).toBe(422);
      expect(res.json().message).toMatch(message);
    }
    const noId = await signed({ tenant: 'contoso', helpful: true }, contoso.secret);
    expect(noId.statusCode).toBe(422);
    expect(noId.json().message).toMatch(/^enhancement_id/);
  });
});

describe('GET /v1/feedback (the page the note links to)', () => {
  it('shows a form with the choice preselected, and records nothing by itself', async () => {
    const before = (await feedbackRows('contoso')).length;
    const res = await app.inject({
      method: 'GET',
      url: `/v1/feedback?token=${tokenFor('contoso')}&helpful=no`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<form method="post" action="https://agents.msp.example/ai/v1/feedback">');
    expect(res.body).toContain('value="no" checked');
    expect((await feedbackRows('contoso')).length).toBe(before);
  });

  it('401 page for an invalid link', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/feedback?token=contoso.nope' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('not valid');
  });
});
