-- Per-project numbering (defects D-n, complaints) in a table of its own. The counters used to
-- live on the projects row, whose lock each numbered write then held until its commit; every
-- status-map bump of the project waited behind it (bench/handover-day on PostgreSQL).
-- Mirror: migrations/sqlite/0008_project_sequences.sql.
create table project_sequences (
    project_id uuid not null references projects(id),
    kind text not null check (kind in ('defect', 'complaint')),
    last integer not null,
    primary key (project_id, kind)
);
insert into project_sequences (project_id, kind, last)
    select id, 'defect', defect_seq from projects where defect_seq > 0;
insert into project_sequences (project_id, kind, last)
    select id, 'complaint', complaint_seq from projects where complaint_seq > 0;
alter table projects drop column defect_seq;
alter table projects drop column complaint_seq;
