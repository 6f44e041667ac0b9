-- Issue 27, item 1: which tickets get an investigation. A tenant's rules document (checked by
-- parseTicketRules in packages/shared/src/ticket-rules/ before it is stored; bounded here too) and, on
-- an enhancement the rules skipped, the rule that did (by its place in the document, never the ticket's value).
ALTER TABLE "enhancements" ADD COLUMN "skipped_by" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "rules" jsonb;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_rules_bounded" CHECK (octet_length("tenants"."rules"::text) <= 65536);
