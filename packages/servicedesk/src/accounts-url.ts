// Zoho runs a separate accounts server per data centre; a Cloud portal's refresh token is only valid at
// the one its portal lives in.
const ACCOUNTS_URLS: Readonly<Record<string, string>> = {
  us: 'https://accounts.zoho.com',
  eu: 'https://accounts.zoho.eu',
  in: 'https://accounts.zoho.in',
  au: 'https://accounts.zoho.com.au',
  jp: 'https://accounts.zoho.jp',
  cn: 'https://accounts.zoho.com.cn',
  ca: 'https://accounts.zohocloud.ca',
  uk: 'https://accounts.zoho.uk',
  sa: 'https://accounts.zoho.sa',
};

/** The Zoho accounts URL for a data-centre code such as "us" or "eu" (case-insensitive). */
export function accountsUrlFor(dataCentre: string): string {
  const code = dataCentre.trim().toLowerCase();
  const url = Object.hasOwn(ACCOUNTS_URLS, code) ? ACCOUNTS_URLS[code] : undefined;
  if (url === undefined) {
    const known = Object.keys(ACCOUNTS_URLS).join(', ');
    throw new Error(`Unknown Zoho data centre "${dataCentre}"; expected one of: ${known}`);
  }
  return url;
}
