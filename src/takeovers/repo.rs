//! Reads and writes of takeovers, their team, prerequisites, documents and signatures.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::snapshot::{Document, Finding, Member};
use super::{DocumentCategory, SEED_DOCUMENTS, SEED_PREREQUISITES};
use crate::db::{DbConn, Tx};
use crate::error::AppError;
use crate::{exec, run};

/// A takeover with its project and batch.
#[derive(Debug, Clone, FromRow)]
pub struct TakeoverRow {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Project name.
    pub project_name: String,
    /// Batch served.
    pub batch_id: Uuid,
    /// Batch name.
    pub batch_name: String,
    /// First day of the batch's delivery.
    pub delivery_start: NaiveDate,
    /// Name (e.g. 一期承接查验).
    pub name: String,
    /// Days before delivery the inspection and rectification are due (project setting).
    pub inspection_days: i32,
    /// Length of the formalities window before delivery (project setting).
    pub window_days: i32,
    /// When the second signature sealed it.
    pub sealed_at: Option<DateTime<Utc>>,
    /// The sealed canonical content.
    pub sealed_content: Option<String>,
    /// SHA-256 of the sealed content.
    pub seal_sha256: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The takeover query with its project and batch, followed by `$tail`.
macro_rules! takeover_sql {
    ($tail:literal) => {
        concat!(
            "select t.id, t.project_id, p.name as project_name, t.batch_id,
                b.name as batch_name, b.period_start as delivery_start, t.name,
                p.takeover_inspection_days as inspection_days,
                p.takeover_window_days as window_days,
                t.sealed_at, t.sealed_content, t.seal_sha256, t.created_at
            from takeovers t join projects p on p.id = t.project_id
            join batches b on b.id = t.batch_id ",
            $tail
        )
    };
}

/// One takeover.
pub async fn get(c: &mut impl DbConn, id: Uuid) -> Result<TakeoverRow, AppError> {
    const SQL: &str = takeover_sql!("where t.id = $1");
    run!(c, |c| sqlx::query_as::<_, TakeoverRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await)?
    .ok_or(AppError::NotFound)
}

/// The takeovers of `projects`, by delivery start.
pub async fn list(c: &mut impl DbConn, projects: &[Uuid]) -> Result<Vec<TakeoverRow>, AppError> {
    let mut out = Vec::new();
    for p in projects {
        const SQL: &str = takeover_sql!("where t.project_id = $1 order by b.period_start, t.name");
        let rows = run!(c, |c| sqlx::query_as::<_, TakeoverRow>(SQL)
            .bind(*p)
            .fetch_all(c)
            .await)?;
        out.extend(rows);
    }
    out.sort_by(|a, b| (a.delivery_start, &a.name).cmp(&(b.delivery_start, &b.name)));
    Ok(out)
}

/// A new takeover.
#[derive(Debug, Clone)]
pub struct NewTakeover {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Batch (of the project).
    pub batch_id: Uuid,
    /// Name.
    pub name: String,
    /// Buildings covered (empty = the whole project).
    pub buildings: Vec<Uuid>,
    /// Creator.
    pub created_by: Uuid,
}

/// Creates a takeover with the seed's prerequisite lines (a–e) and document list.
pub async fn create(tx: &mut Tx, t: &NewTakeover, now: DateTime<Utc>) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into takeovers (id, project_id, batch_id, name, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6)"
    )
    .bind(t.id)
    .bind(t.project_id)
    .bind(t.batch_id)
    .bind(&t.name)
    .bind(t.created_by)
    .bind(now)
    .execute(c)
    .await)?;
    for b in &t.buildings {
        exec!(tx, |c| sqlx::query(
            "insert into takeover_buildings (takeover_id, building_id) values ($1, $2)"
        )
        .bind(t.id)
        .bind(*b)
        .execute(c)
        .await)?;
    }
    for code in SEED_PREREQUISITES {
        add_prerequisite(tx, t.id, code, "", now).await?;
    }
    for (category, codes) in SEED_DOCUMENTS {
        for code in codes {
            add_document(tx, t.id, code, category, "", now).await?;
        }
    }
    Ok(())
}

/// The buildings a takeover covers (empty = the whole project).
pub async fn buildings(c: &mut impl DbConn, id: Uuid) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, (Uuid, String)>(
        "select b.id, b.name from takeover_buildings tb join buildings b on b.id = tb.building_id
         where tb.takeover_id = $1 order by b.sort_key, b.name"
    )
    .bind(id)
    .fetch_all(c)
    .await)?)
}

