import type { IncomingMessage } from 'node:http';
import { isRecord } from '../json-value.js';
import type { Edition } from './editions.js';
import { sdpFailure } from './sdp-answers.js';
import type { SdpRequestInput } from './ticket-store.js';

/**
 * The MSP edition of the fake: one portal serving several customers ("accounts"; MSP Cloud's guide
 * says "customers"), "Account --> Region --> Site --> Department" (MSP admin guide, "Configuring
 * Accounts", service-desk-msp/help/adminguide/configurations/helpdesk/configuring-accounts.html).
 * - Every request belongs to one account and answers it as `account: { id, name }`, as ManageEngine's
 *   own web client reads it.
 * - A list call narrows to one account with `list_info.account_id` (the web client sends it "to get
 *   account specific details for SDP MSP"); without it, a list holds the accounts the caller may see.
 * - A technician is associated with some accounts ("The Account Admin can only View/Edit the accounts
 *   to which he is associated"): a call on a request of another account, or a list of it, is refused
 *   as the API refuses an operation the user is not allowed (4002, HTTP 403: "Common Error Codes",
 *   sdpod-v3-api / sdpop-v3-api getting-started/common-error-code.html), in the portal's refusal shapes.
 * - Adding a request needs its account (the MSP API: "The 'account', 'site' and 'requester'
 *   parameters are mandatory for creating a request", service-desk-msp/help/adminguide/api/
 *   request-attributes.html); the site defaults to the account's base site, which MSP Cloud creates
 *   with each customer ("a default site (Base Site) will be created for the customer").
 */
export interface MspAccountInput {
  /** Default: the next id of the portal. */
  id?: string;
  name: string;
}

export interface MspAccount {
  id: string;
  name: string;
}

export interface MspOptions {
  /** The portal's customers, in order. */
  accounts?: readonly MspAccountInput[];
  /** On-premises: the account ids a technician key may see; a key not named here sees every account. */
  keyAccounts?: Readonly<Record<string, readonly string[]>>;
  /** Cloud: the account ids every Zoho token may see (the technician who granted it); default all. */
  tokenAccounts?: readonly string[];
}

/** Whose access a limit is about: an on-premises technician key, or every Zoho token of the portal. */
export type AccountCredential = { technicianKey: string } | 'oauth';

export const ACCOUNT_NOT_ALLOWED = sdpFailure(
  4002,
  'The technician is not allowed to perform this operation on the account',
);

// Account ids look like a portal's (short on-premises, 18 digits with the long-ids quirk).
const FIRST_ACCOUNT_ID = { short: 3001n, long: 123640000000305001n };
const MAX_ACCOUNT_NAME_CHARS = 250;

/** The portal's accounts and who may see which. */
export function createAccountBook(options: MspOptions, ids: { longIds: boolean }) {
  const accounts = new Map<string, MspAccount>();
  const keyLimits = new Map<string, ReadonlySet<string>>(
    Object.entries(options.keyAccounts ?? {}).map(([key, list]) => [key, new Set(list)]),
  );
  let tokenLimit: ReadonlySet<string> | undefined = options.tokenAccounts
    ? new Set(options.tokenAccounts)
    : undefined;
  let nextId = FIRST_ACCOUNT_ID[ids.longIds ? 'long' : 'short'];

  function add(input: MspAccountInput): MspAccount {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name === '' || name.length > MAX_ACCOUNT_NAME_CHARS)
      throw new Error(`an account needs a name of 1 to ${MAX_ACCOUNT_NAME_CHARS} characters`);
    if ([...accounts.values()].some((a) => a.name.toLowerCase() === name.toLowerCase()))
      throw new Error(`account "${name}" already exists`);
    if (input.id !== undefined && !/^\d{1,20}$/.test(input.id))
      throw new Error('an account id is a digit string');
    if (input.id !== undefined && accounts.has(input.id))
      throw new Error(`account ${input.id} already exists`);
    while (input.id === undefined && accounts.has(String(nextId))) nextId++;
    const account = { id: input.id ?? String(nextId++), name };
    accounts.set(account.id, account);
    return { ...account };
  }
  for (const account of options.accounts ?? []) add(account);
  const byName = (name: string) =>
    [...accounts.values()].find((a) => a.name.toLowerCase() === name.trim().toLowerCase());

  return {
    add,
    list: (): MspAccount[] => [...accounts.values()].map((a) => ({ ...a })),
    get: (id: string): MspAccount | undefined => accounts.get(id),
    /** The account a request names by id or by name, as the MSP API takes either. */
    find(ref: unknown): MspAccount | undefined {
      if (typeof ref === 'string') return accounts.get(ref) ?? byName(ref);
      if (!isRecord(ref)) return undefined;
      if (typeof ref.id === 'string' || typeof ref.id === 'number') return accounts.get(String(ref.id));
      return typeof ref.name === 'string' ? byName(ref.name) : undefined;
    },
    /** Limits a credential to `accountIds`, or lets it see every account again ('all'). */
    limit(credential: AccountCredential, accountIds: readonly string[] | 'all') {
      const set = accountIds === 'all' ? undefined : new Set(accountIds);
      if (credential === 'oauth') tokenLimit = set;
      else if (set) keyLimits.set(credential.technicianKey, set);
      else keyLimits.delete(credential.technicianKey);
    },
    /** Which accounts the caller of `req` may see (already authenticated for `edition`). */
    visibleTo(req: IncomingMessage, edition: Edition): (accountId: string) => boolean {
      const key = req.headers.authtoken;
      const limit =
        edition === 'cloud' ? tokenLimit : typeof key === 'string' ? keyLimits.get(key) : undefined;
      return limit ? (id) => limit.has(id) : () => true;
    },
  };
}

export type AccountBook = ReturnType<typeof createAccountBook>;

/** A new request of an MSP portal: its account resolved to `{ id, name }`, its site, its requester. */
export function mspRequestInput(book: AccountBook, input: SdpRequestInput): SdpRequestInput {
  if (!isRecord(input)) throw new Error('a request is a JSON object');
  if (input.account === undefined || input.account === null)
    throw new Error('a request of an MSP portal needs its "account" (id or name)');
  const account = book.find(input.account);
  if (!account) throw new Error('the request\'s "account" is not an account of this portal');
  if (!isRecord(input.requester)) throw new Error('a request of an MSP portal needs its "requester"');
  const site = isRecord(input.site) && typeof input.site.name === 'string' ? { name: input.site.name } : null;
  return { ...input, account: { ...account }, site: site ?? { name: `${account.name} Base Site` } };
}

/**
 * `list_info.account_id` of a list call: undefined when the call names none, the account, or the
 * refusal (400 / 4001 naming `account_id` for an id that is not an account, as for any unknown id).
 */
export function listedAccount(
  book: AccountBook,
  listInfo: Record<string, unknown>,
): { account?: MspAccount } | { error: ReturnType<typeof sdpFailure> } {
  const raw = listInfo.account_id;
  if (raw === undefined) return {};
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  const account = typeof id === 'string' ? book.get(id.trim()) : undefined;
  return account
    ? { account }
    : { error: sdpFailure(4001, 'Value given for account_id is not valid', 'account_id') };
}
