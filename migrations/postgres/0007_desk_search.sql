-- The check-in desk's search (签到查找) by unit number, buyer name or phone tail, each through an
-- index (bench/desk-search: 3,000 units, 6,000 buyers), and a unit's visits by unit.
-- Mirror of migrations/sqlite/0007_desk_search.sql. (0006 is the live board's.)

-- Buyers carry their unit's project (copied, as defects carry their building), so a name is
-- looked up among one project's buyers only.
alter table buyers add column project_id uuid references projects(id);
update buyers b set project_id = u.project_id from units u where u.id = b.unit_id;
alter table buyers alter column project_id set not null;
-- A name search scans this index's entries of one project (covering: no heap reads).
create index buyers_project_name on buyers (project_id, name, unit_id);
-- The last four digits of the phone (尾号); the same expression in the query.
create index buyers_phone_tail on buyers (substr(phone, length(phone) - 3));

-- A unit-number prefix is a range over the lowercased number, in byte order whatever the
-- database's collation (the query compares with collate "C" too).
create index units_number_lower on units (project_id, (lower(number)) collate "C");

-- Check-in and acceptance read a unit's visits.
create index visits_unit_checked_in on visits (unit_id, checked_in_at);
