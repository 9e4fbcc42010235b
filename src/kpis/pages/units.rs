//! The drill-down page of a KPI: the units of its denominator, whether (and how much) each
//! counts in the numerator and the facts that put it there. Filters live in the URL: numerator
//! only, building, the day of the fact that counts, the trade of the issues; 100 rows a page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{Figure, building_name, name};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::{self, local_date};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page};
use crate::i18n::Locale;
use crate::kpis::api::{figures, kpi_of, readable};
use crate::kpis::drill::{self, DrillUnit, Kpi};
use crate::kpis::facts::Facts;
use crate::pages::{Chrome, with_query};

/// Rows per page.
const PER_PAGE: usize = 100;

/// The page's query (the language switch's `lang` passes through).
#[derive(Debug, Default, Deserialize)]
pub struct UnitsQuery {
    /// `numerator`: only the units that add to the numerator.
    only: Option<String>,
    /// Building name.
    building: Option<String>,
    /// Only the units whose counted fact fell on this day (Asia/Shanghai): the signature for
    /// the rates, the first walkthrough for 户均缺陷.
    day: Option<NaiveDate>,
    /// Only the units with counted issues of this trade.
    trade: Option<String>,
    /// Page, from 1.
    page: Option<usize>,
}

/// The drill-down's filters, as kept in its address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Only the units that add to the numerator.
    pub numerator_only: bool,
    /// Only this building's units.
    pub building: Option<String>,
    /// Only the units whose counted fact fell on this day.
    pub day: Option<NaiveDate>,
    /// Only the units with counted issues of this trade.
    pub trade: Option<String>,
    /// Page, from 1.
    pub page: usize,
}

impl Filter {
    fn of(q: UnitsQuery) -> Result<Self, AppError> {
        let numerator_only = match q.only.as_deref() {
            None | Some("") => false,
            Some("numerator") => true,
            Some(_) => return Err(AppError::field("only", "invalid")),
        };
        let text = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Filter {
            numerator_only,
            building: text(q.building),
            day: q.day,
            trade: text(q.trade),
            page: q.page.unwrap_or(1).max(1),
        })
    }

    /// The drill-down of `kpi` of `batch` under these filters.
    pub fn href(&self, batch: Uuid, kpi: Kpi) -> String {
        let base = format!("/batches/{batch}/kpis/{}/units", kpi.as_str());
        with_query(
            base,
            &[
                ("only", self.numerator_only.then(|| "numerator".to_owned())),
                ("building", self.building.clone()),
                ("day", self.day.map(|d| d.to_string())),
                ("trade", self.trade.clone()),
                ("page", (self.page > 1).then(|| self.page.to_string())),
            ],
        )
    }

    /// Another filter on page 1.
    fn with(&self, change: impl FnOnce(&mut Filter)) -> Filter {
        let mut f = Filter {
            page: 1,
            ..self.clone()
        };
        change(&mut f);
        f
    }

    /// Whether `u` is kept by the day and trade filters (`trade_issues`: its issues of the
    /// trade filtered on).
    fn scopes(&self, kpi: Kpi, u: &DrillUnit, trade_issues: i64) -> bool {
        let counted = match kpi {
            Kpi::AvgDefectsPerUnit => u.facts.took_part_at,
            Kpi::ConcentratedDeliveryRate | Kpi::ZeroDefectDeliveryRate => u.facts.delivered_at,
        };
        let day_ok = self
            .day
            .is_none_or(|d| counted.is_some_and(|t| local_date(t) == d));
        day_ok && (self.trade.is_none() || trade_issues > 0)
    }
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
    /// Whether it adds to the numerator.
    counts: bool,
    /// What it adds: 是/否 for a rate, its issues for 户均缺陷.
    share: String,
    delivered: String,
    scattered: String,
    took_part: String,
    issues: String,
    complaints: String,
    /// Its issues of the trade filtered on.
    trade_issues: String,
}

#[derive(Template)]
#[template(path = "kpis/units.html")]
struct UnitsPage {
    c: Chrome,
    batch: Uuid,
    figure: Figure,
    /// What the list is: the denominator, and what counts in the numerator.
    about: &'static str,
    share_heading: &'static str,
    only_chips: Vec<Chip>,
    building_chips: Vec<Chip>,
    /// The day or trade filter in words, with the link that removes it.
    scope: Option<(String, String)>,
    /// The trade filtered on, for the extra column.
    trade: Option<String>,
    rows: Vec<Row>,
    /// "筛选结果：6 户，计入分子 3".
    summary: String,
    /// Empty-state text when there are no rows.
    empty: &'static str,
    prev: Option<String>,
    next: Option<String>,
    page_text: String,
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), clock::show)
}

