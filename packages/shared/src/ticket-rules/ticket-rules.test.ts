import { describe, expect, it } from 'vitest';
import { decidingRule, fieldValue, ticketRuleMatcher } from './decide.js';
import { parseTicketRules, TICKET_RULES_LIMITS } from './parse.js';

const request = {
  id: '101',
  subject: 'Password reset for the VPN',
  request_type: { id: '3', name: 'Service Request' },
  template: { name: 'Onboarding' },
  site: { name: 'Berlin' },
  requester: { name: 'Anna Berg', email_id: 'Anna.Berg@Contoso.COM' },
  udf_fields: { udf_long_1: 42, udf_bool_1: true },
};

const decide = (rules: unknown, req: Record<string, unknown> = request) =>
  ticketRuleMatcher(parseTicketRules(rules))(req);

describe('parseTicketRules', () => {
  it('accepts the contract and fills in the keys left out', () => {
    expect(parseTicketRules({})).toEqual({ skip: [], opt_out_requesters: [] });
    const rules = {
      skip: [
        { field: 'request_type.name', is: 'Service Request' },
        { field: 'site.name', in: ['Berlin', 'Paris'] },
        { field: 'subject', contains: ['password', 'unlock'] },
        { field: 'template.name', starts_with: 'Onboard' },
        { field: 'requester.email_id', ends_with: '.example' },
      ],
      opt_out_requesters: ['ceo@contoso.com', '@board.contoso.com'],
    };
    expect(parseTicketRules(rules)).toEqual(rules);
  });

  it.each([
    [[], 'the rules document must be a JSON object, got a list'],
    [{ skips: [] }, 'unknown key "skips" (expected: skip, opt_out_requesters)'],
    [{ skip: {} }, 'skip: must be a list, got an object'],
    [{ skip: [{ field: 'subject', matches: '^a' }] }, 'skip[0]: unknown operator "matches"'],
    [{ skip: [{ field: 'subject' }] }, 'skip[0]: give exactly one operator'],
    [{ skip: [{ field: 'subject', is: 'a', contains: 'b' }] }, 'got is and contains'],
    [{ skip: [{ is: 'a' }] }, 'skip[0].field: must be a string, got nothing'],
    [{ skip: [{ field: 'request_type..name', is: 'a' }] }, 'skip[0].field: a dotted path'],
    [{ skip: [{ field: 'requests[0].id', is: 'a' }] }, 'skip[0].field: a dotted path'],
    [{ skip: [{ field: 'a.b.c.d.e.f.g', is: 'a' }] }, 'skip[0].field: at most 6 levels deep'],
    [{ skip: [{ field: 'subject', is: ['a'] }] }, 'skip[0].is: takes one string, got a list (use "in"'],
    [{ skip: [{ field: 'subject', in: 'a' }] }, 'skip[0].in: takes a list of strings, got a string'],
    [{ skip: [{ field: 'subject', in: [] }] }, 'skip[0].in: the list is empty'],
    [{ skip: [{ field: 'subject', contains: '' }] }, 'skip[0].contains: must not be empty'],
    [
      { skip: [{ field: 'subject', contains: ['a', 3] }] },
      'skip[0].contains[1]: must be a string, got a number',
    ],
    [{ skip: [{ field: 'subject', is: 'x'.repeat(251) }] }, 'skip[0].is: at most 250 characters, got 251'],
    [{ skip: [{ field: 'subject', in: Array(101).fill('a') }] }, 'skip[0].in: at most 100 values, got 101'],
    [{ skip: Array(101).fill({ field: 'subject', is: 'a' }) }, 'skip: at most 100 rules, got 101'],
    [{ opt_out_requesters: ['anna'] }, 'opt_out_requesters[0]: an e-mail address'],
    [{ opt_out_requesters: ['a@b@c'] }, 'opt_out_requesters[0]: an e-mail address'],
    [{ opt_out_requesters: ['@ example.com'] }, 'opt_out_requesters[0]: an e-mail address'],
    [{ opt_out_requesters: [null] }, 'opt_out_requesters[0]: must be a string, got null'],
    [{ opt_out_requesters: Array(1001).fill('@a.b') }, 'opt_out_requesters: at most 1000 entries, got 1001'],
  ])('refuses %j naming the problem', (rules, message) => {
    expect(() => parseTicketRules(rules)).toThrow(message);
  });

  it('keeps an error message short whatever the document holds', () => {
    const key = 'k'.repeat(TICKET_RULES_LIMITS.maxBytes);
    expect(() => parseTicketRules({ [key]: 1 })).toThrow(/^unknown key "k{60}…" \(expected/);
  });
});

describe('ticketRuleMatcher', () => {
  it('skips by request type, case-insensitively, naming the rule by place, field and operator', () => {
    const decision = decide({
      skip: [
        { field: 'category.name', is: 'Hardware' },
        { field: 'request_type.name', is: 'service request' },
      ],
    });
    expect(decision).toEqual({
      skip: true,
      reason: 'skip_rule',
      index: 1,
      field: 'request_type.name',
      operator: 'is',
    });
    if (decision.skip) expect(decidingRule(decision)).toBe('skip[1] request_type.name is');
  });

  it.each([
    [{ field: 'site.name', in: ['paris', 'BERLIN'] }, true],
    [{ field: 'site.name', in: ['Berlin-Mitte'] }, false],
    [{ field: 'subject', contains: 'PASSWORD' }, true],
    [{ field: 'subject', contains: ['printer', 'vpn'] }, true],
    [{ field: 'subject', contains: 'passwords' }, false],
    [{ field: 'template.name', starts_with: 'onb' }, true],
    [{ field: 'template.name', starts_with: 'boarding' }, false],
    [{ field: 'requester.email_id', ends_with: '@contoso.com' }, true],
    [{ field: 'udf_fields.udf_long_1', is: '42' }, true],
    [{ field: 'udf_fields.udf_bool_1', is: 'TRUE' }, true],
    // A rule names a leaf: an object, a missing field or a path through a string matches nothing.
    [{ field: 'request_type', contains: 'service' }, false],
    [{ field: 'group.name', is: 'L1' }, false],
    [{ field: 'subject.length', is: '26' }, false],
  ])('%j matches: %s', (rule, skips) => {
    expect(decide({ skip: [rule] }).skip).toBe(skips);
  });

  it('opts out an address or a whole domain, case-insensitively, not its subdomains', () => {
    expect(decide({ opt_out_requesters: ['ceo@contoso.com', 'anna.berg@contoso.com'] })).toEqual({
      skip: true,
      reason: 'opted_out',
      index: 1,
    });
    expect(decide({ opt_out_requesters: ['@CONTOSO.com'] })).toEqual({
      skip: true,
      reason: 'opted_out',
      index: 0,
    });
    expect(decide({ opt_out_requesters: ['@mail.contoso.com', '@berg.contoso.com'] }).skip).toBe(false);
    expect(decide({ opt_out_requesters: ['@contoso.com'] }, { ...request, requester: null }).skip).toBe(
      false,
    );
  });

  it('lets the first matching skip rule decide before the opt-out list, and skips nothing without rules', () => {
    const rules = { skip: [{ field: 'site.name', is: 'Berlin' }], opt_out_requesters: ['@contoso.com'] };
    expect(decide(rules)).toMatchObject({ reason: 'skip_rule', index: 0 });
    expect(decide({})).toEqual({ skip: false });
  });

  it('reads own fields only', () => {
    expect(fieldValue(request, 'subject.constructor')).toBeUndefined();
    expect(fieldValue(JSON.parse('{"__proto__":{"name":"x"}}'), '__proto__.name')).toBe('x');
    expect(fieldValue({}, 'toString')).toBeUndefined();
  });

  it('searches a megabyte of near-misses in linear time', () => {
    const pattern = `${'a'.repeat(249)}b`;
    const match = ticketRuleMatcher(
      parseTicketRules({ skip: [{ field: 'description', contains: Array(10).fill(pattern) }] }),
    );
    const started = performance.now();
    expect(match({ description: 'a'.repeat(1_000_000) }).skip).toBe(false);
    // 10 values × 1 MB: linear takes milliseconds each; quadratic (250 × 1 MB per value) would take minutes.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(match({ description: `${'a'.repeat(1_000_000)}b` }).skip).toBe(true);
  }, 60_000);
});
