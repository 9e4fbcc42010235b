-- Handover day (集中交付), stage 2 of acceptance: appointments, handover conditions, check-in,
-- visits with the customer's judged issues, meters, keys and documents, the outcome; complaints;
-- the customer's link with feedback and the satisfaction survey.
-- Mirror of migrations/sqlite/0005_handover_day.sql: same tables, same meaning.

-- Defects gain the stage 'customer' (客户验房).
alter table defects drop constraint defects_stage_check;
alter table defects add constraint defects_stage_check
    check (stage in ('self', 'takeover', 'reinspection', 'customer'));

-- Bumped by every handover-day write of a batch: the live board's change signal.
alter table batches add column board_version bigint not null default 0;

-- The project's handover-day lists (收楼条件, keys, documents, survey dimensions) and the
-- customer link's lifetime, as JSON; no row = the built-in defaults.
create table delivery_settings (
    project_id uuid primary key references projects(id),
    settings text not null,
    updated_at timestamptz not null
);

-- Appointment time slots (预约时段) of a batch, each with a capacity.
create table delivery_slots (
    id uuid primary key,
    batch_id uuid not null references batches(id),
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    capacity integer not null check (capacity > 0),
    created_at timestamptz not null,
    check (starts_at < ends_at),
    unique (batch_id, starts_at)
);

-- A customer's appointment: one booked appointment per unit and batch at a time.
create table appointments (
    id uuid primary key,
    batch_id uuid not null references batches(id),
    unit_id uuid not null references units(id),
    slot_id uuid not null references delivery_slots(id),
    customer_name text not null default '',
    phone text not null default '',
    status text not null check (status in ('booked', 'cancelled')),
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create unique index appointments_booked on appointments (batch_id, unit_id) where status = 'booked';
create index appointments_slot on appointments (slot_id, status);

-- Handover conditions (收楼条件) of a unit's customer: met or not, and a supervisor's waiver.
create table unit_conditions (
    unit_id uuid not null references units(id),
    code text not null,
    met boolean not null,
    note text not null default '',
    updated_by uuid references users(id),
    updated_at timestamptz not null,
    waived_by uuid references users(id),
    waived_at timestamptz,
    waiver_reason text,
    primary key (unit_id, code)
);

-- One customer visit to one unit (a unit may have several: refused on day 1, accepted on day 3).
create table visits (
    id uuid primary key,
    project_id uuid not null references projects(id),
    batch_id uuid not null references batches(id),
    unit_id uuid not null references units(id),
    appointment_id uuid references appointments(id),
    customer_name text not null,
    identity_checked boolean not null,
    identity_note text not null default '',
    checked_in_by uuid not null references users(id),
    checked_in_at timestamptz not null,
    staff text not null default '',
    walk_started_at timestamptz,
    walk_ended_at timestamptz,
    outcome text check (outcome in ('accepted', 'refused', 'only_looked')),
    outcome_at timestamptz,
    outcome_by uuid references users(id),
    refusal_reason text,
    outcome_note text not null default '',
    signature_name text,
    signature_strokes text,
    signature_png bytea,
    updated_at timestamptz not null
);
-- One open visit per unit; and a unit is delivered once (its accepted visit).
create unique index visits_open on visits (unit_id) where outcome is null;
create unique index visits_accepted on visits (unit_id) where outcome = 'accepted';
create index visits_batch on visits (batch_id, checked_in_at);

-- Issues the customer raises on the walkthrough (客户验房), each judged reasonable (合理) or
-- not; a reasonable one becomes a rectification item (a defect of stage 'customer').
create table visit_issues (
    id uuid primary key,
    visit_id uuid not null references visits(id),
    unit_id uuid not null references units(id),
    room text not null default '',
    part text not null default '',
    trade text not null,
    description text not null,
    judgement text check (judgement in ('reasonable', 'unreasonable')),
    reason_code text,
    reason_text text not null default '',
    judged_by uuid references users(id),
    judged_at timestamptz,
    defect_id uuid unique references defects(id),
    raised_by uuid not null references users(id),
    created_at timestamptz not null
);
create index visit_issues_visit on visit_issues (visit_id, created_at);
create index visit_issues_unit on visit_issues (unit_id, created_at);

create table visit_issue_photos (
    issue_id uuid not null references visit_issues(id),
    sha256 text not null references photo_blobs(sha256),
    position integer not null,
    primary key (issue_id, sha256)
);

-- Meter readings at handover (water, power, gas): value and a photo of the dial.
create table visit_meters (
    visit_id uuid not null references visits(id),
    kind text not null check (kind in ('water', 'power', 'gas')),
    reading double precision not null,
    photo text references photo_blobs(sha256),
    recorded_at timestamptz not null,
    primary key (visit_id, kind)
);

-- Keys handed, by kind and count; documents handed.
create table visit_keys (
    visit_id uuid not null references visits(id),
    code text not null,
    count integer not null check (count >= 0),
    primary key (visit_id, code)
);
create table visit_documents (
    visit_id uuid not null references visits(id),
    code text not null,
    primary key (visit_id, code)
);

-- Complaints (投诉), with their response and resolution times.
create table complaints (
    id uuid primary key,
    project_id uuid not null references projects(id),
    number integer not null,
    unit_id uuid not null references units(id),
    channel text not null check (channel in ('on_site', 'phone', 'online')),
    content text not null,
    received_at timestamptz not null,
    first_response_at timestamptz,
    resolved_at timestamptz,
    handler_id uuid references users(id),
    resolution text not null default '',
    created_by uuid not null references users(id),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    unique (project_id, number)
);
create index complaints_project on complaints (project_id, received_at);
create index complaints_unit on complaints (unit_id);

-- The customer's link (业主链接): an unguessable token for one unit, revocable, expiring.
create table customer_links (
    id uuid primary key,
    unit_id uuid not null references units(id),
    token text not null unique,
    created_by uuid not null references users(id),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    revoked_at timestamptz,
    revoked_by uuid references users(id)
);
create index customer_links_unit on customer_links (unit_id);

-- The customer's word on a fixed issue: fixed, or not (a re-inspection request).
create table issue_feedback (
    id uuid primary key,
    issue_id uuid not null references visit_issues(id),
    link_id uuid not null references customer_links(id),
    fixed boolean not null,
    comment text not null default '',
    created_at timestamptz not null
);
create index issue_feedback_issue on issue_feedback (issue_id, created_at);

-- The satisfaction survey of a delivered unit: stars per dimension (JSON) and NPS 0–10.
create table surveys (
    id uuid primary key,
    unit_id uuid not null unique references units(id),
    link_id uuid not null references customer_links(id),
    stars text not null,
    nps integer not null check (nps between 0 and 10),
    comment text not null default '',
    submitted_at timestamptz not null
);
