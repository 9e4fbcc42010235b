//! The KPIs rolled up over the batches of a date range, per project, region company and group
//! (`GET /api/v1/kpis/rollup`): executives compare projects. A level's KPIs are its batches'
//! numerators over their denominators summed — never an average of rates — so a 3,000-unit
//! batch weighs what it should.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Days, NaiveDate};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::breakdown::KpiRow;
use super::repo::BatchHead;
use super::{Counts, READERS};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::error::{AppError, Check};
use crate::http::ApiQuery;
use crate::openapi::ErrorBody;
use crate::org::api::Period;
use crate::run;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/kpis/rollup", get(show))
}

/// Which batches to roll up.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RollupQuery {
    /// First day (default: a year before today). Batches whose period overlaps `[from, to]`.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (default: 90 days after today).
    pub to: Option<NaiveDate>,
    /// Only this region company's projects.
    pub region_id: Option<Uuid>,
    /// Only this project.
    pub project_id: Option<Uuid>,
}

/// A group, region, project or batch with its KPIs and what it is made of.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Node {
    /// `group`, `region`, `project` or `batch`.
    pub level: &'static str,
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// A batch's period (batches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Batches rolled up.
    pub batches: i64,
    /// The KPIs of those batches together.
    #[serde(flatten)]
    pub kpis: KpiRow,
    /// The next level down (a batch has none).
    #[schema(no_recursion)]
    pub children: Vec<Node>,
    #[serde(skip)]
    counts: Counts,
}

/// `GET /api/v1/kpis/rollup`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rollup {
    /// First day.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// Batches rolled up.
    pub batches: i64,
    /// All of them together.
    #[serde(flatten)]
    pub kpis: KpiRow,
    /// Per group, then region, project and batch.
    pub groups: Vec<Node>,
}

/// A batch with where it sits in the organisation.
#[derive(Debug, Clone, FromRow)]
struct Placed {
    id: Uuid,
    project_id: Uuid,
    name: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    board_version: i64,
    project_name: String,
    region_id: Uuid,
    region_name: String,
    group_id: Uuid,
    group_name: String,
}

impl Placed {
    fn head(&self) -> BatchHead {
        BatchHead {
            id: self.id,
            project_id: self.project_id,
            name: self.name.clone(),
            period_start: self.period_start,
            period_end: self.period_end,
            board_version: self.board_version,
        }
    }
}

/// The live KPIs of every batch the caller may read whose period overlaps the range, rolled
/// up per project, region company and group: each level's numerators and denominators are the
/// sums of its batches'. Each batch's counts come from the cache while it is unchanged.
#[utoipa::path(get, path = "/api/v1/kpis/rollup", tag = "kpis", security(("bearer" = [])),
    params(RollupQuery),
    responses((status = 200, body = Rollup), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<RollupQuery>,
) -> Result<Json<Rollup>, AppError> {
    Ok(Json(rollup(&app, &user, &q).await?))
}

/// The rollup of `q` for `user`.
pub async fn rollup(
    app: &AppState,
    user: &CurrentUser,
    q: &RollupQuery,
) -> Result<Rollup, AppError> {
    let today = clock::local_date(clock::now());
    let from = q.from.unwrap_or(today - Days::new(365));
    let to = q.to.unwrap_or(today + Days::new(90));
    Check::default()
        .when(to < from, "to", "end_before_start")
        .done()?;
    let projects: Vec<Uuid> = user
        .project_ids()
        .into_iter()
        .filter(|p| user.require(*p, READERS).is_ok())
        .filter(|p| q.project_id.is_none_or(|only| only == *p))
        .collect();
    let batches = placed(app, &projects, (from, to)).await?;
    let batches: Vec<Placed> = batches
        .into_iter()
        .filter(|b| q.region_id.is_none_or(|r| r == b.region_id))
        .collect();
    let counted: Vec<(Placed, Counts)> = stream::iter(batches)
        .map(|b| async move {
            let counts = super::api::counts(app, &b.head()).await?;
            Ok::<_, AppError>((b, counts))
        })
        .buffered(4)
        .try_collect()
        .await?;
    let groups = tree(counted);
    let total = groups
        .iter()
        .fold(Counts::default(), |c, g| c.plus(g.counts));
    Ok(Rollup {
        from,
        to,
        batches: groups.iter().map(|g| g.batches).sum(),
        kpis: total.into(),
        groups,
    })
}

