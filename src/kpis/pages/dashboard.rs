//! The executives' dashboard: the three KPIs of every batch in a date range, large; the
//! running batches first; and the table region → project → batch, each level's numerators
//! over its denominators summed (the rollup). Region and project views are this page with
//! filters, all kept in the URL.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::{Figure, Filter};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiQuery, page};
use crate::i18n::Locale;
use crate::kpis::READERS;
use crate::kpis::breakdown::KpiRow;
use crate::kpis::drill::Kpi;
use crate::kpis::rollup::{Node, Rollup, RollupQuery, rollup};
use crate::pages::Chrome;

/// The page's query, as the filter form sends it (empty fields are no filter).
#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    /// First day, `YYYY-MM-DD`.
    from: Option<String>,
    /// Last day, inclusive.
    to: Option<String>,
    /// Region company.
    region_id: Option<String>,
    /// Project.
    project_id: Option<String>,
}

/// The filters, parsed; dates that do not read are shown as typed with a message.
#[derive(Debug, Clone, Default)]
struct Filters {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    region: Option<Uuid>,
    project: Option<Uuid>,
    /// The dates as typed (kept in the form).
    typed: (String, String),
    /// Catalog key of the dates' problem.
    error: Option<&'static str>,
}

impl Filters {
    fn of(q: DashboardQuery) -> Result<Self, AppError> {
        let text = |s: Option<String>| s.map(|s| s.trim().to_owned()).unwrap_or_default();
        let (from, to) = (text(q.from), text(q.to));
        let date = |s: &str| (!s.is_empty()).then(|| s.parse::<NaiveDate>()).transpose();
        let id = |s: String, field: &str| {
            (!s.is_empty())
                .then(|| s.parse::<Uuid>())
                .transpose()
                .map_err(|_| AppError::MalformedQuery(format!("{field}: not an id")))
        };
        let mut f = Filters {
            region: id(text(q.region_id), "region_id")?,
            project: id(text(q.project_id), "project_id")?,
            ..Filters::default()
        };
        match (date(&from), date(&to)) {
            (Ok(a), Ok(b)) if a.zip(b).is_some_and(|(a, b)| b < a) => {
                f.error = Some("kpis.dashboard.end_before_start");
            }
            (Ok(a), Ok(b)) => (f.from, f.to) = (a, b),
            _ => f.error = Some("kpis.dashboard.bad_date"),
        }
        f.typed = (from, to);
        Ok(f)
    }

    /// The dashboard with these dates and the region and project given.
    fn href(&self, region: Option<Uuid>, project: Option<Uuid>) -> String {
        let mut q = Vec::new();
        if let Some(d) = self.from {
            q.push(format!("from={d}"));
        }
        if let Some(d) = self.to {
            q.push(format!("to={d}"));
        }
        if let Some(r) = region {
            q.push(format!("region_id={r}"));
        }
        if let Some(p) = project {
            q.push(format!("project_id={p}"));
        }
        if q.is_empty() {
            "/dashboard".to_owned()
        } else {
            format!("/dashboard?{}", q.join("&"))
        }
    }

    fn any(&self) -> bool {
        self.from.is_some() || self.to.is_some() || self.region.is_some() || self.project.is_some()
    }
}

/// A count and where it leads.
struct Linked {
    n: String,
    href: String,
}

/// A row of the table: a group, region, project or batch.
struct Row {
    level: &'static str,
    /// 区域, 项目, 批次.
    level_name: &'static str,
    name: String,
    href: String,
    /// A batch's period.
    period: String,
    /// A batch whose period includes today.
    running: bool,
    batches: Linked,
    planned: Linked,
    figures: Vec<Figure>,
    scattered: Linked,
}

/// A running batch, on top of the page.
struct Running {
    id: Uuid,
    name: String,
    project: String,
    period: String,
    figures: Vec<Figure>,
}

#[derive(Template)]
#[template(path = "kpis/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    /// From the rollup: the range actually shown.
    from: NaiveDate,
    to: NaiveDate,
    typed: (String, String),
    error: Option<&'static str>,
    region: Option<Uuid>,
    project: Option<Uuid>,
    regions: Vec<(Uuid, String)>,
    projects: Vec<(Uuid, String)>,
    filtered: bool,
    /// "3 个批次".
    batches_text: String,
    planned: String,
    figures: Vec<Figure>,
    scattered: String,
    running: Vec<Running>,
    rows: Vec<Row>,
    kpi_names: Vec<&'static str>,
}

impl DashboardPage {
    fn region_on(&self, id: &Uuid) -> bool {
        self.region == Some(*id)
    }

    fn project_on(&self, id: &Uuid) -> bool {
        self.project == Some(*id)
    }
}

/// The dashboard of the batches the caller may read the KPIs of.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Response, AppError> {
    let f = Filters::of(q)?;
    let readable: Vec<Uuid> = user
        .project_ids()
        .into_iter()
        .filter(|p| user.require(*p, READERS).is_ok())
        .collect();
    if readable.is_empty() {
        return Err(AppError::Forbidden);
    }
    let projects = crate::org::repo::list_projects(&mut app.db.read().await?, &readable).await?;
    let query = RollupQuery {
        from: f.from,
        to: f.to,
        region_id: f.region,
        project_id: f.project,
    };
    let r = rollup(&app, &user, &query).await?;
    let mut regions: Vec<(Uuid, String)> = projects
        .iter()
        .map(|p| (p.region_id, p.region_name.clone()))
        .collect();
    regions.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    regions.dedup();
    let projects = projects
        .into_iter()
        .filter(|p| f.region.is_none_or(|r| r == p.region_id))
        .map(|p| (p.id, p.name))
        .collect();
    let c = Chrome::new(
        l,
        &user,
        l.t("kpis.dashboard.title"),
        f.href(f.region, f.project),
    );
    page(&view(c, &f, &r, projects, regions))
}

