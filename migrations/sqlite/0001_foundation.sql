-- Foundation: organisation, roster, contractors, delivery batches, users, sessions.
-- Mirror of migrations/postgres/0001_foundation.sql: same tables, same meaning.

create table org_groups (
    id blob primary key,
    name text not null unique,
    created_at text not null
);

create table regions (
    id blob primary key,
    group_id blob not null references org_groups(id),
    name text not null,
    created_at text not null,
    unique (group_id, name)
);

create table projects (
    id blob primary key,
    region_id blob not null references regions(id),
    name text not null,
    city text not null default '',
    address text not null default '',
    -- Bumped by every write that changes what the unit status map shows (cache key).
    map_version integer not null default 0,
    created_at text not null,
    unique (region_id, name)
);

create table buildings (
    id blob primary key,
    project_id blob not null references projects(id),
    name text not null,
    sort_key integer not null default 0,
    created_at text not null,
    unique (project_id, name)
);

create table entrances (
    id blob primary key,
    building_id blob not null references buildings(id),
    name text not null,
    created_at text not null,
    unique (building_id, name)
);

create table layouts (
    id blob primary key,
    project_id blob not null references projects(id),
    name text not null,
    created_at text not null,
    unique (project_id, name)
);

create table units (
    id blob primary key,
    project_id blob not null references projects(id),
    entrance_id blob not null references entrances(id),
    floor integer not null,
    room text not null,
    number text not null,
    area_m2 real,
    layout_id blob references layouts(id),
    status text not null default 'not_inspected'
        check (status in ('not_inspected', 'inspecting', 'defects_open', 'ready', 'delivered', 'refused', 'only_looked')),
    created_at text not null,
    updated_at text not null,
    unique (project_id, number)
);
create index units_entrance on units (entrance_id, floor);

create table buyers (
    id blob primary key,
    unit_id blob not null references units(id),
    position integer not null,
    name text not null,
    phone text not null default '',
    created_at text not null,
    unique (unit_id, position)
);
create index buyers_phone on buyers (phone);

create table common_areas (
    id blob primary key,
    project_id blob not null references projects(id),
    building_id blob references buildings(id),
    kind text not null,
    name text not null,
    created_at text not null,
    unique (project_id, name)
);

create table contractors (
    id blob primary key,
    project_id blob not null references projects(id),
    name text not null,
    kind text not null check (kind in ('construction', 'supervision')),
    trades text not null default '',
    contact_name text not null default '',
    contact_phone text not null default '',
    created_at text not null,
    unique (project_id, name)
);

create table batches (
    id blob primary key,
    project_id blob not null references projects(id),
    name text not null,
    period_start text not null,
    period_end text not null,
    created_at text not null,
    check (period_start <= period_end),
    unique (project_id, name)
);

create table batch_units (
    batch_id blob not null references batches(id),
    unit_id blob not null references units(id),
    primary key (batch_id, unit_id)
);

create table users (
    id blob primary key,
    username text not null unique,
    display_name text not null,
    password_hash text not null,
    locale text,
    active integer not null default 1 check (active in (0, 1)),
    -- Bumped by every change to what the user may see (cache key of their grants).
    grants_version integer not null default 0,
    created_at text not null
);

create table memberships (
    id blob primary key,
    user_id blob not null references users(id),
    role text not null check (role in ('admin', 'inspector', 'contractor', 'property', 'service', 'executive')),
    group_id blob references org_groups(id),
    region_id blob references regions(id),
    project_id blob references projects(id),
    contractor_id blob references contractors(id),
    created_at text not null,
    check ((case when group_id is null then 0 else 1 end)
         + (case when region_id is null then 0 else 1 end)
         + (case when project_id is null then 0 else 1 end) = 1)
);
create unique index memberships_unique on memberships
    (user_id, role, coalesce(group_id, region_id, project_id));

create table sessions (
    token_hash text primary key,
    user_id blob not null references users(id),
    kind text not null check (kind in ('web', 'api')),
    csrf_token text not null,
    created_at text not null,
    expires_at text not null
);
create index sessions_user on sessions (user_id);

create table login_attempts (
    id blob primary key,
    username text not null,
    client_ip text not null,
    succeeded integer not null check (succeeded in (0, 1)),
    at text not null
);
create index login_attempts_username on login_attempts (username, at);
create index login_attempts_ip on login_attempts (client_ip, at);

create table roster_uploads (
    id blob primary key,
    project_id blob not null references projects(id),
    user_id blob not null references users(id),
    filename text not null,
    sha256 text not null,
    content blob not null,
    created_at text not null
);

create table roster_imports (
    id blob primary key,
    project_id blob not null references projects(id),
    user_id blob not null references users(id),
    filename text not null,
    sha256 text not null,
    rows_total integer not null,
    created integer not null,
    updated integer not null,
    unchanged integer not null,
    at text not null
);

-- Change log: what changed, in which transaction; the tablet sync API reads it.
create table changes (
    seq integer primary key autoincrement,
    project_id blob not null,
    entity text not null,
    entity_id blob not null,
    op text not null check (op in ('insert', 'update')),
    user_id blob,
    at text not null
);
create index changes_project on changes (project_id, seq);
