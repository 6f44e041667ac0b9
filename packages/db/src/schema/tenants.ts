import type { TicketRules } from '@ai-agents/shared';
import { boolean, check, integer, jsonb, pgTable, real, sql, text, timestamp, unique, uuid } from '../orm.js';
import { connections } from './connections.js';

export const tenants = pgTable(
  'tenants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    // The ServiceDesk Plus instance (its URL, credentials, token and budget; migration 0020_connections).
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id),
    // On an MSP edition, the customer's account on the connection's instance (SDP's `account.id`, a
    // digit string as every SDP id, and its name for display); null on a single-portal edition.
    sdpAccountId: text('sdp_account_id'),
    sdpAccountName: text('sdp_account_name'),
    // The secret of the tenant's own webhook URL (/v1/webhooks/servicedesk/<slug>), which keeps working
    // beside the connection's.
    webhookSecretEnc: text('webhook_secret_enc').notNull(),
    // Set during a secret rotation: deliveries signed with either secret are accepted.
    webhookSecretPreviousEnc: text('webhook_secret_previous_enc'),
    // Opt-in for ServiceDesk Plus native webhooks, which cannot sign: the secret itself is sent in
    // X-Webhook-Token. Weaker than a signature (no replay protection), so off unless asked for.
    webhookTokenEnabled: boolean('webhook_token_enabled').notNull().default(false),
    // Null: the installation's LLM_MODEL.
    llmModel: text('llm_model'),
    // The tenant's own model endpoint (`tenant llm --endpoint`); null: the installation's
    // OPENAI_BASE_URL and OPENAI_API_KEY. Columns on the tenant rather than a table of their own: one
    // endpoint per tenant, read with the row every job already loads, erased and exported with it
    // (the key as every `*_enc` column: left out). See packages/shared/src/llm-endpoint.ts.
    llmEndpoint: text('llm_endpoint', { enum: ['openai', 'azure', 'compatible'] }),
    // openai: optional (a regional host); azure: the resource endpoint; compatible: the server's /v1.
    llmBaseUrl: text('llm_base_url'),
    llmAzureDeployment: text('llm_azure_deployment'),
    llmAzureApiVersion: text('llm_azure_api_version'),
    // AES-256-GCM (secret box, purpose llm_api_key): the endpoint's key; rotated by `tenant llm --rotate-key`.
    llmApiKeyEnc: text('llm_api_key_enc'),
    // The embeddings API model when EMBEDDER=openai; null: the installation's EMBEDDING_MODEL.
    embeddingModel: text('embedding_model'),
    // PII is replaced by placeholders before ticket text leaves for the LLM; on unless turned off.
    piiRedaction: boolean('pii_redaction').notNull().default(true),
    // Suggested category/priority are written to the ticket only when enabled and the model is at
    // least this confident (0..1); otherwise they stay suggestions in the note.
    autoApplySuggestions: boolean('auto_apply_suggestions').notNull().default(false),
    autoApplyMinConfidence: real('auto_apply_min_confidence').notNull().default(0.8),
    // Tokens (in + out) per calendar month (UTC); null: no budget.
    monthlyTokenBudget: integer('monthly_token_budget'),
    // Past this share of the budget the cheaper model answers (the soft limit).
    budgetSoftLimitPercent: integer('budget_soft_limit_percent').notNull().default(80),
    // The cheaper model past the soft limit; null: the installation's LLM_BUDGET_MODEL.
    budgetModel: text('budget_model'),
    // Accepted webhooks per minute for this tenant; null: the installation's WEBHOOK_RATE_LIMIT_PER_MINUTE.
    webhookRateLimitPerMinute: integer('webhook_rate_limit_per_minute'),
    // Knowledge-base solutions offered in notes (`tenant knowledge-base`): 'all', 'off', or 'topics'
    // (only solutions of knowledge_base_topics); null: the edition's default, 'all' on a single
    // portal and 'off' on an MSP account until a live instance shows solutions are scoped to accounts
    // (issue 25; tenants/knowledge-base.ts).
    knowledgeBase: text('knowledge_base', { enum: ['all', 'off', 'topics'] }),
    knowledgeBaseTopics: text('knowledge_base_topics').array(),
    // Retention (`tenant retention`, applied daily by the worker's retention job): null follows the
    // installation's RETENTION_* default, 0 keeps for ever whatever the default, N removes past N.
    retentionHistoryMonths: integer('retention_history_months'),
    retentionEnhancementDays: integer('retention_enhancement_days'),
    retentionAuditDays: integer('retention_audit_days'),
    retentionFeedbackCommentDays: integer('retention_feedback_comment_days'),
    // Days the text sent to the model and its answer are kept (llm_exchanges); 0, the default: never kept.
    keepLlmIoDays: integer('keep_llm_io_days').notNull().default(0),
    // The note's language (`tenant llm --note-language`): 'auto' writes in the ticket's language, a code
    // (NOTE_LANGUAGES of packages/shared) in that language whatever the ticket's, for technicians who
    // all read one. default_language is the language when the ticket's cannot be told.
    noteLanguage: text('note_language').notNull().default('auto'),
    defaultLanguage: text('default_language').notNull().default('en'),
    // Which tickets get no note (`tenant rules set`, packages/shared/src/ticket-rules/): checked by
    // parseTicketRules before it is stored; null: no rules, every ticket gets its note.
    rules: jsonb('rules').$type<TicketRules>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('tenants_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{0,62}$'`),
    check('tenants_status_valid', sql`${t.status} in ('active', 'disabled')`),
    // One tenant per account of a connection, and one tenant without an account (a single portal):
    // null is one value here (NULLS NOT DISTINCT).
    unique('tenants_connection_account_unique').on(t.connectionId, t.sdpAccountId).nullsNotDistinct(),
    check('tenants_sdp_account_id_format', sql`${t.sdpAccountId} ~ '^[0-9]{1,20}$'`),
    check('tenants_sdp_account_name_length', sql`length(${t.sdpAccountName}) <= 200`),
    check(
      'tenants_auto_apply_min_confidence_range',
      sql`${t.autoApplyMinConfidence} >= 0 and ${t.autoApplyMinConfidence} <= 1`,
    ),
    check('tenants_budget_soft_limit_percent_range', sql`${t.budgetSoftLimitPercent} between 1 and 100`),
    check('tenants_monthly_token_budget_positive', sql`${t.monthlyTokenBudget} > 0`),
    check(
      'tenants_webhook_rate_limit_positive',
      sql`${t.webhookRateLimitPerMinute} is null or ${t.webhookRateLimitPerMinute} > 0`,
    ),
    check(
      'tenants_knowledge_base_valid',
      sql`${t.knowledgeBase} is null or ${t.knowledgeBase} in ('all', 'off', 'topics')`,
    ),
    // Topics exactly when the setting is 'topics', 1 to 50 of them (tenants/knowledge-base.ts bounds each).
    check(
      'tenants_knowledge_base_topics',
      sql`(coalesce(${t.knowledgeBase}, '') = 'topics') = (${t.knowledgeBaseTopics} is not null) and (${t.knowledgeBaseTopics} is null or cardinality(${t.knowledgeBaseTopics}) between 1 and 50)`,
    ),
    // Whole or absent: the installation's endpoint has none of these; each kind has what it needs and a key.
    check(
      'tenants_llm_endpoint_whole',
      sql`(${t.llmEndpoint} is null and ${t.llmBaseUrl} is null and ${t.llmAzureDeployment} is null and ${t.llmAzureApiVersion} is null and ${t.llmApiKeyEnc} is null)
        or (${t.llmEndpoint} = 'openai' and ${t.llmApiKeyEnc} is not null and ${t.llmAzureDeployment} is null and ${t.llmAzureApiVersion} is null)
        or (${t.llmEndpoint} = 'compatible' and ${t.llmBaseUrl} is not null and ${t.llmApiKeyEnc} is not null and ${t.llmAzureDeployment} is null and ${t.llmAzureApiVersion} is null)
        or (${t.llmEndpoint} = 'azure' and ${t.llmBaseUrl} is not null and ${t.llmApiKeyEnc} is not null and ${t.llmAzureDeployment} is not null and ${t.llmAzureApiVersion} is not null)`,
    ),
    // The bound the CLI reads a rules file with (TICKET_RULES_LIMITS.maxBytes), also for rows written otherwise.
    check('tenants_rules_bounded', sql`octet_length(${t.rules}::text) <= 65536`),
    check('tenants_retention_history_months_range', sql`${t.retentionHistoryMonths} between 0 and 1200`),
    // 0 (keep) or at least the floor of packages/db/src/retention/policy.ts (MIN_ENHANCEMENT_DAYS).
    check(
      'tenants_retention_enhancement_days_range',
      sql`${t.retentionEnhancementDays} = 0 or ${t.retentionEnhancementDays} between 7 and 36500`,
    ),
    check('tenants_retention_audit_days_range', sql`${t.retentionAuditDays} between 0 and 36500`),
    check(
      'tenants_retention_feedback_comment_days_range',
      sql`${t.retentionFeedbackCommentDays} between 0 and 36500`,
    ),
    // MAX_KEEP_LLM_IO_DAYS (explanations/llm-exchange.ts).
    check('tenants_keep_llm_io_days_range', sql`${t.keepLlmIoDays} between 0 and 90`),
    // A language code the worker can name in the prompt: NOTE_LANGUAGES; the CLI says so first.
    check(
      'tenants_note_language_valid',
      sql`${t.noteLanguage} in ('auto', 'en', 'de', 'fr', 'es', 'it', 'nl', 'pt')`,
    ),
    check(
      'tenants_default_language_valid',
      sql`${t.defaultLanguage} in ('en', 'de', 'fr', 'es', 'it', 'nl', 'pt')`,
    ),
  ],
);

/** The tenants row alone; a tenant as loaded, with its connection, is TenantRow (tenants/load.ts). */
export type TenantRecord = typeof tenants.$inferSelect;
