import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryTicket } from '@ai-agents/db';
import { seededRandom } from '@ai-agents/sandbox';
import { ROOT } from './processes.js';

/** The labelled IT tickets shared beside the repository (../shared, relative to its root). */
export const DATASET_PATH = join(ROOT, '..', 'shared', 'datasets', 'it-tickets', 'dev.csv');

export interface DatasetRow {
  id: string;
  text: string;
  topic: string;
}

/** Reads id,text,topic_group; one text is quoted because it holds a comma. */
export function loadDataset(path = DATASET_PATH): DatasetRow[] {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ticket dataset at ${path}: ${(error as Error).message}`);
  }
  const rows: DatasetRow[] = [];
  for (const line of content.split('\n').slice(1)) {
    const match = /^([^,]+),("(?:[^"]|"")*"|[^,]*),(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id = '', rawText = '', topic = ''] = match;
    const text = rawText.startsWith('"') ? rawText.slice(1, -1).replaceAll('""', '"') : rawText;
    if (text) rows.push({ id, text, topic });
  }
  if (rows.length === 0) throw new Error(`no tickets in ${path}`);
  return rows;
}

/** The sandbox's seeded PRNG (the name the retrieval scenario imports), so every run resamples the same tickets. */
export { seededRandom as seeded };

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * Resamples the dataset into `count` distinct tickets: each takes a real ticket's words and swaps
 * about a fifth of them for words of another ticket of the same topic, so the vocabulary and the
 * topic mix stay realistic while no two rows are identical.
 */
export function resampleTickets(rows: readonly DatasetRow[], count: number, seed = 7): HistoryTicket[] {
  const random = seededRandom(seed);
  const byTopic = new Map<string, DatasetRow[]>();
  for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
  const tickets: HistoryTicket[] = [];
  for (let i = 0; i < count; i++) {
    const base = pick(rows, random);
    const sameTopic = byTopic.get(base.topic) ?? [base];
    const donor = pick(sameTopic, random).text.split(' ');
    const words = base.text.split(' ').map((w) => (random() < 0.2 ? pick(donor, random) : w));
    const resolution = pick(sameTopic, random).text.split(' ').slice(0, 12).join(' ');
    tickets.push({
      externalId: `H${String(i + 1).padStart(6, '0')}`,
      subject: words.slice(0, 8).join(' '),
      description: words.join(' '),
      resolution: `resolved: ${resolution}`,
      category: base.topic,
      resolvedAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 300 * 86_400_000)),
    });
  }
  return tickets;
}
