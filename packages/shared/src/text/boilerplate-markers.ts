/**
 * What e-mail boilerplate looks like, line by line, in English, German, French, Spanish, Dutch,
 * Italian and Portuguese (the languages of NOTE_LANGUAGES). Read by strip-boilerplate.ts. Every test
 * here is a plain string comparison on a line cut to MARKER_LINE_CHARS and lower-cased: no regex
 * runs over more than one line, so a hostile text costs time linear in its length.
 *
 * A new marker: add it to the list of its kind, and an e-mail that carries it to
 * packages/shared/src/text/__fixtures__/ with the text that must remain.
 */

/** Only this much of a line is compared; every marker is shorter, and a longer line is prose. */
export const MARKER_LINE_CHARS = 240;

/**
 * The header a mail client writes above a quoted reply: the line starts with `start`, contains
 * ` ${verb}` and ends with a colon (Gmail, Apple Mail, Thunderbird). The formats seen in the wild
 * and collected by crisp-oss/email-reply-parser (lib/regex.ts) and GitHub's email_reply_parser.
 */
export const REPLY_HEADERS: readonly { start: string; verb: string }[] = [
  { start: 'on ', verb: 'wrote' }, // On Mon, 3 Mar 2025 at 10:12, Anna Berg <anna@…> wrote:
  { start: 'am ', verb: 'schrieb' }, // Am 03.03.2025 um 10:12 schrieb Anna Berg <anna@…>:
  { start: 'le ', verb: 'a écrit' }, // Le lun. 3 mars 2025 à 10:12, Anna Berg <anna@…> a écrit :
  { start: 'el ', verb: 'escribió' }, // El lun, 3 mar 2025 a las 10:12, Anna Berg (<anna@…>) escribió:
  { start: 'op ', verb: 'schreef' }, // Op ma 3 mrt. 2025 om 10:12 schreef Anna Berg <anna@…>:
  { start: 'il ', verb: 'ha scritto' }, // Il giorno lun 3 mar 2025 alle 10:12 Anna Berg <anna@…> ha scritto:
  { start: 'in data ', verb: 'ha scritto' }, // In data 3 marzo 2025, Anna Berg ha scritto:
  { start: 'em ', verb: 'escreveu' }, // Em seg., 3 de mar. de 2025 às 10:12, Anna Berg <anna@…> escreveu:
];

/** "Anna Berg <anna@…> wrote:" without a date: the verb before the final colon, an address before it. */
export const REPLY_VERBS: readonly string[] = [
  'wrote',
  'schrieb',
  'a écrit',
  'escribió',
  'schreef',
  'ha scritto',
  'escreveu',
];

/**
 * Outlook's separators above a quoted or forwarded message, without their dashes or underscores:
 * "-----Original Message-----", "-----Ursprüngliche Nachricht-----", "---------- Forwarded message ---------".
 */
export const ORIGINAL_MESSAGE_LINES: ReadonlySet<string> = new Set([
  'original message',
  'forwarded message',
  'ursprüngliche nachricht',
  'weitergeleitete nachricht',
  "message d'origine",
  'message transféré',
  'mensaje original',
  'mensaje reenviado',
  'oorspronkelijk bericht',
  'doorgestuurd bericht',
  'messaggio originale',
  'messaggio inoltrato',
  'mensagem original',
  'mensagem encaminhada',
]);

/** The first line of Outlook's header block ("From: Anna Berg", "Von: …", "De : …", "Van: …", "Da: …"). */
export const HEADER_FROM: readonly string[] = ['from', 'von', 'de', 'van', 'da'];

/** The lines that follow it within a few lines: sent, date, to, cc, subject in each language. */
export const HEADER_FIELDS: ReadonlySet<string> = new Set([
  'sent',
  'date',
  'to',
  'cc',
  'subject',
  'gesendet',
  'datum',
  'an',
  'betreff',
  'envoyé',
  'à',
  'objet',
  'enviado',
  'enviado el',
  'fecha',
  'para',
  'asunto',
  'verzonden',
  'aan',
  'onderwerp',
  'inviato',
  'data',
  'a',
  'oggetto',
  'assunto',
]);

/**
 * Footers a phone or a mail app appends ("Sent from my iPhone"): the line starts with one of these
 * and is short (MOBILE_FOOTER_WORDS words at most), so "Sent from my laptop the file never arrived…"
 * stays prose.
 */
export const MOBILE_FOOTERS: readonly string[] = [
  'sent from my ',
  'sent from outlook',
  'sent from mail for ',
  'sent from samsung',
  'sent from yahoo mail',
  'sent from the ',
  'get outlook for ',
  'von meinem ', // Von meinem iPhone gesendet
  'gesendet von meinem ',
  'gesendet von outlook',
  'gesendet mit ',
  'outlook für ',
  'envoyé de mon ',
  'envoyé depuis mon ',
  'envoyé à partir de ',
  'obtenir outlook pour ',
  'télécharger outlook pour ',
  'enviado desde mi ',
  'enviado desde outlook',
  'obtener outlook para ',
  'verzonden vanaf mijn ',
  'verstuurd vanaf mijn ',
  'verzonden met ',
  'outlook voor ',
  'inviato da iphone',
  'inviato dal mio ',
  'inviato da outlook',
  'scarica outlook per ',
  'enviado do meu ',
  'obter o outlook para ',
];
export const MOBILE_FOOTER_WORDS = 8;

