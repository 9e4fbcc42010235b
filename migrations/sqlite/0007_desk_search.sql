-- The check-in desk's search (签到查找) by unit number, buyer name or phone tail, each through an
-- index (bench/desk-search: 3,000 units, 6,000 buyers), and a unit's visits by unit.
-- Mirror: migrations/postgres/0007_desk_search.sql. (0006 is the live board's.)

-- Buyers carry their unit's project (copied, as defects carry their building), so a name is
-- looked up among one project's buyers only. SQLite cannot add a NOT NULL column with a
-- reference, so the table is rebuilt (https://sqlite.org/lang_altertable.html#otheralter);
-- nothing references buyers.
create table buyers_new (
    id blob primary key,
    project_id blob not null references projects(id),
    unit_id blob not null references units(id),
    position integer not null,
    name text not null,
    phone text not null default '',
    created_at text not null,
    unique (unit_id, position)
);
insert into buyers_new (id, project_id, unit_id, position, name, phone, created_at)
    select b.id, u.project_id, b.unit_id, b.position, b.name, b.phone, b.created_at
    from buyers b join units u on u.id = b.unit_id;
drop table buyers;
alter table buyers_new rename to buyers;
create index buyers_phone on buyers (phone);
-- A name search scans this index's entries of one project (covering: no table reads).
create index buyers_project_name on buyers (project_id, name, unit_id);
-- The last four digits of the phone (尾号); the same expression in the query.
create index buyers_phone_tail on buyers (substr(phone, length(phone) - 3));

-- A unit-number prefix is a range over the lowercased number.
create index units_number_lower on units (project_id, lower(number));

-- Check-in and acceptance read a unit's visits.
create index visits_unit_checked_in on visits (unit_id, checked_in_at);
