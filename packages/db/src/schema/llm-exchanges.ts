import { boolean, index, pgTable, text, timestamp, uuid } from '../orm.js';
import { enhancements } from './enhancements.js';
import { tenants } from './tenants.js';

/**
 * What was sent to the model for one note and what it answered, kept only for a tenant that turned
 * it on (`tenant llm <slug> --keep-llm-io <days>`, tenants.keep_llm_io_days) and removed by the
 * retention job after those days. The prompt is the redacted one the model received. Each text is
 * bounded (MAX_LLM_IO_BYTES in explanations/llm-exchange.ts) and says when it was cut.
 */
export const llmExchanges = pgTable(
  'llm_exchanges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    enhancementId: uuid('enhancement_id')
      .notNull()
      .references(() => enhancements.id, { onDelete: 'cascade' }),
    prompt: text('prompt').notNull(),
    promptTruncated: boolean('prompt_truncated').notNull().default(false),
    // Null when the model gave no answer (the request failed).
    answer: text('answer'),
    answerTruncated: boolean('answer_truncated').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('llm_exchanges_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('llm_exchanges_enhancement_idx').on(t.enhancementId),
  ],
);

export type LlmExchangeRow = typeof llmExchanges.$inferSelect;
