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

/**
 * A history tokenized once, each word as a number (its term's first appearance in the history):
 * 4 bytes a word instead of a string each, which keeps a 50,000-ticket fit within its memory target.
 */
export interface NumberedHistory {
  spellings: string[];
  /** Documents each term occurs in. */
  df: number[];
  docs: Uint32Array[];
}

export function numberTerms(texts: readonly string[]): NumberedHistory {
  const ids = new Map<string, number>();
  const spellings: string[] = [];
  const df: number[] = [];
  const lastDoc: number[] = [];
  const docs = texts.map((text, d) => {
    const words = tokenize(text);
    const doc = new Uint32Array(words.length);
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      let id = ids.get(word);
      if (id === undefined) {
        id = spellings.length;
        ids.set(word, id);
        spellings.push(word);
        df.push(0);
        lastDoc.push(-1);
      }
      if (lastDoc[id] !== d) {
        lastDoc[id] = d;
        df[id] = (df[id] as number) + 1;
      }
      doc[i] = id;
    }
    return doc;
  });
  return { spellings, df, docs };
}

/**
 * The vocabulary of a history: its MAX_TERMS most frequent terms (ties by spelling, for
 * determinism), and `column`: each numbered term's column in it, or -1 when it is not kept.
 */
export function buildVocabulary(history: NumberedHistory): Vocabulary & { column: Int32Array } {
  const kept = history.df
    .map((n, id) => ({ id, n, t: history.spellings[id] as string }))
    .filter(({ n }) => n >= MIN_DF)
    .sort((a, b) => b.n - a.n || (a.t < b.t ? -1 : 1))
    .slice(0, MAX_TERMS);
  const n = history.docs.length;
  // Smoothed idf, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1.
  const idf = Float64Array.from(kept, ({ n: d }) => Math.log((1 + n) / (1 + d)) + 1);
  const terms = kept.map(({ t }) => t);
  const column = new Int32Array(history.spellings.length).fill(-1);
  kept.forEach(({ id }, c) => {
    column[id] = c;
  });
  return { terms, idf, index: new Map(terms.map((t, i) => [t, i])), column };
}

/** tfIdfRow of a numbered document: the same row as tfIdfRow of its words. */
export function numberedTfIdfRow(
  doc: Uint32Array,
  vocabulary: Vocabulary & { column: Int32Array },
): SparseRow {
  const counts = new Map<number, number>();
  for (const id of doc) {
    const c = vocabulary.column[id] as number;
    if (c >= 0) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return weighted(counts, vocabulary);
}

/** Sublinear tf (1 + ln tf) × idf, L2-normalised; words outside the vocabulary are ignored. */
export function tfIdfRow(words: string[], vocabulary: Vocabulary): SparseRow {
  const counts = new Map<number, number>();
  for (const w of words) {
    const i = vocabulary.index.get(w);
    if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return weighted(counts, vocabulary);
}

function weighted(counts: Map<number, number>, vocabulary: Vocabulary): SparseRow {
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