fn row(l: Locale, kpi: Kpi, u: &DrillUnit, trade_issues: i64) -> Row {
    let f = &u.facts;
    let share = match kpi {
        Kpi::AvgDefectsPerUnit => l.count(u.in_numerator),
        _ if u.in_numerator > 0 => l.t("kpis.units.yes").to_owned(),
        _ => l.t("kpis.units.no").to_owned(),
    };
    Row {
        id: f.unit_id,
        number: f.number.clone(),
        building: building_name(l, &f.building),
        counts: u.in_numerator > 0,
        share,
        delivered: time(f.delivered_at),
        scattered: time(f.scattered_at),
        took_part: time(f.took_part_at),
        issues: l.count(f.issues),
        complaints: l.count(f.complaints),
        trade_issues: l.count(trade_issues),
    }
}

/// The units behind a KPI of a batch.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath((id, kpi)): ApiPath<(Uuid, String)>,
    ApiQuery(q): ApiQuery<UnitsQuery>,
) -> Result<Response, AppError> {
    let kpi = kpi_of(&kpi)?;
    let f = Filter::of(q)?;
    let batch = readable(&app, &user, id).await?;
    let figs = figures(&app, &batch, None).await?;
    let (project, _) =
        crate::org::repo::project_head(&mut app.db.read().await?, batch.project_id).await?;
    let title = format!("{} · {}", name(l, kpi), l.t("kpis.units.title"));
    let c = Chrome::new(l, &user, title, f.href(id, kpi))
        .crumb(l.t("kpis.dashboard.title"), "/dashboard")
        .crumb(
            project,
            format!("/dashboard?project_id={}", batch.project_id),
        )
        .crumb(
            format!("{} · {}", batch.name, l.t("kpis.batch.title")),
            format!("/batches/{id}/kpis"),
        );
    page(&view(c, (id, kpi), &f, &figs.facts))
}

/// The page of the units behind `kpi` of `batch` under `f`.
fn view(c: Chrome, (id, kpi): (Uuid, Kpi), f: &Filter, facts: &Facts) -> UnitsPage {
    let l = c.l;
    let all = drill::of(id, kpi, facts, false);
    // Each unit's counted issues of the trade filtered on.
    let mut of_trade: HashMap<Uuid, i64> = HashMap::new();
    if let Some(t) = &f.trade {
        for i in facts.issues.iter().filter(|i| &i.trade == t) {
            *of_trade.entry(i.unit_id).or_default() += 1;
        }
    }
    let trade_of = |u: &DrillUnit| of_trade.get(&u.facts.unit_id).copied().unwrap_or(0);
    let scoped: Vec<&DrillUnit> = all
        .units
        .iter()
        .filter(|u| f.scopes(kpi, u, trade_of(u)))
        .collect();
    let in_building = |u: &&DrillUnit| f.building.as_ref().is_none_or(|b| *b == u.facts.building);
    let in_share = |u: &&DrillUnit| !f.numerator_only || u.in_numerator > 0;
    let listed: Vec<&DrillUnit> = scoped
        .iter()
        .copied()
        .filter(in_building)
        .filter(in_share)
        .collect();

    let only_count = |only: bool| {
        scoped
            .iter()
            .copied()
            .filter(in_building)
            .filter(|u| !only || u.in_numerator > 0)
            .count() as i64
    };
    let only_chips = [(false, "kpis.units.all"), (true, "kpis.units.only")]
        .into_iter()
        .map(|(only, key)| Chip {
            label: l.t(key).to_owned(),
            count: l.count(only_count(only)),
            href: f.with(|g| g.numerator_only = only).href(id, kpi),
            on: f.numerator_only == only,
        })
        .collect();
    let building_chips = building_chips(l, (id, kpi), f, &scoped, in_share);
    let pages = listed.len().div_ceil(PER_PAGE).max(1);
    let page_no = f.page.min(pages);
    let shown_rows: Vec<Row> = listed
        .iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|u| row(l, kpi, u, trade_of(u)))
        .collect();
    let numerator: i64 = listed.iter().map(|u| u.in_numerator).sum();
    let on_page = |p: usize| f.with(|g| g.page = p).href(id, kpi);
    let filtered = *f
        != Filter {
            page: f.page,
            ..Filter::default()
        };
    UnitsPage {
        figure: Figure::new(
            l,
            kpi,
            &all.ratio,
            Filter::default().href(id, kpi),
            Filter {
                numerator_only: true,
                ..Filter::default()
            }
            .href(id, kpi),
        ),
        about: l.t(&format!("kpis.units.about.{}", kpi.as_str())),
        share_heading: l.t(&format!("kpis.units.share.{}", kpi.as_str())),
        only_chips,
        building_chips,
        scope: scope_text(l, (id, kpi), f),
        trade: f.trade.clone(),
        rows: shown_rows,
        summary: l.fmt(
            "kpis.units.summary",
            &[
                ("units", &l.count(listed.len() as i64)),
                ("numerator", &l.count(numerator)),
            ],
        ),
        empty: if filtered && !all.units.is_empty() {
            l.t("kpis.units.empty_filtered")
        } else {
            l.t(&format!("kpis.units.empty.{}", kpi.as_str()))
        },
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
        batch: id,
    }
}

