import { randomUUID } from 'node:crypto';
import {
  auditLog,
  connectionAccountsSeen,
  createConnection,
  createTenant,
  enhancements,
  inConnection,
  type TenantRow,
  ticketHistory,
  withTenant,
} from '@ai-agents/db';
import { DEFAULT_TECHNICIAN_KEY, type SeededAccount, waitFor } from '@ai-agents/sandbox';
import { connectionSweepJob, creationJobId } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startRunningStack } from '../kit/stack.js';

/**
 * Issue 25, "Done when", the worker side: one ServiceDesk Plus MSP connection with two mapped
 * accounts and one unmapped, against the sandbox and real Postgres and Redis. The fake MSP portal's
 * tickets name their account in subject and body, so a note citing another customer shows.
 */

let stack: Stack;
let msp: Awaited<ReturnType<Stack['addMspPortal']>>['sdp'];
let connectionId: string;
const tenants: Record<'contoso' | 'fabrikam', { tenant: TenantRow; secret: string; account: SeededAccount }> =
  {} as never;
let initech: SeededAccount;

beforeAll(async () => {
  stack = await startRunningStack();
  const portal = await stack.addMspPortal({
    edition: 'msp-onprem',
    accounts: [
      { name: 'Contoso', history: 3 },
      { name: 'Fabrikam', history: 3 },
      { name: 'Initech', history: 1 },
    ],
  });
  msp = portal.sdp;
  const [contoso, fabrikam, unmapped] = portal.accounts;
  if (!contoso || !fabrikam || !unmapped) throw new Error('three accounts seeded');
  initech = unmapped;
  const { db } = stack.database;
  const created = await createConnection(db, stack.box, {
    slug: 'acme-msp',
    name: 'Acme MSP',
    edition: 'msp-onprem',
    sdpBaseUrl: msp.url,
    sdpCredentials: { type: 'onprem', technicianKey: DEFAULT_TECHNICIAN_KEY },
  });
  if (created.outcome !== 'created') throw new Error(created.outcome);
  connectionId = created.connection.id;
  for (const [slug, account] of [
    ['contoso', contoso],
    ['fabrikam', fabrikam],
  ] as const) {
    const t = await createTenant(db, stack.box, {
      slug: `${slug}-msp`,
      name: account.name,
      connection: { id: connectionId, edition: 'msp-onprem' },
      sdpAccountId: account.id,
      sdpAccountName: account.name,
      actor: 'test',
    });
    if (t.outcome !== 'created') throw new Error(t.outcome);
    tenants[slug] = { tenant: t.tenant, secret: t.webhookSecret, account };
  }
});

afterAll(() => stack?.close());

/** A signed webhook to a tenant's own URL (/v1/webhooks/servicedesk/<slug>). */
function postTo(slug: 'contoso' | 'fabrikam', event: string, requestId: string) {
  const { tenant, secret } = tenants[slug];
  return stack.post(
    { event, event_id: `evt-${randomUUID()}`, request: { id: requestId } },
    {},
    {
      slug: tenant.slug,
      secret,
    },
  );
}

const historyIds = (tenantId: string) =>
  withTenant(stack.database.db, tenantId, async (tx) =>
    (await tx.select({ id: ticketHistory.externalId }).from(ticketHistory)).map((r) => r.id).sort(),
  );

const auditActions = (tenantId: string) =>
  withTenant(stack.database.db, tenantId, (tx) => tx.select().from(auditLog));

/** A new open ticket of an account, created now (so after its tenant was added: a sweep lists it). */
function newTicket(account: SeededAccount, subject: string) {
  return msp.addRequest({
    subject: `${account.name}: ${subject}`,
    description: `<p>${account.name} reports: ${subject}.</p>`,
    requester: { name: `${account.name} requester`, email_id: 'user@customer.invalid' },
    account: { id: account.id },
  });
}

