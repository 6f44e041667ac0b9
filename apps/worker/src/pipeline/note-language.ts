import type { TenantRow } from '@ai-agents/db';
import { isNoteLanguage, type NoteLanguage } from '@ai-agents/shared';
import { detectLanguage } from './detect-language.js';

/** The language the note is to be written in, and the ticket's own when it could be told. */
export interface NoteLanguageChoice {
  note: NoteLanguage;
  /** The ticket's language; null when the detector was unsure. */
  ticket: NoteLanguage | null;
  /** Where `note` came from: the ticket, the tenant's fixed language, or its default (unsure). */
  from: 'ticket' | 'tenant' | 'default';
}

/**
 * The tenant's `note_language` decides: a fixed language (its technicians all read one) wins over
 * the ticket's; `auto` takes the ticket's, and the tenant's `default_language` when the ticket's
 * cannot be told. The columns' constraints hold only NOTE_LANGUAGES; anything else reads as English.
 */
export function chooseNoteLanguage(
  tenant: Pick<TenantRow, 'noteLanguage' | 'defaultLanguage'>,
  text: string,
): NoteLanguageChoice {
  const ticket = detectLanguage(text);
  if (isNoteLanguage(tenant.noteLanguage)) return { note: tenant.noteLanguage, ticket, from: 'tenant' };
  if (ticket) return { note: ticket, ticket, from: 'ticket' };
  return {
    note: isNoteLanguage(tenant.defaultLanguage) ? tenant.defaultLanguage : 'en',
    ticket,
    from: 'default',
  };
}