fn view(
    c: Chrome,
    f: &Filters,
    r: &Rollup,
    projects: Vec<(Uuid, String)>,
    regions: Vec<(Uuid, String)>,
) -> DashboardPage {
    let l = c.l;
    let today = clock::local_date(clock::now());
    let mut rows = Vec::new();
    let mut running = Vec::new();
    for g in &r.groups {
        if r.groups.len() > 1 {
            rows.push(level_row(l, g, f.href(None, None)));
        }
        for region in &g.children {
            rows.push(level_row(l, region, f.href(Some(region.id), None)));
            for p in &region.children {
                rows.push(level_row(l, p, f.href(None, Some(p.id))));
                for b in in_order(&p.children, today) {
                    let row = batch_row(l, b, today);
                    if row.running {
                        running.push(Running {
                            id: b.id,
                            name: b.name.clone(),
                            project: p.name.clone(),
                            period: row.period.clone(),
                            figures: row.figures.clone(),
                        });
                    }
                    rows.push(row);
                }
            }
        }
    }
    let figures = match single_batch(r) {
        Some(b) => Figure::of_batch(l, b, &r.kpis, &Filter::default()),
        None => level_figures(l, &r.kpis, "#rollup"),
    };
    DashboardPage {
        from: r.from,
        to: r.to,
        typed: f.typed.clone(),
        error: f.error,
        region: f.region,
        project: f.project,
        regions,
        projects,
        filtered: f.any() || f.error.is_some(),
        batches_text: l.fmt1("kpis.dashboard.batches_count", "n", &l.count(r.batches)),
        planned: l.count(r.kpis.planned_units),
        figures,
        scattered: l.count(r.kpis.scattered_deliveries),
        running,
        rows,
        kpi_names: Kpi::ALL.into_iter().map(|k| super::name(l, k)).collect(),
        c,
    }
}

/// Whether `b`'s period includes `today`.
fn is_running(b: &Node, today: NaiveDate) -> bool {
    b.period
        .as_ref()
        .is_some_and(|p| p.start <= today && today <= p.end)
}

/// A project's batches: running ones first, then the most recent first.
fn in_order(batches: &[Node], today: NaiveDate) -> Vec<&Node> {
    let mut list: Vec<&Node> = batches.iter().collect();
    list.sort_by_key(|b| {
        (
            !is_running(b, today),
            std::cmp::Reverse(b.period.as_ref().map(|p| p.start)),
        )
    });
    list
}

/// The only batch of the rollup, if it has exactly one.
fn single_batch(r: &Rollup) -> Option<Uuid> {
    if r.batches != 1 {
        return None;
    }
    let mut level: &[Node] = &r.groups;
    while let [only] = level {
        if only.level == "batch" {
            return Some(only.id);
        }
        level = &only.children;
    }
    None
}

/// The three KPIs of a level, each leading to `href` (the level's own view).
fn level_figures(l: Locale, kpis: &KpiRow, href: &str) -> Vec<Figure> {
    Kpi::ALL
        .into_iter()
        .map(|k| {
            Figure::new(
                l,
                k,
                super::ratio_of(kpis, k),
                href.to_owned(),
                href.to_owned(),
            )
        })
        .collect()
}

fn level_row(l: Locale, n: &Node, href: String) -> Row {
    let linked = |count: i64| Linked {
        n: l.count(count),
        href: href.clone(),
    };
    Row {
        level: n.level,
        level_name: l.t(&format!("kpis.level.{}", n.level)),
        name: n.name.clone(),
        period: String::new(),
        running: false,
        batches: linked(n.batches),
        planned: linked(n.kpis.planned_units),
        figures: level_figures(l, &n.kpis, &href),
        scattered: linked(n.kpis.scattered_deliveries),
        href,
    }
}

fn batch_row(l: Locale, b: &Node, today: NaiveDate) -> Row {
    let page = format!("/batches/{}/kpis", b.id);
    Row {
        level: b.level,
        level_name: l.t("kpis.level.batch"),
        name: b.name.clone(),
        period: b
            .period
            .as_ref()
            .map(|p| format!("{} – {}", p.start, p.end))
            .unwrap_or_default(),
        running: is_running(b, today),
        batches: Linked {
            n: l.count(b.batches),
            href: page.clone(),
        },
        planned: Linked {
            n: l.count(b.kpis.planned_units),
            href: Filter::default().href(b.id, Kpi::ConcentratedDeliveryRate),
        },
        figures: Figure::of_batch(l, b.id, &b.kpis, &Filter::default()),
        scattered: Linked {
            n: l.count(b.kpis.scattered_deliveries),
            href: format!("{page}#scattered"),
        },
        href: page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str) -> DashboardQuery {
        DashboardQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            ..DashboardQuery::default()
        }
    }

    #[test]
    fn dates_that_do_not_read_are_kept_as_typed_with_a_message() {
        let f = Filters::of(q("2026-12-01", "2026-11-01")).unwrap();
        assert_eq!(f.error, Some("kpis.dashboard.end_before_start"));
        assert_eq!((f.from, f.to), (None, None));
        assert_eq!(f.typed.1, "2026-11-01");
        let f = Filters::of(q("12/01", "")).unwrap();
        assert_eq!(f.error, Some("kpis.dashboard.bad_date"));
        let f = Filters::of(q("2026-01-01", "")).unwrap();
        assert_eq!(f.error, None);
        assert_eq!(f.href(None, None), "/dashboard?from=2026-01-01");
        let bad = DashboardQuery {
            region_id: Some("x".into()),
            ..DashboardQuery::default()
        };
        assert!(Filters::of(bad).is_err());
    }
}
