-- The small SQL layer a PostGraphile user would write over plan-api's own PostgreSQL database,
-- so that PostGraphile serves the two workloads its generated CRUD does not cover:
--   * the RAG summary of one plan by theme (W2), and
--   * recording a RAG status (W4): lock the action, append to the history, update the action.
-- Idempotent: bench/run.sh applies it before every run. It adds functions only; plan-api's
-- tables, indexes and migrations are left as they are.

-- W2: RAG counts of a plan's active actions, per theme and in total, in one statement
-- (like plan-api's ragSummary(groupBy: THEME)). Rows with theme_number NULL are the plan's
-- totals. Only non-zero counts are returned. PostGraphile exposes it as
-- `planRagSummaryByTheme(planId:)`, a connection of `PlanRagSummaryByThemeRecord`.
CREATE OR REPLACE FUNCTION plan_rag_summary_by_theme(plan_id int)
RETURNS TABLE (theme_number int, theme_title text, status text, count int)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT t.number, t.title, a.rag_status::text, count(*)::int
  FROM action a
  JOIN theme t ON t.id = a.theme_id
  WHERE a.plan_id = plan_rag_summary_by_theme.plan_id AND a.state = 'active'
  GROUP BY GROUPING SETS ((t.number, t.title, a.rag_status), (a.rag_status))
  ORDER BY t.number NULLS FIRST, a.rag_status
$$;

-- W4: record a status, with the rules of plan-api's RAG scale (a note is required when an
-- action becomes RED or leaves BLUE; removed actions take no updates; an effective date may be
-- back-dated, not before the current status, nor in the future; it defaults to today in
-- England). One transaction (the mutation's): the action row is locked FOR UPDATE, the history
-- row records the previous status, the action's current RAG and version are updated.
-- plan-api additionally writes an audit_event row and handles idempotency keys; this
-- function does neither. PostGraphile exposes it as the mutation `recordRagUpdate(input:)`.
CREATE OR REPLACE FUNCTION record_rag_update(
  action_id int,
  status text,
  note text DEFAULT NULL,
  effective_date date DEFAULT NULL
)
RETURNS rag_update
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  cur action;
  today date := (now() AT TIME ZONE 'Europe/London')::date;
  eff date := coalesce(record_rag_update.effective_date, today);
  clean_note text := nullif(btrim(record_rag_update.note), '');
  appended rag_update;
BEGIN
  IF record_rag_update.status IS NULL
     OR record_rag_update.status NOT IN ('RED', 'AMBER', 'GREEN', 'GREY', 'BLUE') THEN
    RAISE EXCEPTION 'unknown RAG status %', record_rag_update.status USING ERRCODE = '22023';
  END IF;
  SELECT * INTO cur FROM action a WHERE a.id = record_rag_update.action_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such action' USING ERRCODE = 'P0002';
  END IF;
  IF cur.state = 'removed' THEN
    RAISE EXCEPTION 'action % has been removed from the plan', cur.code USING ERRCODE = '22023';
  END IF;
  IF eff > today THEN
    RAISE EXCEPTION 'effectiveDate % is in the future', eff USING ERRCODE = '22023';
  END IF;
  IF eff < cur.rag_effective_date THEN
    RAISE EXCEPTION 'effectiveDate % is before the current status (effective %)',
      eff, cur.rag_effective_date USING ERRCODE = '22023';
  END IF;
  IF clean_note IS NULL AND record_rag_update.status = 'RED' AND cur.rag_status <> 'RED' THEN
    RAISE EXCEPTION 'a note is required when action % becomes RED', cur.code USING ERRCODE = '22023';
  END IF;
  IF clean_note IS NULL AND cur.rag_status = 'BLUE' AND record_rag_update.status <> 'BLUE' THEN
    RAISE EXCEPTION 'a note is required when action % leaves BLUE', cur.code USING ERRCODE = '22023';
  END IF;

  INSERT INTO rag_update (action_id, status, previous_status, note, effective_date, recorded_at, author, source)
  VALUES (cur.id, record_rag_update.status, cur.rag_status, clean_note, eff, now(), 'postgraphile', 'api')
  RETURNING * INTO appended;

  UPDATE action
     SET rag_status = record_rag_update.status,
         rag_note = clean_note,
         rag_effective_date = eff,
         rag_recorded_at = now(),
         version = version + 1,
         -- plan-api keeps the history's length on the action (its totalCount); so must any
         -- other writer of rag_update.
         history_count = history_count + 1,
         updated_at = now()
   WHERE id = cur.id;
  RETURN appended;
END
$$;
