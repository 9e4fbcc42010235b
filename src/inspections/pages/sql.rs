//! The few reads these pages need that no repository offers: a unit's layout and floor plan,
//! and a project's layouts.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::DbConn;
use crate::error::AppError;
use crate::run;

/// A unit's layout and its floor plan photo (content hash), when the unit has a layout.
pub async fn unit_layout(
    c: &mut impl DbConn,
    unit: Uuid,
) -> Result<Option<(Uuid, Option<String>)>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, (Uuid, Option<String>)>(
        "select l.id, l.plan_sha256 from units u join layouts l on l.id = u.layout_id
            where u.id = $1"
    )
    .bind(unit)
    .fetch_optional(c)
    .await)?)
}

/// A layout of a project, with how many units have it.
#[derive(Debug, Clone, FromRow)]
pub struct LayoutRow {
    /// Id.
    pub id: Uuid,
    /// Name (`A 三室两厅 89㎡`).
    pub name: String,
    /// Floor plan photo, if uploaded.
    pub plan_sha256: Option<String>,
    /// Units of this layout.
    pub units: i64,
}

/// The layouts of a project, by name.
pub async fn project_layouts(
    c: &mut impl DbConn,
    project: Uuid,
) -> Result<Vec<LayoutRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, LayoutRow>(
        "select l.id, l.name, l.plan_sha256,
                (select count(*) from units u where u.layout_id = l.id) as units
            from layouts l where l.project_id = $1 order by l.name"
    )
    .bind(project)
    .fetch_all(c)
    .await)?)
}