/// "全部" and one chip per building of the scoped units, each with its count under the
/// numerator toggle.
fn building_chips(
    l: Locale,
    (batch, kpi): (Uuid, Kpi),
    f: &Filter,
    scoped: &[&DrillUnit],
    in_share: impl Fn(&&DrillUnit) -> bool,
) -> Vec<Chip> {
    let mut buildings: Vec<(&str, i64)> = Vec::new();
    for u in scoped.iter().filter(|u| in_share(u)) {
        match buildings.iter_mut().find(|(b, _)| *b == u.facts.building) {
            Some((_, n)) => *n += 1,
            None => buildings.push((&u.facts.building, 1)),
        }
    }
    // A building filtered on keeps its chip even with nothing in it.
    if let Some(b) = &f.building
        && !buildings.iter().any(|(x, _)| x == b)
    {
        buildings.push((b, 0));
    }
    let all = Chip {
        label: l.t("kpis.units.all_buildings").to_owned(),
        count: l.count(buildings.iter().map(|(_, n)| n).sum()),
        href: f.with(|g| g.building = None).href(batch, kpi),
        on: f.building.is_none(),
    };
    let each = buildings.into_iter().map(|(b, n)| Chip {
        label: building_name(l, b),
        count: l.count(n),
        href: f.with(|g| g.building = Some(b.to_owned())).href(batch, kpi),
        on: f.building.as_deref() == Some(b),
    });
    std::iter::once(all).chain(each).collect()
}

/// The day or trade filter in words, with the address that removes them.
fn scope_text(l: Locale, (batch, kpi): (Uuid, Kpi), f: &Filter) -> Option<(String, String)> {
    let mut parts = Vec::new();
    if let Some(d) = f.day {
        let key = match kpi {
            Kpi::AvgDefectsPerUnit => "kpis.units.scope.took_part_on",
            _ => "kpis.units.scope.delivered_on",
        };
        parts.push(l.fmt1(key, "day", &d.to_string()));
    }
    if let Some(t) = &f.trade {
        let trade = crate::checklists::Trade::parse(t).map_or(t.as_str(), |t| t.label(l));
        parts.push(l.fmt1("kpis.units.scope.trade", "trade", trade));
    }
    if parts.is_empty() {
        return None;
    }
    let clear = f
        .with(|g| {
            g.day = None;
            g.trade = None;
        })
        .href(batch, kpi);
    Some((parts.join(" · "), clear))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_round_trips_through_its_address() {
        let batch = Uuid::nil();
        let f = Filter {
            numerator_only: true,
            building: Some("1 栋".into()),
            day: Some("2026-12-19".parse().unwrap()),
            trade: Some("civil".into()),
            page: 2,
        };
        let href = f.href(batch, Kpi::AvgDefectsPerUnit);
        assert_eq!(
            href,
            format!(
                "/batches/{batch}/kpis/avg_defects_per_unit/units?only=numerator&building=1+%E6%A0%8B&day=2026-12-19&trade=civil&page=2"
            )
        );
        let q: UnitsQuery = serde_urlencoded::from_str(href.split_once('?').unwrap().1).unwrap();
        assert_eq!(Filter::of(q).unwrap(), f);
        assert_eq!(
            Filter::default().href(batch, Kpi::ConcentratedDeliveryRate),
            format!("/batches/{batch}/kpis/concentrated_delivery_rate/units")
        );
        let bad = UnitsQuery {
            only: Some("all".into()),
            ..UnitsQuery::default()
        };
        assert!(Filter::of(bad).is_err());
    }
}
