//! The drill-down page of a secondary figure: the planned units with a share in it, what each
//! adds to the numerator and the denominator, and the service facts behind it
//! (`secondary::drill`). Filters live in the URL: numerator only, building, contractor, refusal
//! reason; 100 rows a page. The fact columns are shared with the workbook of the same list.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::{building_name, dimension_label};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::delivery::settings::Entry;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page};
use crate::i18n::Locale;
use crate::kpis::api::{figure_of, readable, secondary_drill};
use crate::kpis::secondary::ServiceUnit;
use crate::kpis::secondary::drill::{Facet, Figure, Scope, SecondaryDrill, items_of};
use crate::kpis::secondary::lines::{Kind, shown};
use crate::pages::{Chrome, with_query};

/// Rows per page.
const PER_PAGE: usize = 100;

/// The page's query (the language switch's `lang` passes through).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// `numerator`: only the units that add to the numerator.
    only: Option<String>,
    /// Building name.
    building: Option<String>,
    /// Contractor of the items.
    contractor: Option<Uuid>,
    /// Refusal reason.
    reason: Option<String>,
    /// Page, from 1.
    page: Option<usize>,
}

/// The page's filters, as kept in its address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// What the list keeps.
    pub scope: Scope,
    /// Page, from 1.
    pub page: usize,
}

impl Filter {
    fn of(q: PageQuery) -> Result<Self, AppError> {
        let text = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Filter {
            scope: Scope {
                numerator_only: crate::kpis::api::numerator_only(q.only.as_deref())?,
                building: text(q.building),
                contractor: q.contractor,
                reason: text(q.reason),
            },
            page: q.page.unwrap_or(1).max(1),
        })
    }

    /// The drill-down page of `figure` of `batch` under `scope`.
    pub fn href(batch: Uuid, figure: Figure, scope: &Scope) -> String {
        Filter {
            scope: scope.clone(),
            page: 1,
        }
        .address(batch, figure)
    }

    fn address(&self, batch: Uuid, figure: Figure) -> String {
        let s = &self.scope;
        let base = format!("/batches/{batch}/secondary/{}/units", figure.as_str());
        with_query(
            base,
            &[
                ("only", s.numerator_only.then(|| "numerator".to_owned())),
                ("building", s.building.clone()),
                ("contractor", s.contractor.map(|c| c.to_string())),
                ("reason", s.reason.clone()),
                ("page", (self.page > 1).then(|| self.page.to_string())),
            ],
        )
    }

    /// Another filter, on page 1.
    fn with(&self, change: impl FnOnce(&mut Scope)) -> Filter {
        let mut f = Filter {
            page: 1,
            ..self.clone()
        };
        change(&mut f.scope);
        f
    }
}

/// A fact of a unit as the page and the workbook show it.
pub enum Fact {
    /// 是 / 否.
    Yes(bool),
    /// A count.
    Count(i64),
    /// A mean of `kind` (days, minutes), none over nothing.
    Mean(Kind, Option<f64>),
    /// Words.
    Text(String),
}

impl Fact {
    /// As the page writes it.
    pub fn text(&self, l: Locale) -> String {
        match self {
            Fact::Yes(true) => l.t("kpis.units.yes").to_owned(),
            Fact::Yes(false) => l.t("kpis.units.no").to_owned(),
            Fact::Count(n) => l.count(*n),
            Fact::Mean(kind, v) => shown(*kind, *v),
            Fact::Text(s) => s.clone(),
        }
    }
}

/// The catalog keys of the fact columns of `facet`.
pub fn columns(facet: Facet) -> &'static [&'static str] {
    match facet {
        Facet::Inspection => &["kpis.sunits.self_inspected", "kpis.sunits.stage1_defects"],
        Facet::Items => &[
            "kpis.sunits.items",
            "kpis.sunits.closed",
            "kpis.sunits.on_time",
            "kpis.sunits.first_time",
            "kpis.sunits.mean_days",
            "kpis.sunits.send_backs",
            "kpis.sunits.contractors",
        ],
        Facet::Refusals => &[
            "kpis.sunits.took_part",
            "kpis.sunits.refused",
            "kpis.sunits.reasons",
        ],
        Facet::Complaints => &[
            "kpis.sunits.received",
            "kpis.sunits.responded",
            "kpis.sunits.resolved",
            "kpis.sunits.first_response",
            "kpis.sunits.resolution",
        ],
        Facet::Surveys => &["kpis.sunits.nps_answers", "kpis.sunits.stars"],
    }
}

