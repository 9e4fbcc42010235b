//! SQL for checklist templates, their immutable versions and items, and the project's choice
//! of template; the phrase library and the seeding of the shipped defaults are in submodules.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::{
    Confidence, Item, ItemDef, ItemKind, MeasuredSpec, Note, Scope, TemplateVersion, Trade,
};
use crate::db::{DbConn, Tx};
use crate::error::AppError;
use crate::{exec, run};

mod phrases;
mod seed;

pub use phrases::{add_phrase, phrases, remove_phrase};
pub use seed::ensure_defaults;

/// The shipped 分户验收 (unit) template.
pub const UNIT_TEMPLATE_ID: Uuid = Uuid::from_u128(0x7c3e_51a0_0d1f_4a6b_8c11_0000_0000_0001);
/// The shipped 公区承接查验 (common area) template.
pub const COMMON_TEMPLATE_ID: Uuid = Uuid::from_u128(0x7c3e_51a0_0d1f_4a6b_8c11_0000_0000_0002);

/// Items per multi-row insert (17 binds each keeps far below both backends' limits).
const CHUNK: usize = 100;

/// Inserts a version row; `false` when that version already exists.
async fn insert_version(
    tx: &mut Tx,
    id: Uuid,
    template: Uuid,
    version: i32,
    note: &str,
    user: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    const SQL: &str =
        "insert into checklist_versions (id, template_id, version, note, created_by, created_at)
        values ($1, $2, $3, $4, $5, $6) on conflict do nothing";
    let n = exec!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(template)
        .bind(version)
        .bind(note)
        .bind(user)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Inserts the items of a new version at positions 1..=n, with ids from `id_of(position)`.
async fn insert_items(
    tx: &mut Tx,
    version: Uuid,
    items: &[ItemDef],
    id_of: impl Fn(i32) -> Uuid,
) -> Result<(), AppError> {
    let rows: Vec<(Uuid, i32, &ItemDef)> = items
        .iter()
        .zip(1..)
        .map(|(d, pos)| (id_of(pos), pos, d))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into checklist_items (id, version_id, position, trade, room, part, name, kind,
                 unit, lower, upper, points, pass_rate, max_factor, tool, method, standard, confidence) ",
            );
            q.push_values(chunk, |mut b, (id, pos, d)| {
                let spec = d.kind.spec();
                b.push_bind(*id)
                    .push_bind(version)
                    .push_bind(*pos)
                    .push_bind(d.trade.as_str())
                    .push_bind(&d.room)
                    .push_bind(&d.part)
                    .push_bind(&d.name)
                    .push_bind(d.kind.as_str())
                    .push_bind(spec.map(|s| s.unit.clone()))
                    .push_bind(spec.and_then(|s| s.lower))
                    .push_bind(spec.and_then(|s| s.upper))
                    .push_bind(spec.map(|s| s.points as i32))
                    .push_bind(spec.map(|s| s.pass_rate))
                    .push_bind(spec.map(|s| s.max_factor))
                    .push_bind(&d.tool)
                    .push_bind(&d.method)
                    .push_bind(&d.standard)
                    .push_bind(d.confidence.map_or("", Confidence::as_str));
            });
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

#[derive(FromRow)]
struct VersionHeadRow {
    id: Uuid,
    template_id: Uuid,
    template_name: String,
    project_id: Option<Uuid>,
    version: i32,
    note: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct ItemRow {
    id: Uuid,
    position: i32,
    trade: String,
    room: String,
    part: String,
    name: String,
    kind: String,
    unit: Option<String>,
    lower: Option<f64>,
    upper: Option<f64>,
    points: Option<i32>,
    pass_rate: Option<f64>,
    max_factor: Option<f64>,
    tool: String,
    method: String,
    standard: String,
    confidence: String,
}

impl ItemRow {
    fn into_item(self) -> Result<Item, AppError> {
        let bad =
            |what: &str| AppError::Internal(anyhow::anyhow!("checklist item {}: {what}", self.id));
        let trade = Trade::parse(&self.trade).ok_or_else(|| bad("trade"))?;
        let kind = match self.kind.as_str() {
            "measured" => ItemKind::Measured(MeasuredSpec {
                unit: self.unit.clone().ok_or_else(|| bad("unit"))?,
                lower: self.lower,
                upper: self.upper,
                points: self
                    .points
                    .and_then(|p| u32::try_from(p).ok())
                    .ok_or_else(|| bad("points"))?,
                pass_rate: self.pass_rate.ok_or_else(|| bad("pass_rate"))?,
                max_factor: self.max_factor.ok_or_else(|| bad("max_factor"))?,
            }),
            _ => ItemKind::PassFail,
        };
        Ok(Item {
            id: self.id,
            position: self.position,
            def: ItemDef {
                trade,
                room: self.room,
                part: self.part,
                name: self.name,
                kind,
                tool: self.tool,
                method: self.method,
                standard: self.standard,
                confidence: Confidence::parse(&self.confidence),
            },
        })
    }
}

/// A version with its items by position.
pub async fn version(c: &mut impl DbConn, version_id: Uuid) -> Result<TemplateVersion, AppError> {
    const HEAD: &str = "select v.id, v.template_id, t.name as template_name, t.project_id, v.version,
            v.note, v.created_by, v.created_at
        from checklist_versions v join checklist_templates t on t.id = v.template_id where v.id = $1";
    const ITEMS: &str = "select id, position, trade, room, part, name, kind, unit, lower, upper,
            points, pass_rate, max_factor, tool, method, standard, confidence
        from checklist_items where version_id = $1 order by position";
    let head: VersionHeadRow = run!(c, |c| sqlx::query_as(HEAD)
        .bind(version_id)
        .fetch_optional(c)
        .await)?
    .ok_or(AppError::NotFound)?;
    let rows: Vec<ItemRow> = run!(c, |c| sqlx::query_as(ITEMS)
        .bind(version_id)
        .fetch_all(c)
        .await)?;
    Ok(TemplateVersion {
        id: head.id,
        template_id: head.template_id,
        template_name: head.template_name,
        project_id: head.project_id,
        version: head.version,
        note: head.note,
        created_by: head.created_by,
        created_at: head.created_at,
        items: rows
            .into_iter()
            .map(ItemRow::into_item)
            .collect::<Result<_, _>>()?,
    })
}

/// The id of a template's latest version.
pub async fn latest_version_id(c: &mut impl DbConn, template_id: Uuid) -> Result<Uuid, AppError> {
    run!(c, |c| sqlx::query_scalar::<_, Uuid>(
        "select id from checklist_versions where template_id = $1 order by version desc limit 1"
    )
    .bind(template_id)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)
}

/// The templates a project runs, per scope (the shipped ones unless it chose its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    /// For unit inspections.
    pub unit: Uuid,
    /// For common-area inspections.
    pub common_area: Uuid,
}

impl Chosen {
    /// The template for `scope`.
    pub fn of(self, scope: Scope) -> Uuid {
        match scope {
            Scope::Unit => self.unit,
            Scope::CommonArea => self.common_area,
        }
    }

    /// The scopes `template` is chosen for.
    pub fn scopes_of(self, template: Uuid) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.of(*s) == template)
            .collect()
    }
}

