import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeServiceDesk } from '../fake-servicedesk/index.js';
import { freePort } from '../testing.js';
import { seedBacklog } from './backlog.js';
import { counterTotal } from './metrics.js';
import { deliverOnce } from './sender.js';
import type { ChaosTicket } from './timeline.js';
import { tally } from './verdict.js';

describe('the chaos sender', () => {
  const hits: string[] = [];
  let status = 503;
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(status).end(status === 202 ? '{"accepted":true}' : '{}');
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('delivers once and never again, whatever the answer, as ServiceDesk Plus does', async () => {
    const url = `${await listening}/v1/webhooks/servicedesk/chaos`;
    for (const answer of [503, 429, 202]) {
      status = answer;
      hits.length = 0;
      expect(await deliverOnce(url, 'secret', { eventId: 'e1', requestId: '100001' })).toBe(answer);
      expect(hits).toHaveLength(1);
    }
  });

  it("reports a stopped API as 'unreachable' after one attempt", async () => {
    const port = await freePort();
    expect(await deliverOnce(`http://127.0.0.1:${port}/x`, 'secret', { eventId: 'e1', requestId: '1' })).toBe(
      'unreachable',
    );
  });
});

describe('the chaos tally', () => {
  it('passes only when each active ticket has one note and no backlog ticket has any', async () => {
    const sdp = await startFakeServiceDesk();
    try {
      const backlog = seedBacklog(sdp);
      for (const id of backlog) expect(Number(sdp.request(id)?.created_time.value)).toBeLessThan(Date.now());
      const ticket = (eventId: string, answers: ChaosTicket['answers']): ChaosTicket => ({
        requestId: sdp.addRequest({ subject: eventId }).id,
        eventId,
        dropped: answers.length === 0,
        answers,
      });
      const tickets = [ticket('sent', [202]), ticket('dropped', []), ticket('api-away', ['unreachable'])];
      for (const t of tickets) sdp.addNote(t.requestId, { description: 'Investigation' });
      const ok = tally(sdp, tickets, backlog, { notes: 2, counter: 2 });
      expect(ok).toMatchObject({
        pass: true,
        caught_by_sweep: 2,
        webhooks_dropped: 1,
        webhooks_unanswered: 1,
      });

      sdp.addNote(backlog[0] as string, { description: 'Investigation of an old ticket' });
      expect(tally(sdp, tickets, backlog, { notes: 2, counter: 2 })).toMatchObject({
        pass: false,
        backlog_noted: 1,
      });
      const second = tickets[1] as ChaosTicket;
      sdp.addNote(second.requestId, { description: 'Second note' });
      expect(tally(sdp, tickets, [], { notes: 2, counter: 2 })).toMatchObject({ pass: false, duplicates: 1 });
    } finally {
      await sdp.close();
    }
  });
});

describe('counterTotal', () => {
  it("sums a counter's samples over its labels, and is undefined when nothing answers", async () => {
    const server = createServer((_req, res) =>
      res.end(
        [
          '# HELP aiagents_x_total X',
          'aiagents_x_total{tenant="a"} 3',
          'aiagents_x_total{tenant="b"} 4',
          'aiagents_x_total_other 100',
        ].join('\n'),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      expect(await counterTotal(url, 'aiagents_x_total')).toBe(7);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await counterTotal(url, 'aiagents_x_total')).toBeUndefined();
  });
});
