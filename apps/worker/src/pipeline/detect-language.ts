/**
 * Cheap language detection by stop words: enough to tell the model to answer in German rather than
 * English, with no dependency and no model download. Ticket text is short and full of product names;
 * the function words ("und", "der", "nicht") are what reliably tell languages apart. Unsure → English.
 */

const STOP_WORDS: Readonly<Record<string, readonly string[]>> = {
  en: [
    'the',
    'and',
    'is',
    'not',
    'to',
    'my',
    'it',
    'of',
    'in',
    'for',
    'with',
    'have',
    'can',
    'this',
    'after',
    'when',
    'please',
    'does',
    'since',
    'we',
    'you',
    'are',
    'on',
  ],
  de: [
    'und',
    'der',
    'die',
    'das',
    'nicht',
    'ist',
    'ich',
    'mit',
    'ein',
    'eine',
    'auf',
    'bitte',
    'kann',
    'seit',
    'mein',
    'meine',
    'wir',
    'sie',
    'es',
    'bei',
    'nach',
    'funktioniert',
    'geht',
    'auch',
    'wird',
  ],
  fr: [
    'le',
    'la',
    'les',
    'et',
    'est',
    'pas',
    'je',
    'ne',
    'un',
    'une',
    'des',
    'du',
    'avec',
    'pour',
    'mon',
    'ma',
    'depuis',
    'nous',
    'vous',
    'sur',
    'fonctionne',
    'plus',
    'merci',
    'mais',
  ],
  es: [
    'el',
    'la',
    'los',
    'las',
    'y',
    'es',
    'no',
    'que',
    'un',
    'una',
    'con',
    'por',
    'para',
    'mi',
    'desde',
    'funciona',
    'puedo',
    'del',
    'se',
    'nos',
    'gracias',
    'pero',
    'está',
  ],
  it: [
    'il',
    'lo',
    'la',
    'gli',
    'le',
    'e',
    'è',
    'non',
    'che',
    'un',
    'una',
    'con',
    'per',
    'mio',
    'mia',
    'da',
    'funziona',
    'posso',
    'del',
    'della',
    'grazie',
    'ma',
    'sono',
  ],
  nl: [
    'de',
    'het',
    'een',
    'en',
    'is',
    'niet',
    'ik',
    'met',
    'op',
    'van',
    'voor',
    'mijn',
    'sinds',
    'wij',
    'werkt',
    'kan',
    'graag',
    'bedankt',
    'maar',
    'ook',
    'geen',
  ],
  pt: [
    'o',
    'a',
    'os',
    'as',
    'e',
    'é',
    'não',
    'que',
    'um',
    'uma',
    'com',
    'por',
    'para',
    'meu',
    'minha',
    'desde',
    'funciona',
    'posso',
    'do',
    'da',
    'obrigado',
    'mas',
    'está',
  ],
};

export const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  en: 'English',
  de: 'German',
  fr: 'French',
  es: 'Spanish',
  it: 'Italian',
  nl: 'Dutch',
  pt: 'Portuguese',
};

const LOOKUP = new Map<string, string[]>();
for (const [language, words] of Object.entries(STOP_WORDS)) {
  for (const word of words) LOOKUP.set(word, [...(LOOKUP.get(word) ?? []), language]);
}

// Below this many stop words the text is too short to judge (a subject alone, a product name).
const MIN_HITS = 3;

/** ISO 639-1 code of the text's language among those above; 'en' when unsure. */
export function detectLanguage(text: string): string {
  const scores = new Map<string, number>();
  let hits = 0;
  for (const word of text.toLowerCase().split(/[^\p{L}]+/u)) {
    const languages = LOOKUP.get(word);
    if (!languages) continue;
    hits++;
    // A word shared by several languages ("la", "de") counts less for each of them.
    for (const language of languages)
      scores.set(language, (scores.get(language) ?? 0) + 1 / languages.length);
  }
  if (hits < MIN_HITS) return 'en';
  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best) return 'en';
  // Require a clear lead; a near tie is likelier mixed text, where English is the safe answer.
  if (best[0] !== 'en' && second && best[1] < second[1] * 1.25) return 'en';
  return best[0];
}
