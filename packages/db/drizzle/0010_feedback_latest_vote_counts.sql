-- One vote per enhancement, the last one counts: a technician who changes their mind, or a link
-- posted again and again, is one answer in the rates, not many. The table stays append-only (every
-- vote is kept); only the counting changes. Same signature, so the grants stay.
CREATE OR REPLACE FUNCTION feedback_rates(p_since timestamptz)
  RETURNS TABLE (slug text, helpful bigint, not_helpful bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
    SELECT t.slug,
           count(f.id) FILTER (WHERE f.helpful),
           count(f.id) FILTER (WHERE NOT f.helpful)
      FROM public.tenants t
      LEFT JOIN (
        SELECT DISTINCT ON (v.tenant_id, v.enhancement_id) v.id, v.tenant_id, v.helpful
          FROM public.feedback v
         WHERE v.created_at >= p_since
         ORDER BY v.tenant_id, v.enhancement_id, v.created_at DESC, v.id DESC
      ) f ON f.tenant_id = t.id
     GROUP BY t.slug
     ORDER BY t.slug
  $$;
