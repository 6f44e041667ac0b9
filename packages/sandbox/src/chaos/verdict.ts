import type { FakeServiceDesk } from '../fake-servicedesk/index.js';
import { type ChaosTicket, wasAccepted } from './timeline.js';

/** What the run counts at its end; `pass` when each active ticket has one note and the backlog none. */
export interface ChaosVerdict {
  tickets: number;
  webhooks_sent: number;
  webhooks_dropped: number;
  webhooks_accepted: number;
  webhooks_unanswered: number;
  tickets_without_accepted_webhook: number;
  notes_posted: number;
  duplicates: number;
  lost: number;
  caught_by_sweep: number;
  notes_from_sweep: number;
  sweep_counter: number | undefined;
  backlog_tickets: number;
  backlog_noted: number;
  pass: boolean;
}

/** Counts the notes in the fake portal against what the sender did. */
export function tally(
  sdp: FakeServiceDesk,
  tickets: ChaosTicket[],
  backlog: string[],
  sweep: { notes: number; counter: number | undefined },
): ChaosVerdict {
  const notesOf = (requestId: string) => sdp.notes(requestId).length;
  const answers = tickets.flatMap((t) => t.answers);
  const unaccepted = tickets.filter((t) => !wasAccepted(t));
  const notes = tickets.reduce((sum, t) => sum + notesOf(t.requestId), 0);
  const duplicates = tickets.reduce((sum, t) => sum + Math.max(0, notesOf(t.requestId) - 1), 0);
  const lost = tickets.filter((t) => notesOf(t.requestId) === 0).length;
  const backlogNoted = backlog.filter((id) => notesOf(id) > 0).length;
  return {
    tickets: tickets.length,
    webhooks_sent: answers.length,
    webhooks_dropped: tickets.filter((t) => t.dropped).length,
    webhooks_accepted: answers.filter((a) => a === 202).length,
    webhooks_unanswered: answers.filter((a) => a === 'unreachable').length,
    tickets_without_accepted_webhook: unaccepted.length,
    notes_posted: notes,
    duplicates,
    lost,
    // No webhook of these was ever accepted, so only the sweep can have brought them in.
    caught_by_sweep: unaccepted.filter((t) => notesOf(t.requestId) > 0).length,
    notes_from_sweep: sweep.notes,
    sweep_counter: sweep.counter,
    backlog_tickets: backlog.length,
    backlog_noted: backlogNoted,
    pass: notes === tickets.length && duplicates === 0 && lost === 0 && backlogNoted === 0,
  };
}

/** The printout: one line per figure, then the whole verdict as one JSON line for scripts. */
export function printVerdict(v: ChaosVerdict): void {
  const other = v.webhooks_sent - v.webhooks_accepted - v.webhooks_unanswered;
  console.log(`tickets created while active: ${v.tickets}`);
  console.log(`webhooks dropped by sender:   ${v.webhooks_dropped}`);
  console.log(`webhooks sent:                ${v.webhooks_sent}`);
  console.log(`  accepted (202):             ${v.webhooks_accepted}`);
  console.log(`  API away (no answer):       ${v.webhooks_unanswered}`);
  console.log(`  refused (e.g. 503):         ${other}`);
  console.log(`tickets with no webhook in:   ${v.tickets_without_accepted_webhook}`);
  console.log(`notes posted:                 ${v.notes_posted}`);
  console.log(`duplicates:                   ${v.duplicates}`);
  console.log(`lost:                         ${v.lost}`);
  console.log(`caught by the sweep:          ${v.caught_by_sweep} (tickets with no webhook in, noted)`);
  console.log(`  notes the sweep's jobs made: ${v.notes_from_sweep}`);
  console.log(`  sweep counter (/metrics):   ${v.sweep_counter ?? 'unavailable'}`);
  console.log(`backlog tickets noted:        ${v.backlog_noted} of ${v.backlog_tickets}`);
  console.log(JSON.stringify(v));
}
