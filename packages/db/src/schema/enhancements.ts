import type { NoteExplanation } from '../explanations/explanation.js';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  real,
  sql,
  text,
  timestamp,
  unique,
  uuid,
} from '../orm.js';
import { tenants } from './tenants.js';

// skipped: another event already owns this ticket's note (a second request.created for the same
// request; `duplicate_of` names the enhancement that does), or the tenant's rules skip the ticket
// (`skipped_by` names the rule).
export const ENHANCEMENT_STATUSES = ['processing', 'posting', 'posted', 'failed', 'skipped'] as const;

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
    // Estimated from the price table in config at the time of the call (USD).
    costUsd: numeric('cost_usd', { precision: 12, scale: 6, mode: 'number' }),
    // Which prompt produced the note, to compare quality across prompt changes.
    promptVersion: text('prompt_version'),
    // Grounding: cited ids the model returned that were not in its context (dropped from the note).
    droppedCitations: integer('dropped_citations').notNull().default(0),
    language: text('language'),
    // 'ok', 'soft' (cheaper model) or 'hard' (no LLM call: context-only note).
    budgetState: text('budget_state'),
    suggestedCategory: text('suggested_category'),
    suggestedPriority: text('suggested_priority'),
    confidence: real('confidence'),
    // True when the suggestions were written to the ticket (tenant opted in, confidence high enough).
    suggestionsApplied: boolean('suggestions_applied').notNull().default(false),
    error: text('error'),
    // Why the LLM answer was replaced by the context-only note (null when the LLM answered).
    fallbackReason: text('fallback_reason'),
    // Set when this event was skipped because `duplicate_of` already handles the same request.
    duplicateOf: uuid('duplicate_of'),
    // Set when the tenant's rules skipped the ticket: the rule by its place in the document
    // (`skip[0] request_type.name is`, `opt_out_requesters[2]`; decidingRule()), never the ticket's value.
    skippedBy: text('skipped_by'),
    // Alert storms: events with the same key (normalised subject + requester) within a window share
    // one full enhancement, the storm leader; followers get a short note linking to it.
    stormKey: text('storm_key'),
    stormLeaderId: uuid('storm_leader_id'),
    // What the note was built from (`note show`): ids, scores, suggestions, stage timings; never
    // ticket text. Bounded by explanations/explanation.ts.
    explanation: jsonb('explanation').$type<NoteExplanation>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    postedAt: timestamp('posted_at', { withTimezone: true }),
  },
  (t) => [
    unique('enhancements_tenant_event_unique').on(t.tenantId, t.eventId),
    index('enhancements_tenant_request_idx').on(t.tenantId, t.sdpRequestId),
    // Monthly usage (budget checks, the usage report) sums a tenant's rows by creation time.
    index('enhancements_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('enhancements_tenant_storm_idx').on(t.tenantId, t.stormKey, t.createdAt),
    check(
      'enhancements_status_valid',
      sql`${t.status} in ('processing', 'posting', 'posted', 'failed', 'skipped')`,
    ),
  ],
);

export type EnhancementRow = typeof enhancements.$inferSelect;
