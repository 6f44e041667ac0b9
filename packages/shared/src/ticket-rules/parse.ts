import { isOperatorName, OPERATOR_NAMES, OPERATORS, type OperatorName } from './operators.js';

/**
 * A tenant's rules document, as the operator writes it (docs/the-note.md, "Which tickets get a note"):
 * `{"skip": [{"field": "request_type.name", "is": "Service Request"}], "opt_out_requesters": ["@example.com"]}`.
 * Both keys may be left out; `{}` is no rules, as a tenant without a document.
 */
export interface TicketRules {
  skip: SkipRule[];
  opt_out_requesters: string[];
}

/** One skip rule: a field and exactly one operator with its value(s). */
export type SkipRule = { field: string } & { [K in OperatorName]?: string | string[] };

/**
 * The bounds of a document. The CLI reads at most MAX_BYTES; the rest keeps the work per ticket small
 * (at most 100 rules × 100 values of 250 characters) and every error message short.
 */
export const TICKET_RULES_LIMITS = {
  /** The document's size as a file (and as stored: a check constraint on tenants.rules). */
  maxBytes: 64 * 1024,
  maxSkipRules: 100,
  maxValuesPerRule: 100,
  /** ServiceDesk Plus' own longest name-like field: a subject has at most 250 characters. */
  maxValueChars: 250,
  maxFieldChars: 100,
  maxFieldDepth: 6,
  maxOptOutRequesters: 1000,
  /** The longest e-mail address SMTP carries (RFC 5321, 4.5.3.1.3: a path of 256 with its brackets). */
  maxAddressChars: 254,
} as const;

/** A document that breaks the contract; the message names the place and the problem. */
export class TicketRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TicketRulesError';
  }
}

const TOP_KEYS = ['skip', 'opt_out_requesters'];
// Path segments of the keys of SDP's request object (request_type, email_id, udf_fields.udf_sline_1), as
// GET /api/v3/requests/{id} returns it (vendor pages: sdpod-v3-api and sdpop-v3-api requests/request.html,
// "Attributes"): no wildcard, no list index.
const FIELD = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
// One @ with text on both sides, or a leading @ and a domain; no spaces, no second @.
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const DOMAIN = /^@[^\s@]+$/;

/** `value` quoted for an error message, cut to 60 characters. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function boundedString(value: unknown, where: string, max: number): string {
  if (typeof value !== 'string')
    throw new TicketRulesError(`${where}: must be a string, got ${kindOf(value)}`);
  if (value.length === 0) throw new TicketRulesError(`${where}: must not be empty`);
  if (value.length > max)
    throw new TicketRulesError(`${where}: at most ${max} characters, got ${value.length}`);
  return value;
}

function boundedList(value: unknown, where: string, max: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw new TicketRulesError(`${where}: must be a list, got ${kindOf(value)}`);
  if (value.length > max) throw new TicketRulesError(`${where}: at most ${max} ${what}, got ${value.length}`);
  return value;
}

function parseField(value: unknown, where: string): string {
  const field = boundedString(value, `${where}.field`, TICKET_RULES_LIMITS.maxFieldChars);
  if (!FIELD.test(field))
    throw new TicketRulesError(
      `${where}.field: a dotted path of letters, digits and _ (e.g. request_type.name), got ${shown(field)}`,
    );
  if (field.split('.').length > TICKET_RULES_LIMITS.maxFieldDepth)
    throw new TicketRulesError(`${where}.field: at most ${TICKET_RULES_LIMITS.maxFieldDepth} levels deep`);
  return field;
}

function parseValues(operator: OperatorName, value: unknown, where: string): string | string[] {
  const accepts = OPERATORS[operator].values;
  const { maxValueChars, maxValuesPerRule } = TICKET_RULES_LIMITS;
  if (Array.isArray(value)) {
    if (accepts === 'string')
      throw new TicketRulesError(`${where}: takes one string, got a list (use "in" for a list)`);
    const list = boundedList(value, where, maxValuesPerRule, 'values');
    if (list.length === 0) throw new TicketRulesError(`${where}: the list is empty`);
    return list.map((v, i) => boundedString(v, `${where}[${i}]`, maxValueChars));
  }
  if (accepts === 'list')
    throw new TicketRulesError(`${where}: takes a list of strings, got ${kindOf(value)} (use "is" for one)`);
  return boundedString(value, where, maxValueChars);
}

function parseSkipRule(value: unknown, index: number): SkipRule {
  const where = `skip[${index}]`;
  if (!isRecord(value)) throw new TicketRulesError(`${where}: must be an object, got ${kindOf(value)}`);
  const keys = Object.keys(value).filter((k) => k !== 'field');
  const unknown = keys.find((k) => !isOperatorName(k));
  if (unknown !== undefined)
    throw new TicketRulesError(
      `${where}: unknown operator ${shown(unknown)} (one of: ${OPERATOR_NAMES.join(', ')})`,
    );
  if (keys.length !== 1)
    throw new TicketRulesError(
      `${where}: give exactly one operator (${OPERATOR_NAMES.join(', ')}), got ${keys.length === 0 ? 'none' : keys.join(' and ')}`,
    );
  const operator = keys[0] as OperatorName;
  const field = parseField(value.field, where);
  return { field, [operator]: parseValues(operator, value[operator], `${where}.${operator}`) };
}

function parseRequester(value: unknown, index: number): string {
  const where = `opt_out_requesters[${index}]`;
  const entry = boundedString(value, where, TICKET_RULES_LIMITS.maxAddressChars);
  if (!EMAIL.test(entry) && !DOMAIN.test(entry))
    throw new TicketRulesError(
      `${where}: an e-mail address (anna@example.com) or a domain (@example.com), got ${shown(entry)}`,
    );
  return entry;
}

/**
 * The document checked against the contract, or a TicketRulesError naming the first problem: an
 * unknown key or operator, a wrong type, too many rules or values, a string too long. Returns a copy
 * holding exactly the contract's keys (both present).
 */
export function parseTicketRules(value: unknown): TicketRules {
  if (!isRecord(value))
    throw new TicketRulesError(`the rules document must be a JSON object, got ${kindOf(value)}`);
  const unknown = Object.keys(value).find((k) => !TOP_KEYS.includes(k));
  if (unknown !== undefined)
    throw new TicketRulesError(`unknown key ${shown(unknown)} (expected: ${TOP_KEYS.join(', ')})`);
  const { maxSkipRules, maxOptOutRequesters } = TICKET_RULES_LIMITS;
  const skip = boundedList(value.skip ?? [], 'skip', maxSkipRules, 'rules').map(parseSkipRule);
  const optOut = boundedList(
    value.opt_out_requesters ?? [],
    'opt_out_requesters',
    maxOptOutRequesters,
    'entries',
  ).map(parseRequester);
  return { skip, opt_out_requesters: optOut };
}

/** The operator of a parsed rule (exactly one, by parseTicketRules). */
export function ruleOperator(rule: SkipRule): OperatorName {
  const operator = OPERATOR_NAMES.find((name) => rule[name] !== undefined);
  if (!operator) throw new TicketRulesError(`rule on ${rule.field} has no operator`);
  return operator;
}
