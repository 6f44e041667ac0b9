import { eq } from '../orm.js';
import { type ConnectionRow, connections } from '../schema/connections.js';
import { type ConnectionScope, inConnection } from '../with-tenant.js';

/** The scope's connection (secrets encrypted, as stored); null when it does not exist. */
export async function loadConnection(scope: ConnectionScope): Promise<ConnectionRow | null> {
  const [row] = await inConnection(scope, 'statement', (tx) =>
    tx.select().from(connections).where(eq(connections.id, scope.connectionId)).limit(1),
  );
  return row ?? null;
}
