import {
  type ClusterNode,
  missingRedisClusterBinaries,
  type PrivateRedisCluster,
  startPrivateRedisCluster,
  waitFor,
} from '@ai-agents/sandbox';
import { RECONCILE_SCHEDULER_ID } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { admin } from '../../apps/api/test/support/run-admin.js';
import { suiteCanRun } from '../kit/needs-program.js';
import { type Stack, startStack } from '../kit/stack.js';

// The product on a real Redis Cluster: three primaries with a replica each, private redis-server
// processes on free ports joined by redis-cli --cluster create, every node requiring an ACL user.
// The API, worker and admin CLI get REDIS_MODE=cluster and a REDIS_URL naming the primaries as
// seeds, exactly as an operator would configure them, and a plain QUEUE_PREFIX.

const missing = missingRedisClusterBinaries();
const MISSING = `${missing.join(' and ')} not installed: the Redis Cluster suite cannot run (apt-get install redis-server; .ci/run does)`;

if (suiteCanRun(missing.length > 0 ? MISSING : undefined, 'needs redis-server and redis-cli')) {
  let cluster: PrivateRedisCluster;
  let stack: Stack;
  /** The primary serving the queue's slot when the suite started. */
  let queueNode: ClusterNode;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster({ primaries: 3, replicas: 1, nodeTimeoutMs: 3_000 });
    stack = await startStack({ redisUrl: cluster.url, env: { REDIS_MODE: 'cluster' } });
    queueNode = await cluster.primaryFor(stack.queuePrefix);
    await stack.startApi();
    await stack.startWorker();
    vi.stubEnv('DATABASE_URL', stack.env.DATABASE_URL);
    vi.stubEnv('ENCRYPTION_KEY', stack.env.ENCRYPTION_KEY);
    vi.stubEnv('REDIS_URL', stack.env.REDIS_URL);
    vi.stubEnv('REDIS_MODE', 'cluster');
    vi.stubEnv('QUEUE_PREFIX', stack.env.QUEUE_PREFIX);
  }, 120_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    try {
      await stack?.close();
    } finally {
      await cluster?.destroy();
    }
  });

  describe('Redis Cluster (3 primaries, 3 replicas, ACL user)', () => {
    it('keeps every key of the product under the hash-tagged prefix, on one primary', async () => {
      expect(stack.queuePrefix).toBe(`{${stack.env.QUEUE_PREFIX}}`);
      const { res } = await stack.ticket('VPN drops every ten minutes', 'evt-cluster-keys');
      expect(res.status).toBe(202);
      await stack.settled(['evt-cluster-keys']);
      const here = await cluster.keysOn(queueNode, '*');
      // BullMQ's keys, the webhook's rate limit and remembered event id, the SDP budget.
      expect(here).toEqual(
        expect.arrayContaining([
          `${stack.queuePrefix}:enhance:meta`,
          `${stack.queuePrefix}:ratelimit:webhook:${stack.tenantId}`,
          expect.stringMatching(new RegExp(`^\\{${stack.env.QUEUE_PREFIX}\\}:enhance:de:`)),
          `${stack.queuePrefix}:ratelimit:sdp:${stack.tenantId}`,
        ]),
      );
      // Replicas of the queue's primary hold copies; no other primary holds any of its keys.
      for (const node of cluster.nodes.filter((n) => n !== queueNode && n.running())) {
        if (await cluster.isPrimary(node))
          expect(await cluster.keysOn(node, `*${stack.env.QUEUE_PREFIX}*`)).toEqual([]);
      }
    });

    it('takes webhooks, answers duplicates and runs the worker pipeline to posted notes', async () => {
      const sent = [];
      for (let i = 0; i < 5; i++) {
        sent.push(await stack.ticket(`Printer ${i} offline on floor ${i + 2}`, `evt-cluster-${i}`));
      }
      expect(sent.map((s) => s.res.status)).toEqual([202, 202, 202, 202, 202]);
      const duplicate = await stack.post({
        event: 'request.created',
        event_id: 'evt-cluster-0',
        request: { id: sent[0]?.request.id },
      });
      expect(duplicate.status).toBe(202);
      expect(await duplicate.json()).toMatchObject({ duplicate: true });
      const rows = await stack.settled(sent.map((_, i) => `evt-cluster-${i}`));
      expect(rows.every((r) => r.status === 'posted')).toBe(true);
      for (const s of sent) expect(stack.sdp.notes(s.request.id)).toHaveLength(1);
      expect((await fetch(`${stack.apiUrl}/ready`)).status).toBe(200);
    });

    it('sweeps through the cluster: a ticket no webhook brought gets its note', async () => {
      const sweeping = await stack.startWorker({ RECONCILE_INTERVAL_SECONDS: '1' });
      try {
        const { id } = stack.sdp.addRequest({ subject: 'Scanner offline, webhook lost' });
        await waitFor(() => (stack.sdp.notes(id).length > 0 ? true : undefined), 20_000, 'the swept note');
        expect(stack.sdp.notes(id)).toHaveLength(1);
        // The job scheduler lives under the hash-tagged prefix too, on the queue's primary.
        const scheduler = await cluster.keysOn(queueNode, `*${stack.env.QUEUE_PREFIX}*repeat*`);
        expect(scheduler.length).toBeGreaterThan(0);
      } finally {
        await stack.queue.removeJobScheduler(RECONCILE_SCHEDULER_ID);
        await sweeping.close();
      }
    });

    it('admin jobs lists, retries one and retries all failed jobs through the cluster', async () => {
      stack.sdp.setFault('getRequest', { status: 403 });
      const a = await stack.ticket('Outlook asks for the password again', 'evt-cluster-admin-a');
      const b = await stack.ticket('Teams has no audio', 'evt-cluster-admin-b');
      await stack.settled(['evt-cluster-admin-a', 'evt-cluster-admin-b'], 15_000);
      await waitFor(async () => ((await stack.queue.getFailedCount()) === 2 ? true : undefined), 10_000);
      stack.sdp.clearFaults();

      const listed = await admin('--json', 'jobs', 'failed');
      expect(listed.code).toBe(0);
      const { failed } = JSON.parse(listed.out) as { failed: { id: string; requestId: string }[] };
      expect(failed.map((f) => f.requestId).sort()).toEqual([a.request.id, b.request.id].sort());
      const first = failed.find((f) => f.requestId === a.request.id);
      expect(await admin('jobs', 'retry', first?.id ?? '')).toMatchObject({ code: 0 });
      const all = await admin('--json', 'jobs', 'retry-all', '--tenant', stack.slug);
      expect(JSON.parse(all.out).retried).toHaveLength(1);
      const rows = await waitFor(async () => {
        const both = [await stack.row('evt-cluster-admin-a'), await stack.row('evt-cluster-admin-b')];
        return both.every((r) => r?.status === 'posted') ? both : undefined;
      }, 20_000);
      expect(rows).toHaveLength(2);
      expect(stack.sdp.notes(a.request.id)).toHaveLength(1);
      expect(stack.sdp.notes(b.request.id)).toHaveLength(1);
      expect((await admin('jobs', 'failed')).out).toContain('No failed jobs.');
    });

    it("answers 503 while the queue's primary is down, and loses nothing once its replica has taken over", async () => {
      stack.llm.setFault({ latencyMs: 1_000 });
      const before = [];
      for (let i = 0; i < 3; i++) {
        before.push(await stack.ticket(`Excel crash ${'x'.repeat(i)}`, `evt-cluster-before-${i}`));
      }
      expect(before.map((b) => b.res.status)).toEqual([202, 202, 202]);
      await waitFor(
        async () =>
          (await stack.rows()).some((r) => r.eventId === 'evt-cluster-before-2') ? true : undefined,
        10_000,
      );

      await queueNode.stop();
      const during = await stack.ticket('Wifi slow in the meeting room', 'evt-cluster-during');
      expect(during.res.status).toBe(503);
      const ready = await fetch(`${stack.apiUrl}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { redis: 'unavailable' } });

      // The replica is promoted after cluster-node-timeout; the clients find it by themselves.
      const promoted = await cluster.waitUntilHealthy(stack.queuePrefix, 30_000);
      expect(promoted).not.toBe(queueNode);
      stack.llm.clearFaults();
      const retried = await waitFor(
        async () => {
          const res = await stack.post({
            event: 'request.created',
            event_id: 'evt-cluster-during',
            request: { id: during.request.id },
          });
          return res.status === 202 ? res : undefined;
        },
        30_000,
        'the API to accept webhooks again',
      );
      expect(retried.status).toBe(202);
      const after = await stack.ticket('Laptop does not charge', 'evt-cluster-after');
      expect(after.res.status).toBe(202);

      // The old primary comes back and rejoins as a replica; nothing is processed twice.
      await queueNode.start();
      const events = [
        ...before.map((_, i) => `evt-cluster-before-${i}`),
        'evt-cluster-during',
        'evt-cluster-after',
      ];
      const rows = await stack.settled(events, 60_000);
      expect(rows.map((r) => [r.eventId, r.status, r.error]).sort()).toEqual(
        events.map((e) => [e, 'posted', null]).sort(),
      );
      for (const t of [...before, during, after]) expect(stack.sdp.notes(t.request.id)).toHaveLength(1);
      await waitFor(
        async () => ((await fetch(`${stack.apiUrl}/ready`)).status === 200 ? true : undefined),
        10_000,
      );
    }, 120_000);
  });
}
