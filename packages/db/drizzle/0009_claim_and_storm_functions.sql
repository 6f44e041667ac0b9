-- The worker's claim and alert-storm join as one statement each (hand-written: functions). Same
-- logic as the multi-statement TypeScript versions they replace, one round trip instead of three
-- or four; SECURITY INVOKER, so row-level security applies as before. The advisory locks are still
-- transaction-scoped: they serialise the claims of one request and the joins of one storm key.

CREATE FUNCTION begin_enhancement(p_tenant_id uuid, p_event_id text, p_event text, p_request_id text)
  RETURNS TABLE (id uuid, status text, attempts integer, note_id text, duplicate_of uuid)
  LANGUAGE plpgsql VOLATILE
  AS $$
#variable_conflict use_column
DECLARE
  claimed enhancements%ROWTYPE;
  owner_id uuid;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('request' || E'\n' || p_tenant_id::text || E'\n' || p_request_id, 0));
  INSERT INTO enhancements AS e (tenant_id, event_id, event, sdp_request_id, status, attempts)
  VALUES (p_tenant_id, p_event_id, p_event, p_request_id, 'processing', 1)
  ON CONFLICT (tenant_id, event_id) DO UPDATE
    SET attempts = e.attempts + 1,
        updated_at = now(),
        status = CASE WHEN e.status IN ('posted', 'posting', 'skipped') THEN e.status ELSE 'processing' END
  RETURNING e.* INTO claimed;
  IF claimed.status = 'processing' THEN
    SELECT o.id INTO owner_id
      FROM enhancements o
     WHERE o.tenant_id = p_tenant_id AND o.sdp_request_id = p_request_id AND o.event = p_event
       AND o.id <> claimed.id AND o.status IN ('processing', 'posting', 'posted')
     ORDER BY o.created_at
     LIMIT 1;
    IF owner_id IS NOT NULL THEN
      UPDATE enhancements e SET status = 'skipped', duplicate_of = owner_id, updated_at = now()
       WHERE e.id = claimed.id;
      claimed.status := 'skipped';
      claimed.duplicate_of := owner_id;
    END IF;
  END IF;
  RETURN QUERY SELECT claimed.id, claimed.status, claimed.attempts, claimed.note_id, claimed.duplicate_of;
END
$$;--> statement-breakpoint

CREATE FUNCTION join_alert_storm(p_tenant_id uuid, p_enhancement_id uuid, p_storm_key text, p_window_seconds integer)
  RETURNS TABLE (id uuid, request_id text)
  LANGUAGE plpgsql VOLATILE
  AS $$
#variable_conflict use_column
DECLARE
  self_key text;
  self_leader uuid;
  leader_id uuid;
  leader_request text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('storm' || E'\n' || p_tenant_id::text || E'\n' || p_storm_key, 0));
  SELECT e.storm_key, e.storm_leader_id INTO self_key, self_leader FROM enhancements e WHERE e.id = p_enhancement_id;
  IF self_leader IS NOT NULL THEN
    RETURN QUERY SELECT e.id, e.sdp_request_id FROM enhancements e WHERE e.id = self_leader;
    RETURN;
  END IF;
  IF self_key IS NOT NULL THEN
    RETURN;
  END IF;
  SELECT e.id, e.sdp_request_id INTO leader_id, leader_request
    FROM enhancements e
   WHERE e.tenant_id = p_tenant_id AND e.storm_key = p_storm_key AND e.storm_leader_id IS NULL
     AND e.id <> p_enhancement_id AND e.status IN ('processing', 'posting', 'posted')
     AND e.created_at > now() - make_interval(secs => p_window_seconds)
   ORDER BY e.created_at DESC
   LIMIT 1;
  UPDATE enhancements e SET storm_key = p_storm_key, storm_leader_id = leader_id, updated_at = now()
   WHERE e.id = p_enhancement_id;
  IF leader_id IS NOT NULL THEN
    RETURN QUERY SELECT leader_id, leader_request;
  END IF;
END
$$;
