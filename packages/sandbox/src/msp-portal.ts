import {
  type FakeServiceDesk,
  type FakeServiceDeskOptions,
  type MspAccount,
  type SdpRequestRecord,
  startFakeServiceDesk,
} from './fake-servicedesk/index.js';
import { sdpTime } from './fake-servicedesk/ticket-store.js';

/** One customer of an MSP portal and what it holds from the start. */
export interface MspAccountSeed {
  /** Default: the portal's next account id. */
  id?: string;
  name: string;
  /** Open requests of this account; default 0. */
  tickets?: number;
  /** Resolved requests with a resolution (what a history backfill imports); default 0. */
  history?: number;
}

export interface SeededAccount extends MspAccount {
  /** Its open requests, oldest first. */
  tickets: SdpRequestRecord[];
  /** Its resolved requests, oldest first. */
  history: SdpRequestRecord[];
}

export interface MspPortalOptions extends Omit<FakeServiceDeskOptions, 'edition' | 'msp'> {
  /** Default 'msp-onprem'. */
  edition?: 'msp-onprem' | 'msp-cloud';
  accounts: readonly MspAccountSeed[];
  /** On-premises: the account ids a technician key may see (fake-servicedesk/msp.ts); default all. */
  keyAccounts?: Readonly<Record<string, readonly string[]>>;
  /** Cloud: the account ids every Zoho token may see; default all. */
  tokenAccounts?: readonly string[];
}

// Seeded requests of a portal are created a minute apart from a day ago, in seeding order across all
// its accounts, so orders by creation and "created after" cursors are never ties.
const SEED_START_AGO_MS = 24 * 3600_000;
const seededSoFar = new WeakMap<FakeServiceDesk, { start: number; count: number }>();

/**
 * Seeds an account of an MSP portal with open tickets and resolved history, each subject and body
 * naming the account, so a test can tell whose ticket a note or a similar-ticket citation came from.
 */
export function seedAccountTickets(
  sdp: FakeServiceDesk,
  account: MspAccount,
  counts: { tickets?: number; history?: number },
): SeededAccount {
  const clock = seededSoFar.get(sdp) ?? { start: Date.now() - SEED_START_AGO_MS, count: 0 };
  seededSoFar.set(sdp, clock);
  const add = (n: number, resolved: boolean) =>
    Array.from({ length: n }, (_, i) => {
      const created = clock.start + clock.count++ * 60_000;
      const kind = resolved ? 'Resolved' : 'Open';
      return sdp.addRequest({
        subject: `${account.name}: ${kind.toLowerCase()} ticket ${i + 1} VPN drops every hour`,
        description: `<p>${account.name} reports the VPN drops every hour (${kind} ${i + 1}).</p>`,
        requester: { name: `${account.name} requester`, email_id: `user${i + 1}@customer.invalid` },
        account: { id: account.id },
        created_time: sdpTime(created),
        ...(resolved
          ? {
              status: { name: 'Resolved' },
              resolution: { content: `<p>${account.name}: renewed the VPN lease (${i + 1}).</p>` },
              resolved_time: sdpTime(created + 30_000),
            }
          : {}),
      });
    });
  return { ...account, history: add(counts.history ?? 0, true), tickets: add(counts.tickets ?? 0, false) };
}

/**
 * A fake ServiceDesk Plus MSP (on-premises or Cloud) with its accounts and their tickets: what a
 * test of one instance serving many customers starts from. Close it with `sdp.close()`.
 */
export async function startMspPortal(
  options: MspPortalOptions,
): Promise<{ sdp: FakeServiceDesk; accounts: SeededAccount[] }> {
  const { accounts, keyAccounts, tokenAccounts, edition, ...sdpOptions } = options;
  const sdp = await startFakeServiceDesk({
    ...sdpOptions,
    edition: edition ?? 'msp-onprem',
    msp: {
      ...(keyAccounts ? { keyAccounts } : {}),
      ...(tokenAccounts ? { tokenAccounts } : {}),
    },
  });
  try {
    const seeded = accounts.map((seed) =>
      seedAccountTickets(sdp, sdp.addAccount({ ...(seed.id ? { id: seed.id } : {}), name: seed.name }), seed),
    );
    return { sdp, accounts: seeded };
  } catch (error) {
    await sdp.close();
    throw error;
  }
}
