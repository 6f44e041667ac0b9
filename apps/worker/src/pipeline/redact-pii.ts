/**
 * Replaces personal data in ticket text with readable placeholders before it leaves for the LLM:
 * "[email 1]", "[phone 2]", "[card 1]", "[iban 1]", "[ssn 1]", "[ni number 1]", "[secret 1]". One
 * redactor serves one ticket and its context, so the same value gets the same placeholder everywhere
 * and the model can still tell "the same address again" from "another address".
 *
 * Patterns favour precision where a false positive would hide what the technician needs (IP
 * addresses, dates, asset tags and version numbers are left alone), and use checksums where the
 * format has one (Luhn for cards, mod-97 for IBANs).
 */

export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ni number' | 'secret';

export interface Redactor {
  redact(text: string): string;
  /** How many distinct values of each kind were replaced so far (for logs and tests; no values). */
  counts(): Record<PiiKind, number>;
}

// Labels after which the next word is a credential. "is" counts only when the value does not look
// like an ordinary word, so "the password is expired" stays readable.
const SECRET_LABEL =
  '(?:password|passwort|passwd|pwd|pass|passcode|kennwort|mot de passe|contraseña|senha|wachtwoord|pin|secret|api[ _-]?key|access[ _-]?key|client[ _-]?secret|token)';
const SECRET_EXPLICIT = new RegExp(
  `(\\b${SECRET_LABEL}\\s*(?:[:=]|\\bis\\b|\\best\\b|\\bist\\b|\\bes\\b)\\s*)(["']?)(\\S+?)\\2(?=[\\s,;)]|$)`,
  'giu',
);
// Only from the start of a run of address characters: without the lookbehind the engine retries at
// every character of a long run that holds no "@", which is quadratic (100 KB of "a": 9.5 s). From
// the start of the run it finds the same addresses, as the local part is the whole run up to "@".
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g;
const NI_NUMBER =
  /\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g;
// A leading + or an area code in brackets or separators between digit groups; dots are not separators,
// so IP addresses and version numbers never match.
const PHONE =
  /(?<![\w.\-/:])(?:\+\d{1,3}[ -]?)?(?:\(\d{1,5}\)[ -]?)?\d{2,5}(?:[ -]\d{2,5}){1,4}(?![\w\-/:]|\.\d)/g;
const PLUS_PHONE = /(?<![\w.\-/:])\+\d{7,15}(?![\w.\-/:])/g;

function digits(text: string): string {
  return text.replace(/\D/g, '');
}

export function luhnValid(number: string): boolean {
  const d = digits(number);
  if (d.length < 13 || d.length > 19 || /^(\d)\1+$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

export function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '').toUpperCase();
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

function looksLikePhone(match: string): boolean {
  const count = digits(match).length;
  if (count < 7 || count > 15) return false;
  // ISO dates and times are not phone numbers.
  if (/^\d{4}-\d{2}-\d{2}$/.test(match) || /^\d{2}-\d{2}-\d{4}$/.test(match)) return false;
  // The shape of a US SSN that failed the SSN rules (e.g. area 000) is not a phone number either.
  if (/^\d{3}-\d{2}-\d{4}$/.test(match)) return false;
  return true;
}

export function createRedactor(): Redactor {
  const placeholders = new Map<string, string>();
  const counts: Record<PiiKind, number> = {
    email: 0,
    phone: 0,
    card: 0,
    iban: 0,
    ssn: 0,
    'ni number': 0,
    secret: 0,
  };

  function placeholder(kind: PiiKind, value: string): string {
    const key = `${kind}\u0000${kind === 'email' ? value.toLowerCase() : kind === 'secret' ? value : digits(value) || value}`;
    let found = placeholders.get(key);
    if (!found) {
      counts[kind] += 1;
      found = `[${kind} ${counts[kind]}]`;
      placeholders.set(key, found);
    }
    return found;
  }

  function secretValue(value: string, viaIs: boolean): boolean {
    if (value.startsWith('[') && value.endsWith(']')) return false;
    // "password is expired": a plain word after "is" is a description, not the password.
    if (viaIs && /^\p{L}+$/u.test(value)) return false;
    return value.length > 0;
  }

  return {
    redact(text: string): string {
      let out = text.replace(SECRET_EXPLICIT, (whole, label: string, quote: string, value: string) => {
        const viaIs = !/[:=]\s*$/.test(label);
        if (!secretValue(value, viaIs)) return whole;
        return `${label}${quote}${placeholder('secret', value)}${quote}`;
      });
      out = out.replace(EMAIL, (m) => placeholder('email', m));
      out = out.replace(IBAN, (m) => (ibanValid(m) ? placeholder('iban', m) : m));
      out = out.replace(CARD, (m) => (luhnValid(m) ? placeholder('card', m) : m));
      out = out.replace(SSN, (m) => placeholder('ssn', m));
      out = out.replace(NI_NUMBER, (m) => placeholder('ni number', m));
      out = out.replace(PLUS_PHONE, (m) => placeholder('phone', m));
      out = out.replace(PHONE, (m) => (looksLikePhone(m) ? placeholder('phone', m) : m));
      return out;
    },
    counts: () => ({ ...counts }),
  };
}

/** A redactor that changes nothing, for tenants that turned redaction off. */
export const noRedaction: Redactor = {
  redact: (text) => text,
  counts: () => ({ email: 0, phone: 0, card: 0, iban: 0, ssn: 0, 'ni number': 0, secret: 0 }),
};
