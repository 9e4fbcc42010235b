-- Complaints, the delivery KPIs and the live board of handover day.
-- Mirror: migrations/postgres/0006_delivery_board.sql.

-- Complaint numbers per project (投诉编号), taken like defect numbers: the row update serialises
-- concurrent registrations.
alter table projects add column complaint_seq integer not null default 0;

-- The KPIs read, per planned unit, its visits (an accepted signature, the walkthroughs) and its
-- reasonable issues from these indexes alone (covering: no table row is read), and look each
-- reasonable issue's cancellation up in a small partial index.
create index visits_unit on visits (unit_id, outcome, outcome_at, walk_started_at);
create index visit_issues_judged on visit_issues (unit_id, judgement, created_at, judged_at, defect_id);
create index defect_events_cancelled on defect_events (defect_id, at) where to_status = 'cancelled';

-- A complaint's write signals the boards of the batches its unit is planned in.
create index batch_units_unit on batch_units (unit_id);

-- "No complaint received in the period": a unit's complaints in time order.
drop index complaints_unit;
create index complaints_unit on complaints (unit_id, received_at);
