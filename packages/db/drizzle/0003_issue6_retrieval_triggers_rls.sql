-- Similar-ticket retrieval index maintenance and tenant isolation of the issue 6 tables
-- (hand-written: drizzle-kit cannot express functions, triggers or FORCE RLS).

-- What a ticket is indexed by: its subject and description (the problem as the requester put it).
-- The resolution is left out: a new ticket is compared with past problems, not with their fixes,
-- and long resolutions would otherwise dilute BM25's length normalisation.
CREATE FUNCTION ticket_index_vector(subject text, description text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_tsvector('english'::regconfig, coalesce(subject, '') || ' ' || coalesce(description, '')) $$;--> statement-breakpoint

-- Serialises index writers per tenant. Document-frequency rows of common terms are shared by every
-- ticket of a tenant; without one lock, two bulk imports could lock them in different orders and deadlock.
CREATE FUNCTION ticket_index_lock(tenant_ids uuid[]) RETURNS void
  LANGUAGE sql
  AS $$ SELECT pg_advisory_xact_lock(hashtextextended('ticket_index:' || t::text, 0))
          FROM (SELECT DISTINCT unnest(tenant_ids) AS t ORDER BY 1) s $$;--> statement-breakpoint

-- Adds the postings of tickets (by id) and counts them into the tenant's statistics. Tickets without
-- a single indexable word are not counted: no query can find them.
CREATE FUNCTION ticket_index_add(ids uuid[]) RETURNS void
  LANGUAGE sql
  AS $$
  INSERT INTO ticket_terms (tenant_id, term, history_id, tf, doc_length)
  SELECT h.tenant_id, u.lexeme, h.id, coalesce(array_length(u.positions, 1), 1),
         sum(coalesce(array_length(u.positions, 1), 1)) OVER (PARTITION BY h.id)
    FROM ticket_history h, unnest(ticket_index_vector(h.subject, h.description)) u
   WHERE h.id = ANY (ids);
  INSERT INTO ticket_term_stats (tenant_id, term, df)
  SELECT tenant_id, term, count(*) FROM ticket_terms WHERE history_id = ANY (ids)
   GROUP BY tenant_id, term ORDER BY tenant_id, term
  ON CONFLICT (tenant_id, term) DO UPDATE SET df = ticket_term_stats.df + excluded.df;
  INSERT INTO ticket_history_stats (tenant_id, docs, total_length)
  SELECT tenant_id, count(DISTINCT history_id), sum(tf) FROM ticket_terms WHERE history_id = ANY (ids)
   GROUP BY tenant_id
  ON CONFLICT (tenant_id) DO UPDATE
    SET docs = ticket_history_stats.docs + excluded.docs,
        total_length = ticket_history_stats.total_length + excluded.total_length;
$$;--> statement-breakpoint

-- The reverse of ticket_index_add, from the postings themselves (the tickets may be gone already).
CREATE FUNCTION ticket_index_remove(ids uuid[]) RETURNS void
  LANGUAGE sql
  AS $$
  UPDATE ticket_term_stats s SET df = s.df - d.n
    FROM (SELECT tenant_id, term, count(*) AS n FROM ticket_terms WHERE history_id = ANY (ids)
           GROUP BY tenant_id, term) d
   WHERE s.tenant_id = d.tenant_id AND s.term = d.term;
  DELETE FROM ticket_term_stats s
   USING (SELECT DISTINCT tenant_id, term FROM ticket_terms WHERE history_id = ANY (ids)) d
   WHERE s.tenant_id = d.tenant_id AND s.term = d.term AND s.df <= 0;
  UPDATE ticket_history_stats s
     SET docs = s.docs - d.docs, total_length = s.total_length - d.len
    FROM (SELECT tenant_id, count(DISTINCT history_id) AS docs, sum(tf) AS len FROM ticket_terms
           WHERE history_id = ANY (ids) GROUP BY tenant_id) d
   WHERE s.tenant_id = d.tenant_id;
  DELETE FROM ticket_terms WHERE history_id = ANY (ids);
$$;--> statement-breakpoint

-- Statement-level, with transition tables: a bulk import of thousands of tickets updates each
-- term's document frequency once, not once per ticket.
CREATE FUNCTION ticket_history_reindex() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  removed uuid[];
  added uuid[];
  touched uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(id), array_agg(DISTINCT tenant_id) INTO added, touched FROM new_rows;
  ELSIF TG_OP = 'UPDATE' THEN
    -- Only a changed subject or description changes the index (a refreshed resolution does not).
    SELECT array_agg(n.id), array_agg(DISTINCT n.tenant_id) INTO added, touched
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (n.subject, n.description) IS DISTINCT FROM (o.subject, o.description);
    removed := added;
  ELSE
    SELECT array_agg(id), array_agg(DISTINCT tenant_id) INTO removed, touched FROM old_rows;
  END IF;
  IF touched IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM ticket_index_lock(touched);
  IF removed IS NOT NULL THEN
    PERFORM ticket_index_remove(removed);
  END IF;
  IF added IS NOT NULL THEN
    PERFORM ticket_index_add(added);
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER ticket_history_reindex_insert AFTER INSERT ON ticket_history
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_reindex();--> statement-breakpoint
CREATE TRIGGER ticket_history_reindex_update AFTER UPDATE ON ticket_history
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_reindex();--> statement-breakpoint
CREATE TRIGGER ticket_history_reindex_delete AFTER DELETE ON ticket_history
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_reindex();--> statement-breakpoint

ALTER TABLE ticket_terms ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE ticket_terms FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY ticket_terms_select ON ticket_terms FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_terms_insert ON ticket_terms FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_terms_update ON ticket_terms FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_terms_delete ON ticket_terms FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint

ALTER TABLE ticket_term_stats ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE ticket_term_stats FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY ticket_term_stats_select ON ticket_term_stats FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_term_stats_insert ON ticket_term_stats FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_term_stats_update ON ticket_term_stats FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_term_stats_delete ON ticket_term_stats FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint

ALTER TABLE ticket_history_stats ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE ticket_history_stats FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY ticket_history_stats_select ON ticket_history_stats FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_history_stats_insert ON ticket_history_stats FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_history_stats_update ON ticket_history_stats FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_history_stats_delete ON ticket_history_stats FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint

ALTER TABLE system_inventory ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE system_inventory FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_inventory_select ON system_inventory FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY system_inventory_insert ON system_inventory FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY system_inventory_update ON system_inventory FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY system_inventory_delete ON system_inventory FOR DELETE USING (tenant_id = current_tenant_id());
--> statement-breakpoint

ALTER TABLE history_import_cursors ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE history_import_cursors FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY history_import_cursors_select ON history_import_cursors FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY history_import_cursors_insert ON history_import_cursors FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY history_import_cursors_update ON history_import_cursors FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY history_import_cursors_delete ON history_import_cursors FOR DELETE USING (tenant_id = current_tenant_id());
--> statement-breakpoint

-- Scoring reads only the index (drizzle-kit cannot express INCLUDE): an index-only scan of a term's
-- postings instead of one heap page per posting, which is most of a query's time on a large tenant.
ALTER TABLE ticket_terms DROP CONSTRAINT ticket_terms_pkey;--> statement-breakpoint
ALTER TABLE ticket_terms ADD CONSTRAINT ticket_terms_pkey PRIMARY KEY (tenant_id, term, history_id) INCLUDE (tf, doc_length);
