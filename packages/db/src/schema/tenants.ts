import { sql } from 'drizzle-orm';
import { boolean, check, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

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
    // Opt-in for ServiceDesk Plus native webhooks, which cannot sign: the secret itself is sent in
    // X-Webhook-Token. Weaker than a signature (no replay protection), so off unless asked for.
    webhookTokenEnabled: boolean('webhook_token_enabled').notNull().default(false),
    // Null: the installation's LLM_MODEL.
    llmModel: text('llm_model'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('tenants_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{0,62}$'`),
    check('tenants_status_valid', sql`${t.status} in ('active', 'disabled')`),
    check('tenants_sdp_auth_type_valid', sql`${t.sdpAuthType} in ('onprem', 'cloud')`),
  ],
);

export type TenantRow = typeof tenants.$inferSelect;
