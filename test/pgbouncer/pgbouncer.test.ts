import {
  findPgbouncer,
  LOCAL_APP_PASSWORD,
  LOCAL_APP_ROLE,
  type PrivatePgbouncer,
  startPrivatePgbouncer,
  TEST_ADMIN_DATABASE_URL,
} from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolationSuite } from '../../packages/db/test/isolation-suite.js';
import { suiteCanRun } from '../kit/needs-program.js';
import { type Stack, startRunningStack } from '../kit/stack.js';

// The API and worker behind a real PgBouncer in pool_mode = transaction with its stock settings, what
// managed poolers do: consecutive transactions of one client land on whichever server connection is
// free, nothing may be sent at connection start beyond the parameters PgBouncer tracks, and (1.18)
// no named prepared statement survives. The tests start their own pgbouncer on a free port in front
// of the test Postgres and stop it afterwards.

const binary = findPgbouncer();
const MISSING =
  'pgbouncer is not installed: the PgBouncer suite cannot run (apt-get install pgbouncer; .ci/run does)';

// CI installs it, so there a missing binary is a failure; elsewhere the suite says why it skips.
if (suiteCanRun(binary ? undefined : MISSING, 'needs the pgbouncer binary')) {
  let bouncer: PrivatePgbouncer;

  beforeAll(async () => {
    bouncer = await startPrivatePgbouncer({
      upstreamUrl: TEST_ADMIN_DATABASE_URL,
      users: [{ user: LOCAL_APP_ROLE, password: LOCAL_APP_PASSWORD }],
    });
  });

  afterAll(async () => {
    await bouncer?.stop();
  });

  describe('PgBouncer itself', () => {
    it('refuses statement_timeout as a startup parameter, which the application therefore never sends', async () => {
      const client = new pg.Client({
        connectionString: bouncer.through(
          `postgres://${LOCAL_APP_ROLE}:${LOCAL_APP_PASSWORD}@127.0.0.1/postgres`,
        ),
        statement_timeout: 1_000,
      });
      client.on('error', () => {});
      await expect(client.connect()).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
      await client.end().catch(() => {});
    });
  });

  describe('the isolation suite through PgBouncer (transaction pooling)', () => {
    isolationSuite((testDb) => bouncer.through(testDb.appUrl));
  });

  describe('an enhancement end to end, API and worker through PgBouncer', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startRunningStack({ databaseUrl: (appUrl) => bouncer.through(appUrl) });
    });

    afterAll(async () => {
      await stack?.close();
    });

    it('accepts the webhook, posts the note and records it, with every app connection pooled', async () => {
      expect(stack.env.DATABASE_URL).toContain(`:${bouncer.port}/`);
      const { request, res } = await stack.ticket('Outlook keeps asking for the password', 'evt-pgbouncer-1');
      expect(res.status).toBe(202);
      const [row] = await stack.settled(['evt-pgbouncer-1']);
      expect(row?.status).toBe('posted');
      expect(stack.sdp.notes(request.id)).toHaveLength(1);
      // A duplicate delivery is still recognised (the claim runs through the pooler too).
      const again = await stack.post({
        event: 'request.created',
        event_id: 'evt-pgbouncer-1',
        request: { id: request.id },
      });
      expect([200, 202]).toContain(again.status);
      expect(stack.sdp.notes(request.id)).toHaveLength(1);
      const ready = await fetch(`${stack.apiUrl}/ready`);
      expect(await ready.json()).toMatchObject({ checks: { postgres: 'ok' } });
    });
  });
}
