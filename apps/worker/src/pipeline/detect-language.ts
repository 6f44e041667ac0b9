import { isNoteLanguage, NOTE_LANGUAGES, type NoteLanguage } from '@ai-agents/shared';
// ELD (Nito-ELD, Apache-2.0): byte n-grams scored against a fixed database shipped in the package, so
// it is deterministic, downloads nothing and answers in microseconds. Chosen over franc-min (trigrams
// of letters), which on the short, product-name-heavy tickets of detect-language.test.ts tied German
// with Dutch ("Outlook startet nicht nach Update von Windows 11": 1 against 0.99) and named French for
// "SAP GUI 7.70 Fehler"; ELD told all of them. The `small` database: `extrasmall` told the same
// tickets, `small` with wider margins; `medium`/`large` are several MB more of memory per worker.
import { eld } from 'eld/small';

eld.setLanguageSubset(Object.keys(NOTE_LANGUAGES));

// ELD reads the first 1,000 characters itself; cutting here first bounds our own token split too.
const MAX_CHARS = 1_000;
// Fewer letters than this (after dropping tokens with digits) is a product name or a code, not a sentence.
const MIN_LETTERS = 12;
// Least lead of the best language's score (0..1) over the second's. Measured on the tickets of
// detect-language.test.ts: right answers lead by 0.11 (Spanish over Portuguese, a short subject) to
// 0.35; "Excel macro error" named Spanish by 0.08 over English, which must stay unsure.
const MIN_LEAD = 0.1;

/** Words with a digit ("0x80070005", "M404", "11") say nothing about a language; drop them. */
function wordsOnly(text: string): string {
  return text
    .slice(0, MAX_CHARS)
    .split(/\s+/)
    .filter((word) => !/\d/.test(word))
    .join(' ');
}

/**
 * The language of a ticket, among the languages a note can be written in (NOTE_LANGUAGES), or null
 * when unsure: too few letters, or no clear lead of one language over the next. Unsure is common for
 * a subject alone or a line of product names ("Teams crash", "OneDrive sync"), and the caller then
 * takes the tenant's default language rather than a guess.
 */
export function detectLanguage(text: string): NoteLanguage | null {
  const words = wordsOnly(text);
  if ((words.match(/\p{L}/gu)?.length ?? 0) < MIN_LETTERS) return null;
  const result = eld.detect(words);
  if (!isNoteLanguage(result.language)) return null;
  const [best = 0, second = 0] = Object.values(result.getScores()).sort((a, b) => b - a);
  return best - second >= MIN_LEAD ? result.language : null;
}
