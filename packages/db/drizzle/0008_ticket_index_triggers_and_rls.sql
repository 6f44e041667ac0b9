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
--> statement-breakpoint

-- Okapi BM25 (k1 = 1.2, b = 0.75; query term frequency counted, i.e. k3 → ∞) over the current
-- tenant's index (row-level security applies: SECURITY INVOKER). PL/pgSQL so each connection plans
-- this statement once instead of on every call: planning costs as much as running it on a small tenant.
-- Exact BM25 while the query's terms have at most candidate_postings postings in all; beyond that
-- the rarest terms that fit choose the candidates and the commoner ones (low idf, long posting
-- lists) only re-score the best `candidates` of them. See README "Similar tickets".
CREATE FUNCTION similar_tickets(query text, exclude_external_id text, max_results integer,
                                candidate_postings integer DEFAULT 10000, candidates integer DEFAULT 100)
  RETURNS TABLE (external_id text, subject text, resolution text, category text, score float8)
  LANGUAGE plpgsql STABLE
  AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH q AS (
    SELECT u.lexeme AS term, coalesce(array_length(u.positions, 1), 1)::float8 AS qtf
      FROM unnest(to_tsvector('english'::regconfig, query)) u
  ), n AS (
    SELECT s.docs::float8 AS docs, s.total_length::float8 / greatest(s.docs, 1) AS avgdl
      FROM ticket_history_stats s WHERE s.tenant_id = current_tenant_id()
  ), w AS (
    SELECT q.term, n.avgdl,
           q.qtf * ln(1 + (n.docs - s.df + 0.5) / (s.df + 0.5)) AS weight,
           row_number() OVER (ORDER BY s.df, q.term) AS rank,
           sum(s.df) OVER (ORDER BY s.df, q.term ROWS UNBOUNDED PRECEDING) AS postings
      FROM q
      JOIN ticket_term_stats s ON s.tenant_id = current_tenant_id() AND s.term = q.term
     CROSS JOIN n
  ), rare AS (
    SELECT w.* FROM w WHERE w.rank = 1 OR w.postings <= candidate_postings
  ), common AS (
    SELECT w.* FROM w WHERE NOT (w.rank = 1 OR w.postings <= candidate_postings)
  ), chosen AS (
    SELECT p.history_id,
           sum(r.weight * p.tf * 2.2::float8 / (p.tf + 1.2::float8 * (0.25::float8 + 0.75::float8 * p.doc_length / r.avgdl))) AS score
      FROM rare r
      JOIN ticket_terms p ON p.tenant_id = current_tenant_id() AND p.term = r.term
     GROUP BY p.history_id
     ORDER BY score DESC
     LIMIT candidates
  ), scored AS (
    SELECT c.history_id,
           c.score + coalesce((
             SELECT sum(m.weight * p.tf * 2.2::float8 / (p.tf + 1.2::float8 * (0.25::float8 + 0.75::float8 * p.doc_length / m.avgdl)))
               FROM common m
               JOIN ticket_terms p
                 ON p.tenant_id = current_tenant_id() AND p.term = m.term AND p.history_id = c.history_id
           ), 0) AS score
      FROM chosen c
  )
  SELECT h.external_id, h.subject, h.resolution, h.category, s.score
    FROM scored s
    JOIN ticket_history h ON h.id = s.history_id
   WHERE h.external_id IS DISTINCT FROM exclude_external_id
   ORDER BY s.score DESC, h.resolved_at DESC NULLS LAST, h.external_id
   LIMIT max_results;
END
$$;
