ALTER TABLE "tenants" ADD COLUMN "note_language" text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "default_language" text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_note_language_valid" CHECK ("tenants"."note_language" in ('auto', 'en', 'de', 'fr', 'es', 'it', 'nl', 'pt'));--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_default_language_valid" CHECK ("tenants"."default_language" in ('en', 'de', 'fr', 'es', 'it', 'nl', 'pt'));