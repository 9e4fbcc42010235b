//! One batch's KPIs: the three numbers large with their counts, the daily trend, the
//! breakdowns per building and per trade (tables and charts), and the scattered deliveries.
//! Every number and every bar links to its drill-down.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use uuid::Uuid;

use super::secondary::SecondaryView;
use super::{Figure, Filter, building_name, name, shown};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::charts::svg::{Size, render};
use crate::charts::{Bar, BarChart, Chart, Format, LineChart, Pareto, Series};
use crate::checklists::Trade;
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiPath, page};
use crate::i18n::Locale;
use crate::kpis::Figures;
use crate::kpis::api::{figures, readable};
use crate::kpis::breakdown::{DayRow, KpiRow, TradeRow};
use crate::kpis::drill::Kpi;
use crate::kpis::repo::BatchHead;
use crate::pages::Chrome;

/// A count and the units behind it.
struct Linked {
    n: String,
    href: String,
}

/// One day of the trend table.
struct DayView {
    day: NaiveDate,
    delivered: Linked,
    took_part: Linked,
    issues: String,
    /// The three KPIs at the day's end.
    kpis: Vec<String>,
}

/// One building of the breakdown.
struct BuildingView {
    name: String,
    planned: Linked,
    figures: Vec<Figure>,
    scattered: String,
}

/// One trade of the Pareto.
struct TradeView {
    name: String,
    issues: Linked,
    per_unit: String,
    share: String,
}

/// A unit delivered after the period.
struct ScatteredView {
    id: Uuid,
    number: String,
    building: String,
    at: String,
}

#[derive(Template)]
#[template(path = "kpis/batch.html")]
struct BatchPage {
    c: Chrome,
    batch: Uuid,
    period: String,
    /// `kpis.status.upcoming`, `running` or `ended`, in words.
    status: &'static str,
    running: bool,
    as_of: String,
    planned: Linked,
    figures: Vec<Figure>,
    scattered: String,
    days: Vec<DayView>,
    kpi_names: Vec<&'static str>,
    rates_chart: String,
    avg_chart: String,
    buildings: Vec<BuildingView>,
    buildings_chart: String,
    trades: Vec<TradeView>,
    trades_chart: String,
    scattered_units: Vec<ScatteredView>,
    secondary: SecondaryView,
    /// The report in the other language (`?lang=`).
    other_lang: &'static str,
}

/// The KPI page of a batch.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    let batch = readable(&app, &user, id).await?;
    let f = figures(&app, &batch, None).await?;
    let (project, _) =
        crate::org::repo::project_head(&mut app.db.read().await?, batch.project_id).await?;
    let c = Chrome::new(
        l,
        &user,
        format!("{} · {}", batch.name, l.t("kpis.batch.title")),
        format!("/batches/{id}/kpis"),
    )
    .crumb(l.t("kpis.dashboard.title"), "/dashboard")
    .crumb(
        project,
        format!("/dashboard?project_id={}", batch.project_id),
    );
    page(&view(c, &batch, &f))
}

fn view(c: Chrome, batch: &BatchHead, f: &Figures) -> BatchPage {
    let (l, id) = (c.l, batch.id);
    let today = clock::local_date(clock::now());
    let (status, running) = if today < batch.period_start {
        ("kpis.status.upcoming", false)
    } else if today > batch.period_end {
        ("kpis.status.ended", false)
    } else {
        ("kpis.status.running", true)
    };
    let all = KpiRow::from(f.counts);
    let drill = |kpi: Kpi, filter: Filter| filter.href(id, kpi);
    BatchPage {
        batch: id,
        period: format!("{} – {}", batch.period_start, batch.period_end),
        status: l.t(status),
        running,
        as_of: clock::show(f.as_of),
        planned: Linked {
            n: l.count(all.planned_units),
            href: drill(Kpi::ConcentratedDeliveryRate, Filter::default()),
        },
        figures: Figure::of_batch(l, id, &all, &Filter::default()),
        scattered: l.count(all.scattered_deliveries),
        days: f.breakdowns.days.iter().map(|d| day(l, id, d)).collect(),
        kpi_names: Kpi::ALL.into_iter().map(|k| name(l, k)).collect(),
        rates_chart: rates_chart(l, &f.breakdowns.days),
        avg_chart: avg_chart(l, &f.breakdowns.days),
        buildings: f
            .breakdowns
            .buildings
            .iter()
            .map(|b| building(l, id, &b.building, &b.kpis))
            .collect(),
        buildings_chart: buildings_chart(l, id, f),
        trades: f
            .breakdowns
            .trades
            .iter()
            .map(|t| trade(l, id, t))
            .collect(),
        trades_chart: trades_chart(l, id, &f.breakdowns.trades),
        scattered_units: f
            .facts
            .units
            .iter()
            .filter_map(|u| {
                Some(ScatteredView {
                    at: clock::show(u.scattered_at?),
                    id: u.unit_id,
                    number: u.number.clone(),
                    building: building_name(l, &u.building),
                })
            })
            .collect(),
        secondary: SecondaryView::of(l, f.batch.id, &f.secondary),
        other_lang: match l {
            Locale::ZhCn => "en",
            Locale::En => "zh-CN",
        },
        c,
    }
}