/// Marks a takeover changed (and checks it is not sealed, under the write lock).
pub async fn touch_unsealed(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let sealed: Option<Option<DateTime<Utc>>> = run!(tx, |c| sqlx::query_scalar(
        "update takeovers set updated_at = $2 where id = $1 returning sealed_at"
    )
    .bind(id)
    .bind(now)
    .fetch_optional(c)
    .await)?;
    match sealed {
        None => Err(AppError::NotFound),
        Some(Some(_)) => Err(AppError::TakeoverSealed),
        Some(None) => Ok(()),
    }
}

/// The team, developer side first.
pub async fn members(c: &mut impl DbConn, id: Uuid) -> Result<Vec<Member>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, Member>(
        "select id, side, name, title from takeover_members where takeover_id = $1
         order by case side when 'developer' then 0 else 1 end, position"
    )
    .bind(id)
    .fetch_all(c)
    .await)?)
}

/// Adds a team member.
pub async fn add_member(
    tx: &mut Tx,
    takeover: Uuid,
    m: &Member,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| {
        sqlx::query(
        "insert into takeover_members (id, takeover_id, side, name, title, position, created_at)
         values ($1, $2, $3, $4, $5,
            (select coalesce(max(position), 0) + 1 from takeover_members where takeover_id = $2), $6)"
    )
    .bind(m.id)
    .bind(takeover)
    .bind(&m.side)
    .bind(&m.name)
    .bind(&m.title)
    .bind(now)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// Removes a team member; false when it is not the takeover's.
pub async fn remove_member(tx: &mut Tx, takeover: Uuid, member: Uuid) -> Result<bool, AppError> {
    let n = exec!(tx, |c| sqlx::query(
        "delete from takeover_members where id = $1 and takeover_id = $2"
    )
    .bind(member)
    .bind(takeover)
    .execute(c)
    .await)?;
    Ok(n > 0)
}

/// A prerequisite line.
#[derive(Debug, Clone, FromRow)]
pub struct PrerequisiteRow {
    /// Id.
    pub id: Uuid,
    /// Seed letter (a–e) or ''.
    pub code: String,
    /// Title of the project's own lines ('' for seed lines).
    pub title: String,
    /// Status.
    pub status: String,
    /// Evidence reference (document, certificate number).
    pub evidence: String,
    /// Uploaded evidence photo.
    pub evidence_sha256: Option<String>,
    /// Who confirmed the status.
    pub confirmed_by_name: Option<String>,
    /// When.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// The prerequisite lines, in order.
pub async fn prerequisites(
    c: &mut impl DbConn,
    id: Uuid,
) -> Result<Vec<PrerequisiteRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, PrerequisiteRow>(
        "select p.id, p.code, p.title, p.status, p.evidence, p.evidence_sha256,
            u.display_name as confirmed_by_name, p.confirmed_at
         from takeover_prerequisites p left join users u on u.id = p.confirmed_by
         where p.takeover_id = $1 order by p.position"
    )
    .bind(id)
    .fetch_all(c)
    .await)?)
}

/// Adds a prerequisite line at the end; returns its id.
pub async fn add_prerequisite(
    tx: &mut Tx,
    takeover: Uuid,
    code: &str,
    title: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    exec!(tx, |c| {
        sqlx::query(
        "insert into takeover_prerequisites (id, takeover_id, position, code, title, updated_at)
         values ($1, $2,
            (select coalesce(max(position), 0) + 1 from takeover_prerequisites where takeover_id = $2),
            $3, $4, $5)"
    )
    .bind(id)
    .bind(takeover)
    .bind(code)
    .bind(title)
    .bind(now)
    .execute(c)
    .await
    })?;
    Ok(id)
}

/// A change of a prerequisite line (absent fields stay).
#[derive(Debug, Clone, Default)]
pub struct PrerequisiteChange {
    /// New status, confirmed by the caller.
    pub status: Option<String>,
    /// New evidence reference.
    pub evidence: Option<String>,
    /// New evidence photo.
    pub evidence_sha256: Option<String>,
}

