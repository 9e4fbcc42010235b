//! What the defect API and pages do, in one place: record, move through the lifecycle, attach
//! photos, assign in bulk. Each command is one transaction: authorise, apply the domain rule,
//! write the record, its history and the unit's status together.

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::repo::{self, DefectRow, NewDefectRecord, NewEvent};
use super::{Action, Actor, Defect, Severity, Stage, Status, due_from_preset, valid_pin};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::checklists::Trade;
use crate::clock;
use crate::db::DbConn;
use crate::error::{AppError, Check};
use crate::org::repo::{Sequence, reserve_numbers};
use crate::photos::Ingested;

/// Most photos attached in one request.
pub const MAX_PHOTOS_PER_UPLOAD: usize = 6;

/// A defect as the tablet records it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDefect {
    /// Client-generated id (offline tablets); sending the same id twice records it once.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The unit it is in (or give `common_area_id`).
    #[serde(default)]
    pub unit_id: Option<Uuid>,
    /// The common area it is in (or give `unit_id`).
    #[serde(default)]
    pub common_area_id: Option<Uuid>,
    /// Room (客厅, 主卫 ...).
    #[serde(default)]
    pub room: String,
    /// Part (墙面, 窗框 ...).
    #[serde(default)]
    pub part: String,
    /// Trade.
    pub trade: Trade,
    /// What is wrong (a phrase from the library, or free text).
    pub description: String,
    /// Severity (default `minor`).
    #[serde(default = "minor")]
    pub severity: Severity,
    /// Stage it was found at (default `self`).
    #[serde(default = "self_stage")]
    pub stage: Stage,
    /// The inspection it was found in.
    #[serde(default)]
    pub inspection_id: Option<Uuid>,
    /// Pin on the unit's floor plan, as fractions `[x, y]` of its width and height.
    #[serde(default)]
    pub pin: Option<[f64; 2]>,
    /// Contractor to assign now; without it the project's fix preset for the trade applies.
    #[serde(default)]
    pub contractor_id: Option<Uuid>,
    /// Due date; without it the preset's number of days applies.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
}

fn minor() -> Severity {
    Severity::Minor
}

fn self_stage() -> Stage {
    Stage::SelfInspection
}

/// The caller as a defect [`Actor`] on `project` (their roles, and their contractor company).
pub async fn actor(
    c: &mut impl DbConn,
    user: &CurrentUser,
    project: Uuid,
) -> Result<Actor, AppError> {
    user.require_visible(project)?;
    let roles: Vec<_> = user.roles_on(project).collect();
    let contractor = if roles.contains(&crate::auth::Role::Contractor) {
        repo::contractor_of(c, user.id, project).await?
    } else {
        None
    };
    Ok(Actor { roles, contractor })
}

