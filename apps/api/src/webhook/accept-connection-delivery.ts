import { takeTokens } from '@ai-agents/shared';
import type { FastifyBaseLogger } from 'fastify';
import { HttpError, unauthorized } from '../errors.js';
import {
  admitAndStore,
  type Delivery,
  type DeliveryDeps,
  type DeliveryOutcome,
  jobFor,
  queueUnavailable,
  readBody,
  rejected,
  type Step,
  serviceUnavailable,
} from './accept-delivery.js';
import { authenticateDelivery } from './authenticate.js';
import { readWebhookAccount, type WebhookAccount } from './payload.js';
import type { ConnectionCredentials } from './tenant-auth.js';

/** What became of a connection's delivery: a tenant's outcome, or dropped for want of a tenant. */
export type ConnectionDeliveryOutcome =
  | DeliveryOutcome
  | { tenantLabel: null; kind: 'unmapped'; account: string | null };

const isMsp = (c: ConnectionCredentials) => c.connection.edition.startsWith('msp-');

/**
 * One delivery to a connection's own URL (POST /v1/webhooks/servicedesk/connections/:slug, issue 25):
 * authenticate it with the connection's secret, read the event and `request.account.id`, take a
 * token of the connection's bucket, find the tenant mapped to the account, then admit and store the
 * job exactly as the tenant's own URL does (its rate limit, duplicate check, backlog). The job is
 * the tenant's: {tenantId, …}. An account no tenant is mapped to is answered 202 and dropped: there
 * is nothing to queue, and ServiceDesk Plus would not redeliver it anyway; it is counted
 * (webhooks_total{outcome="unmapped_account"}), logged with its id (never the body) and remembered
 * for `connection accounts`. An MSP connection's delivery without an account id is a payload that
 * does not match the template: 422 naming the field, as a missing request.id is, so the operator
 * sees it in the webhook's history when trying it.
 */
export async function acceptConnectionDelivery(
  deps: DeliveryDeps,
  delivery: Delivery,
  log: FastifyBaseLogger,
): Promise<ConnectionDeliveryOutcome> {
  const found = await lookupConnection(deps, delivery.slug, log);
  if (!found.ok) return { tenantLabel: null, ...found.rejection };
  const connection = found.connection;
  const verdict = authenticateDelivery({
    headers: delivery.headers,
    rawBody: delivery.rawBody,
    tenant: connection ?? deps.tenantAuth.decoy,
    toleranceSeconds: deps.toleranceSeconds,
  });
  if (!connection?.active || !verdict.ok) {
    const reason = !connection ? 'unknown_connection' : !connection.active ? 'no_webhook_secret' : 'mismatch';
    log.info({ connection: delivery.slug, reason: verdict.ok ? reason : verdict.reason }, 'webhook rejected');
    return { tenantLabel: null, ...rejected(verdict.ok ? reason : verdict.reason, unauthorized()) };
  }
  const read = readRouted(connection, delivery.rawBody);
  if (!read.ok) return { tenantLabel: null, ...read.rejection };
  const paced = await connectionBucket(deps, connection, log);
  if (!paced.ok) return { tenantLabel: null, ...paced.rejection };
  return deliverToAccount(deps, connection, read, verdict.mode, log);
}

async function lookupConnection(
  deps: DeliveryDeps,
  slug: string,
  log: FastifyBaseLogger,
): Promise<Step<{ connection: ConnectionCredentials | null }>> {
  try {
    return { ok: true, connection: await deps.tenantAuth.lookupConnection(slug) };
  } catch (error) {
    log.error({ err: error, connection: slug }, 'connection lookup failed (Postgres)');
    return { ok: false, rejection: databaseUnavailable() };
  }
}

/** The body's event (checked now, queued for the tenant later) and its account, required on MSP. */
function readRouted(
  connection: ConnectionCredentials,
  rawBody: Buffer,
): Step<{ body: unknown; account: WebhookAccount }> {
  const parsed = readBody(rawBody);
  if (!parsed.ok) return parsed;
  const event = jobFor(connection.connection.id, parsed.body);
  if (!event.ok) return event;
  let account: WebhookAccount;
  try {
    account = readWebhookAccount(parsed.body);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { ok: false, rejection: rejected('invalid_payload', error) };
  }
  if (isMsp(connection) && account.id === null) {
    const message =
      'request.account.id is required on an MSP connection: the ServiceDesk Plus account of the request (see the payload template `connection show` prints)';
    return {
      ok: false,
      rejection: rejected('missing_account', new HttpError(422, 'invalid_payload', message)),
    };
  }
  return { ok: true, body: parsed.body, account };
}

