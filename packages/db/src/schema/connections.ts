import { boolean, check, integer, pgTable, sql, text, timestamp, uuid } from '../orm.js';

/**
 * The ServiceDesk Plus editions a connection can be. The MSP editions (ServiceDesk Plus MSP on
 * premises, ServiceDesk Plus MSP Cloud) serve many customers ("accounts") from one instance: each
 * tenant of such a connection is one account (tenants.sdp_account_id). The others are one portal,
 * one tenant.
 */
export const CONNECTION_EDITIONS = ['onprem', 'cloud', 'msp-onprem', 'msp-cloud'] as const;
export type ConnectionEdition = (typeof CONNECTION_EDITIONS)[number];

/**
 * One ServiceDesk Plus instance: its URL, credentials, webhook secret and SDP call budget. Everything
 * that belongs to the instance rather than to a customer lives here, so a token, a budget or a
 * rotation is shared by every tenant of the instance. Not tenant-scoped (no tenant_id): row-level
 * security shows a connection to a transaction scoped to it (app.connection_id, withConnection) or to
 * one of its tenants (read only), see migration 0020_connections.
 */
export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    edition: text('edition', { enum: CONNECTION_EDITIONS }).notNull(),
    sdpBaseUrl: text('sdp_base_url').notNull(),
    sdpAuthType: text('sdp_auth_type', { enum: ['onprem', 'cloud'] }).notNull(),
    // AES-256-GCM (packages/shared secret-box), bound to the connection's id: JSON of the technician
    // key or the OAuth client. A migrated connection has its tenant's id, so its values still open.
    sdpCredentialsEnc: text('sdp_credentials_enc').notNull(),
    // The secret of the connection's own webhook URL (/v1/webhooks/servicedesk/connections/<slug>).
    // Null until `connection add` or `connection rotate-webhook-secret` makes one: a connection made
    // by the migration or by a plain `tenant add` is reached through its tenant's URL and secret.
    webhookSecretEnc: text('webhook_secret_enc'),
    // Set during a rotation: deliveries signed with either secret are accepted.
    webhookSecretPreviousEnc: text('webhook_secret_previous_enc'),
    // As tenants.webhook_token_enabled: the secret itself in X-Webhook-Token (native webhooks).
    webhookTokenEnabled: boolean('webhook_token_enabled').notNull().default(false),
    // ServiceDesk Plus calls per minute for the whole instance; null: the installation's
    // SDP_RATE_LIMIT_PER_MINUTE.
    sdpRateLimitPerMinute: integer('sdp_rate_limit_per_minute'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('connections_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{0,62}$'`),
    check('connections_edition_valid', sql`${t.edition} in ('onprem', 'cloud', 'msp-onprem', 'msp-cloud')`),
    check('connections_sdp_auth_type_valid', sql`${t.sdpAuthType} in ('onprem', 'cloud')`),
    // On-premises editions take a technician key, Cloud editions Zoho OAuth.
    check(
      'connections_edition_auth_type',
      sql`(${t.edition} in ('onprem', 'msp-onprem')) = (${t.sdpAuthType} = 'onprem')`,
    ),
    check(
      'connections_sdp_rate_limit_positive',
      sql`${t.sdpRateLimitPerMinute} is null or ${t.sdpRateLimitPerMinute} > 0`,
    ),
  ],
);

export type ConnectionRow = typeof connections.$inferSelect;

/** Whether the edition serves many customer accounts (each tenant then names its account). */
export function isMspEdition(edition: ConnectionEdition): boolean {
  return edition === 'msp-onprem' || edition === 'msp-cloud';
}
