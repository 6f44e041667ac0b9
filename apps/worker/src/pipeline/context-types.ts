import type { SimilarTicket as Bm25Ticket, FoundBy } from '@ai-agents/db';

/*
 * What the context step (gather-context.ts) hands to the LLM step and the note: the similar tickets,
 * knowledge-base solutions and assets it found, and the sources that were unavailable.
 */

/**
 * A similar resolved ticket; `byMeaning` when found by meaning rather than by shared words, `foundBy`
 * which rankings found it (absent: BM25 alone, words).
 */
export type SimilarTicket = Bm25Ticket & { byMeaning?: boolean; foundBy?: FoundBy };

/** A ServiceDesk Plus knowledge-base solution. */
export interface Solution {
  id: string;
  title: string;
  snippet: string;
  /** The knowledge base's ranking score (knowledge-base.ts); absent for a solution from elsewhere. */
  score?: number;
}

/** An inventory item mentioned in the ticket (IP, hostname, asset tag). */
export interface Asset {
  name: string;
  type: string;
  ip?: string | null;
  owner?: string | null;
  details?: string | null;
}

export interface GatheredContext {
  similar: SimilarTicket[];
  solutions: Solution[];
  assets: Asset[];
  /** Sources that failed or timed out, named in the note (e.g. "knowledge base"). */
  unavailable: string[];
}

export const EMPTY_CONTEXT: GatheredContext = { similar: [], solutions: [], assets: [], unavailable: [] };
