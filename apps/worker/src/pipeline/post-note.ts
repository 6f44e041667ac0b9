import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import { noteMarker } from './render-note.js';

/**
 * A previous attempt that crashed between "posted to ServiceDesk Plus" and "recorded in Postgres"
 * left a note carrying this enhancement's marker. Finding it means the note exists: do not post again.
 */
export async function findPostedNote(
  sdp: ServiceDeskClient,
  requestId: string,
  enhancementId: string,
): Promise<string | null> {
  const marker = noteMarker(enhancementId);
  const notes = await sdp.listNotes(requestId);
  return notes.find((n) => n.description.includes(marker))?.id ?? null;
}
