//! The batch delivery report (交付评估报告) for executives, on the shared PDF layer: the three
//! KPIs with numerators and denominators, the daily trend, the breakdowns by building, day and
//! trade with their charts drawn as vectors, and the open rectification items. zh-CN by
//! default, `?lang=en` for English; drawn from the same [`Figures`] as the API and the pages.

mod service;

use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::api::{figures, readable};
use super::breakdown::KpiRow;
use super::drill::Kpi;
use super::repo::{self, OpenItem};
use super::{Figures, Ratio, average, percent};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::charts::{Bar, BarChart, Chart, Format, LineChart, Pareto, Series};
use crate::checklists::Trade;
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery};
use crate::i18n::Locale;
use crate::pdf::download::{ReportQuery, long_date, render, response};
use crate::pdf::{Cell, Meta, Report, Table};

/// Most open items listed one by one (the rest are counted).
const MAX_OPEN_ITEMS: usize = 200;

/// The batch delivery report PDF (`?lang=en` for English).
#[utoipa::path(get, path = "/api/v1/batches/{id}/report.pdf", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"),
        (status = 403, body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn report_pdf(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let batch = readable(&app, &user, id).await?;
    let f = figures(&app, &batch, None).await?;
    let mut conn = app.db.read().await?;
    let (project, _) = crate::org::repo::project_head(&mut conn, batch.project_id).await?;
    let open = repo::open_items(&mut conn, id).await?;
    drop(conn);
    let bytes = batch_report(&app, &f, &project, &open, q.locale(l)).await?;
    Ok(response(bytes, "batch-delivery-report"))
}

/// The report of `f` in `l`.
pub async fn batch_report(
    app: &AppState,
    f: &Figures,
    project: &str,
    open: &[OpenItem],
    l: Locale,
) -> Result<Vec<u8>, AppError> {
    let fonts = app.pdf_fonts().await?;
    let mut report = Report::new(fonts, meta(l, project, &f.batch.name));
    overview(&mut report, l, f, project);
    kpis(&mut report, l, f);
    trend(&mut report, l, f);
    buildings(&mut report, l, f);
    days(&mut report, l, f);
    trades(&mut report, l, f);
    service::sections(&mut report, l, &f.secondary);
    open_items(&mut report, l, open);
    render(report).await
}

fn meta(l: Locale, project: &str, batch: &str) -> Meta {
    let title = l.t("report.title").to_owned();
    let today = long_date(l, clock::local_date(clock::now()));
    Meta {
        footer: l.fmt(
            "report.footer",
            &[("title", title.as_str()), ("date", today.as_str())],
        ),
        header: format!("{project} · {batch}"),
        title,
        locale: l,
        created: clock::now(),
    }
}

fn overview(report: &mut Report, l: Locale, f: &Figures, project: &str) {
    let k = &f.kpis;
    let period = format!(
        "{} – {}",
        long_date(l, k.period.start),
        long_date(l, k.period.end)
    );
    let row = |key: &str, value: String| (l.t(key).to_owned(), value);
    report.key_values(&[
        row("report.project", project.to_owned()),
        row("report.batch", f.batch.name.clone()),
        row("report.period", period),
        row("report.as_of", clock::show(f.as_of)),
        row("report.col.planned_units", k.planned_units.to_string()),
        row("report.col.scattered", k.scattered_deliveries.to_string()),
    ]);
}

/// A KPI's value as the pages show it.
fn shown(kpi: Kpi, r: &Ratio) -> String {
    match kpi {
        Kpi::AvgDefectsPerUnit => average(r),
        _ => percent(r),
    }
}

fn ratio_of(row: &KpiRow, kpi: Kpi) -> &Ratio {
    match kpi {
        Kpi::ConcentratedDeliveryRate => &row.concentrated_delivery_rate,
        Kpi::ZeroDefectDeliveryRate => &row.zero_defect_delivery_rate,
        Kpi::AvgDefectsPerUnit => &row.avg_defects_per_unit,
    }
}

fn kpis(report: &mut Report, l: Locale, f: &Figures) {
    report.heading(l.t("report.kpis"));
    let mut t = Table::new([
        (l.t("report.col.kpi"), 1.6),
        (l.t("report.col.value"), 1.0),
        (l.t("report.col.numerator"), 0.9),
        (l.t("report.col.denominator"), 0.9),
        (l.t("report.col.definition"), 3.6),
    ]);
    let row = KpiRow::from(f.counts);
    for kpi in Kpi::ALL {
        let r = ratio_of(&row, kpi);
        t.row([
            Cell::text(l.t(&format!("report.{}", kpi.as_str()))),
            Cell::text(shown(kpi, r)),
            Cell::text(r.numerator.to_string()),
            Cell::text(r.denominator.to_string()),
            Cell::text(l.t(&format!("report.def.{}", kpi.as_str()))),
        ]);
    }
    report.table(t);
    report.paragraph(l.t("report.kpis_note"));
}

fn trend(report: &mut Report, l: Locale, f: &Figures) {
    report.heading(l.t("report.trend"));
    let days = &f.breakdowns.days;
    let labels = days
        .iter()
        .map(|d| d.day.format("%m-%d").to_string())
        .collect();
    let mut line = LineChart::new(labels).percent_axis();
    for kpi in [Kpi::ConcentratedDeliveryRate, Kpi::ZeroDefectDeliveryRate] {
        let values = days.iter().map(|d| ratio_of(&d.kpis, kpi).value).collect();
        line = line.series(Series::new(
            l.t(&format!("report.{}", kpi.as_str())),
            values,
        ));
    }
    let chart = Chart::new(
        l.t("report.trend"),
        Format::Percent,
        l.t("report.no_data"),
        line,
    );
    report.chart(&chart, 70.0);
}

fn buildings(report: &mut Report, l: Locale, f: &Figures) {
    report.heading(l.t("report.by_building"));
    let rows = &f.breakdowns.buildings;
    let bars = rows
        .iter()
        .filter_map(|b| {
            let r = &b.kpis.concentrated_delivery_rate;
            r.value
                .map(|v| Bar::new(&b.building, v).value_label(percent(r)))
        })
        .collect();
    let title = l.t("report.concentrated_delivery_rate");
    let chart = Chart::new(
        title,
        Format::Percent,
        l.t("report.no_data"),
        BarChart::horizontal(bars),
    );
    let height = 8.0 + 6.0 * rows.len() as f32;
    report.chart(&chart, height.min(120.0));
    let mut t = kpi_table(l, l.t("report.col.building"));
    for b in rows {
        t.row(kpi_row_cells(b.building.clone(), &b.kpis));
    }
    report.table(t);
}

/// A table of rows of the three KPIs, headed by `first`.
fn kpi_table(l: Locale, first: &str) -> Table {
    Table::new([
        (first.to_owned(), 1.2),
        (l.t("report.col.planned_units").to_owned(), 0.9),
        (l.t("report.concentrated_delivery_rate").to_owned(), 1.5),
        (l.t("report.zero_defect_delivery_rate").to_owned(), 1.5),
        (l.t("report.avg_defects_per_unit").to_owned(), 1.5),
        (l.t("report.col.scattered").to_owned(), 0.9),
    ])
}

/// A KPI as `78.3%（47/60）`.
fn with_counts(kpi: Kpi, r: &Ratio) -> String {
    format!("{}（{}/{}）", shown(kpi, r), r.numerator, r.denominator)
}

fn kpi_row_cells(first: String, k: &KpiRow) -> Vec<Cell> {
    let mut cells = vec![Cell::text(first), Cell::text(k.planned_units.to_string())];
    for kpi in Kpi::ALL {
        cells.push(Cell::text(with_counts(kpi, ratio_of(k, kpi))));
    }
    cells.push(Cell::text(k.scattered_deliveries.to_string()));
    cells
}

fn days(report: &mut Report, l: Locale, f: &Figures) {
    report.heading(l.t("report.by_day"));
    let mut t = Table::new([
        (l.t("report.col.day"), 1.1),
        (l.t("report.col.delivered"), 0.9),
        (l.t("report.col.took_part"), 0.9),
        (l.t("report.col.issues"), 0.9),
        (l.t("report.concentrated_delivery_rate"), 1.5),
        (l.t("report.zero_defect_delivery_rate"), 1.5),
        (l.t("report.avg_defects_per_unit"), 1.5),
    ]);
    for d in &f.breakdowns.days {
        let mut cells = vec![
            Cell::text(d.day.to_string()),
            Cell::text(d.delivered.to_string()),
            Cell::text(d.took_part.to_string()),
            Cell::text(d.issues.to_string()),
        ];
        for kpi in Kpi::ALL {
            cells.push(Cell::text(with_counts(kpi, ratio_of(&d.kpis, kpi))));
        }
        t.row(cells);
    }
    report.table(t);
}

fn trade_label(l: Locale, code: &str) -> String {
    Trade::parse(code).map_or_else(|| code.to_owned(), |t| t.label(l).to_owned())
}

fn trades(report: &mut Report, l: Locale, f: &Figures) {
    report.heading(l.t("report.by_trade"));
    let rows = &f.breakdowns.trades;
    let bars = rows
        .iter()
        .map(|r| Bar::new(trade_label(l, &r.trade), r.issues as f64))
        .collect();
    let chart = Chart::new(
        l.t("report.by_trade"),
        Format::Integer,
        l.t("report.no_data"),
        Pareto::new(bars, l.t("report.cumulative")),
    );
    report.chart(&chart, 70.0);
    let mut t = Table::new([
        (l.t("report.col.trade"), 1.5),
        (l.t("report.col.issues"), 1.0),
        (l.t("report.col.per_unit"), 1.0),
        (l.t("report.col.share"), 1.0),
    ]);
    for r in rows {
        t.row([
            Cell::text(trade_label(l, &r.trade)),
            Cell::text(r.issues.to_string()),
            Cell::text(average(&r.per_unit)),
            Cell::text(percent(&r.share)),
        ]);
    }
    report.table(t);
}

fn open_items(report: &mut Report, l: Locale, open: &[OpenItem]) {
    report.heading(l.t("report.open_items"));
    if open.is_empty() {
        report.paragraph(l.t("report.open_items_none"));
        return;
    }
    let today = clock::local_date(clock::now());
    let mut t = Table::new([
        (l.t("report.col.number"), 0.7),
        (l.t("report.col.unit"), 1.1),
        (l.t("report.col.trade"), 0.9),
        (l.t("report.col.description"), 2.6),
        (l.t("report.col.status"), 0.9),
        (l.t("report.col.contractor"), 1.4),
        (l.t("report.col.due_on"), 1.1),
    ]);
    for item in open.iter().take(MAX_OPEN_ITEMS) {
        let due = item.due_on.map_or_else(String::new, |d| d.to_string());
        let due = if item.due_on.is_some_and(|d| d < today) {
            Cell::alert(due)
        } else {
            Cell::text(due)
        };
        t.row([
            Cell::text(format!("D-{}", item.number)),
            Cell::text(&item.unit_number),
            Cell::text(trade_label(l, &item.trade)),
            Cell::text(&item.description),
            Cell::text(l.t(&format!("defect.status.{}", item.status))),
            Cell::text(item.contractor.clone().unwrap_or_default()),
            due,
        ]);
    }
    report.table(t);
    if open.len() > MAX_OPEN_ITEMS {
        let more = (open.len() - MAX_OPEN_ITEMS).to_string();
        report.paragraph(&l.fmt1("report.open_items_more", "n", &more));
    }
}