/// Changes a prerequisite line of `takeover`; false when the line is not the takeover's.
pub async fn update_prerequisite(
    tx: &mut Tx,
    takeover: Uuid,
    line: Uuid,
    change: &PrerequisiteChange,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    const SQL: &str = "update takeover_prerequisites set
            status = coalesce($3, status),
            evidence = coalesce($4, evidence),
            evidence_sha256 = coalesce($5, evidence_sha256),
            confirmed_by = case when $3 is null then confirmed_by else $6 end,
            confirmed_at = case when $3 is null then confirmed_at else $7 end,
            updated_at = $7
        where id = $2 and takeover_id = $1";
    let n = exec!(tx, |c| sqlx::query(SQL)
        .bind(takeover)
        .bind(line)
        .bind(change.status.as_deref())
        .bind(change.evidence.as_deref())
        .bind(change.evidence_sha256.as_deref())
        .bind(by)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(n > 0)
}

/// The document lines, by category then order.
pub async fn documents(c: &mut impl DbConn, id: Uuid) -> Result<Vec<Document>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, Document>(
        "select id, code, category, title, copies, form, received_by, received_on
         from takeover_documents where takeover_id = $1 order by position"
    )
    .bind(id)
    .fetch_all(c)
    .await)?)
}

/// Adds a document line at the end; returns its id.
pub async fn add_document(
    tx: &mut Tx,
    takeover: Uuid,
    code: &str,
    category: DocumentCategory,
    title: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    exec!(tx, |c| {
        sqlx::query(
        "insert into takeover_documents (id, takeover_id, position, code, category, title, updated_at)
         values ($1, $2,
            (select coalesce(max(position), 0) + 1 from takeover_documents where takeover_id = $2),
            $3, $4, $5, $6)"
    )
    .bind(id)
    .bind(takeover)
    .bind(code)
    .bind(category.as_str())
    .bind(title)
    .bind(now)
    .execute(c)
    .await
    })?;
    Ok(id)
}

/// What was received of one document.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Copies.
    pub copies: i32,
    /// Form.
    pub form: String,
    /// Received by.
    pub received_by: String,
    /// Date.
    pub received_on: Option<NaiveDate>,
}

/// Records the receipt of a document line; false when the line is not the takeover's.
pub async fn update_document(
    tx: &mut Tx,
    takeover: Uuid,
    line: Uuid,
    r: &Receipt,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = exec!(tx, |c| sqlx::query(
        "update takeover_documents set copies = $3, form = $4, received_by = $5,
            received_on = $6, updated_at = $7
         where id = $2 and takeover_id = $1"
    )
    .bind(takeover)
    .bind(line)
    .bind(r.copies)
    .bind(&r.form)
    .bind(&r.received_by)
    .bind(r.received_on)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(n > 0)
}

/// A signature of one side.
#[derive(Debug, Clone, FromRow)]
pub struct SignatureRow {
    /// Id.
    pub id: Uuid,
    /// Side.
    pub side: String,
    /// Signing user.
    pub user_id: Uuid,
    /// Name as signed.
    pub name: String,
    /// Title as signed.
    pub title: String,
    /// Strokes JSON.
    pub strokes: String,
    /// When.
    pub signed_at: DateTime<Utc>,
}

/// The signatures so far.
pub async fn signatures(c: &mut impl DbConn, id: Uuid) -> Result<Vec<SignatureRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, SignatureRow>(
        "select id, side, user_id, name, title, strokes, signed_at from takeover_signatures
         where takeover_id = $1 order by signed_at"
    )
    .bind(id)
    .fetch_all(c)
    .await)?)
}

/// Records a stored PDF document in the blob table (no pixels: width and height 0).
pub async fn insert_document_blob(
    tx: &mut Tx,
    sha256: &str,
    bytes: usize,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into photo_blobs (sha256, mime, bytes, width, height, created_at)
         values ($1, 'application/pdf', $2, 0, 0, $3) on conflict (sha256) do nothing"
    )
    .bind(sha256)
    .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// A signature to store.
#[derive(Debug, Clone)]
pub struct NewSignature {
    /// Id.
    pub id: Uuid,
    /// Side.
    pub side: String,
    /// Signing user.
    pub user_id: Uuid,
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Strokes JSON.
    pub strokes: String,
    /// Rendered PNG.
    pub image_png: Option<Vec<u8>>,
    /// Reservations on lines not met: (line, text).
    pub reservations: Vec<(Uuid, String)>,
}

/// Stores a signature and its reservations.
pub async fn insert_signature(
    tx: &mut Tx,
    takeover: Uuid,
    s: &NewSignature,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into takeover_signatures
            (id, takeover_id, side, user_id, name, title, strokes, image_png, signed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(s.id)
    .bind(takeover)
    .bind(&s.side)
    .bind(s.user_id)
    .bind(&s.name)
    .bind(&s.title)
    .bind(&s.strokes)
    .bind(s.image_png.as_deref())
    .bind(now)
    .execute(c)
    .await)?;
    for (line, text) in &s.reservations {
        exec!(tx, |c| sqlx::query(
            "insert into takeover_reservations (signature_id, prerequisite_id, text)
             values ($1, $2, $3)"
        )
        .bind(s.id)
        .bind(*line)
        .bind(text)
        .execute(c)
        .await)?;
    }
    Ok(())
}