/// The facts of `u` under the columns of `facet`, its items narrowed to `contractor` when given;
/// `dimensions` names the survey's dimensions.
pub fn facts(
    l: Locale,
    facet: Facet,
    (u, contractor): (&ServiceUnit, Option<Uuid>),
    dimensions: &[Entry],
) -> Vec<Fact> {
    match facet {
        Facet::Inspection => vec![Fact::Yes(u.self_inspected), Fact::Count(u.stage1_defects)],
        Facet::Items => item_facts(u, contractor),
        Facet::Refusals => {
            let reasons = u.refusal_reasons.iter().map(|r| {
                let label = l.t(&format!("visit.refusal.{}", r.reason));
                format!("{label} ×{}", r.count)
            });
            vec![
                Fact::Yes(u.took_part),
                Fact::Yes(u.refused),
                Fact::Text(reasons.collect::<Vec<_>>().join("、")),
            ]
        }
        Facet::Complaints => {
            let k = &u.complaints;
            let mean = |seconds: i64, n: i64| {
                Fact::Mean(
                    Kind::Minutes,
                    (n > 0).then(|| seconds as f64 / 60.0 / n as f64),
                )
            };
            vec![
                Fact::Count(k.received),
                Fact::Count(k.responded),
                Fact::Count(k.resolved),
                mean(k.response_seconds, k.responded),
                mean(k.resolution_seconds, k.resolved),
            ]
        }
        Facet::Surveys => survey_facts(l, u, dimensions),
    }
}

fn item_facts(u: &ServiceUnit, contractor: Option<Uuid>) -> Vec<Fact> {
    let t = items_of(u, contractor);
    let days = (t.closed > 0).then(|| t.seconds as f64 / 86_400.0 / t.closed as f64);
    let mut names: Vec<&str> = u
        .items
        .iter()
        .filter(|g| contractor.is_none_or(|c| g.contractor_id == Some(c)))
        .filter_map(|g| g.contractor.as_deref())
        .collect();
    names.dedup();
    vec![
        Fact::Count(t.items),
        Fact::Count(t.closed),
        Fact::Count(t.on_time),
        Fact::Count(t.first_time),
        Fact::Mean(Kind::Days, days),
        Fact::Count(t.send_backs),
        Fact::Text(names.join("、")),
    ]
}

fn survey_facts(l: Locale, u: &ServiceUnit, dimensions: &[Entry]) -> Vec<Fact> {
    let answers: Vec<String> = u.surveys.iter().map(|s| s.nps.to_string()).collect();
    let title = |code: &str| {
        let own = dimensions.iter().find(|d| d.code == code);
        dimension_label(l, code, own.map_or("", |d| d.title.as_str()))
    };
    let stars: Vec<String> = u
        .surveys
        .iter()
        .flat_map(|s| s.stars.iter())
        .map(|(code, n)| format!("{} {n}", title(code)))
        .collect();
    vec![
        Fact::Text(answers.join(", ")),
        Fact::Text(stars.join(" · ")),
    ]
}

/// A filter chip: label with its count, link, whether on.
struct Chip {
    label: String,
    count: String,
    href: String,
    on: bool,
}

/// A unit of the list.
struct Row {
    id: Uuid,
    number: String,
    building: String,
    counts: bool,
    /// What it adds: 是/否 for a unit rate, `n/d` otherwise.
    share: String,
    facts: Vec<String>,
}

#[derive(Template)]
#[template(path = "kpis/secondary_units.html")]
struct UnitsPage {
    c: Chrome,
    batch: Uuid,
    figure: &'static str,
    name: &'static str,
    value: String,
    over: String,
    definition: &'static str,
    all_href: String,
    numerator_href: String,
    only_chips: Vec<Chip>,
    building_chips: Vec<Chip>,
    /// The contractor or reason filter in words, with the link that removes it.
    scope: Option<(String, String)>,
    headings: Vec<&'static str>,
    rows: Vec<Row>,
    summary: String,
    empty: &'static str,
    xlsx: String,
    prev: Option<String>,
    next: Option<String>,
    page_text: String,
}