/// The templates a project runs for units and for common areas.
pub async fn chosen(c: &mut impl DbConn, project_id: Uuid) -> Result<Chosen, AppError> {
    let (unit, common): (Option<Uuid>, Option<Uuid>) = run!(c, |c| sqlx::query_as(
        "select self_template_id, common_template_id from projects where id = $1"
    )
    .bind(project_id)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)?;
    Ok(Chosen {
        unit: unit.unwrap_or(UNIT_TEMPLATE_ID),
        common_area: common.unwrap_or(COMMON_TEMPLATE_ID),
    })
}

/// The version a new inspection of the project runs: the latest version of the template the
/// project runs for units or for common areas.
pub async fn default_version_for(
    c: &mut impl DbConn,
    project_id: Uuid,
    scope: Scope,
) -> Result<Uuid, AppError> {
    let template = chosen(c, project_id).await?.of(scope);
    latest_version_id(c, template).await
}

/// Sets (or with `None` resets to the shipped default) the template a project runs for `scope`.
pub async fn set_chosen(
    tx: &mut Tx,
    project_id: Uuid,
    scope: Scope,
    template_id: Option<Uuid>,
) -> Result<(), AppError> {
    let sql = match scope {
        Scope::Unit => "update projects set self_template_id = $1 where id = $2",
        Scope::CommonArea => "update projects set common_template_id = $1 where id = $2",
    };
    exec!(tx, |c| sqlx::query(sql)
        .bind(template_id)
        .bind(project_id)
        .execute(c)
        .await)?;
    Ok(())
}

/// A template with its latest version.
#[derive(Debug, Clone, FromRow)]
pub struct TemplateSummary {
    /// Template id.
    pub id: Uuid,
    /// Owning project; `None` for a shipped template.
    pub project_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Latest version id.
    pub version_id: Uuid,
    /// Latest version number.
    pub version: i32,
    /// When the latest version was written.
    pub updated_at: DateTime<Utc>,
    /// Items in the latest version.
    pub item_count: i64,
}

