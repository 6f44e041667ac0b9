import type { SimilarTicket } from '@ai-agents/db';

/*
 * What the context step gathers for a note (issue 6, "Context"). Defined here until the retrieval,
 * knowledge-base and asset sources land; the LLM step and the note only read these shapes.
 */

export type { SimilarTicket };

/** A ServiceDesk Plus knowledge-base solution. */
export interface Solution {
  id: string;
  title: string;
  snippet: string;
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
