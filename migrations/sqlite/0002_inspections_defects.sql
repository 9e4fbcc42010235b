-- Stage 1: checklist templates (versioned), inspections, defects with their history, photos,
-- floor plans and fix presets.
-- Mirror of migrations/postgres/0002_inspections_defects.sql: same tables, same meaning.

-- A template is a named checklist; its items live in immutable versions, so an inspection
-- keeps pointing at the exact items it ran. project_id null = shipped with the product.
create table checklist_templates (
    id blob primary key,
    project_id blob references projects(id),
    name text not null,
    created_at text not null
);

create table checklist_versions (
    id blob primary key,
    template_id blob not null references checklist_templates(id),
    version integer not null,
    note text not null default '',
    created_by blob references users(id),
    created_at text not null,
    unique (template_id, version)
);

create table checklist_items (
    id blob primary key,
    version_id blob not null references checklist_versions(id),
    position integer not null,
    trade text not null,
    room text not null,
    part text not null default '',
    name text not null,
    kind text not null check (kind in ('pass_fail', 'measured')),
    -- Measured items: unit, tolerance bounds on the value (either may be open), number of
    -- points, the share of points that must be within bounds and the factor no point may exceed.
    unit text,
    lower real,
    upper real,
    points integer,
    pass_rate real,
    max_factor real,
    tool text not null default '',
    method text not null default '',
    standard text not null default '',
    confidence text not null default '',
    unique (version_id, position)
);

-- Common defect descriptions per trade (常用问题描述); project_id null = shipped default.
create table phrases (
    id blob primary key,
    project_id blob references projects(id),
    trade text not null,
    text text not null,
    position integer not null default 0,
    created_at text not null
);
create index phrases_trade on phrases (trade, position);

-- One run of a template version on one unit or common area at one stage.
create table inspections (
    id blob primary key,
    project_id blob not null references projects(id),
    unit_id blob references units(id),
    common_area_id blob references common_areas(id),
    stage text not null check (stage in ('self', 'takeover', 'reinspection')),
    version_id blob not null references checklist_versions(id),
    inspector_id blob not null references users(id),
    supervisor text not null default '',
    contractor text not null default '',
    property text not null default '',
    started_at text not null,
    finished_at text,
    verdict text check (verdict in ('pass', 'fail')),
    check ((unit_id is null) <> (common_area_id is null))
);
create index inspections_unit on inspections (unit_id, started_at);
create index inspections_project on inspections (project_id, stage);

create table inspection_results (
    inspection_id blob not null references inspections(id),
    item_id blob not null references checklist_items(id),
    outcome text not null check (outcome in ('pass', 'fail', 'na')),
    -- Measured points as a JSON array of numbers.
    points text not null default '[]',
    note text not null default '',
    recorded_by blob not null references users(id),
    recorded_at text not null,
    primary key (inspection_id, item_id)
);

-- Content-addressed photo blobs: the same bytes are stored once.
create table photo_blobs (
    sha256 text primary key,
    mime text not null,
    bytes integer not null,
    width integer not null,
    height integer not null,
    created_at text not null
);

create table defects (
    id blob primary key,
    project_id blob not null references projects(id),
    -- Human number within the project (问题编号).
    number integer not null,
    unit_id blob references units(id),
    common_area_id blob references common_areas(id),
    -- Copied from the unit (or area) so the list filters without joins.
    building_id blob references buildings(id),
    floor integer,
    room text not null default '',
    part text not null default '',
    trade text not null,
    description text not null,
    severity text not null check (severity in ('minor', 'serious', 'critical')),
    stage text not null check (stage in ('self', 'takeover', 'reinspection')),
    inspection_id blob references inspections(id),
    raised_by blob not null references users(id),
    status text not null check (status in ('open', 'assigned', 'fixed', 'verified', 'cancelled')),
    contractor_id blob references contractors(id),
    due_on text,
    send_backs integer not null default 0,
    -- Pin on the unit's floor plan, as fractions of the plan's width and height.
    pin_x real,
    pin_y real,
    cancel_reason text,
    created_at text not null,
    updated_at text not null,
    check ((unit_id is null) <> (common_area_id is null)),
    unique (project_id, number)
);
create index defects_project_status on defects (project_id, status, number);
create index defects_project_unit on defects (project_id, unit_id);
create index defects_project_building on defects (project_id, building_id, status, number);
create index defects_project_trade on defects (project_id, trade, status, due_on, number);
create index defects_contractor on defects (contractor_id, status, due_on);
create index defects_project_due on defects (project_id, status, due_on);

-- Every transition: who, when, from, to, and a note. Rows are only ever added.
create table defect_events (
    id blob primary key,
    defect_id blob not null references defects(id),
    actor_id blob not null references users(id),
    at text not null,
    from_status text,
    to_status text not null,
    contractor_id blob references contractors(id),
    due_on text,
    note text not null default ''
);
create index defect_events_defect on defect_events (defect_id, at);

create table defect_photos (
    id blob primary key,
    defect_id blob not null references defects(id),
    sha256 text not null references photo_blobs(sha256),
    phase text not null check (phase in ('before', 'after')),
    uploaded_by blob not null references users(id),
    uploaded_at text not null,
    unique (defect_id, sha256, phase)
);
create index defect_photos_defect on defect_photos (defect_id, uploaded_at);

-- Fix presets (整改预设): default contractor and days per trade, optionally per building.
create table fix_presets (
    id blob primary key,
    project_id blob not null references projects(id),
    trade text not null,
    building_id blob references buildings(id),
    contractor_id blob not null references contractors(id),
    days integer not null check (days > 0),
    created_at text not null
);
create unique index fix_presets_unique on fix_presets
    (project_id, trade, coalesce(building_id, project_id));

-- Floor plan of a layout (户型图), a photo blob.
alter table layouts add column plan_sha256 text references photo_blobs(sha256);

-- Which template a project runs at each stage (null = the shipped default).
alter table projects add column self_template_id blob references checklist_templates(id);

-- Last defect number given in the project (defects.number); bumped under the row lock.
alter table projects add column defect_seq integer not null default 0;
