import type { Readable } from 'node:stream';
import type { SdpCredentialVariable } from '@ai-agents/shared';
import { httpUrl, requireHttps } from './commands/options.js';
import { AdminError } from './context.js';

/**
 * A tenant's ServiceDesk Plus credentials as the operator CLI takes them: secrets from the
 * environment or, with `--stdin`, from standard input as `NAME=value` lines (the same names, e.g.
 * `SDP_CLIENT_SECRET=…`; blank lines and `#` comments are skipped), never from flags, which anyone
 * on the host sees in `ps` and which stay in shell history. Standard input wins over the
 * environment. Non-secret parts (client id, accounts URL) may also come as flags.
 */

const NAMES: readonly SdpCredentialVariable[] = [
  'SDP_TECHNICIAN_KEY',
  'SDP_CLIENT_ID',
  'SDP_CLIENT_SECRET',
  'SDP_REFRESH_TOKEN',
  'SDP_ACCOUNTS_URL',
];
// A few lines of keys and tokens; anything longer is not what the operator meant to pipe in.
const MAX_STDIN_BYTES = 64 * 1024;

/** Flags that used to carry secrets: refused with the way to pass them instead. */
export const SECRET_FLAGS: ReadonlyArray<{
  flag: string;
  attribute: string;
  variable: SdpCredentialVariable;
}> = [
  { flag: '--technician-key', attribute: 'technicianKey', variable: 'SDP_TECHNICIAN_KEY' },
  { flag: '--client-secret', attribute: 'clientSecret', variable: 'SDP_CLIENT_SECRET' },
  { flag: '--refresh-token', attribute: 'refreshToken', variable: 'SDP_REFRESH_TOKEN' },
];

export function refuseSecretFlags(opts: Record<string, unknown>): void {
  for (const { flag, attribute, variable } of SECRET_FLAGS) {
    if (opts[attribute] !== undefined) {
      throw new AdminError(
        `${flag} is not accepted: a secret on the command line shows in ps and shell history; set ${variable} in the environment or pass it on standard input with --stdin`,
        2,
      );
    }
  }
}

/** `NAME=value` lines of standard input; `names` are the names accepted (default: the SDP credentials'). */
export async function readStdinVariables<N extends string = SdpCredentialVariable>(
  stdin: Readable,
  names: readonly N[] = NAMES as readonly string[] as readonly N[],
): Promise<Partial<Record<N, string>>> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.length > MAX_STDIN_BYTES) throw new AdminError('standard input is longer than 64 KB', 2);
  }
  const values: Partial<Record<N, string>> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!names.includes(name as N)) {
      // The line may hold a secret: name its number, never its text.
      throw new AdminError(
        `standard input line ${i + 1} is not NAME=value with NAME one of ${names.join(', ')}`,
        2,
      );
    }
    values[name as N] = line.slice(eq + 1).trim();
  }
  return values;
}

export type SdpCredentials =
  | { type: 'onprem'; technicianKey: string }
  | { type: 'cloud'; clientId: string; clientSecret: string; refreshToken: string; accountsUrl: string };

/**
 * The credentials for `mode`, or a usage error (exit 2) naming what is missing and where it may come
 * from. Precedence: standard input, then a flag (client id, accounts URL only), then the environment.
 */
export function sdpCredentialsFrom(
  mode: 'onprem' | 'cloud',
  sources: {
    env: Partial<Record<SdpCredentialVariable, string>>;
    stdin?: Partial<Record<SdpCredentialVariable, string>>;
    flags: { clientId?: string; accountsUrl?: string };
    /** Production: the accounts URL must be https. */
    httpsOnly?: boolean;
  },
): SdpCredentials {
  const flagValues: Partial<Record<SdpCredentialVariable, string>> = {
    SDP_CLIENT_ID: sources.flags.clientId,
    SDP_ACCOUNTS_URL: sources.flags.accountsUrl,
  };
  const need = (name: SdpCredentialVariable, flag?: string) => {
    const found = (sources.stdin?.[name] || flagValues[name] || sources.env[name])?.trim();
    if (!found) {
      throw new AdminError(
        `${name} is required for --sdp-auth ${mode}: set it in the environment or on standard input with --stdin${flag ? `, or pass ${flag}` : ''}`,
        2,
      );
    }
    return found;
  };
  if (mode === 'onprem') return { type: 'onprem', technicianKey: need('SDP_TECHNICIAN_KEY') };
  const clientId = need('SDP_CLIENT_ID', '--client-id');
  const clientSecret = need('SDP_CLIENT_SECRET');
  const refreshToken = need('SDP_REFRESH_TOKEN');
  const accountsUrl = httpUrl(need('SDP_ACCOUNTS_URL', '--accounts-url'), '--accounts-url');
  if (sources.httpsOnly) requireHttps(accountsUrl, '--accounts-url');
  return { type: 'cloud', clientId, clientSecret, refreshToken, accountsUrl };
}
