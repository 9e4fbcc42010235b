//! Where an inspection page works — a unit or a common area — and at which stage: inspectors run
//! the self inspection (一户一验); the property company and the project department inspect units
//! and common areas together at takeover (承接查验, `?stage=takeover`).

use uuid::Uuid;

use crate::auth::{CurrentUser, Role};
use crate::db::DbConn;
use crate::defects::Stage;
use crate::error::AppError;
use crate::inspections::repo::{self, InspectionRow};

/// A unit or a common area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A unit (户).
    Unit(Uuid),
    /// A common area (公区).
    Area(Uuid),
}

impl Place {
    /// The unit, if this is one.
    pub fn unit(self) -> Option<Uuid> {
        match self {
            Place::Unit(id) => Some(id),
            Place::Area(_) => None,
        }
    }

    /// The common area, if this is one.
    pub fn area(self) -> Option<Uuid> {
        match self {
            Place::Area(id) => Some(id),
            Place::Unit(_) => None,
        }
    }

    /// Where an inspection runs.
    pub fn of(row: &InspectionRow) -> Result<Place, AppError> {
        match (row.unit_id, row.common_area_id) {
            (Some(u), _) => Ok(Place::Unit(u)),
            (None, Some(a)) => Ok(Place::Area(a)),
            (None, None) => Err(AppError::NotFound),
        }
    }

    /// The inspection page of this place at `stage`.
    pub fn page(self, stage: Stage) -> String {
        self.action(stage, "inspect")
    }

    /// The page with more query parameters (`a=1&b=2`) and a fragment (`#x` or empty).
    pub fn page_with(self, stage: Stage, query: &str, fragment: &str) -> String {
        let page = self.page(stage);
        let sep = if page.contains('?') { '&' } else { '?' };
        format!("{page}{sep}{query}{fragment}")
    }

    /// A path under this place (`inspect`, `inspect/start`, `defects`), carrying the stage.
    pub fn action(self, stage: Stage, what: &str) -> String {
        let base = match self {
            Place::Unit(id) => format!("/units/{id}/{what}"),
            Place::Area(id) => format!("/areas/{id}/{what}"),
        };
        match stage {
            Stage::Takeover => format!("{base}?stage=takeover"),
            _ => base,
        }
    }

    /// The inspections of this place, newest first.
    pub async fn inspections(self, c: &mut impl DbConn) -> Result<Vec<InspectionRow>, AppError> {
        match self {
            Place::Unit(id) => repo::list_by_unit(c, id).await,
            Place::Area(id) => repo::list_by_area(c, id).await,
        }
    }

    /// The running inspection of this place at `stage`, if there is one.
    pub async fn running(
        self,
        c: &mut impl DbConn,
        stage: Stage,
    ) -> Result<Option<Uuid>, AppError> {
        repo::running(c, self.unit(), self.area(), stage.as_str()).await
    }
}

/// A place as its page heads it.
pub struct Site {
    /// The place.
    pub place: Place,
    /// The stage inspected on the page.
    pub stage: Stage,
    /// Project.
    pub project_id: Uuid,
    /// Project name.
    pub project_name: String,
    /// Unit number, or the common area's name (with its building).
    pub name: String,
    /// The unit's status (units only).
    pub unit_status: Option<String>,
}

impl Site {
    /// Loads `place` and checks that `user` may inspect it at `stage` (the stage asked for, or
    /// the one the caller's roles point to).
    pub async fn load(
        c: &mut impl DbConn,
        user: &CurrentUser,
        place: Place,
        asked: Option<Stage>,
    ) -> Result<Site, AppError> {
        let (project_id, project_name, name, unit_status) = match place {
            Place::Unit(id) => {
                let u = crate::org::repo::get_unit(c, id).await?;
                (u.project_id, u.project_name, u.number, Some(u.status))
            }
            Place::Area(id) => {
                let a = crate::org::repo::get_common_area(c, id).await?;
                let name = match a.building {
                    Some(b) => format!("{b} · {}", a.name),
                    None => a.name,
                };
                (a.project_id, a.project_name, name, None)
            }
        };
        let stage = asked.unwrap_or_else(|| default_stage(user, project_id));
        user.require(project_id, runners(stage)?)?;
        Ok(Site {
            place,
            stage,
            project_id,
            project_name,
            name,
            unit_status,
        })
    }

    /// The page of this site.
    pub fn page(&self) -> String {
        self.place.page(self.stage)
    }
}

/// Who may inspect at `stage` on these pages (re-inspection has its own page).
fn runners(stage: Stage) -> Result<&'static [Role], AppError> {
    match stage {
        Stage::SelfInspection => Ok(&[Role::Inspector]),
        Stage::Takeover => Ok(&[Role::Inspector, Role::Property]),
        Stage::Reinspection | Stage::Customer => Err(AppError::field("stage", "invalid")),
    }
}

/// The stage a page opens at when none is asked for: takeover for the property company (who
/// has no self inspection to run), else self inspection.
fn default_stage(user: &CurrentUser, project: Uuid) -> Stage {
    let mut roles = user.roles_on(project);
    if roles.any(|r| r == Role::Inspector) {
        Stage::SelfInspection
    } else {
        Stage::Takeover
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_actions_carry_the_takeover_stage() {
        let id = Uuid::nil();
        let unit = Place::Unit(id);
        let area = Place::Area(id);
        assert_eq!(
            unit.page(Stage::SelfInspection),
            format!("/units/{id}/inspect")
        );
        assert_eq!(
            area.page(Stage::Takeover),
            format!("/areas/{id}/inspect?stage=takeover")
        );
        assert_eq!(
            unit.action(Stage::SelfInspection, "defects"),
            format!("/units/{id}/defects")
        );
        assert_eq!(
            area.action(Stage::Takeover, "inspect/start"),
            format!("/areas/{id}/inspect/start?stage=takeover")
        );
        assert_eq!(
            unit.page_with(Stage::SelfInspection, "finished=1", ""),
            format!("/units/{id}/inspect?finished=1")
        );
        assert_eq!(
            area.page_with(Stage::Takeover, "added=x", "#defects"),
            format!("/areas/{id}/inspect?stage=takeover&added=x#defects")
        );
    }
}
