import type { FakeServiceDesk } from '../fake-servicedesk/index.js';
import { sdpTime } from '../fake-servicedesk/ticket-store.js';

const MINUTE = 60_000;

/**
 * How long before onboarding the backlog's tickets were created: well before, and inside any overlap
 * window the sweep keeps for clock skew (minutes), down to a second before. Adding a tenant must never
 * investigate its backlog unasked, however close to the moment it was added.
 */
const BACKLOG_AGES_MS = [24 * 60 * MINUTE, 60 * MINUTE, 15 * MINUTE, 5 * MINUTE, MINUTE, 10_000, 1_000];

/** Tickets already in the portal before the tenant is onboarded; returns their request ids. */
export function seedBacklog(sdp: FakeServiceDesk, now = Date.now()): string[] {
  return BACKLOG_AGES_MS.map(
    (age, i) =>
      sdp.addRequest({
        subject: `Old backlog ticket ${i}`,
        description: `<p>Created ${age / 1000} s before the tenant was onboarded</p>`,
        created_time: sdpTime(now - age),
      }).id,
  );
}