describe('one ServiceDesk Plus MSP connection, two mapped accounts and one unmapped', () => {
  it("puts each account's resolved tickets into its own tenant's history only", async () => {
    for (const slug of ['contoso', 'fabrikam'] as const)
      for (const ticket of tenants[slug].account.history)
        expect((await postTo(slug, 'request.resolved', ticket.id)).status).toBe(202);
    // Fabrikam's tenant is sent one of Contoso's resolved tickets: the fetched account says no.
    const foreign = tenants.contoso.account.history[0];
    if (!foreign) throw new Error('seeded history');
    expect((await postTo('fabrikam', 'request.resolved', foreign.id)).status).toBe(202);
    for (const slug of ['contoso', 'fabrikam'] as const) {
      const expected = tenants[slug].account.history.map((t) => t.id).sort();
      await waitFor(
        async () =>
          (await historyIds(tenants[slug].tenant.id)).length === expected.length ? true : undefined,
        20_000,
        `${slug}'s history`,
      );
      expect(await historyIds(tenants[slug].tenant.id)).toEqual(expected);
    }
    const refused = await waitFor(async () =>
      (await auditActions(tenants.fabrikam.tenant.id)).find((a) => a.action === 'request.account_mismatch'),
    );
    expect(refused.details).toMatchObject({
      requestId: foreign.id,
      expectedAccount: tenants.fabrikam.account.id,
      requestAccount: tenants.contoso.account.id,
    });
    // Ids only: no subject or body of the other customer's ticket in the audit entry.
    expect(JSON.stringify(refused.details)).not.toContain('Contoso');
  });

  it("posts nothing on a request of another account than the tenant's, audits it, and completes the job", async () => {
    const ticket = newTicket(tenants.fabrikam.account, 'mailbox full');
    const eventId = `evt-${randomUUID()}`;
    const { tenant, secret } = tenants.contoso;
    const res = await stack.post(
      { event: 'request.created', event_id: eventId, request: { id: ticket.id } },
      {},
      {
        slug: tenant.slug,
        secret,
      },
    );
    expect(res.status).toBe(202);
    const job = await waitFor(async () => {
      const found = await stack.queue.getJob(creationJobId(tenant.id, ticket.id));
      return found && (await found.isCompleted()) ? found : undefined;
    }, 20_000);
    expect(job.returnvalue).toEqual({
      outcome: 'account_mismatch',
      requestAccount: tenants.fabrikam.account.id,
    });
    expect(job.attemptsMade).toBe(1);
    const [row] = await withTenant(stack.database.db, tenant.id, (tx) => tx.select().from(enhancements));
    expect(row).toMatchObject({ status: 'failed', sdpRequestId: ticket.id });
    expect(row?.error).toContain(`belongs to account ${tenants.fabrikam.account.id}`);
    expect(msp.notes(ticket.id)).toEqual([]);
    const actions = (await auditActions(tenant.id)).map((a) => a.action);
    expect(actions).toContain('request.account_mismatch');
  });

  it("sweeps the connection with one list, notes each mapped account's tickets once citing only its own history, and records the unmapped account", async () => {
    const mine = {
      contoso: [
        newTicket(tenants.contoso.account, 'VPN drops every hour'),
        newTicket(tenants.contoso.account, 'VPN drops every hour again'),
      ],
      fabrikam: [newTicket(tenants.fabrikam.account, 'VPN drops every hour')],
    };
    const stranger = newTicket(initech, 'VPN drops every hour');
    const listsBefore = msp.calls.filter((c) => c.path === '/api/v3/requests').length;
    const spec = connectionSweepJob({ connectionId }, Date.now());
    await stack.queue.add(spec.name, spec.data, spec.opts);
    for (const slug of ['contoso', 'fabrikam'] as const)
      for (const ticket of mine[slug])
        await waitFor(() => (msp.notes(ticket.id).length > 0 ? true : undefined), 30_000, `${slug}'s note`);
    // One list call for the whole connection (every account in one page), not one per tenant.
    const lists = msp.calls.filter((c) => c.path === '/api/v3/requests').slice(listsBefore);
    expect(lists).toHaveLength(1);
    expect(lists[0]?.accountId).toBeUndefined();
    for (const slug of ['contoso', 'fabrikam'] as const) {
      const other = slug === 'contoso' ? 'Fabrikam' : 'Contoso';
      for (const ticket of mine[slug]) {
        const notes = msp.notes(ticket.id);
        expect(notes).toHaveLength(1);
        const html = notes[0]?.description ?? '';
        // The note cites resolved tickets of its own account, and none of the other customer's.
        expect(html).toContain(`${tenants[slug].account.name}: resolved ticket`);
        expect(html).not.toContain(other);
        expect(html).not.toContain('Initech');
      }
    }
    expect(msp.notes(stranger.id)).toEqual([]);
    const seen = await inConnection({ db: stack.database.db, connectionId }, 'statement', (tx) =>
      tx.select().from(connectionAccountsSeen),
    );
    expect(seen.map((s) => [s.sdpAccountId, s.sdpAccountName])).toEqual([[initech.id, 'Initech']]);
  });
});