/// The units behind a secondary figure of a batch.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath((id, figure)): ApiPath<(Uuid, String)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, AppError> {
    let figure = figure_of(&figure)?;
    let f = Filter::of(q)?;
    let batch = readable(&app, &user, id).await?;
    // The list before the numerator and building filters, for the chips' counts.
    let wide = Scope {
        numerator_only: false,
        building: None,
        ..f.scope.clone()
    };
    let drill = secondary_drill(&app, &batch, figure, &wide, None).await?;
    let mut conn = app.db.read().await?;
    let (project, _) = crate::org::repo::project_head(&mut conn, batch.project_id).await?;
    let settings = crate::delivery::repo::settings(&mut conn, batch.project_id).await?;
    drop(conn);
    let name = l.t(&format!("kpis.sec.{}", figure.as_str()));
    let title = format!("{name} · {}", l.t("kpis.units.title"));
    let c = Chrome::new(l, &user, title, f.address(id, figure))
        .crumb(l.t("kpis.dashboard.title"), "/dashboard")
        .crumb(
            project,
            format!("/dashboard?project_id={}", batch.project_id),
        )
        .crumb(
            format!("{} · {}", batch.name, l.t("kpis.batch.title")),
            format!("/batches/{id}/kpis#secondary"),
        );
    page(&view(c, &f, &drill, &settings.survey))
}

/// The page of `drill` (listed under the contractor and reason filters) under `f`.
fn view(c: Chrome, f: &Filter, drill: &SecondaryDrill, dimensions: &[Entry]) -> UnitsPage {
    let l = c.l;
    let (batch, figure) = (drill.batch_id, drill.figure);
    let in_building = |u: &&crate::kpis::secondary::drill::SecondaryUnit| f.scope.keeps(&u.facts);
    let counts = |u: &&crate::kpis::secondary::drill::SecondaryUnit| u.in_numerator != 0.0;
    let listed: Vec<_> = drill
        .units
        .iter()
        .filter(in_building)
        .filter(|u| !f.scope.numerator_only || counts(u))
        .collect();
    let only_chips = [(false, "kpis.units.all"), (true, "kpis.units.only")]
        .into_iter()
        .map(|(only, key)| Chip {
            label: l.t(key).to_owned(),
            count: l.count(
                drill
                    .units
                    .iter()
                    .filter(in_building)
                    .filter(|u| !only || counts(u))
                    .count() as i64,
            ),
            href: f.with(|s| s.numerator_only = only).address(batch, figure),
            on: f.scope.numerator_only == only,
        })
        .collect();
    let mut buildings: Vec<(&str, i64)> = Vec::new();
    for u in drill
        .units
        .iter()
        .filter(|u| !f.scope.numerator_only || counts(u))
    {
        match buildings.iter_mut().find(|(b, _)| *b == u.facts.building) {
            Some((_, n)) => *n += 1,
            None => buildings.push((&u.facts.building, 1)),
        }
    }
    let building_chips = std::iter::once(Chip {
        label: l.t("kpis.units.all_buildings").to_owned(),
        count: l.count(buildings.iter().map(|(_, n)| n).sum()),
        href: f.with(|s| s.building = None).address(batch, figure),
        on: f.scope.building.is_none(),
    })
    .chain(buildings.iter().map(|(b, n)| {
        Chip {
            label: building_name(l, b),
            count: l.count(*n),
            href: f
                .with(|s| s.building = Some((*b).to_owned()))
                .address(batch, figure),
            on: f.scope.building.as_deref() == Some(*b),
        }
    }))
    .collect();
    let pages = listed.len().div_ceil(PER_PAGE).max(1);
    let page_no = f.page.min(pages);
    let facet = figure.facet();
    let rows = listed
        .iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|u| Row {
            id: u.facts.unit_id,
            number: u.facts.number.clone(),
            building: building_name(l, &u.facts.building),
            counts: counts(u),
            share: share_text(l, figure, u.in_numerator, u.in_denominator),
            facts: facts(l, facet, (&u.facts, f.scope.contractor), dimensions)
                .iter()
                .map(|x| x.text(l))
                .collect(),
        })
        .collect();
    let numerator: f64 = listed.iter().map(|u| u.in_numerator).sum();
    let denominator: i64 = listed.iter().map(|u| u.in_denominator).sum();
    let on_page = |p: usize| {
        Filter {
            page: p,
            ..f.clone()
        }
        .address(batch, figure)
    };
    let narrowed = f.scope != Scope::default();
    let whole = Scope::default();
    let numerator_scope = Scope {
        numerator_only: true,
        ..Scope::default()
    };
    UnitsPage {
        figure: figure.as_str(),
        name: l.t(&format!("kpis.sec.{}", figure.as_str())),
        value: shown(figure.kind(), figure.value(numerator, denominator)),
        over: over_text(l, figure, numerator, denominator),
        definition: l.t(&format!("kpis.sec_def.{}", figure.as_str())),
        all_href: Filter::href(batch, figure, &whole),
        numerator_href: Filter::href(batch, figure, &numerator_scope),
        only_chips,
        building_chips,
        scope: scope_text(l, f, drill),
        headings: columns(facet).iter().map(|k| l.t(k)).collect(),
        rows,
        summary: l.fmt(
            "kpis.sunits.summary",
            &[("units", &l.count(listed.len() as i64))],
        ),
        empty: if narrowed {
            l.t("kpis.units.empty_filtered")
        } else {
            l.t("kpis.sunits.empty")
        },
        xlsx: xlsx_href(f, batch, figure),
        prev: (page_no > 1).then(|| on_page(page_no - 1)),
        next: (page_no < pages).then(|| on_page(page_no + 1)),
        page_text: l.fmt(
            "kpis.page",
            &[
                ("page", &page_no.to_string()),
                ("pages", &pages.to_string()),
            ],
        ),
        c,
        batch,
    }
}

