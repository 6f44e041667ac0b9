import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './tenants.js';

export const ENHANCEMENT_STATUSES = ['processing', 'posting', 'posted', 'failed'] as const;

export type EnhancementStatus = (typeof ENHANCEMENT_STATUSES)[number];

/** One row per ticket event: the durable record that an event was handled, and how. */
export const enhancements = pgTable(
  'enhancements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    sdpRequestId: text('sdp_request_id').notNull(),
    eventId: text('event_id').notNull(),
    event: text('event').notNull(),
    status: text('status', { enum: ENHANCEMENT_STATUSES }).notNull().default('processing'),
    attempts: integer('attempts').notNull().default(0),
    noteId: text('note_id'),
    // True when the LLM failed and the note holds only the gathered context.
    fallback: boolean('fallback').notNull().default(false),
    model: text('model'),
    tokensIn: integer('tokens_in'),
    tokensOut: integer('tokens_out'),
    latencyMs: integer('latency_ms'),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    postedAt: timestamp('posted_at', { withTimezone: true }),
  },
  (t) => [
    unique('enhancements_tenant_event_unique').on(t.tenantId, t.eventId),
    index('enhancements_tenant_request_idx').on(t.tenantId, t.sdpRequestId),
    check('enhancements_status_valid', sql`${t.status} in ('processing', 'posting', 'posted', 'failed')`),
  ],
);

export type EnhancementRow = typeof enhancements.$inferSelect;
