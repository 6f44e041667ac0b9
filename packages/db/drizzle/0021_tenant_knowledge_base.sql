ALTER TABLE "tenants" ADD COLUMN "knowledge_base" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "knowledge_base_topics" text[];--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_knowledge_base_valid" CHECK ("tenants"."knowledge_base" is null or "tenants"."knowledge_base" in ('all', 'off', 'topics'));--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_knowledge_base_topics" CHECK ((coalesce("tenants"."knowledge_base", '') = 'topics') = ("tenants"."knowledge_base_topics" is not null) and ("tenants"."knowledge_base_topics" is null or cardinality("tenants"."knowledge_base_topics") between 1 and 50));
