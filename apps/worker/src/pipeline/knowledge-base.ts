import { type SdpSolution, type ServiceDeskClient, ServiceDeskError } from '@ai-agents/servicedesk';

export interface KbSolution {
  id: string;
  title: string;
  /** Plain text, trimmed for the prompt. */
  excerpt: string;
  topic: string | null;
  /** Keywords found in it, its title counting double: how it was ranked. */
  score: number;
}

// Common words that make SDP's "contains" search match everything.
const STOP = new Set(
  'about after again also because been before being cannot could does doing from have having hello into just like more most need needs please since some still than thank thanks that their them then there these they this those through unable very want what when where which while will with would your dear regards issue problem error help kindly hi team'.split(
    ' ',
  ),
);
const MAX_KEYWORDS = 6;
const RESULTS = 3;
const EXCERPT_CHARS = 500;

/** The ticket's most telling words for a knowledge-base search: distinct, long, not filler. */
export function kbKeywords(subject: string, description: string): string[] {
  const words = `${subject} ${description}`.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}-]{3,}/gu) ?? [];
  const seen = new Set<string>();
  for (const word of words) {
    if (STOP.has(word) || /^\d+$/.test(word)) continue;
    seen.add(word);
    if (seen.size >= MAX_KEYWORDS) break;
  }
  return [...seen];
}

/** Ranks SDP's matches (which it returns unordered) by how many keywords each contains; title counts double. */
function rank(solutions: SdpSolution[], keywords: string[], toText: (html: string) => string): KbSolution[] {
  return solutions
    .map((s) => {
      const title = s.title.toLowerCase();
      const body = toText(s.description).toLowerCase();
      const score = keywords.reduce(
        (n, k) => n + (title.includes(k) ? 2 : 0) + (body.includes(k) ? 1 : 0),
        0,
      );
      return { s, score, body: toText(s.description) };
    })
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.s.id.localeCompare(b.s.id))
    .slice(0, RESULTS)
    .map(({ s, body, score }) => ({
      id: s.id,
      score,
      title: s.title,
      excerpt: body.length > EXCERPT_CHARS ? `${body.slice(0, EXCERPT_CHARS - 1)}…` : body,
      topic: s.topic?.name ?? null,
    }));
}

/** The solutions filed under one of `topics` (all of them without `topics`). */
function inTopics(solutions: SdpSolution[], topics: readonly string[] | undefined): SdpSolution[] {
  if (!topics) return solutions;
  const wanted = new Set(topics.map((t) => t.trim().toLowerCase()));
  return solutions.filter((s) => wanted.has(s.topic?.name?.trim().toLowerCase() ?? ''));
}

/**
 * A search the portal refuses for who we are, not for what we asked: a token without
 * `SDPOnDemand.solutions.READ`, or a technician without access to solutions. Every ticket's search would
 * be refused alike, so the refusal is remembered like an answer.
 */
const refusedForAll = (error: unknown) => error instanceof ServiceDeskError && error.kind === 'forbidden';

/**
 * Knowledge-base search with a per-tenant cache: tickets about one outage arrive in bursts with the
 * same words, and the portal should not be asked the same question for each of them. A tenant whose
 * portal refuses the search is not asked again while the cache lasts: the source degrades alone (the
 * note says the knowledge base was unavailable) without spending an SDP call per job.
 */
export function createKnowledgeBase(options: {
  ttlMs: number;
  toText: (html: string) => string;
  maxEntries?: number;
  now?: () => number;
}) {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 5_000;
  const cache = new Map<string, { expires: number; value: KbSolution[] }>();
  const refused = new Map<string, { expires: number; error: unknown }>();
  const searchOnce = async (tenantId: string, sdp: ServiceDeskClient, keywords: string[]) => {
    const known = refused.get(tenantId);
    if (known && known.expires > now()) throw known.error;
    try {
      return await sdp.searchSolutions(keywords);
    } catch (error) {
      if (options.ttlMs > 0 && refusedForAll(error)) {
        refused.delete(tenantId);
        refused.set(tenantId, { expires: now() + options.ttlMs, error });
        if (refused.size > maxEntries) refused.delete(refused.keys().next().value as string);
      }
      throw error;
    }
  };
  return {
    /**
     * The tenant's best matches; with `topics` (the tenant's knowledge-base setting, tenants/knowledge-base.ts
     * of @ai-agents/db) only solutions filed under one of them (names compared without case).
     */
    async search(
      tenantId: string,
      sdp: ServiceDeskClient,
      ticket: { subject: string; description: string },
      topics?: readonly string[],
    ): Promise<KbSolution[]> {
      const keywords = kbKeywords(ticket.subject, ticket.description);
      if (keywords.length === 0) return [];
      const key = `${tenantId}\n${[...keywords].sort().join(' ')}\n${topics?.join('\n') ?? '*'}`;
      const hit = cache.get(key);
      if (hit && hit.expires > now()) return hit.value;
      const value = rank(
        inTopics(await searchOnce(tenantId, sdp, keywords), topics),
        keywords,
        options.toText,
      );
      if (options.ttlMs > 0) {
        cache.delete(key);
        cache.set(key, { expires: now() + options.ttlMs, value });
        // Map keeps insertion order: the first key is the oldest entry.
        if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      }
      return value;
    },
  };
}

export type KnowledgeBase = ReturnType<typeof createKnowledgeBase>;
