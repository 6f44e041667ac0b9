/**
 * The languages a note can be written in, and told from a ticket: the ones the detector is restricted
 * to (`apps/worker/src/pipeline/detect-language.ts`) and the values `tenant llm --note-language` and
 * `--default-language` accept. A new language is one entry here (its ISO 639-1 code and English name);
 * the detector's library must know it too.
 */
export const NOTE_LANGUAGES = {
  en: 'English',
  de: 'German',
  fr: 'French',
  es: 'Spanish',
  it: 'Italian',
  nl: 'Dutch',
  pt: 'Portuguese',
} as const satisfies Record<string, string>;

export type NoteLanguage = keyof typeof NOTE_LANGUAGES;

/** A tenant's note language: `auto` (the ticket's own) or a fixed language for its technicians. */
export type NoteLanguageSetting = NoteLanguage | 'auto';

export function isNoteLanguage(code: string): code is NoteLanguage {
  return Object.hasOwn(NOTE_LANGUAGES, code);
}

/** The English name of a language code ("de" → "German"); the code itself if it is not one of ours. */
export function languageName(code: string): string {
  return isNoteLanguage(code) ? NOTE_LANGUAGES[code] : code;
}
