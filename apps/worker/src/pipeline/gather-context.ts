import {
  type AssetRecord,
  type Db,
  findAssets,
  findSimilarTickets,
  knowledgeBasePolicy,
  type TenantRow,
} from '@ai-agents/db';
import type { Retrieval } from '@ai-agents/retrieval';
import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import { type Logger, safeErrorMessage } from '@ai-agents/shared';
import type { Asset, GatheredContext, SimilarTicket, Solution } from './context-types.js';
import { extractAssetMentions } from './extract-assets.js';
import type { KbSolution, KnowledgeBase } from './knowledge-base.js';

export type { Asset, GatheredContext, SimilarTicket, Solution };

/** The names a failed source has in `GatheredContext.unavailable` (and so in the note). */
export type ContextSource = 'similar tickets' | 'knowledge base' | 'assets';

function solutionOf(s: KbSolution): Solution {
  return { id: s.id, title: s.title, snippet: s.excerpt, score: s.score };
}

/** An inventory row as the note shows it: its name, kind, address, owner and the rest in one line. */
export function assetOf(a: AssetRecord): Asset {
  const details = [
    a.assetTag && a.hostname ? `asset tag ${a.assetTag}` : null,
    a.os,
    a.location,
    a.notes,
  ].filter(Boolean);
  return {
    name: a.hostname ?? a.assetTag ?? a.ipAddress ?? a.matched,
    type: a.kind ?? 'system',
    ip: a.ipAddress,
    owner: a.owner,
    details: details.length > 0 ? details.join('; ') : null,
  };
}

export interface GatherContextDeps {
  db: Db;
  knowledgeBase: KnowledgeBase;
  logger: Logger;
  similarLimit: number;
  /** Similar tickets by words and meaning (fused); without it, BM25 alone. */
  retrieval?: Retrieval;
  /** Per source. */
  timeoutMs: number;
}

const MAX_ASSETS = 10;

/**
 * Similar resolved tickets (Postgres), knowledge-base solutions (SDP) and the systems the ticket
 * mentions (Postgres), in parallel, each bounded by its own timeout. One failing source never fails
 * the job: the note is written from what there is and says what was missing.
 */
export async function gatherContext(
  ticket: { requestId: string; subject: string; description: string },
  tenant: TenantRow,
  sdp: ServiceDeskClient,
  deps: GatherContextDeps,
): Promise<GatheredContext> {
  const text = `${ticket.subject}\n${ticket.description}`;
  // The database sources also get the timeout as statement_timeout, so a query given up on stops.
  // One statement each: one round trip each, the ticket text sent as a parameter.
  const scope = { db: deps.db, tenantId: tenant.id, statementTimeoutMs: deps.timeoutMs };
  const sources = {
    'similar tickets': () => {
      const options = { limit: deps.similarLimit, excludeExternalId: ticket.requestId };
      // The embedder gets half the source's time: past it the search falls back to BM25 alone.
      if (deps.retrieval)
        return deps.retrieval.findSimilar(scope, text, {
          ...options,
          timeoutMs: deps.timeoutMs / 2,
          embeddingModel: tenant.embeddingModel,
        });
      return findSimilarTickets(scope, text, options);
    },
    // The tenant's setting: off (the default of an MSP account), every solution, or some topics'.
    'knowledge base': async () => {
      const policy = knowledgeBasePolicy(tenant);
      if (policy.mode === 'off') return [];
      const topics = policy.mode === 'topics' ? policy.topics : undefined;
      return (await deps.knowledgeBase.search(tenant.id, sdp, ticket, topics)).map(solutionOf);
    },
    assets: async () => {
      const mentions = extractAssetMentions(text);
      if (mentions.ips.length === 0 && mentions.names.length === 0) return [];
      return (await findAssets(scope, mentions, { limit: MAX_ASSETS })).map(assetOf);
    },
  } satisfies Record<ContextSource, () => Promise<unknown>>;

  const unavailable: ContextSource[] = [];
  const settle = async <T>(name: ContextSource, run: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await withTimeout(run(), deps.timeoutMs, name);
    } catch (error) {
      unavailable.push(name);
      deps.logger.warn({ source: name, reason: safeErrorMessage(error) }, 'context source unavailable');
      return [];
    }
  };
  const [similar, solutions, assets] = await Promise.all([
    settle('similar tickets', sources['similar tickets']),
    settle('knowledge base', sources['knowledge base']),
    settle('assets', sources.assets),
  ]);
  // A stable order for the note, whatever order the sources failed in.
  const order: ContextSource[] = ['similar tickets', 'knowledge base', 'assets'];
  unavailable.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return { similar, solutions, assets, unavailable };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
