/** What a ticket mentions that may be a system of the tenant's inventory. */
export interface AssetMentions {
  ips: string[];
  /** Hostnames (short or fully qualified) and asset tags: one list, as the ticket cannot tell them apart. */
  names: string[];
}

const IPV4 =
  /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
// A fully qualified name: labels of letters, digits and hyphens, ending in a letters-only TLD. Not
// after "@" (an e-mail address) or "/" (a URL path).
const FQDN = /(?<![@/\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?![\w-])/gi;
// A single token with letters and digits (and maybe - or _): srv-fs01, PC1234, AST-000123, LAPTOP-7H2K9.
// Words of letters only ("printer") or digits only (a ticket number) are not names.
const NAME_TOKEN = /(?<![@/\w.-])(?=[\w-]*\d)(?=[\w-]*[a-z])[a-z0-9][\w-]{1,62}(?![\w-])/gi;
const MAX_MENTIONS = 50;

/**
 * Candidate IP addresses, hostnames and asset tags in ticket text. Deliberately generous: only what
 * is found in the tenant's inventory reaches the note, so a false candidate costs nothing.
 */
export function extractAssetMentions(text: string): AssetMentions {
  const ips = unique(text.match(IPV4) ?? []);
  const withoutIps = text.replace(IPV4, ' ');
  const names = unique(
    [...(withoutIps.match(FQDN) ?? []), ...(withoutIps.match(NAME_TOKEN) ?? [])].map((n) => n.toLowerCase()),
  ).filter((n) => !/^\d+[a-z]{1,3}$/.test(n)); // 10gb, 2nd, 5pm: quantities, not names
  return { ips: ips.slice(0, MAX_MENTIONS), names: names.slice(0, MAX_MENTIONS) };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
