-- The secondary delivery figures (docs/kpi.md "Secondary figures"): each is read per planned
-- unit from a covering index, like the three KPIs (0006).
-- Mirror of migrations/sqlite/0009_kpi_secondary.sql: same indexes, same meaning.

-- SQLite's built-in `unixepoch`, so durations and due-date checks are the same SQL, and the same
-- integers, on both backends: whole seconds since 1970 of the time read to the millisecond (as
-- SQLite parses it), then truncated; a date is read as its 00:00 UTC, as SQLite reads 'YYYY-MM-DD'.
-- Plain SQL of the same volatility as its body (date_part of a timestamptz is stable), so the
-- planner inlines it: a function call per row would cost more than the query.
create function unixepoch(t timestamptz) returns bigint
    language sql stable strict parallel safe
    as $$ select floor(round(date_part('epoch', t) * 1000) / 1000)::bigint $$;
create function unixepoch(d date) returns bigint
    language sql immutable strict parallel safe
    as $$ select (d - date '1970-01-01')::bigint * 86400 $$;

-- Self-inspection coverage: a unit's finished self-inspections.
create index inspections_unit_stage on inspections (unit_id, stage, finished_at);

-- Stage-1 defects per unit: a unit's self-inspection, takeover and re-inspection defects, with
-- what says whether one was cancelled by a moment (its status, its last change).
create index defects_stage1 on defects (unit_id, created_at, status, updated_at, id)
    where stage <> 'customer';

-- A rectification item's state, read by its id without the row.
create index defects_state on defects (id, status, contractor_id, send_backs, due_on, updated_at);

-- A rectification item's history by status: its verification, cancellation, last fix, the
-- contractor of its last assignment and its send-backs (fixed → assigned).
create index defect_events_status on defect_events (defect_id, to_status, at, from_status, contractor_id);

-- The customers' reasonable issues of a unit with their trade (the Pareto), still covering for
-- the three KPIs (0006).
drop index visit_issues_judged;
create index visit_issues_judged on visit_issues
    (unit_id, judgement, created_at, judged_at, defect_id, trade);
