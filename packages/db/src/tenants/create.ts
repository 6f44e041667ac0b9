import { randomBytes, randomUUID } from 'node:crypto';
import type { SecretBox } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import type { Db } from '../client.js';
import { insertConnection, isConnectionSlugTaken } from '../connections/create.js';
import { type ConnectionEdition, isMspEdition } from '../schema/connections.js';
import { tenants } from '../schema/tenants.js';
import { withTenant } from '../with-tenant.js';
import { findTenantBySlug } from './directory.js';
import { loadTenant, type TenantRow } from './load.js';

interface TenantBasics {
  slug: string;
  name: string;
  llmModel?: string | null;
  actor: string;
}

/** A tenant with a connection of its own (the single-portal `tenant add`): same id, same slug. */
export interface NewTenantWithItsConnection extends TenantBasics {
  sdpBaseUrl: string;
  sdpAuthType: 'onprem' | 'cloud';
  /** The ServiceDesk Plus credentials as the worker's client takes them; stored encrypted. */
  sdpCredentials: Record<string, unknown>;
  connection?: undefined;
}

/** A tenant on an existing connection (`tenant add --connection`): one customer account on MSP editions. */
export interface NewTenantOnConnection extends TenantBasics {
  connection: { id: string; edition: ConnectionEdition };
  /** SDP's account id on MSP editions; null on a single-portal edition. */
  sdpAccountId: string | null;
  sdpAccountName?: string | null;
}

export type NewTenant = NewTenantWithItsConnection | NewTenantOnConnection;

export function generateWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

export type CreateTenantResult =
  | { outcome: 'created'; tenant: TenantRow; webhookSecret: string }
  /** Another tenant has this slug. */
  | { outcome: 'slug_taken' }
  /** A plain `tenant add`: another connection already has the slug its connection would take. */
  | { outcome: 'connection_slug_taken' }
  /** The connection already has a tenant for this account (or, single-portal, a tenant). */
  | { outcome: 'account_taken' }
  /** An MSP connection: the tenant must name its account. */
  | { outcome: 'account_required' }
  /** A single-portal connection: it has no accounts to name. */
  | { outcome: 'account_not_allowed' };

/**
 * Creates a tenant with a fresh webhook secret (returned once, stored encrypted), on an existing
 * connection or with a connection of its own (same id and slug, made in the same transaction). Not
 * tenant-scoped: the tenant does not exist yet, so it takes the installation's `db` and scopes its
 * own transaction (the rows and the audit entry) to the new id.
 */
export async function createTenant(db: Db, box: SecretBox, input: NewTenant): Promise<CreateTenantResult> {
  const refused = accountProblem(input);
  if (refused) return { outcome: refused };
  const id = randomUUID();
  const webhookSecret = generateWebhookSecret();
  const connectionId = input.connection ? input.connection.id : id;
  const created = await withTenant(
    db,
    id,
    async (tx) => {
      if (!input.connection) {
        const edition = input.sdpAuthType;
        const own = { slug: input.slug, name: input.name, edition, sdpBaseUrl: input.sdpBaseUrl };
        await insertConnection(tx, box, id, { ...own, sdpCredentials: input.sdpCredentials }, null);
      }
      await tx.insert(tenants).values({
        id,
        slug: input.slug,
        name: input.name,
        connectionId,
        sdpAccountId: input.connection ? input.sdpAccountId : null,
        sdpAccountName: input.connection ? (input.sdpAccountName ?? null) : null,
        webhookSecretEnc: box.encrypt(webhookSecret, { tenantId: id, purpose: 'webhook_secret' }),
        llmModel: input.llmModel ?? null,
      });
      await recordAudit(
        { db, tenantId: id, tx },
        { actor: input.actor, action: 'tenant.created', details: auditDetails(input) },
      );
      return loadTenant({ db, tenantId: id, tx });
    },
    { connectionId },
  ).catch((error: unknown) => {
    const outcome = conflictOutcome(error);
    if (outcome) return outcome;
    throw error;
  });
  // The tenant's own connection is inserted first and takes the tenant's slug: a slug that names a
  // tenant already is that tenant's, and is refused as such.
  if (created === 'connection_slug_taken' && (await findTenantBySlug(db, input.slug)))
    return { outcome: 'slug_taken' };
  if (typeof created === 'string') return { outcome: created };
  if (!created) throw new Error('Tenant insert returned no row');
  return { outcome: 'created', tenant: created, webhookSecret };
}

function accountProblem(input: NewTenant): 'account_required' | 'account_not_allowed' | null {
  if (!input.connection) return null;
  const msp = isMspEdition(input.connection.edition);
  if (msp && !input.sdpAccountId) return 'account_required';
  if (!msp && input.sdpAccountId) return 'account_not_allowed';
  return null;
}

function auditDetails(input: NewTenant): Record<string, unknown> {
  return input.connection
    ? { slug: input.slug, connectionId: input.connection.id, sdpAccountId: input.sdpAccountId }
    : { slug: input.slug, sdpBaseUrl: input.sdpBaseUrl, sdpAuthType: input.sdpAuthType };
}

/** Postgres' unique violations (23505) a new tenant can meet, as drizzle wraps them. */
function conflictOutcome(error: unknown): 'slug_taken' | 'connection_slug_taken' | 'account_taken' | null {
  if (isConnectionSlugTaken(error)) return 'connection_slug_taken';
  const cause = (error as { cause?: { code?: string; constraint?: string } }).cause;
  if (cause?.code !== '23505') return null;
  if (cause.constraint === 'tenants_slug_unique') return 'slug_taken';
  if (cause.constraint === 'tenants_connection_account_unique') return 'account_taken';
  return null;
}