/**
 * The closing of a letter ("Regards,", "Mit freundlichen Grüßen", "Cordialement"), alone on its line
 * or followed by a name ("Regards, Anna Berg"). Compared without the trailing punctuation.
 */
export const SIGN_OFFS: readonly string[] = [
  // English
  'regards',
  'best regards',
  'kind regards',
  'warm regards',
  'many thanks and regards',
  'thanks and regards',
  'thanks & regards',
  'with regards',
  'best wishes',
  'best',
  'cheers',
  'sincerely',
  'yours sincerely',
  'yours faithfully',
  'thanks',
  'thank you',
  'many thanks',
  // German
  'mit freundlichen grüßen',
  'mit freundlichen grüssen',
  'mit freundlichem gruß',
  'mit freundlichem gruss',
  'freundliche grüße',
  'freundliche grüsse',
  'viele grüße',
  'viele grüsse',
  'beste grüße',
  'beste grüsse',
  'liebe grüße',
  'herzliche grüße',
  'schöne grüße',
  'gruß',
  'gruss',
  'grüße',
  'mfg',
  'lg',
  'danke',
  'vielen dank',
  'danke und grüße',
  // French
  'cordialement',
  'bien cordialement',
  'très cordialement',
  'bien à vous',
  'salutations',
  'meilleures salutations',
  'sincères salutations',
  'merci',
  'merci beaucoup',
  'merci d’avance',
  "merci d'avance",
  'bonne journée',
  // Spanish
  'saludos',
  'saludos cordiales',
  'un saludo',
  'un cordial saludo',
  'atentamente',
  'gracias',
  'muchas gracias',
  // Dutch
  'met vriendelijke groet',
  'met vriendelijke groeten',
  'vriendelijke groet',
  'vriendelijke groeten',
  'groeten',
  'groet',
  'mvg',
  'alvast bedankt',
  'bedankt',
  // Italian
  'cordiali saluti',
  'distinti saluti',
  'saluti',
  'un saluto',
  'grazie',
  'grazie mille',
  'cordialmente',
  // Portuguese
  'atenciosamente',
  'cumprimentos',
  'obrigado',
  'obrigada',
];

/** Lines of a signature block after a sign-off, at most; more than this after it is not a signature. */
export const SIGNATURE_MAX_LINES = 10;

/**
 * Legal disclaimers: the line starts with an opening of its language and mentions, within the line's
 * first MARKER_LINE_CHARS characters, one of the words that make it a disclaimer.
 */
export const DISCLAIMERS: readonly { openings: readonly string[]; words: readonly string[] }[] = [
  {
    openings: [
      'this e-mail',
      'this email',
      'this message',
      'this communication',
      'this transmission',
      'the information contained in this',
      'the information in this',
      'the contents of this',
      'the content of this',
      'confidentiality notice',
      'confidentiality note',
      'disclaimer',
      'important notice',
      'notice:',
    ],
    words: ['confidential', 'privileged', 'intended recipient', 'intended solely', 'addressee'],
  },
  {
    openings: [
      'diese e-mail',
      'diese email',
      'diese nachricht',
      'der inhalt dieser',
      'die informationen in dieser',
      'vertraulichkeitshinweis',
      'haftungsausschluss',
      'hinweis:',
    ],
    words: ['vertraulich', 'empfänger', 'irrtümlich'],
  },
  {
    openings: [
      'ce message',
      'ce courriel',
      'ce mail',
      'ce e-mail',
      'cet e-mail',
      'cet email',
      'les informations contenues',
      'avertissement',
      'confidentialité',
    ],
    words: ['confidenti', 'destinataire'],
  },
  {
    openings: [
      'este mensaje',
      'este correo',
      'este e-mail',
      'la información contenida',
      'aviso de confidencialidad',
      'aviso legal',
      'confidencialidad',
    ],
    words: ['confidencial', 'destinatario'],
  },
  {
    openings: [
      'dit e-mailbericht',
      'dit bericht',
      'deze e-mail',
      'deze email',
      'de informatie in dit',
      'de informatie verzonden',
      'de inhoud van dit',
    ],
    words: ['vertrouwelijk', 'geadresseerde', 'bestemd'],
  },
  {
    openings: [
      'questo messaggio',
      'questa e-mail',
      'questa email',
      'questa mail',
      'le informazioni contenute',
      'il presente messaggio',
      'la presente comunicazione',
      'avviso di riservatezza',
    ],
    words: ['riservat', 'confidenzial', 'destinatari'],
  },
  {
    openings: ['esta mensagem', 'este e-mail', 'as informações contidas', 'aviso de confidencialidade'],
    words: ['confidencia', 'destinatário'],
  },
];

/** "Think before you print" footers, each a line of its own. */
export const PRINT_FOOTERS: readonly string[] = [
  'please consider the environment before printing',
  'think before you print',
  'bitte denken sie an die umwelt',
  'bitte prüfen sie, ob diese e-mail',
  'pensez à l’environnement',
  "pensez à l'environnement",
  'antes de imprimir',
  'denk aan het milieu',
  "pensa all'ambiente",
  'prima di stampare',
];