fn day(l: Locale, batch: Uuid, d: &DayRow) -> DayView {
    let on_day = Filter {
        day: Some(d.day),
        ..Filter::default()
    };
    DayView {
        day: d.day,
        delivered: Linked {
            n: l.count(d.delivered),
            href: Filter {
                numerator_only: true,
                ..on_day.clone()
            }
            .href(batch, Kpi::ConcentratedDeliveryRate),
        },
        took_part: Linked {
            n: l.count(d.took_part),
            href: on_day.href(batch, Kpi::AvgDefectsPerUnit),
        },
        issues: l.count(d.issues),
        kpis: Kpi::ALL
            .into_iter()
            .map(|k| shown(k, super::ratio_of(&d.kpis, k)))
            .collect(),
    }
}

fn building(l: Locale, batch: Uuid, name: &str, kpis: &KpiRow) -> BuildingView {
    let filter = Filter {
        building: Some(name.to_owned()),
        ..Filter::default()
    };
    BuildingView {
        name: building_name(l, name),
        planned: Linked {
            n: l.count(kpis.planned_units),
            href: filter.href(batch, Kpi::ConcentratedDeliveryRate),
        },
        figures: Figure::of_batch(l, batch, kpis, &filter),
        scattered: l.count(kpis.scattered_deliveries),
    }
}

fn trade(l: Locale, batch: Uuid, t: &TradeRow) -> TradeView {
    TradeView {
        name: trade_name(l, &t.trade),
        issues: Linked {
            n: l.count(t.issues),
            href: trade_href(batch, &t.trade),
        },
        per_unit: crate::kpis::average(&t.per_unit),
        share: crate::kpis::percent(&t.share),
    }
}

fn trade_name(l: Locale, code: &str) -> String {
    Trade::parse(code).map_or_else(|| code.to_owned(), |t| t.label(l).to_owned())
}

fn trade_href(batch: Uuid, code: &str) -> String {
    Filter {
        trade: Some(code.to_owned()),
        ..Filter::default()
    }
    .href(batch, Kpi::AvgDefectsPerUnit)
}

/// Counts on a chart: thousands separators in English only.
fn integers(l: Locale) -> Format {
    match l {
        Locale::ZhCn => Format::Integer,
        Locale::En => Format::GroupedInteger,
    }
}

fn day_labels(days: &[DayRow]) -> Vec<String> {
    days.iter()
        .map(|d| d.day.format("%m-%d").to_string())
        .collect()
}

/// The two rates at each day's end, on a percent axis.
fn rates_chart(l: Locale, days: &[DayRow]) -> String {
    let line = |kpi: Kpi| {
        let values = days
            .iter()
            .map(|d| super::ratio_of(&d.kpis, kpi).value)
            .collect();
        Series::new(name(l, kpi), values)
    };
    let chart = LineChart::new(day_labels(days))
        .series(line(Kpi::ConcentratedDeliveryRate))
        .series(line(Kpi::ZeroDefectDeliveryRate))
        .percent_axis();
    let chart = Chart::new(
        l.t("kpis.batch.trend_rates"),
        Format::Percent,
        l.t("kpis.no_data"),
        chart,
    );
    render(&chart, Size::default())
}

/// 户均缺陷 at each day's end.
fn avg_chart(l: Locale, days: &[DayRow]) -> String {
    let values = days
        .iter()
        .map(|d| d.kpis.avg_defects_per_unit.value)
        .collect();
    let chart = LineChart::new(day_labels(days))
        .series(Series::new(name(l, Kpi::AvgDefectsPerUnit), values));
    let chart = Chart::new(
        l.t("kpis.batch.trend_avg"),
        Format::Decimal2,
        l.t("kpis.no_data"),
        chart,
    );
    render(&chart, Size::default())
}

/// 集中交付率 per building, each bar leading to the building's units.
fn buildings_chart(l: Locale, batch: Uuid, f: &Figures) -> String {
    let bars = f
        .breakdowns
        .buildings
        .iter()
        .map(|b| {
            let r = &b.kpis.concentrated_delivery_rate;
            let text = l.fmt(
                "kpis.bar_label",
                &[
                    ("value", &crate::kpis::percent(r)),
                    ("n", &l.count(r.numerator)),
                    ("d", &l.count(r.denominator)),
                ],
            );
            let href = Filter {
                building: Some(b.building.clone()),
                ..Filter::default()
            }
            .href(batch, Kpi::ConcentratedDeliveryRate);
            Bar::new(building_name(l, &b.building), r.value.unwrap_or(f64::NAN))
                .link(href)
                .value_label(text)
        })
        .collect();
    let chart = Chart::new(
        l.t("kpis.batch.by_building_chart"),
        Format::Percent,
        l.t("kpis.no_data"),
        BarChart::horizontal(bars),
    );
    render(&chart, Size::fitting(&chart))
}

/// The reasonable issues per trade, largest first, with their cumulative share.
fn trades_chart(l: Locale, batch: Uuid, trades: &[TradeRow]) -> String {
    let bars = trades
        .iter()
        .map(|t| {
            Bar::new(trade_name(l, &t.trade), t.issues as f64).link(trade_href(batch, &t.trade))
        })
        .collect();
    let chart = Chart::new(
        l.t("kpis.batch.by_trade_chart"),
        integers(l),
        l.t("kpis.batch.no_issues"),
        Pareto::new(bars, l.t("kpis.batch.cumulative")),
    );
    render(&chart, Size::default())
}
