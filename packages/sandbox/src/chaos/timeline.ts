import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeServiceDesk } from '../fake-servicedesk/index.js';
import { type DeliveryAnswer, deliverOnce } from './sender.js';

const TOPICS = ['printer', 'outlook', 'vpn', 'teams', 'excel', 'wifi', 'badge', 'monitor', 'laptop', 'phone'];

/** A ticket created while the tenant was active, and what became of its webhook(s). */
export interface ChaosTicket {
  requestId: string;
  eventId: string;
  /** The sender dropped its webhook: never sent at all. */
  dropped: boolean;
  /** One entry per delivery attempt (two for a duplicate delivery); empty when dropped. */
  answers: DeliveryAnswer[];
}

export const wasAccepted = (ticket: ChaosTicket) => ticket.answers.includes(202);

/** A fault that starts once `at` tickets have been created, and runs beside the ticket stream. */
export interface TimedFault {
  at: number;
  run(): Promise<void>;
}

export interface TimelineOptions {
  sdp: FakeServiceDesk;
  webhookUrl: string;
  secret: string;
  tickets: number;
  /** Between two ticket creations, as a busy portal creates them. */
  paceMs: number;
  dropShare: number;
  duplicateShare: number;
  random: () => number;
  faults: TimedFault[];
}

/** Subjects that differ per ticket, so alert-storm grouping treats each as a ticket of its own. */
function subjectOf(i: number): string {
  const word = (n: number) => TOPICS[n % TOPICS.length];
  return `${word(i)} ${word(Math.floor(i / 10))} problem ${'abcdefghij'[Math.floor(i / 100) % 10]}${'klmnopqrst'[Math.floor(i / 10) % 10]}${i % 10}`;
}

/**
 * Creates tickets in the fake portal at a steady pace, each followed by its webhook as ServiceDesk Plus
 * would fire it: once, never retried; a share dropped (never sent) and a share sent twice, the second
 * copy up to 3 s later. Each fault starts at its ticket count, or when the one before it has ended
 * (one fault at a time, so each is seen alone), and overlaps the stream: tickets keep being created
 * while the API or Redis is away. Resolves when every delivery and fault has finished.
 */
export async function createAndDeliver(opts: TimelineOptions): Promise<ChaosTicket[]> {
  const tickets: ChaosTicket[] = [];
  const pending: Promise<unknown>[] = [];
  let faults: Promise<void> = Promise.resolve();
  const deliver = async (ticket: ChaosTicket) => {
    ticket.answers.push(await deliverOnce(opts.webhookUrl, opts.secret, ticket));
  };
  for (let i = 0; i < opts.tickets; i++) {
    for (const fault of opts.faults) if (fault.at === i) faults = faults.then(() => fault.run());
    const request = opts.sdp.addRequest({ subject: subjectOf(i), description: `<p>Chaos ticket ${i}</p>` });
    const ticket: ChaosTicket = {
      requestId: request.id,
      eventId: `chaos-${i}`,
      dropped: opts.random() < opts.dropShare,
      answers: [],
    };
    tickets.push(ticket);
    if (!ticket.dropped) {
      pending.push(deliver(ticket));
      if (opts.random() < opts.duplicateShare)
        pending.push(sleep(Math.floor(opts.random() * 3_000)).then(() => deliver(ticket)));
    }
    await sleep(opts.paceMs);
  }
  await Promise.all([...pending, faults]);
  return tickets;
}
