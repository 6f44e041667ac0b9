import { describe, expect, it } from 'vitest';
import { createRedactor, ibanValid, luhnValid } from './redact-pii.js';

const redact = (text: string) => createRedactor().redact(text);

describe('PII redaction: what is replaced', () => {
  it('emails, with the same address always the same placeholder', () => {
    const r = createRedactor();
    expect(r.redact('From jane.doe@contoso.com, cc bob@mail.contoso.co.uk')).toBe(
      'From [email 1], cc [email 2]',
    );
    expect(r.redact('Reply to JANE.DOE@contoso.com please')).toBe('Reply to [email 1] please');
    expect(r.counts().email).toBe(2);
  });

  it('phone numbers in international and national formats', () => {
    expect(redact('Call me on +44 20 7946 0958 or (212) 555-0147.')).toBe(
      'Call me on [phone 1] or [phone 2].',
    );
    expect(redact('Mobil: 0151 2345 6789')).toBe('Mobil: [phone 1]');
    expect(redact('whatsapp +4915123456789')).toBe('whatsapp [phone 1]');
  });

  it('payment card numbers that pass the Luhn check', () => {
    expect(redact('card 4111 1111 1111 1111 was charged')).toBe('card [card 1] was charged');
    expect(redact('card 5500-0000-0000-0004')).toBe('card [card 1]');
    expect(redact('4012888888881881')).toBe('[card 1]');
  });

  it('passwords and secrets after a label, keeping the label', () => {
    expect(redact('My password: Winter2024! does not work')).toBe('My password: [secret 1] does not work');
    expect(redact('temp password is Xy7#kq9 for now')).toBe('temp password is [secret 1] for now');
    expect(redact('api_key=sk-live-abc123 and token: "eyJhbGciOi.x.y"')).toBe(
      'api_key=[secret 1] and token: "[secret 2]"',
    );
    expect(redact('Mein Passwort: Sommer2024')).toBe('Mein Passwort: [secret 1]');
  });

  it('national ids: US SSN, UK National Insurance number, IBAN (mod-97 checked)', () => {
    expect(redact('SSN 123-45-6789 on file')).toBe('SSN [ssn 1] on file');
    expect(redact('NI number AB 12 34 56 C')).toBe('NI number [ni number 1]');
    expect(redact('IBAN GB82 WEST 1234 5698 7654 32 for refunds')).toBe('IBAN [iban 1] for refunds');
    expect(redact('DE89370400440532013000')).toBe('[iban 1]');
  });

  it('keeps several kinds apart in one text', () => {
    const text = 'Jane (jane@contoso.com, +1 415 555 0100) password: hunter22';
    expect(redact(text)).toBe('Jane ([email 1], [phone 1]) password: [secret 1]');
  });
});

describe('PII redaction: what is left alone', () => {
  it('IP addresses, hostnames, versions, dates, times and asset tags', () => {
    const text =
      'Server 10.20.30.40 (srv-db-01.contoso.local) runs 17.0.16027.1 since 2024-03-15 10:30; asset PC-12345-678, build 22631.3447';
    expect(redact(text)).toBe(text);
  });

  it('ticket numbers, short numbers and numbers that fail their checksum', () => {
    const text = 'Request 123456 and 4111 1111 1111 1112, room 301, call ext. 4410';
    expect(redact(text)).toBe(text);
    expect(redact('GB82 WEST 1234 5698 7654 33')).not.toContain('[iban');
  });

  it('ordinary uses of the word password', () => {
    for (const text of [
      'Outlook keeps asking for password after the mailbox moved',
      'the password is expired',
      'Password reset needed',
      'I forgot my password.',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it('invalid SSN areas and things that look like an email without a domain', () => {
    const text = 'ids 000-12-3456 and 666-12-3456, handle @contoso, user@localhost';
    expect(redact(text)).toBe(text);
  });
});

describe('checksums', () => {
  it('Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('0000000000000000')).toBe(false);
  });
  it('IBAN mod-97', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
  });
});
