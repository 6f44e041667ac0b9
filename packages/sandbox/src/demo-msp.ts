/**
 * `npm run demo -- --edition msp`: one sandbox ServiceDesk Plus MSP instance serving two customers
 * (accounts), one connection for it, one tenant per customer, and one signed webhook endpoint — the
 * connection's, `POST /v1/webhooks/servicedesk/connections/<slug>` — whose payloads carry
 * `request.account.id` (docs/servicedesk-plus-msp.md). demo.ts runs the stack; this file holds what
 * differs for MSP.
 */
import { addHistory, createConnection, createTenant, type Database } from '@ai-agents/db';
import { type SecretBox, signWebhook } from '@ai-agents/shared';
import { DEMO_HISTORY, DEMO_TICKET } from './demo-tickets.js';
import type { FakeServiceDesk, MspAccount } from './fake-servicedesk/index.js';
import { startMspPortal } from './msp-portal.js';

export const DEMO_MSP_KEY = 'demo-msp-technician-key';
const CUSTOMERS = ['Contoso', 'Fabrikam'] as const;

/** The sandbox MSP portal with the demo's two customer accounts, accepting the demo's key. */
export async function startDemoMspPortal(): Promise<{ sdp: FakeServiceDesk; accounts: MspAccount[] }> {
  const { sdp, accounts } = await startMspPortal({
    edition: 'msp-onprem',
    technicianKeys: [DEMO_MSP_KEY],
    accounts: CUSTOMERS.map((name) => ({ name })),
  });
  return { sdp, accounts: accounts.map(({ id, name }) => ({ id, name })) };
}

export interface DemoConnection {
  slug: string;
  secret: string;
  customers: { tenant: string; account: MspAccount }[];
}

/**
 * The connection (its own webhook secret) and one tenant per account, each with a resolved-ticket
 * history of its own: the demo history, its subjects naming the customer, so each note shows it
 * cites its own customer's past tickets.
 */
export async function createDemoConnection(
  database: Database,
  box: SecretBox,
  sdpUrl: string,
  accounts: readonly MspAccount[],
): Promise<DemoConnection> {
  const slug = `demo-msp-${Math.random().toString(36).slice(2, 8)}`;
  const created = await createConnection(database.db, box, {
    slug,
    name: 'Acme MSP (demo)',
    edition: 'msp-onprem',
    sdpBaseUrl: sdpUrl,
    sdpCredentials: { type: 'onprem', technicianKey: DEMO_MSP_KEY },
  });
  if (created.outcome !== 'created') throw new Error(`demo connection ${slug} already exists`);
  const customers: DemoConnection['customers'] = [];
  for (const account of accounts) {
    const tenant = `${slug}-${account.name.toLowerCase()}`;
    const made = await createTenant(database.db, box, {
      slug: tenant,
      name: `${account.name} (demo)`,
      connection: { id: created.connection.id, edition: 'msp-onprem' },
      sdpAccountId: account.id,
      sdpAccountName: account.name,
      actor: 'demo',
    });
    if (made.outcome !== 'created') throw new Error(`demo tenant ${tenant}: ${made.outcome}`);
    const history = DEMO_HISTORY.map((t) => ({
      ...t,
      externalId: `${account.id}${t.externalId}`,
      subject: `${account.name}: ${t.subject}`,
    }));
    await addHistory({ db: database.db, tenantId: made.tenant.id }, history);
    customers.push({ tenant, account });
  }
  return { slug, secret: created.webhookSecret, customers };
}

/** A new ticket of the customer's account, as its requester would open it. */
export function addCustomerTicket(sdp: FakeServiceDesk, account: MspAccount) {
  return sdp.addRequest({
    ...DEMO_TICKET,
    subject: `${account.name}: ${DEMO_TICKET.subject}`,
    requester: {
      name: `${account.name} requester`,
      email_id: `requester@${account.name.toLowerCase()}.example`,
    },
    account: { id: account.id },
  });
}

/** The request.created webhook ServiceDesk Plus MSP sends to the connection's one URL, signed. */
export async function postConnectionWebhook(
  apiUrl: string,
  connection: Pick<DemoConnection, 'slug' | 'secret'>,
  request: { id: string; subject: string },
  account: MspAccount,
): Promise<string> {
  const body = JSON.stringify({
    event: 'request.created',
    request: { id: request.id, subject: request.subject, account: { id: account.id, name: account.name } },
  });
  const res = await fetch(`${apiUrl}/v1/webhooks/servicedesk/connections/${connection.slug}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(connection.secret, body) },
    body,
  });
  const answer = await res.text();
  if (res.status !== 202) throw new Error(`the API answered ${res.status}: ${answer}`);
  return answer;
}
