import { isMspEdition } from '../schema/connections.js';
import type { TenantRow } from './load.js';

/**
 * Which knowledge-base solutions a tenant's notes may offer (issue 25): every solution of the portal,
 * none, or only those filed under some solution topics. On ServiceDesk Plus MSP no source we found
 * shows solutions scoped to an account (docs/servicedesk-plus-msp.md, "Not verified"), so an account's
 * tenant could be offered another customer's solution: its default is `off`. A single portal's is
 * `all`, as before.
 */
export type KnowledgeBasePolicy = { mode: 'all' } | { mode: 'off' } | { mode: 'topics'; topics: string[] };

/** The stored setting (tenants.knowledge_base, knowledge_base_topics); null: the edition's default. */
export interface KnowledgeBaseSetting {
  knowledgeBase: 'all' | 'off' | 'topics' | null;
  knowledgeBaseTopics: string[] | null;
}

// A topic is a name a portal's admin typed (SDP bounds names at 250 characters); 50 topics is more
// than any solution tree we saw a tenant pick from, and bounds the per-job filter.
export const MAX_KNOWLEDGE_BASE_TOPICS = 50;
const MAX_TOPIC_LENGTH = 250;

export function knowledgeBasePolicy(
  tenant: Pick<TenantRow, 'knowledgeBase' | 'knowledgeBaseTopics'> & {
    connection: Pick<TenantRow['connection'], 'edition'>;
  },
): KnowledgeBasePolicy {
  const setting = tenant.knowledgeBase ?? (isMspEdition(tenant.connection.edition) ? 'off' : 'all');
  if (setting !== 'topics') return { mode: setting };
  const topics = tenant.knowledgeBaseTopics ?? [];
  return topics.length > 0 ? { mode: 'topics', topics } : { mode: 'off' };
}

/**
 * An operator's value: `all`, `off`, `default` (the edition's default), or a comma-separated list of
 * solution topics (trimmed, duplicates dropped without regard to case). Throws naming the problem.
 */
export function parseKnowledgeBaseSetting(raw: string): KnowledgeBaseSetting {
  const value = raw.trim();
  const word = value.toLowerCase();
  if (word === 'all' || word === 'off') return { knowledgeBase: word, knowledgeBaseTopics: null };
  if (word === 'default') return { knowledgeBase: null, knowledgeBaseTopics: null };
  const topics = new Map<string, string>();
  for (const part of value.split(',')) {
    const topic = part.trim();
    if (topic === '') continue;
    if (topic.length > MAX_TOPIC_LENGTH)
      throw new Error(`a knowledge-base topic is longer than ${MAX_TOPIC_LENGTH} characters`);
    if (!topics.has(topic.toLowerCase())) topics.set(topic.toLowerCase(), topic);
  }
  if (topics.size === 0)
    throw new Error(
      'the knowledge base must be all, off, default or a comma-separated list of solution topics',
    );
  if (topics.size > MAX_KNOWLEDGE_BASE_TOPICS)
    throw new Error(`at most ${MAX_KNOWLEDGE_BASE_TOPICS} knowledge-base topics, not ${topics.size}`);
  return { knowledgeBase: 'topics', knowledgeBaseTopics: [...topics.values()] };
}

/** The policy in words, for the CLI. */
export function describeKnowledgeBase(policy: KnowledgeBasePolicy): string {
  if (policy.mode === 'topics') return `topics ${policy.topics.join(', ')}`;
  return policy.mode;
}