const SUMMARY_SQL: &str = "select t.id, t.project_id, t.name, v.id as version_id, v.version,
        v.created_at as updated_at,
        (select count(*) from checklist_items i where i.version_id = v.id) as item_count
    from checklist_templates t join checklist_versions v on v.template_id = t.id
    where v.version = (select max(w.version) from checklist_versions w where w.template_id = t.id)";

/// The templates a project can use: the shipped ones first (unit, then common area), then its
/// own, oldest first.
pub async fn list_templates(
    c: &mut impl DbConn,
    project_id: Uuid,
) -> Result<Vec<TemplateSummary>, AppError> {
    run!(c, |c| {
        let mut q = QueryBuilder::new(SUMMARY_SQL);
        q.push(" and (t.project_id is null or t.project_id = ")
            .push_bind(project_id)
            .push(
                ") order by case when t.project_id is null then 0 else 1 end, \
                   case when t.project_id is null then t.id end, t.created_at, t.name",
            );
        Ok(q.build_query_as::<TemplateSummary>().fetch_all(c).await?)
    })
}

/// One template with its latest version.
pub async fn template(c: &mut impl DbConn, template_id: Uuid) -> Result<TemplateSummary, AppError> {
    run!(c, |c| {
        let mut q = QueryBuilder::new(SUMMARY_SQL);
        q.push(" and t.id = ").push_bind(template_id);
        q.build_query_as::<TemplateSummary>()
            .fetch_optional(c)
            .await?
            .ok_or(AppError::NotFound)
    })
}

/// One version in a template's history.
#[derive(Debug, Clone, FromRow)]
pub struct VersionSummary {
    /// Version id.
    pub id: Uuid,
    /// Number.
    pub version: i32,
    /// Stored note (see [`Note`]).
    pub note: String,
    /// Who wrote it; `None` for shipped data.
    pub created_by_name: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Items in it.
    pub item_count: i64,
}

/// A template's versions, newest first.
pub async fn versions(
    c: &mut impl DbConn,
    template_id: Uuid,
) -> Result<Vec<VersionSummary>, AppError> {
    const SQL: &str =
        "select v.id, v.version, v.note, u.display_name as created_by_name, v.created_at,
            (select count(*) from checklist_items i where i.version_id = v.id) as item_count
        from checklist_versions v left join users u on u.id = v.created_by
        where v.template_id = $1 order by v.version desc";
    Ok(run!(c, |c| sqlx::query_as::<_, VersionSummary>(SQL)
        .bind(template_id)
        .fetch_all(c)
        .await)?)
}

/// Writes `items` as the next version of a template; returns its id and number. Existing
/// versions are never changed.
pub async fn create_version(
    tx: &mut Tx,
    template_id: Uuid,
    items: &[ItemDef],
    note: &str,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(Uuid, i32), AppError> {
    let latest: Option<i32> = run!(tx, |c| sqlx::query_scalar(
        "select max(version) from checklist_versions where template_id = $1"
    )
    .bind(template_id)
    .fetch_one(c)
    .await)?;
    let version = latest.unwrap_or(0) + 1;
    let id = Uuid::new_v4();
    if !insert_version(tx, id, template_id, version, note, Some(user), now).await? {
        // Someone wrote this version number at the same moment.
        return Err(AppError::AlreadyExists);
    }
    insert_items(tx, id, items, |_| Uuid::new_v4()).await?;
    Ok((id, version))
}

/// Copies the latest version of `template_id` into a new template of `project_id` (its own,
/// editable copy, at version 1); returns the new template's id. A name the project already
/// uses is `AlreadyExists`.
pub async fn copy_to_project(
    tx: &mut Tx,
    template_id: Uuid,
    project_id: Uuid,
    name: &str,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let taken: i64 = run!(tx, |c| sqlx::query_scalar(
        "select count(*) from checklist_templates where project_id = $1 and name = $2"
    )
    .bind(project_id)
    .bind(name)
    .fetch_one(c)
    .await)?;
    if taken > 0 {
        return Err(AppError::AlreadyExists);
    }
    let latest = latest_version_id(tx, template_id).await?;
    let source = version(tx, latest).await?;
    let id = Uuid::new_v4();
    exec!(tx, |c| sqlx::query(
        "insert into checklist_templates (id, project_id, name, created_at) values ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(project_id)
    .bind(name)
    .bind(now)
    .execute(c)
    .await)?;
    let note = Note::CopiedFrom(source.version, source.template_name.clone()).encode();
    create_version(tx, id, &source.defs(), &note, user, now).await?;
    Ok(id)
}
