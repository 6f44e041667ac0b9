import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRIP_INPUT_LIMIT, stripBoilerplate } from './strip-boilerplate.js';

// Realistic e-mails as requesters send them to a service desk, one per language and kind of
// boilerplate, each beside the text that must remain (`<name>.eml.txt`, `<name>.expected.txt`).
const FIXTURES = join(import.meta.dirname, '__fixtures__', 'boilerplate');
const names = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.eml.txt'))
  .map((file) => file.slice(0, -'.eml.txt'.length))
  .sort();
const read = (file: string) => readFileSync(join(FIXTURES, file), 'utf8');

describe('stripBoilerplate on the e-mail corpus', () => {
  it('has an e-mail for every language we detect', () => {
    for (const language of ['en', 'de', 'fr', 'es', 'nl', 'it', 'pt'])
      expect(names.some((name) => name.startsWith(`${language}-`))).toBe(true);
  });

  it.each(names)('%s', (name) => {
    expect(stripBoilerplate(read(`${name}.eml.txt`))).toBe(read(`${name}.expected.txt`).trimEnd());
  });
});

describe('stripBoilerplate stays conservative', () => {
  it('leaves one-line text alone, whatever words it holds', () => {
    const line = 'reset passwords hi please help best regards pm expire days importance high thanks';
    expect(stripBoilerplate(line)).toBe(line);
  });

  it('never strips the whole text, and keeps the first line with words', () => {
    expect(stripBoilerplate('Regards,\nAnna Berg')).toBe('Regards,\nAnna Berg');
    expect(stripBoilerplate('\n\nVPN down\n-- \nAnna')).toBe('VPN down');
    expect(stripBoilerplate('> only a quote\n> nothing else')).toBe('> only a quote\n> nothing else');
  });

  it('reads Windows line ends and gives the same answer a second time', () => {
    const mail = read('de-grusse-von-block-disclaimer.eml.txt').replaceAll('\n', '\r\n');
    const once = stripBoilerplate(mail);
    expect(once).toBe(read('de-grusse-von-block-disclaimer.expected.txt').trimEnd());
    expect(stripBoilerplate(once)).toBe(once);
  });

  it('reads at most STRIP_INPUT_LIMIT characters', () => {
    const long = `Printer jams.\n${'a'.repeat(STRIP_INPUT_LIMIT)}`;
    expect(stripBoilerplate(long).length).toBeLessThanOrEqual(STRIP_INPUT_LIMIT);
  });
});