/// What a unit adds, as the list writes it: 是/否 for a unit rate, the count for a per-unit
/// figure, `n/d` otherwise (a mean's total over its count).
fn share_text(l: Locale, figure: Figure, n: f64, d: i64) -> String {
    match figure {
        Figure::SelfInspectionCoverage | Figure::RefusalRate => Fact::Yes(n > 0.0).text(l),
        Figure::Stage1DefectsPerUnit | Figure::ComplaintsReceived => l.count(n as i64),
        Figure::MeanDaysToRectify
        | Figure::MeanFirstResponseMinutes
        | Figure::MeanResolutionMinutes => {
            format!("{}/{d}", shown(figure.kind(), Some(n)))
        }
        _ => format!("{}/{d}", n as i64),
    }
}

/// What the listed value is counted over: `n/d`, a mean's count, "" for the count.
fn over_text(l: Locale, figure: Figure, n: f64, d: i64) -> String {
    match figure.kind() {
        Kind::Count => String::new(),
        Kind::Days | Kind::Minutes | Kind::Score => l.count(d),
        _ => format!("{}/{}", l.count(n as i64), l.count(d)),
    }
}

/// The contractor or reason filter in words, with the address that removes them.
fn scope_text(l: Locale, f: &Filter, drill: &SecondaryDrill) -> Option<(String, String)> {
    let mut parts = Vec::new();
    if let Some(c) = f.scope.contractor {
        let name = drill
            .units
            .iter()
            .flat_map(|u| u.facts.items.iter())
            .find(|g| g.contractor_id == Some(c))
            .and_then(|g| g.contractor.clone())
            .unwrap_or_else(|| c.to_string());
        parts.push(l.fmt1("kpis.sunits.scope.contractor", "name", &name));
    }
    if let Some(r) = &f.scope.reason {
        let reason = l.t(&format!("visit.refusal.{r}"));
        let reason = if reason.is_empty() {
            r.as_str()
        } else {
            reason
        };
        parts.push(l.fmt1("kpis.sunits.scope.reason", "reason", reason));
    }
    if parts.is_empty() {
        return None;
    }
    let clear = f
        .with(|s| {
            s.contractor = None;
            s.reason = None;
        })
        .address(drill.batch_id, drill.figure);
    Some((parts.join(" · "), clear))
}

/// The workbook of the list under `f` (all pages).
fn xlsx_href(f: &Filter, batch: Uuid, figure: Figure) -> String {
    let page = Filter::href(batch, figure, &f.scope);
    let (path, query) = page.split_once('?').unwrap_or((&page, ""));
    let sep = if query.is_empty() { "" } else { "?" };
    format!("{path}.xlsx{sep}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_round_trips_through_its_address() {
        let batch = Uuid::nil();
        let contractor = Uuid::from_u128(7);
        let f = Filter {
            scope: Scope {
                numerator_only: true,
                building: Some("1 栋".into()),
                contractor: Some(contractor),
                reason: Some("quality".into()),
            },
            page: 2,
        };
        let href = f.address(batch, Figure::OnTimeRectificationRate);
        assert_eq!(
            href,
            format!(
                "/batches/{batch}/secondary/on_time_rectification_rate/units?only=numerator&building=1+%E6%A0%8B&contractor={contractor}&reason=quality&page=2"
            )
        );
        let q: PageQuery = serde_urlencoded::from_str(href.split_once('?').unwrap().1).unwrap();
        assert_eq!(Filter::of(q).unwrap(), f);
        assert_eq!(
            xlsx_href(&Filter::default(), batch, Figure::Nps),
            format!("/batches/{batch}/secondary/nps/units.xlsx")
        );
    }

    #[test]
    fn every_facet_has_as_many_facts_as_columns() {
        let u = ServiceUnit::default();
        for figure in Figure::ALL {
            let facet = figure.facet();
            let n = facts(Locale::ZhCn, facet, (&u, None), &[]).len();
            assert_eq!(n, columns(facet).len(), "{figure:?}");
        }
    }
}
