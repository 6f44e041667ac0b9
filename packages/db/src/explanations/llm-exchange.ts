import { sql } from '../orm.js';
import { llmExchanges } from '../schema/llm-exchanges.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** The longest `--keep-llm-io` (days): the text sent to the model is ticket text, kept for review, not archive. */
export const MAX_KEEP_LLM_IO_DAYS = 90;

/**
 * Bytes of each text kept (UTF-8). The prompt is bounded by LLM_PROMPT_TOKEN_BUDGET (a few thousand
 * tokens, ~4 bytes each) and the answer by max_completion_tokens (800): 64 KiB holds both whole in
 * every configuration we ship and bounds a row whatever a model returns.
 */
export const MAX_LLM_IO_BYTES = 64 * 1024;

/** Appended where a text was cut. */
export const TRUNCATION_MARK = '\n[… truncated by ai-agents]';

/** `text` within `maxBytes` of UTF-8 (the mark included when cut), never splitting a character. Linear. */
export function boundText(text: string, maxBytes = MAX_LLM_IO_BYTES): { text: string; truncated: boolean } {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, truncated: false };
  const room = maxBytes - Buffer.byteLength(TRUNCATION_MARK, 'utf8');
  const bytes = Buffer.from(text, 'utf8');
  let end = room;
  // Back up to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: `${bytes.subarray(0, end).toString('utf8')}${TRUNCATION_MARK}`, truncated: true };
}

/** What was sent to the model for a note (the redacted prompt) and its raw answer, if any. */
export interface LlmExchange {
  prompt: string;
  answer: string | null;
}

/**
 * Keeps the exchange when, and only when, the tenant keeps model I/O (keep_llm_io_days > 0): the
 * setting is read by the same statement that writes, so a tenant that has turned it off never gets a
 * row, whatever a worker's cached tenant row says. Returns whether a row was written. One statement.
 */
export async function recordLlmExchange(
  scope: TenantScope,
  enhancementId: string,
  exchange: LlmExchange,
): Promise<boolean> {
  const prompt = boundText(exchange.prompt);
  const answer = exchange.answer === null ? null : boundText(exchange.answer);
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`insert into ${llmExchanges}
        (tenant_id, enhancement_id, prompt, prompt_truncated, answer, answer_truncated)
      select ${scope.tenantId}, ${enhancementId}, ${prompt.text}, ${prompt.truncated},
             ${answer?.text ?? null}, ${answer?.truncated ?? false}
        from ${tenants} where id = ${scope.tenantId} and keep_llm_io_days > 0`),
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * The tenant's exchanges older than its keep_llm_io_days before `now`, at most `limit`, oldest
 * first; with 0 (off) every one of them, so turning it off empties the table at the next run. The
 * setting is read in the statement. Returns the rows removed.
 */
export async function removeOldLlmExchanges(scope: TenantScope, now: Date, limit: number): Promise<number> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`
      with doomed as (
        select x.id from ${llmExchanges} x join ${tenants} t on t.id = x.tenant_id
         where x.tenant_id = ${scope.tenantId}
           and x.created_at < ${now.toISOString()}::timestamptz - make_interval(days => t.keep_llm_io_days)
         order by x.created_at
         limit ${limit}
      )
      delete from ${llmExchanges} x using doomed d where x.id = d.id`),
  );
  return result.rowCount ?? 0;
}