/**
 * The connection's own webhook budget, taken for every authenticated delivery, mapped or not: its
 * tenants' budgets together (WEBHOOK_RATE_LIMIT_PER_MINUTE per tenant, at least one), so that
 * deliveries for accounts without a tenant, which no tenant's bucket counts, cannot flood the API.
 */
async function connectionBucket(
  deps: DeliveryDeps,
  connection: ConnectionCredentials,
  log: FastifyBaseLogger,
): Promise<Step<object>> {
  const prefix = deps.queue.opts.prefix ?? 'bull';
  const perMinute = deps.rateLimitPerMinute * Math.max(1, connection.connection.tenants);
  let waitMs: number;
  try {
    waitMs = await takeTokens(
      deps.redis,
      `${prefix}:ratelimit:webhook-connection:${connection.connection.id}`,
      {
        perMinute,
      },
    );
  } catch (error) {
    log.error({ err: error, connection: connection.connection.slug }, 'could not reach Redis');
    return { ok: false, rejection: rejected('queue_unavailable', queueUnavailable()) };
  }
  if (waitMs <= 0) return { ok: true };
  log.warn({ connection: connection.connection.slug }, 'connection webhook rate limit reached');
  const error = new HttpError(429, 'rate_limited', 'Too many webhooks for this connection; retry later', {
    'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
  });
  return { ok: false, rejection: rejected('rate_limited', error) };
}

/** Routes to the account's tenant (single portal: the connection's one tenant) and queues its job. */
async function deliverToAccount(
  deps: DeliveryDeps,
  connection: ConnectionCredentials,
  read: { body: unknown; account: WebhookAccount },
  auth: 'signature' | 'token',
  log: FastifyBaseLogger,
): Promise<ConnectionDeliveryOutcome> {
  const { id: connectionId, slug } = connection.connection;
  const accountId = isMsp(connection) ? read.account.id : null;
  let tenant: Awaited<ReturnType<typeof deps.tenantAuth.lookup>> = null;
  let tenantSlug: string | null = null;
  try {
    tenantSlug = (await deps.tenantAuth.accountTenant(connectionId, accountId))?.slug ?? null;
    tenant = tenantSlug ? await deps.tenantAuth.lookup(tenantSlug) : null;
  } catch (error) {
    log.error({ err: error, connection: slug }, 'account lookup failed (Postgres)');
    return { tenantLabel: null, ...databaseUnavailable() };
  }
  if (!tenant || !tenantSlug) return unmapped(deps, connection, accountId ? read.account : null, log);
  if (!tenant.active) {
    log.info({ connection: slug, tenant: tenantSlug, reason: 'disabled_tenant' }, 'webhook rejected');
    const error = new HttpError(403, 'tenant_disabled', "The account's tenant is disabled");
    return { tenantLabel: tenantSlug, ...rejected('disabled_tenant', error) };
  }
  const job = jobFor(tenant.tenantId, read.body);
  if (!job.ok) return { tenantLabel: tenantSlug, ...job.rejection };
  const queued = await admitAndStore(deps, tenant, job, tenantSlug, log);
  if (!queued.ok) return { tenantLabel: tenantSlug, ...queued.rejection };
  const { jobId } = job;
  return {
    tenantLabel: tenantSlug,
    kind: 'accepted',
    eventId: job.job.eventId,
    jobId,
    duplicate: queued.duplicate,
    auth,
  };
}

async function unmapped(
  deps: DeliveryDeps,
  connection: ConnectionCredentials,
  account: WebhookAccount | null,
  log: FastifyBaseLogger,
): Promise<ConnectionDeliveryOutcome> {
  const { id: connectionId, slug } = connection.connection;
  let remembered = false;
  if (account?.id) {
    const seen = { id: account.id, name: account.name };
    remembered = await deps.tenantAuth.rememberAccount(connectionId, seen).catch((error: unknown) => {
      log.error({ err: error, connection: slug }, 'could not remember the unmapped account (Postgres)');
      return false;
    });
  }
  log.warn(
    { connection: slug, account: account?.id ?? null, remembered },
    'webhook for an account with no tenant dropped',
  );
  return { tenantLabel: null, kind: 'unmapped', account: account?.id ?? null };
}

const databaseUnavailable = () =>
  rejected(
    'database_unavailable',
    serviceUnavailable('database_unavailable', 'The service cannot take the event now; retry later'),
  );
