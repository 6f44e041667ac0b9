import type { SecretBox } from '@ai-agents/shared';
import type { Tx } from '../client.js';
import { eq, sql } from '../orm.js';
import { type ConnectionEdition, connections, isMspEdition } from '../schema/connections.js';
import { type ConnectionScope, inConnection } from '../with-tenant.js';

export interface NewSdpCredentials {
  authType: 'onprem' | 'cloud';
  /** The credentials JSON as `tenant add` stores it (see parseServiceDeskAuth). */
  credentials: Record<string, unknown>;
  /** Whether a check proved them before they were saved (recorded, not enforced here). */
  checked: boolean;
}

export interface ReplacedCredentials {
  previousAuthType: 'onprem' | 'cloud';
  edition: ConnectionEdition;
}

/**
 * Replaces a connection's ServiceDesk Plus credentials (and auth mode: an MSP edition stays MSP).
 * `updated_at` moves, so every worker builds a new client with them on its next job, for every
 * tenant of the connection at once. Null when the connection does not exist.
 */
export async function replaceConnectionCredentials(
  scope: ConnectionScope,
  box: SecretBox,
  input: NewSdpCredentials,
): Promise<ReplacedCredentials | null> {
  return inConnection(scope, 'transaction', (tx) => replaceIn(tx, scope.connectionId, box, input));
}

/** The replacement inside an open transaction scoped to the connection (app.connection_id). */
export async function replaceIn(
  tx: Tx,
  connectionId: string,
  box: SecretBox,
  input: NewSdpCredentials,
): Promise<ReplacedCredentials | null> {
  const [before] = await tx
    .select({ authType: connections.sdpAuthType, edition: connections.edition })
    .from(connections)
    .where(eq(connections.id, connectionId))
    .for('update');
  if (!before) return null;
  const edition = editionWith(before.edition, input.authType);
  await tx
    .update(connections)
    .set({
      sdpAuthType: input.authType,
      edition,
      sdpCredentialsEnc: box.encrypt(JSON.stringify(input.credentials), {
        tenantId: connectionId,
        purpose: 'sdp_credentials',
      }),
      updatedAt: sql`now()`,
    })
    .where(eq(connections.id, connectionId));
  return { previousAuthType: before.authType, edition };
}

function editionWith(edition: ConnectionEdition, authType: 'onprem' | 'cloud'): ConnectionEdition {
  if (isMspEdition(edition)) return authType === 'onprem' ? 'msp-onprem' : 'msp-cloud';
  return authType;
}
