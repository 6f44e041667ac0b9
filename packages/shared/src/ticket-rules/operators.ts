/**
 * The operators of a skip rule (docs/the-note.md, "Which tickets get a note"). A new operator is one
 * entry here: the values it takes and how it compares; the parser, the matcher, the CLI and the docs'
 * error messages read this table. Every comparison is case-insensitive (both sides through
 * toLowerCase(), which is locale-independent) and runs in time linear in the ticket's value and the
 * rule's values: no regular expression built from a rule, no search that can go quadratic.
 */

/** What an operator's value must be: one string, a list of strings, or either (a list: any of them). */
export type OperatorValues = 'string' | 'list' | 'string_or_list';

export interface Operator {
  values: OperatorValues;
  /** A test of a ticket's lower-cased value against the rule's lower-cased values (any one matching). */
  compile(values: readonly string[]): (value: string) => boolean;
}

export const OPERATORS = {
  is: { values: 'string', compile: (values) => (v) => values.includes(v) },
  in: {
    values: 'list',
    compile: (values) => {
      const set = new Set(values);
      return (v) => set.has(v);
    },
  },
  contains: {
    values: 'string_or_list',
    compile: (values) => {
      const searches = values.map(substringSearch);
      return (v) => searches.some((found) => found(v));
    },
  },
  starts_with: { values: 'string_or_list', compile: (values) => (v) => values.some((p) => v.startsWith(p)) },
  ends_with: { values: 'string_or_list', compile: (values) => (v) => values.some((p) => v.endsWith(p)) },
} as const satisfies Record<string, Operator>;

export type OperatorName = keyof typeof OPERATORS;

export const OPERATOR_NAMES = Object.keys(OPERATORS) as OperatorName[];

export function isOperatorName(key: string): key is OperatorName {
  return Object.hasOwn(OPERATORS, key);
}

/**
 * Knuth–Morris–Pratt: whether `pattern` occurs in a text, in O(text + pattern) whatever both hold
 * (String.prototype.includes promises no bound, and a ticket's description may be a megabyte of one
 * character against a rule's "aaa…ab"). The failure table is built once per rule value.
 */
function substringSearch(pattern: string): (text: string) => boolean {
  const fail = new Int32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i++) {
    while (k > 0 && pattern[i] !== pattern[k]) k = fail[k - 1] ?? 0;
    if (pattern[i] === pattern[k]) k++;
    fail[i] = k;
  }
  return (text) => {
    if (pattern.length === 0) return true;
    for (let i = 0, k = 0; i < text.length; i++) {
      while (k > 0 && text[i] !== pattern[k]) k = fail[k - 1] ?? 0;
      if (text[i] === pattern[k]) k++;
      if (k === pattern.length) return true;
    }
    return false;
  };
}
