import { execFile } from 'node:child_process';
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
import { connectionSweepJob, creationJobId, signWebhook } from '@ai-agents/shared';
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
let connectionSecret: string;
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
  connectionSecret = created.webhookSecret;
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

/** A signed webhook to the connection's one URL (/v1/webhooks/servicedesk/connections/<slug>). */
async function postToConnection(ticketId: string, account: SeededAccount) {
  const raw = JSON.stringify({
    event: 'request.created',
    event_id: `evt-${ticketId}`,
    request: { id: ticketId, account: { id: account.id, name: account.name } },
  });
  const res = await fetch(`${stack.apiUrl}/v1/webhooks/servicedesk/connections/acme-msp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(connectionSecret, raw) },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The operator CLI as an operator runs it: the built CLI, its own process, `--json`. */
function admin(...args: string[]) {
  return new Promise<{ code: number | null; json: unknown; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['apps/api/dist/admin/main.js', '--json', ...args],
      { env: { PATH: process.env.PATH, ...stack.env }, timeout: 30_000 },
      (_error, stdout, stderr) => {
        let json: unknown = null;
        try {
          json = JSON.parse(stdout);
        } catch {}
        resolve({ code: child.exitCode, json, stderr });
      },
    );
  });
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
    // The job as stored once finished (a copy read before it finished carries no return value).
    const job = await waitFor(async () => {
      const found = await stack.queue.getJob(creationJobId(tenant.id, ticket.id));
      return found?.finishedOn ? found : undefined;
    }, 20_000);
    expect(await job.isCompleted()).toBe(true);
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

  it('a delivery refused for its missing account id still ends in one note: the connection sweep finds the ticket', async () => {
    const ticket = newTicket(tenants.contoso.account, 'Printer queue stuck since the driver update');
    // A template that forgot the account: 422 naming the field, and ServiceDesk Plus never sends it again.
    const raw = JSON.stringify({
      event: 'request.created',
      event_id: `evt-${ticket.id}`,
      request: { id: ticket.id },
    });
    const res = await fetch(`${stack.apiUrl}/v1/webhooks/servicedesk/connections/acme-msp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(connectionSecret, raw) },
      body: raw,
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('request.account.id');
    expect(msp.notes(ticket.id)).toEqual([]);
    const spec = connectionSweepJob({ connectionId }, Date.now());
    await stack.queue.add(spec.name, spec.data, spec.opts);
    await waitFor(() => (msp.notes(ticket.id).length > 0 ? true : undefined), 30_000, 'the swept note');
    expect(msp.notes(ticket.id)).toHaveLength(1);
  });

  it("notes each webhook of a mapped account sent to the connection's one URL exactly once; an unmapped account is counted and listed", async () => {
    const mine = [
      { ticket: newTicket(tenants.contoso.account, 'printer offline'), account: tenants.contoso.account },
      {
        ticket: newTicket(tenants.contoso.account, 'VPN drops every hour'),
        account: tenants.contoso.account,
      },
      {
        ticket: newTicket(tenants.fabrikam.account, 'VPN drops every hour'),
        account: tenants.fabrikam.account,
      },
    ];
    // Each delivered twice, as a Deluge retry by hand would: one note each all the same.
    for (const { ticket, account } of [...mine, ...mine])
      expect(await postToConnection(ticket.id, account)).toMatchObject({ status: 202 });
    const stranger = newTicket(initech, 'VPN drops every hour');
    expect(await postToConnection(stranger.id, initech)).toEqual({
      status: 202,
      body: { status: 'dropped', reason: 'unmapped_account' },
    });
    for (const { ticket } of mine)
      await waitFor(() => (msp.notes(ticket.id).length > 0 ? true : undefined), 30_000, 'a note');
    for (const { ticket, account } of mine) {
      const notes = msp.notes(ticket.id);
      expect(notes).toHaveLength(1);
      const other = account.name === 'Contoso' ? 'Fabrikam' : 'Contoso';
      expect(notes[0]?.description).not.toContain(other);
    }
    expect(msp.notes(stranger.id)).toEqual([]);
    const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/webhooks_total\{tenant="unknown",outcome="unmapped_account",reason=""\} 1\n/);
    const listed = await admin('connection', 'accounts', 'acme-msp');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sdp_account_id: tenants.contoso.account.id, tenant: 'contoso-msp' }),
        expect.objectContaining({ sdp_account_id: tenants.fabrikam.account.id, tenant: 'fabrikam-msp' }),
        expect.objectContaining({ sdp_account_id: initech.id, tenant: null, sdp_account_name: 'Initech' }),
      ]),
    );
  });

  it('connection check says, for each mapped account, whether the key can see it', async () => {
    const all = await admin('connection', 'check', 'acme-msp');
    expect(all.code, all.stderr).toBe(0);
    expect(all.json).toMatchObject({
      ok: true,
      accounts: [
        { sdp_account_id: tenants.contoso.account.id, tenant: 'contoso-msp', visible: true },
        { sdp_account_id: tenants.fabrikam.account.id, tenant: 'fabrikam-msp', visible: true },
      ],
    });
    // The key's technician loses Fabrikam: the check names it and fails.
    msp.limitAccounts({ technicianKey: DEFAULT_TECHNICIAN_KEY }, [tenants.contoso.account.id, initech.id]);
    try {
      const partial = await admin('connection', 'check', 'acme-msp');
      expect(partial.code).toBe(1);
      expect(partial.stderr).toContain(
        `acme-msp: the key cannot see 1 of 2 mapped accounts (fabrikam-msp: cannot see account ${tenants.fabrikam.account.id}`,
      );
    } finally {
      msp.limitAccounts({ technicianKey: DEFAULT_TECHNICIAN_KEY }, 'all');
    }
  });
});
