import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { loadTenant, loadTenantRules, setTenantRules } from '@ai-agents/db';
import { createTenantClients } from '@ai-agents/servicedesk';
import {
  decidingRule,
  parseTicketRules,
  type SkipRule,
  TICKET_RULES_LIMITS,
  type TicketDecision,
  type TicketRules,
  TicketRulesError,
  ticketRuleMatcher,
} from '@ai-agents/shared';
import type { Command } from 'commander';
import {
  type AdminContext,
  AdminError,
  type AdminIo,
  tenantBySlug,
  withContext,
  withSharedServiceDesk,
} from '../context.js';

const MAX_BYTES = TICKET_RULES_LIMITS.maxBytes;

/** The file (or standard input for `-`), at most MAX_BYTES: a longer one is refused before it is read. */
async function readBounded(file: string, stdin: Readable): Promise<string> {
  if (file !== '-') {
    const size = await stat(file).then(
      (s) => s.size,
      (error: NodeJS.ErrnoException) => {
        throw new AdminError(
          `--file ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
          2,
        );
      },
    );
    if (size > MAX_BYTES) throw new AdminError(`--file ${file}: larger than ${MAX_BYTES / 1024} KB`, 2);
    return readFile(file, 'utf8');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_BYTES) throw new AdminError(`standard input is larger than ${MAX_BYTES / 1024} KB`, 2);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The document in `text`, checked against the contract; the error names the file and the problem. */
function rulesFrom(text: string, file: string): TicketRules {
  const source = file === '-' ? 'standard input' : file;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AdminError(`${source} is not JSON: ${(error as Error).message}`);
  }
  try {
    return parseTicketRules(value);
  } catch (error) {
    if (error instanceof TicketRulesError) throw new AdminError(`${source}: ${error.message}`);
    throw error;
  }
}

/** One rule as a line: `skip[0]: request_type.name is "Service Request"`. */
function ruleLine(rule: SkipRule, index: number): string {
  const [operator, value] = Object.entries(rule).find(([k]) => k !== 'field') ?? ['?', ''];
  return `  skip[${index}]: ${rule.field} ${operator} ${JSON.stringify(value)}`;
}

function describeRules(slug: string, rules: TicketRules | null): string {
  if (!rules || (rules.skip.length === 0 && rules.opt_out_requesters.length === 0))
    return `${slug} has no rules: every ticket gets a note.`;
  return [
    `Rules of ${slug} (the first skip rule that matches decides; then the opt-out list):`,
    ...rules.skip.map(ruleLine),
    ...rules.opt_out_requesters.map((entry, i) => `  opt_out_requesters[${i}]: ${entry}`),
  ].join('\n');
}

/** The stored document, parsed (a row written around the CLI that no longer parses is reported). */
function storedRules(stored: unknown, slug: string): TicketRules | null {
  if (stored === null) return null;
  try {
    return parseTicketRules(stored);
  } catch (error) {
    if (error instanceof TicketRulesError)
      throw new AdminError(`${slug}'s stored rules are invalid (${error.message}); set them again`);
    throw error;
  }
}

async function setRules(ctx: AdminContext, slug: string, rules: TicketRules): Promise<void> {
  const t = await tenantBySlug(ctx, slug);
  if (!(await setTenantRules({ db: ctx.database.db, tenantId: t.id }, rules, ctx.actor)))
    throw new AdminError(`no tenant with slug "${slug}"`);
  ctx.print(`Rules of ${slug} set.\n${describeRules(slug, rules)}`, { slug, rules });
}

async function showRules(ctx: AdminContext, slug: string): Promise<void> {
  const t = await tenantBySlug(ctx, slug);
  const stored = await loadTenantRules({ db: ctx.database.db, tenantId: t.id });
  if (stored === undefined) throw new AdminError(`no tenant with slug "${slug}"`);
  const rules = storedRules(stored, slug);
  ctx.print(describeRules(slug, rules), { slug, rules });
}

function decisionText(requestId: string, rules: TicketRules | null, decision: TicketDecision): string {
  if (!decision.skip) return `request ${requestId}: gets a note (no rule matches it)`;
  const rule =
    decision.reason === 'skip_rule'
      ? ruleLine(rules?.skip[decision.index] as SkipRule, decision.index).trim()
      : `opt_out_requesters[${decision.index}]: ${rules?.opt_out_requesters[decision.index]} (the requester opted out)`;
  return `request ${requestId}: no note, skipped by ${rule}`;
}

/** Fetches the request with the tenant's client, as the worker does, and prints the rules' decision. */
async function testRules(ctx: AdminContext, slug: string, requestId: string): Promise<void> {
  const summary = await tenantBySlug(ctx, slug);
  const tenant = await loadTenant({ db: ctx.database.db, tenantId: summary.id });
  if (!tenant) throw new AdminError(`no tenant with slug "${slug}"`);
  const rules = storedRules(tenant.rules, slug);
  const request = await withSharedServiceDesk(ctx, (shared) =>
    createTenantClients({
      box: ctx.box,
      timeoutMs: ctx.config.sdpTimeoutMs,
      requireHttps: ctx.config.isProduction,
      ...(shared ? { shared } : {}),
    })
      .forTenant(tenant)
      .getRequest(requestId),
  );
  const decision = rules ? ticketRuleMatcher(rules)(request) : ({ skip: false } as const);
  ctx.print(decisionText(requestId, rules, decision), {
    slug,
    request_id: requestId,
    note: !decision.skip,
    ...(decision.skip ? { reason: decision.reason, rule: decidingRule(decision) } : {}),
  });
}

/**
 * `tenant rules set|show|test`: which of a tenant's tickets get no note (docs/the-note.md, "Which
 * tickets get a note"). The document's contract, bounds and matching: packages/shared/src/ticket-rules/.
 */
export function registerTenantRulesCommands(tenant: Command, io: AdminIo): void {
  const rules = tenant
    .command('rules')
    .description('which tickets get no note (skip rules, opted-out requesters)');
  rules
    .command('set <slug>')
    .description('replace the tenant\'s rules with a JSON document (at most 64 KB; "{}" removes every rule)')
    .requiredOption('--file <path>', 'the rules document; - reads standard input')
    .action(async (slug: string, opts: { file: string }, command: Command) => {
      const parsed = rulesFrom(await readBounded(opts.file, io.stdin), opts.file);
      await withContext(command, (ctx) => setRules(ctx, slug, parsed));
    });
  rules
    .command('show <slug>')
    .description("show the tenant's rules")
    .action((slug: string, _opts: unknown, command: Command) =>
      withContext(command, (ctx) => showRules(ctx, slug)),
    );
  rules
    .command('test <slug>')
    .description(
      'fetch a request from ServiceDesk Plus and print whether it would get a note, and which rule decides',
    )
    .requiredOption('--request <id>', 'the ServiceDesk Plus request id')
    .action((slug: string, opts: { request: string }, command: Command) =>
      withContext(command, (ctx) => testRules(ctx, slug, opts.request)),
    );
}
