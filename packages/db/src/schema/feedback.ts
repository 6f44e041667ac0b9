import { boolean, index, pgTable, text, timestamp, uuid } from '../orm.js';
import { enhancements } from './enhancements.js';
import { tenants } from './tenants.js';

export const FEEDBACK_SOURCES = ['signed', 'link'] as const;

/** A technician's verdict on one note. Several per enhancement are allowed: each technician may answer. */
export const feedback = pgTable(
  'feedback',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    enhancementId: uuid('enhancement_id')
      .notNull()
      .references(() => enhancements.id, { onDelete: 'cascade' }),
    helpful: boolean('helpful').notNull(),
    comment: text('comment'),
    // How the caller proved who it is: a signed request ('signed') or the note's link token ('link').
    source: text('source', { enum: FEEDBACK_SOURCES }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('feedback_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('feedback_enhancement_idx').on(t.enhancementId),
  ],
);

export type FeedbackRow = typeof feedback.$inferSelect;
