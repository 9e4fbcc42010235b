-- The secondary delivery figures (docs/kpi.md "Secondary figures"): each is read per planned
-- unit from a covering index, like the three KPIs (0006).
-- Mirror: migrations/postgres/0009_kpi_secondary.sql, which also defines `unixepoch`, SQLite's
-- built-in, so the same SQL measures durations in whole seconds on both backends.

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
