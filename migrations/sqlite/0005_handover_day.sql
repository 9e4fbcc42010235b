-- Handover day (集中交付), stage 2 of acceptance: appointments, handover conditions, check-in,
-- visits with the customer's judged issues, meters, keys and documents, the outcome; complaints;
-- the customer's link with feedback and the satisfaction survey.
-- Mirror: migrations/postgres/0005_handover_day.sql.

-- Defects gain the stage 'customer' (客户验房). SQLite cannot alter a check constraint, so the
-- table is rebuilt (https://sqlite.org/lang_altertable.html#otheralter); foreign keys are checked
-- at commit, when defect_events and defect_photos point at the rebuilt table again.
pragma defer_foreign_keys = on;
create table defects_new (
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
    stage text not null check (stage in ('self', 'takeover', 'reinspection', 'customer')),
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
insert into defects_new select * from defects;
drop table defects;
alter table defects_new rename to defects;
create index defects_project_status on defects (project_id, status, number);
create index defects_project_unit on defects (project_id, unit_id);
create index defects_project_building on defects (project_id, building_id, status, number);
create index defects_project_trade on defects (project_id, trade, status, due_on, number);
create index defects_contractor on defects (contractor_id, status, due_on);
create index defects_project_due on defects (project_id, status, due_on);

-- Bumped by every handover-day write of a batch: the live board's change signal.
alter table batches add column board_version integer not null default 0;

-- The project's handover-day lists (收楼条件, keys, documents, survey dimensions) and the
-- customer link's lifetime, as JSON; no row = the built-in defaults.
create table delivery_settings (
    project_id blob primary key references projects(id),
    settings text not null,
    updated_at text not null
);

-- Appointment time slots (预约时段) of a batch, each with a capacity.
create table delivery_slots (
    id blob primary key,
    batch_id blob not null references batches(id),
    starts_at text not null,
    ends_at text not null,
    capacity integer not null check (capacity > 0),
    created_at text not null,
    check (starts_at < ends_at),
    unique (batch_id, starts_at)
);

-- A customer's appointment: one booked appointment per unit and batch at a time.
create table appointments (
    id blob primary key,
    batch_id blob not null references batches(id),
    unit_id blob not null references units(id),
    slot_id blob not null references delivery_slots(id),
    customer_name text not null default '',
    phone text not null default '',
    status text not null check (status in ('booked', 'cancelled')),
    created_at text not null,
    updated_at text not null
);
create unique index appointments_booked on appointments (batch_id, unit_id) where status = 'booked';
create index appointments_slot on appointments (slot_id, status);

-- Handover conditions (收楼条件) of a unit's customer: met or not, and a supervisor's waiver.
create table unit_conditions (
    unit_id blob not null references units(id),
    code text not null,
    met integer not null,
    note text not null default '',
    updated_by blob references users(id),
    updated_at text not null,
    waived_by blob references users(id),
    waived_at text,
    waiver_reason text,
    primary key (unit_id, code)
);

-- One customer visit to one unit (a unit may have several: refused on day 1, accepted on day 3).
create table visits (
    id blob primary key,
    project_id blob not null references projects(id),
    batch_id blob not null references batches(id),
    unit_id blob not null references units(id),
    appointment_id blob references appointments(id),
    customer_name text not null,
    identity_checked integer not null,
    identity_note text not null default '',
    checked_in_by blob not null references users(id),
    checked_in_at text not null,
    staff text not null default '',
    walk_started_at text,
    walk_ended_at text,
    outcome text check (outcome in ('accepted', 'refused', 'only_looked')),
    outcome_at text,
    outcome_by blob references users(id),
    refusal_reason text,
    outcome_note text not null default '',
    signature_name text,
    signature_strokes text,
    signature_png blob,
    updated_at text not null
);
-- One open visit per unit; and a unit is delivered once (its accepted visit).
create unique index visits_open on visits (unit_id) where outcome is null;
create unique index visits_accepted on visits (unit_id) where outcome = 'accepted';
create index visits_batch on visits (batch_id, checked_in_at);

-- Issues the customer raises on the walkthrough (客户验房), each judged reasonable (合理) or
-- not; a reasonable one becomes a rectification item (a defect of stage 'customer').
create table visit_issues (
    id blob primary key,
    visit_id blob not null references visits(id),
    unit_id blob not null references units(id),
    room text not null default '',
    part text not null default '',
    trade text not null,
    description text not null,
    judgement text check (judgement in ('reasonable', 'unreasonable')),
    reason_code text,
    reason_text text not null default '',
    judged_by blob references users(id),
    judged_at text,
    defect_id blob unique references defects(id),
    raised_by blob not null references users(id),
    created_at text not null
);
create index visit_issues_visit on visit_issues (visit_id, created_at);
create index visit_issues_unit on visit_issues (unit_id, created_at);

create table visit_issue_photos (
    issue_id blob not null references visit_issues(id),
    sha256 text not null references photo_blobs(sha256),
    position integer not null,
    primary key (issue_id, sha256)
);

-- Meter readings at handover (water, power, gas): value and a photo of the dial.
create table visit_meters (
    visit_id blob not null references visits(id),
    kind text not null check (kind in ('water', 'power', 'gas')),
    reading real not null,
    photo text references photo_blobs(sha256),
    recorded_at text not null,
    primary key (visit_id, kind)
);

-- Keys handed, by kind and count; documents handed.
create table visit_keys (
    visit_id blob not null references visits(id),
    code text not null,
    count integer not null check (count >= 0),
    primary key (visit_id, code)
);
create table visit_documents (
    visit_id blob not null references visits(id),
    code text not null,
    primary key (visit_id, code)
);

-- Complaints (投诉), with their response and resolution times.
create table complaints (
    id blob primary key,
    project_id blob not null references projects(id),
    number integer not null,
    unit_id blob not null references units(id),
    channel text not null check (channel in ('on_site', 'phone', 'online')),
    content text not null,
    received_at text not null,
    first_response_at text,
    resolved_at text,
    handler_id blob references users(id),
    resolution text not null default '',
    created_by blob not null references users(id),
    created_at text not null,
    updated_at text not null,
    unique (project_id, number)
);
create index complaints_project on complaints (project_id, received_at);
create index complaints_unit on complaints (unit_id);

-- The customer's link (业主链接): an unguessable token for one unit, revocable, expiring.
create table customer_links (
    id blob primary key,
    unit_id blob not null references units(id),
    token text not null unique,
    created_by blob not null references users(id),
    created_at text not null,
    expires_at text not null,
    revoked_at text,
    revoked_by blob references users(id)
);
create index customer_links_unit on customer_links (unit_id);

-- The customer's word on a fixed issue: fixed, or not (a re-inspection request).
create table issue_feedback (
    id blob primary key,
    issue_id blob not null references visit_issues(id),
    link_id blob not null references customer_links(id),
    fixed integer not null,
    comment text not null default '',
    created_at text not null
);
create index issue_feedback_issue on issue_feedback (issue_id, created_at);

-- The satisfaction survey of a delivered unit: stars per dimension (JSON) and NPS 0–10.
create table surveys (
    id blob primary key,
    unit_id blob not null unique references units(id),
    link_id blob not null references customer_links(id),
    stars text not null,
    nps integer not null check (nps between 0 and 10),
    comment text not null default '',
    submitted_at text not null
);
