/**
 * What the operator CLI prints comes partly from outside: feedback comments typed by anyone holding
 * a link, request ids and error text from queued jobs, names from ServiceDesk Plus. A control
 * character in it is an instruction to the operator's terminal (ESC sequences rewrite the screen,
 * set the window title, on some terminals write files or answer back; C1 controls such as U+009B
 * act as ESC [ on terminals that read 8-bit controls; bidi overrides reorder what is shown), so
 * none reaches the terminal: human output drops them, JSON output escapes them.
 */

// C0 except tab and newline, DEL, C1, and the bidirectional formatting characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// JSON.stringify escapes C0 already; what it leaves raw of the above.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text for the terminal: our own line breaks and tabs stay, every other control character goes. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, '');
}

/** One field of outside text on one line: line breaks and tabs become spaces too. */
export function terminalLine(text: string): string {
  return terminalText(text.replace(/\s+/g, ' ')).trim();
}

/** JSON with the controls JSON.stringify leaves raw written as \u escapes: the same data, safe to print. */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
