import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const tenants = pgTable(
  'tenants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    sdpBaseUrl: text('sdp_base_url').notNull(),
    sdpAuthType: text('sdp_auth_type', { enum: ['onprem', 'cloud'] }).notNull(),
    // AES-256-GCM (packages/shared secret-box): JSON of the technician key or the OAuth client.
    sdpCredentialsEnc: text('sdp_credentials_enc').notNull(),
    webhookSecretEnc: text('webhook_secret_enc').notNull(),
    // Set during a secret rotation: deliveries signed with either secret are accepted.
    webhookSecretPreviousEnc: text('webhook_secret_previous_enc'),
    // Null: the installation's LLM_MODEL.
    llmModel: text('llm_model'),
    // Accepted webhooks per minute for this tenant; null: the installation's WEBHOOK_RATE_LIMIT_PER_MINUTE.
    webhookRateLimitPerMinute: integer('webhook_rate_limit_per_minute'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('tenants_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{0,62}$'`),
    check('tenants_status_valid', sql`${t.status} in ('active', 'disabled')`),
    check('tenants_sdp_auth_type_valid', sql`${t.sdpAuthType} in ('onprem', 'cloud')`),
    check(
      'tenants_webhook_rate_limit_positive',
      sql`${t.webhookRateLimitPerMinute} is null or ${t.webhookRateLimitPerMinute} > 0`,
    ),
  ],
);

export type TenantRow = typeof tenants.$inferSelect;
