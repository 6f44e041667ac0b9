import { AdminError } from '../context.js';

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * In production, ServiceDesk Plus portals and accounts servers must be https: credentials and ticket
 * text would otherwise cross the network in clear. A usage error (exit 2) naming the flag.
 */
export function requireHttps(url: string, flag: string): void {
  if (new URL(url).protocol !== 'https:')
    throw new AdminError(`${flag} must be https in production (NODE_ENV=production), got "${url}"`, 2);
}

/** A date or time (ISO 8601, e.g. 2025-01-31 or 2025-01-31T08:00Z), or a usage error (exit 2) naming the flag. */
export function dateOption(value: string, flag: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new AdminError(`${flag} must be a date (e.g. 2025-01-31), got "${value}"`, 2);
  return date;
}

/** An http(s) URL without trailing slashes, or a usage error (exit 2) naming the flag. */
export function httpUrl(value: string, flag: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  throw new AdminError(`${flag} must be an http(s) URL, got "${value}"`, 2);
}

/** A number from `min` to `max` (a whole one when `integer`), or a usage error (exit 2) naming the flag. */
export function numberOption(
  value: string,
  flag: string,
  min: number,
  max: number,
  integer: boolean,
): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new AdminError(
      `${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${value}"`,
      2,
    );
  return n;
}