/// The batches of `projects` whose period overlaps `[from, to]`, with their organisation.
async fn placed(
    app: &AppState,
    projects: &[Uuid],
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<Placed>, AppError> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = app.db.read().await?;
    run!(&mut c, |c| {
        let mut q = QueryBuilder::new(
            "select b.id, b.project_id, b.name, b.period_start, b.period_end, b.board_version,
                p.name as project_name, r.id as region_id, r.name as region_name,
                g.id as group_id, g.name as group_name
             from batches b join projects p on p.id = b.project_id
             join regions r on r.id = p.region_id join org_groups g on g.id = r.group_id
             where b.period_start <= ",
        );
        q.push_bind(to)
            .push(" and b.period_end >= ")
            .push_bind(from)
            .push(" and b.project_id in (");
        let mut sep = q.separated(", ");
        for id in projects {
            sep.push_bind(*id);
        }
        q.push(") order by g.name, r.name, p.name, b.period_start, b.name");
        Ok(q.build_query_as::<Placed>().fetch_all(c).await?)
    })
}

fn node(level: &'static str, id: Uuid, name: String, children: Vec<Node>) -> Node {
    let counts = children
        .iter()
        .fold(Counts::default(), |c, n| c.plus(n.counts));
    Node {
        level,
        id,
        name,
        period: None,
        batches: children.iter().map(|n| n.batches).sum(),
        kpis: counts.into(),
        children,
        counts,
    }
}

fn leaf(b: &Placed, counts: Counts) -> Node {
    Node {
        level: "batch",
        id: b.id,
        name: b.name.clone(),
        period: Some(Period {
            start: b.period_start,
            end: b.period_end,
        }),
        batches: 1,
        kpis: counts.into(),
        children: Vec::new(),
        counts,
    }
}

/// Groups the batches (already in group, region, project order) into the tree.
fn tree(batches: Vec<(Placed, Counts)>) -> Vec<Node> {
    type Named = (Uuid, String);
    type Projects = BTreeMap<Named, Vec<Node>>;
    let mut groups: BTreeMap<(String, Uuid), BTreeMap<Named, Projects>> = BTreeMap::new();
    for (b, counts) in &batches {
        groups
            .entry((b.group_name.clone(), b.group_id))
            .or_default()
            .entry((b.region_id, b.region_name.clone()))
            .or_default()
            .entry((b.project_id, b.project_name.clone()))
            .or_default()
            .push(leaf(b, *counts));
    }
    let by_name = |mut v: Vec<Node>| {
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    groups
        .into_iter()
        .map(|((gname, gid), regions)| {
            let regions = regions
                .into_iter()
                .map(|((rid, rname), projects)| {
                    let projects = projects
                        .into_iter()
                        .map(|((pid, pname), b)| node("project", pid, pname, b))
                        .collect();
                    node("region", rid, rname, by_name(projects))
                })
                .collect();
            node("group", gid, gname, by_name(regions))
        })
        .collect()
}

impl Counts {
    /// The counts of two sets of units together.
    pub fn plus(self, o: Counts) -> Counts {
        Counts {
            planned: self.planned + o.planned,
            delivered: self.delivered + o.delivered,
            zero_defect: self.zero_defect + o.zero_defect,
            scattered: self.scattered + o.scattered,
            took_part: self.took_part + o.took_part,
            issues: self.issues + o.issues,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_sums_numerators_and_denominators_not_rates() {
        let big = Counts {
            planned: 3000,
            delivered: 2700,
            zero_defect: 2000,
            scattered: 10,
            took_part: 2800,
            issues: 5600,
        };
        let small = Counts {
            planned: 100,
            delivered: 50,
            zero_defect: 50,
            scattered: 0,
            took_part: 60,
            issues: 0,
        };
        let b = |counts| Node {
            level: "batch",
            id: Uuid::new_v4(),
            name: String::new(),
            period: None,
            batches: 1,
            kpis: KpiRow::from(counts),
            children: Vec::new(),
            counts,
        };
        let project = node(
            "project",
            Uuid::new_v4(),
            "p".into(),
            vec![b(big), b(small)],
        );
        assert_eq!(project.batches, 2);
        assert_eq!(project.kpis.planned_units, 3100);
        // (2700 + 50) / 3100, not the mean of 90 % and 50 %.
        assert_eq!(project.kpis.concentrated_delivery_rate.numerator, 2750);
        assert_eq!(project.kpis.zero_defect_delivery_rate.denominator, 2750);
        assert_eq!(
            project.kpis.avg_defects_per_unit.value,
            Some(5600.0 / 2860.0)
        );
        assert_eq!(project.kpis.scattered_deliveries, 10);
    }
}
