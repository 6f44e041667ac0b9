import { randomBytes, randomUUID } from 'node:crypto';
import type { SecretBox } from '@ai-agents/shared';
import type { Db, Tx } from '../client.js';
import { type ConnectionEdition, type ConnectionRow, connections } from '../schema/connections.js';
import { inConnection } from '../with-tenant.js';

export interface NewConnection {
  slug: string;
  name: string;
  edition: ConnectionEdition;
  sdpBaseUrl: string;
  /** The ServiceDesk Plus credentials as the client takes them (see parseServiceDeskAuth); stored encrypted. */
  sdpCredentials: Record<string, unknown>;
  /** null: the installation's SDP_RATE_LIMIT_PER_MINUTE. */
  sdpRateLimitPerMinute?: number | null;
}

/** The auth type an edition takes: a technician key on premises, Zoho OAuth in the cloud. */
export function authTypeOf(edition: ConnectionEdition): 'onprem' | 'cloud' {
  return edition === 'onprem' || edition === 'msp-onprem' ? 'onprem' : 'cloud';
}

export function generateConnectionWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

export type CreateConnectionResult =
  | { outcome: 'created'; connection: ConnectionRow; webhookSecret: string }
  /** Another connection has this slug. */
  | { outcome: 'slug_taken' };

/**
 * Creates a connection with a fresh webhook secret of its own (returned once, stored encrypted).
 * Not scoped beforehand: the connection does not exist yet, so its transaction is scoped to the new id.
 */
export async function createConnection(
  db: Db,
  box: SecretBox,
  input: NewConnection,
): Promise<CreateConnectionResult> {
  const id = randomUUID();
  const webhookSecret = generateConnectionWebhookSecret();
  const row = await inConnection({ db, connectionId: id }, 'statement', (tx) =>
    insertConnection(tx, box, id, input, webhookSecret),
  ).catch((error: unknown) => {
    if (isConnectionSlugTaken(error)) return null;
    throw error;
  });
  return row ? { outcome: 'created', connection: row, webhookSecret } : { outcome: 'slug_taken' };
}

/**
 * Inserts a connection in a transaction scoped to `id` (app.connection_id); `webhookSecret` null
 * leaves it without a URL of its own (a plain `tenant add`'s connection).
 */
export async function insertConnection(
  tx: Tx,
  box: SecretBox,
  id: string,
  input: NewConnection,
  webhookSecret: string | null,
): Promise<ConnectionRow> {
  const [row] = await tx
    .insert(connections)
    .values({
      id,
      slug: input.slug,
      name: input.name,
      edition: input.edition,
      sdpBaseUrl: input.sdpBaseUrl,
      sdpAuthType: authTypeOf(input.edition),
      sdpCredentialsEnc: box.encrypt(JSON.stringify(input.sdpCredentials), {
        tenantId: id,
        purpose: 'sdp_credentials',
      }),
      webhookSecretEnc:
        webhookSecret === null
          ? null
          : box.encrypt(webhookSecret, { tenantId: id, purpose: 'connection_webhook_secret' }),
      sdpRateLimitPerMinute: input.sdpRateLimitPerMinute ?? null,
    })
    .returning();
  if (!row) throw new Error('Connection insert returned no row');
  return row;
}

/** Postgres' unique violation (23505) of the connection slug's constraint, as drizzle wraps it. */
export function isConnectionSlugTaken(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; constraint?: string } }).cause;
  return cause?.code === '23505' && cause.constraint === 'connections_slug_unique';
}
