import { OPERATORS, type OperatorName } from './operators.js';
import { ruleOperator, type SkipRule, type TicketRules } from './parse.js';

/** Why a ticket gets no note; a closed set (the label of tickets_skipped_total). */
export type SkipReason = 'skip_rule' | 'opted_out';

/**
 * The rules' decision on one ticket. The rule is named by its place in the document (and, for a skip
 * rule, its field and operator), never by the ticket's value: this is what the audit log and the
 * enhancement record keep.
 */
export type TicketDecision =
  | { skip: false }
  | { skip: true; reason: 'skip_rule'; index: number; field: string; operator: OperatorName }
  | { skip: true; reason: 'opted_out'; index: number };

/** The decision for a ServiceDesk Plus request (the JSON of GET /requests/{id}'s `request`). */
export type TicketRuleMatcher = (request: Record<string, unknown>) => TicketDecision;

/**
 * The value at a dotted path of the request, as text: a string as is, a number or boolean as written
 * in JSON. Anything else (missing, null, an object, a list) is no value, and no rule matches it: a
 * rule names the leaf (`request_type.name`, not `request_type`). Own keys only.
 */
export function fieldValue(request: Record<string, unknown>, path: string): string | undefined {
  let node: unknown = request;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, key))
      return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  return undefined;
}

function compileRule(rule: SkipRule, index: number) {
  const operator = ruleOperator(rule);
  const given = rule[operator] as string | string[];
  const values = (Array.isArray(given) ? given : [given]).map((v) => v.toLowerCase());
  const test = OPERATORS[operator].compile(values);
  const field = rule.field;
  return (request: Record<string, unknown>): TicketDecision | null => {
    const value = fieldValue(request, field);
    return value !== undefined && test(value.toLowerCase())
      ? { skip: true, reason: 'skip_rule', index, field, operator }
      : null;
  };
}

/**
 * The opt-out list as a lookup: an entry `anna@example.com` matches that address, `@example.com`
 * every address whose domain (after its last @) is exactly example.com (not a subdomain: list those
 * too). Both sides lower-cased. The first entry that lists an address or domain is the one named.
 */
function compileOptOut(entries: readonly string[]) {
  const index = new Map<string, number>();
  entries.forEach((entry, i) => {
    const key = entry.toLowerCase();
    if (!index.has(key)) index.set(key, i);
  });
  return (request: Record<string, unknown>): TicketDecision | null => {
    if (index.size === 0) return null;
    const email = fieldValue(request, 'requester.email_id')?.trim().toLowerCase();
    if (!email) return null;
    const at = email.lastIndexOf('@');
    const found = index.get(email) ?? (at >= 0 ? index.get(email.slice(at)) : undefined);
    return found === undefined ? null : { skip: true, reason: 'opted_out', index: found };
  };
}

/**
 * Compiles a parsed document once (lower-cased values, search tables) into the per-ticket decision:
 * the first skip rule that matches, in the document's order, else an opted-out requester, else no
 * skip. Time per ticket: linear in the fields the rules read and the rules' own size.
 */
export function ticketRuleMatcher(rules: TicketRules): TicketRuleMatcher {
  const skipRules = rules.skip.map(compileRule);
  const optedOut = compileOptOut(rules.opt_out_requesters);
  return (request) => {
    for (const rule of skipRules) {
      const decision = rule(request);
      if (decision) return decision;
    }
    return optedOut(request) ?? { skip: false };
  };
}

/** The rule behind a decision, as the enhancement records it: `skip[0] request_type.name`, `opt_out_requesters[2]`. */
export function decidingRule(decision: Exclude<TicketDecision, { skip: false }>): string {
  return decision.reason === 'skip_rule'
    ? `skip[${decision.index}] ${decision.field} ${decision.operator}`
    : `opt_out_requesters[${decision.index}]`;
}
