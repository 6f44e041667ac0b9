/*
 * The term side of LSA: words → sparse, L2-normalised TF-IDF rows. Linear in the text's length and
 * bounded: a ticket is cut at MAX_TEXT_CHARS (beyond it is a log paste or a mail thread; its opening
 * states the problem, as for BM25 in packages/db/src/history/similar-tickets.ts).
 */

export const MAX_TEXT_CHARS = 4_000;
// A term seen in one ticket only cannot link two tickets; capping the vocabulary bounds the model's
// size (terms × k floats) whatever the history holds.
const MIN_DF = 2;
const MAX_TERMS = 30_000;

// Function words carry no topic; the list is the short core of the usual English lists.
const STOP_WORDS = new Set(
  'a an and are as at be been but by can could did do does for from had has have he her his i if in into is it its me my no not of on or our please she so than that the their them then there these they this to us was we were what when which who will with would you your hi hello thanks thank regards dear'.split(
    ' ',
  ),
);

export function tokenize(text: string): string[] {
  const words =
    text
      .slice(0, MAX_TEXT_CHARS)
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/** A sparse row: parallel arrays of term indexes and weights. */
export interface SparseRow {
  terms: Uint32Array;
  weights: Float64Array;
}

export interface Vocabulary {
  terms: string[];
  idf: Float64Array;
  index: Map<string, number>;
}

/** The vocabulary of a history: its MAX_TERMS most frequent terms (ties by spelling, for determinism). */
export function buildVocabulary(tokenized: string[][]): Vocabulary {
  const df = new Map<string, number>();
  for (const words of tokenized) for (const w of new Set(words)) df.set(w, (df.get(w) ?? 0) + 1);
  const kept = [...df.entries()]
    .filter(([, n]) => n >= MIN_DF)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_TERMS);
  const n = tokenized.length;
  // Smoothed idf, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1.
  const idf = Float64Array.from(kept, ([, d]) => Math.log((1 + n) / (1 + d)) + 1);
  const terms = kept.map(([t]) => t);
  return { terms, idf, index: new Map(terms.map((t, i) => [t, i])) };
}

/** Sublinear tf (1 + ln tf) × idf, L2-normalised; words outside the vocabulary are ignored. */
export function tfIdfRow(words: string[], vocabulary: Vocabulary): SparseRow {
  const counts = new Map<number, number>();
  for (const w of words) {
    const i = vocabulary.index.get(w);
    if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const terms = Uint32Array.from(counts.keys());
  const weights = Float64Array.from(
    terms,
    (t) => (1 + Math.log(counts.get(t) ?? 1)) * (vocabulary.idf[t] ?? 0),
  );
  let norm = 0;
  for (const w of weights) norm += w * w;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < weights.length; i++) weights[i] = (weights[i] ?? 0) / norm;
  return { terms, weights };
}
