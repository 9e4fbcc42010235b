-- Property takeover (物业接管验收 / 承接查验), seed 4.2.2: a joint team, prerequisites, documents
-- handed over, two signatures, then a sealed, immutable record.

-- Day counts of the two deadlines, per project (seed: 30 days; national rules say 15).
alter table projects add column takeover_inspection_days integer not null default 30;
alter table projects add column takeover_window_days integer not null default 30;

create table takeovers (
    id uuid primary key,
    project_id uuid not null references projects(id),
    batch_id uuid not null references batches(id),
    name text not null,
    created_by uuid not null references users(id),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    -- Set when the second side signs: the canonical JSON of what was signed and its SHA-256.
    sealed_at timestamptz,
    sealed_content text,
    seal_sha256 text,
    unique (project_id, name)
);
create index takeovers_project on takeovers (project_id);

-- The buildings a takeover covers; none = the whole project.
create table takeover_buildings (
    takeover_id uuid not null references takeovers(id),
    building_id uuid not null references buildings(id),
    primary key (takeover_id, building_id)
);

-- The joint team: project department (developer) and property company members.
create table takeover_members (
    id uuid primary key,
    takeover_id uuid not null references takeovers(id),
    side text not null check (side in ('developer', 'property')),
    name text not null,
    title text not null default '',
    position integer not null,
    created_at timestamptz not null
);
create index takeover_members_takeover on takeover_members (takeover_id, position);

-- Prerequisites (接管条件, seed 4.2.2.1 a–e, plus the project's own lines).
create table takeover_prerequisites (
    id uuid primary key,
    takeover_id uuid not null references takeovers(id),
    position integer not null,
    -- A seed line's letter (a–e, its title comes from the catalog); '' for the project's own.
    code text not null default '',
    title text not null,
    status text not null default 'pending'
        check (status in ('pending', 'met', 'not_met', 'not_applicable')),
    evidence text not null default '',
    evidence_sha256 text references photo_blobs(sha256),
    evidence_name text not null default '',
    confirmed_by uuid references users(id),
    confirmed_at timestamptz,
    updated_at timestamptz not null
);
create index takeover_prerequisites_takeover on takeover_prerequisites (takeover_id, position);

-- Documents handed over (接管资料, seed 4.2.2.2).
create table takeover_documents (
    id uuid primary key,
    takeover_id uuid not null references takeovers(id),
    position integer not null,
    -- A seed document's code (its title comes from the catalog); '' for the project's own.
    code text not null default '',
    category text not null
        check (category in ('property_rights', 'technical', 'audiovisual', 'warranty')),
    title text not null,
    copies integer not null default 0 check (copies >= 0),
    form text not null default 'paper' check (form in ('paper', 'electronic', 'both')),
    received_by text not null default '',
    received_on date,
    updated_at timestamptz not null
);
create index takeover_documents_takeover on takeover_documents (takeover_id, position);

-- One signature per side: drawn strokes (JSON), the rendered PNG, who and when.
create table takeover_signatures (
    id uuid primary key,
    takeover_id uuid not null references takeovers(id),
    side text not null check (side in ('developer', 'property')),
    user_id uuid not null references users(id),
    name text not null,
    title text not null,
    strokes text not null,
    image_png bytea,
    signed_at timestamptz not null,
    unique (takeover_id, side)
);

-- Reservations (保留意见) a signer recorded on prerequisite lines not met.
create table takeover_reservations (
    signature_id uuid not null references takeover_signatures(id),
    prerequisite_id uuid not null references takeover_prerequisites(id),
    text text not null,
    primary key (signature_id, prerequisite_id)
);