/// Loads a defect the caller may see: staff of its project; a contractor only their own.
pub async fn visible(
    c: &mut impl DbConn,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(DefectRow, Actor), AppError> {
    let project = repo::project_of(c, id).await?.ok_or(AppError::NotFound)?;
    let actor = actor(c, user, project).await?;
    let row = repo::get(c, id).await?;
    if actor.is_contractor_only()
        && (actor.contractor.is_none() || row.contractor_id != actor.contractor)
    {
        return Err(AppError::NotFound);
    }
    Ok((row, actor))
}

/// Records a defect (assigning it by the fix preset when one applies) and returns it.
pub async fn create(
    app: &AppState,
    user: &CurrentUser,
    project: Uuid,
    body: NewDefect,
) -> Result<DefectRow, AppError> {
    let mut tx = app.db.begin().await?;
    let id = create_in(&mut tx, user, project, body).await?;
    tx.commit().await?;
    repo::get(&mut app.db.read().await?, id).await
}

/// Records a defect inside `tx` (the caller commits), assigning it by the fix preset when one
/// applies; answers its id. A client id seen before answers the existing defect's id.
pub async fn create_in(
    tx: &mut crate::db::Tx,
    user: &CurrentUser,
    project: Uuid,
    body: NewDefect,
) -> Result<Uuid, AppError> {
    let now = clock::now();
    let actor = actor(tx, user, project).await?;
    if !actor.records_at(body.stage) {
        return Err(AppError::Forbidden);
    }
    validate(&body)?;
    let id = body.id.unwrap_or_else(Uuid::new_v4);
    if let Some(existing) = repo::project_of(tx, id).await? {
        // The same command sent twice (a tablet retrying): answer with what exists.
        return if existing == project {
            Ok(id)
        } else {
            Err(AppError::AlreadyExists)
        };
    }
    let (building, floor) = check_location(tx, project, &body).await?;
    let record = NewDefectRecord {
        id,
        project_id: project,
        unit_id: body.unit_id,
        common_area_id: body.common_area_id,
        building_id: building,
        floor,
        room: body.room.trim().to_owned(),
        part: body.part.trim().to_owned(),
        trade: body.trade.as_str().to_owned(),
        description: body.description.trim().to_owned(),
        severity: body.severity.as_str().to_owned(),
        stage: body.stage.as_str().to_owned(),
        inspection_id: body.inspection_id,
        raised_by: user.id,
        pin: body.pin.map(|p| (p[0], p[1])),
    };
    // Reads first: on SQLite the number takes the counter row's lock, held until the commit.
    let assignment = match body.contractor_id {
        Some(c) => Some((c, body.due_on, actor)),
        None => repo::preset_for(tx, project, body.trade.as_str(), building)
            .await?
            .map(|(c, days)| {
                let days = u32::try_from(days).unwrap_or(1);
                let due = body.due_on.unwrap_or_else(|| due_from_preset(now, days));
                (c, Some(due), Actor::fix_preset())
            }),
    };
    let number = reserve_numbers(tx, project, Sequence::Defect, 1).await?;
    repo::insert(tx, &record, number, now).await?;
    let created = NewEvent {
        id: Uuid::new_v4(),
        defect_id: id,
        actor: user.id,
        from: None,
        to: Status::Open,
        contractor: None,
        due_on: None,
        note: "",
    };
    repo::insert_event(tx, &created, now).await?;
    if let Some((contractor, due_on, actor)) = assignment {
        let due_on = due_on.ok_or_else(|| AppError::field("due_on", "required"))?;
        let action = Action::Assign { contractor, due_on };
        apply_in(
            tx,
            project,
            id,
            &action,
            &actor,
            user.id,
            "",
            Uuid::new_v4(),
        )
        .await?;
    }
    if let Some(unit) = body.unit_id {
        crate::inspections::repo::refresh_unit_status(tx, unit).await?;
        // The unit's open trades (the status map's trade filter) changed.
        crate::org::repo::bump_map_version(tx, project).await?;
    }
    Ok(id)
}

fn validate(body: &NewDefect) -> Result<(), AppError> {
    let pin_ok = body.pin.is_none_or(|p| valid_pin(p[0], p[1]));
    Check::default()
        .text("description", &body.description, 500)
        .when(body.room.chars().count() > 50, "room", "too_long")
        .when(body.part.chars().count() > 50, "part", "too_long")
        .when(!pin_ok, "pin", "out_of_range")
        .when(
            body.pin.is_some() && body.unit_id.is_none(),
            "pin",
            "invalid",
        )
        .when(
            body.unit_id.is_some() == body.common_area_id.is_some(),
            "unit_id",
            "required",
        )
        .when(
            body.due_on.is_some() && body.contractor_id.is_none(),
            "contractor_id",
            "required",
        )
        .done()
}

/// Checks the unit or common area, contractor and inspection belong to the project; returns
/// the building (for building-level presets and the list filter) and the floor.
async fn check_location(
    c: &mut impl DbConn,
    project: Uuid,
    body: &NewDefect,
) -> Result<(Option<Uuid>, Option<i32>), AppError> {
    let (building, floor) = if let Some(unit) = body.unit_id {
        let u = crate::org::repo::get_unit(c, unit)
            .await
            .map_err(|_| AppError::field("unit_id", "unknown"))?;
        if u.project_id != project {
            return Err(AppError::field("unit_id", "unknown"));
        }
        (Some(u.building_id), Some(u.floor))
    } else {
        let area = body.common_area_id.unwrap_or_default();
        let building = repo::common_area_building(c, project, area)
            .await?
            .ok_or_else(|| AppError::field("common_area_id", "unknown"))?;
        (building, None)
    };
    if let Some(contractor) = body.contractor_id
        && !repo::contractor_in_project(c, project, contractor).await?
    {
        return Err(AppError::field("contractor_id", "unknown"));
    }
    if let Some(inspection) = body.inspection_id
        && crate::inspections::repo::project_of(c, inspection).await? != Some(project)
    {
        return Err(AppError::field("inspection_id", "unknown"));
    }
    Ok((building, floor))
}

/// A lifecycle command from the API or a page.
#[derive(Debug, Clone)]
pub struct Command {
    /// What to do.
    pub action: Action,
    /// A note for the history.
    pub note: String,
    /// The client's idempotency key: a command sent twice is applied once.
    pub event_id: Option<Uuid>,
}

/// Applies a lifecycle command to a defect and returns it as it is now.
pub async fn transition(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
    cmd: Command,
) -> Result<DefectRow, AppError> {
    Check::default()
        .when(cmd.note.chars().count() > 500, "note", "too_long")
        .done()?;
    let mut tx = app.db.begin().await?;
    let (row, actor) = visible(&mut tx, user, id).await?;
    let event_id = cmd.event_id.unwrap_or_else(Uuid::new_v4);
    if repo::event_exists(&mut tx, id, event_id).await? {
        return Ok(row);
    }
    if let Action::Assign { contractor, .. } = cmd.action
        && !repo::contractor_in_project(&mut tx, row.project_id, contractor).await?
    {
        return Err(AppError::field("contractor_id", "unknown"));
    }
    // Role and status first (403, 409), then what the move needs (422).
    row.lifecycle()?.apply(&cmd.action, &actor)?;
    if cmd.action == Action::MarkFixed && !repo::has_after_photo(&mut tx, id).await? {
        return Err(AppError::field("photos", "required"));
    }
    let note = cmd.note.trim();
    apply_in(
        &mut tx,
        row.project_id,
        id,
        &cmd.action,
        &actor,
        user.id,
        note,
        event_id,
    )
    .await?;
    if let Some(unit) = row.unit_id {
        crate::inspections::repo::refresh_unit_status(&mut tx, unit).await?;
        // A cancelled customer issue leaves the delivery KPIs: the live boards recount.
        if row.stage == Stage::Customer.as_str() && matches!(cmd.action, Action::Cancel { .. }) {
            crate::delivery::repo::bump_boards_of_unit(&mut tx, unit).await?;
        }
    }
    tx.commit().await?;
    repo::get(&mut app.db.read().await?, id).await
}

/// Applies `action` inside `tx`: domain rule, row update, history entry.
#[allow(clippy::too_many_arguments)]
async fn apply_in(
    tx: &mut impl DbConn,
    project: Uuid,
    id: Uuid,
    action: &Action,
    actor: &Actor,
    user: Uuid,
    note: &str,
    event_id: Uuid,
) -> Result<(), AppError> {
    let now = clock::now();
    let row = repo::get(tx, id).await?;
    let mut defect: Defect = row.lifecycle()?;
    let t = defect.apply(action, actor)?;
    repo::save_transition(tx, id, &defect, &t, action.name(), now).await?;
    let note = match action {
        Action::Cancel { reason } => reason.trim(),
        _ => note,
    };
    let event = NewEvent {
        id: event_id,
        defect_id: id,
        actor: user,
        from: Some(t.from),
        to: t.to,
        contractor: t.contractor,
        due_on: t.due_on,
        note,
    };
    repo::insert_event(tx, &event, now).await?;
    // Assignments, due dates and closing change the overdue flags and open trades on the map.
    crate::org::repo::bump_map_version(tx, project).await
}

/// Assigns many defects of a project to one contractor with one due date, all or nothing.
pub async fn bulk_assign(
    app: &AppState,
    user: &CurrentUser,
    project: Uuid,
    ids: &[Uuid],
    contractor: Uuid,
    due_on: NaiveDate,
) -> Result<usize, AppError> {
    Check::default()
        .when(ids.is_empty(), "ids", "required")
        .when(ids.len() > 1000, "ids", "too_long")
        .done()?;
    let mut tx = app.db.begin().await?;
    let actor = actor(&mut tx, user, project).await?;
    if !actor.manages_defects() {
        return Err(AppError::Forbidden);
    }
    if !repo::contractor_in_project(&mut tx, project, contractor).await? {
        return Err(AppError::field("contractor_id", "unknown"));
    }
    let action = Action::Assign { contractor, due_on };
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        if repo::project_of(&mut tx, *id).await? != Some(project) {
            return Err(AppError::NotFound);
        }
        apply_in(
            &mut tx,
            project,
            *id,
            &action,
            &actor,
            user.id,
            "",
            Uuid::new_v4(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// Who may attach photos of a phase: "before" by those who record defects, "after" by the
/// assigned contractor while the defect waits on them.
fn may_attach(row: &DefectRow, actor: &Actor, phase: &str) -> Result<(), AppError> {
    let status = Status::parse(&row.status).unwrap_or(Status::Cancelled);
    let allowed = match phase {
        "before" => {
            let stage = Stage::parse(&row.stage).unwrap_or(Stage::SelfInspection);
            actor.records_at(stage) && status.is_pending()
        }
        "after" => {
            actor.contractor.is_some()
                && actor.contractor == row.contractor_id
                && status == Status::Assigned
        }
        _ => return Err(AppError::field("phase", "invalid")),
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Checks the caller may attach `phase` photos to a defect, before any photo is processed.
pub async fn authorise_photos(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
    phase: &str,
) -> Result<(), AppError> {
    let (row, actor) = visible(&mut app.db.read().await?, user, id).await?;
    may_attach(&row, &actor, phase)
}

/// Attaches already stored photos to a defect; returns the attached photo ids in order.
pub async fn attach_photos(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
    phase: &str,
    photos: &[Ingested],
) -> Result<Vec<Uuid>, AppError> {
    let now = clock::now();
    let mut tx = app.db.begin().await?;
    let (row, actor) = visible(&mut tx, user, id).await?;
    may_attach(&row, &actor, phase)?;
    let mut ids = Vec::new();
    for (i, p) in photos.iter().enumerate() {
        // One microsecond apart, so the photos of one upload keep the order they were sent in.
        let at = now + chrono::Duration::microseconds(i64::try_from(i).unwrap_or(0));
        repo::insert_blob(&mut tx, p, at).await?;
        ids.push(repo::attach_photo(&mut tx, id, &p.sha256, phase, user.id, at).await?);
    }
    tx.commit().await?;
    Ok(ids)
}