/// Reservations recorded by the signers: (line, side, text).
pub async fn reservations(
    c: &mut impl DbConn,
    id: Uuid,
) -> Result<Vec<(Uuid, String, String)>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, (Uuid, String, String)>(
        "select r.prerequisite_id, s.side, r.text from takeover_reservations r
         join takeover_signatures s on s.id = r.signature_id
         where s.takeover_id = $1 order by s.signed_at"
    )
    .bind(id)
    .fetch_all(c)
    .await)?)
}

/// Seals a takeover with its canonical content and that content's SHA-256.
pub async fn seal(
    tx: &mut Tx,
    id: Uuid,
    content: &str,
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| {
        sqlx::query(
        "update takeovers set sealed_at = $2, sealed_content = $3, seal_sha256 = $4, updated_at = $2
         where id = $1 and sealed_at is null"
    )
    .bind(id)
    .bind(now)
    .bind(content)
    .bind(sha256)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// A common area in a takeover's scope, with its newest takeover inspection.
#[derive(Debug, Clone, FromRow)]
pub struct AreaRow {
    /// Area id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Building name, if the area belongs to one.
    pub building: Option<String>,
    /// Finished takeover inspections of it.
    pub inspected: i64,
    /// Its pending takeover-stage defects.
    pub open_defects: i64,
}

/// The common areas a takeover covers (its buildings' and the project-wide ones).
pub async fn areas(c: &mut impl DbConn, t: &TakeoverRow) -> Result<Vec<AreaRow>, AppError> {
    const SQL: &str = "select a.id, a.name, b.name as building,
            (select count(*) from inspections i where i.common_area_id = a.id
                and i.stage = 'takeover' and i.finished_at is not null) as inspected,
            (select count(*) from defects d where d.common_area_id = a.id and d.stage = 'takeover'
                and d.status in ('open', 'assigned', 'fixed')) as open_defects
        from common_areas a left join buildings b on b.id = a.building_id
        where a.project_id = $1
          and (a.building_id is null
               or not exists (select 1 from takeover_buildings tb where tb.takeover_id = $2)
               or a.building_id in (select building_id from takeover_buildings where takeover_id = $2))
        order by b.sort_key, b.name, a.name";
    Ok(run!(c, |c| sqlx::query_as::<_, AreaRow>(SQL)
        .bind(t.project_id)
        .bind(t.id)
        .fetch_all(c)
        .await)?)
}

/// Sets a project's two takeover day counts.
pub async fn set_days(
    tx: &mut Tx,
    project: Uuid,
    inspection_days: i32,
    window_days: i32,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "update projects set takeover_inspection_days = $2, takeover_window_days = $3 where id = $1"
    )
    .bind(project)
    .bind(inspection_days)
    .bind(window_days)
    .execute(c)
    .await)?;
    Ok(())
}

/// The findings of a takeover: takeover-stage defects in its buildings (and project-wide common
/// areas), cancelled ones left out, by number.
pub async fn findings(c: &mut impl DbConn, t: &TakeoverRow) -> Result<Vec<Finding>, AppError> {
    const SQL: &str = "select d.id, d.number, coalesce(a.name, u.number, '') as place,
            d.common_area_id is not null as common_area, d.trade, d.description, d.severity,
            d.status, c.name as contractor, d.due_on,
            (select p.sha256 from defect_photos p where p.defect_id = d.id and p.phase = 'before'
              order by p.uploaded_at, p.id limit 1) as photo_sha256
        from defects d left join common_areas a on a.id = d.common_area_id
        left join units u on u.id = d.unit_id
        left join contractors c on c.id = d.contractor_id
        where d.project_id = $1 and d.stage = 'takeover' and d.status <> 'cancelled'
          and (d.building_id is null
               or not exists (select 1 from takeover_buildings tb where tb.takeover_id = $2)
               or d.building_id in (select building_id from takeover_buildings where takeover_id = $2))
        order by d.number";
    Ok(run!(c, |c| sqlx::query_as::<_, Finding>(SQL)
        .bind(t.project_id)
        .bind(t.id)
        .fetch_all(c)
        .await)?)
}
