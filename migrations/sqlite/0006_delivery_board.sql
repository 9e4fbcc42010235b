-- Complaints, the delivery KPIs and the live board of handover day.
-- Mirror: migrations/postgres/0006_delivery_board.sql.

-- Complaint numbers per project (投诉编号), taken like defect numbers: the row update serialises
-- concurrent registrations.
alter table projects add column complaint_seq integer not null default 0;

-- The KPIs look a unit's visits up across batches: its accepted signature, its walkthroughs.
create index visits_unit on visits (unit_id, outcome_at);

-- A complaint's write signals the boards of the batches its unit is planned in.
create index batch_units_unit on batch_units (unit_id);

-- "No complaint received in the period": a unit's complaints in time order.
drop index complaints_unit;
create index complaints_unit on complaints (unit_id, received_at);
