//! The KPIs as `.xlsx` workbooks (executives keep them in Excel): the batch's table with its
//! breakdowns (`…/kpis.xlsx`) and a drill-down list (`…/kpis/{kpi}/units.xlsx`). Rates are
//! written as numbers in a percent format, so the sheet can compute with them; a KPI without
//! value is written "—".

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use uuid::Uuid;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::api::{
    SecondaryQuery, figure_of, figures, kpi_of, numerator_only, readable, rfc3339, secondary_drill,
};
use super::breakdown::KpiRow;
use super::drill::{self, DrillDown, Kpi};
use super::pages::{Fact, columns, dimension_label, facts};
use super::secondary::drill::{Scope, SecondaryDrill};
use super::secondary::lines::{Kind, Line};
use super::{Figures, Ratio, Secondary};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::checklists::Trade;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery};
use crate::i18n::Locale;

/// A workbook as a download named `name`.
fn download(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn xlsx(e: XlsxError) -> AppError {
    AppError::Internal(e.into())
}

/// What to export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// RFC 3339; default now.
    #[serde(default, deserialize_with = "rfc3339")]
    #[param(value_type = Option<String>)]
    pub as_of: Option<DateTime<Utc>>,
    /// Drill-downs: `numerator` keeps only the units that add to the numerator.
    pub only: Option<String>,
    /// `en` for English headers; default the caller's language (zh-CN).
    pub lang: Option<String>,
}

impl ExportQuery {
    fn locale(&self, fallback: Locale) -> Locale {
        self.lang
            .as_deref()
            .and_then(Locale::parse)
            .unwrap_or(fallback)
    }
}

/// The KPI table of a batch with its breakdowns, one sheet each (`?lang=`, `?as_of=`).
#[utoipa::path(get, path = "/api/v1/batches/{id}/kpis.xlsx", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn kpis_xlsx(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let l = q.locale(l);
    let batch = readable(&app, &user, id).await?;
    let f = figures(&app, &batch, q.as_of).await?;
    let bytes = tokio::task::spawn_blocking(move || kpi_book(&f, l))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    Ok(download(&format!("kpis-{}.xlsx", batch.name), bytes))
}

/// The units behind one KPI (`?only=numerator`, `?lang=`, `?as_of=`).
#[utoipa::path(get, path = "/api/v1/batches/{id}/kpis/{kpi}/units.xlsx", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("kpi" = String, Path), ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn units_xlsx(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath((id, kpi)): ApiPath<(Uuid, String)>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let l = q.locale(l);
    let kpi = kpi_of(&kpi)?;
    let only = numerator_only(q.only.as_deref())?;
    let batch = readable(&app, &user, id).await?;
    let f = figures(&app, &batch, q.as_of).await?;
    let d = drill::of(id, kpi, &f.facts, only);
    let bytes = tokio::task::spawn_blocking(move || units_book(&d, l))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let name = format!("{}-{}.xlsx", batch.name, kpi.as_str());
    Ok(download(&name, bytes))
}

/// What to export of a secondary figure's drill-down.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SecondaryExportQuery {
    /// RFC 3339; default now.
    #[serde(default, deserialize_with = "rfc3339")]
    #[param(value_type = Option<String>)]
    pub as_of: Option<DateTime<Utc>>,
    /// `numerator` keeps only the units that add to the numerator.
    pub only: Option<String>,
    /// Only this building's units.
    pub building: Option<String>,
    /// Only this contractor's rectification items.
    pub contractor: Option<Uuid>,
    /// Only the units that refused with this reason.
    pub reason: Option<String>,
    /// `en` for English headers; default the caller's language (zh-CN).
    pub lang: Option<String>,
}

/// The units behind one secondary figure, with their service facts (`?only=numerator`,
/// `?building=`, `?contractor=`, `?reason=`, `?lang=`, `?as_of=`).
#[utoipa::path(get, path = "/api/v1/batches/{id}/secondary/{figure}/units.xlsx", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("figure" = String, Path), SecondaryExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn secondary_xlsx(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath((id, figure)): ApiPath<(Uuid, String)>,
    ApiQuery(q): ApiQuery<SecondaryExportQuery>,
) -> Result<Response, AppError> {
    let l = q.lang.as_deref().and_then(Locale::parse).unwrap_or(l);
    let figure = figure_of(&figure)?;
    let scope = SecondaryQuery {
        as_of: q.as_of,
        only: q.only,
        building: q.building,
        contractor: q.contractor,
        reason: q.reason,
    }
    .scope()?;
    let batch = readable(&app, &user, id).await?;
    let d = secondary_drill(&app, &batch, figure, &scope, q.as_of).await?;
    let dimensions = crate::delivery::repo::settings(&mut app.db.read().await?, batch.project_id)
        .await?
        .survey;
    let bytes = tokio::task::spawn_blocking(move || secondary_book(&d, l, &dimensions, &scope))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let name = format!("{}-{}.xlsx", batch.name, figure.as_str());
    Ok(download(&name, bytes))
}

/// Writes rows of cells; a sheet with a bold header row, frozen, with a filter.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    percent: Format,
    decimal: Format,
}

/// A cell of a sheet.
enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    Rate(Option<f64>),
    Average(Option<f64>),
}

impl<'a> Sheet<'a> {
    fn new(book: &'a mut Workbook, name: &str, headers: &[&str]) -> Result<Self, XlsxError> {
        let ws = book.add_worksheet();
        ws.set_name(name)?;
        let bold = Format::new().set_bold();
        for (col, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, col_of(col), *h, &bold)?;
            ws.set_column_width(col_of(col), 14)?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(Sheet {
            ws,
            row: 1,
            percent: Format::new().set_num_format("0.0%"),
            decimal: Format::new().set_num_format("0.00"),
        })
    }

    fn push(&mut self, cells: Vec<Cell>) -> Result<(), XlsxError> {
        for (col, cell) in cells.into_iter().enumerate() {
            let (r, c) = (self.row, col_of(col));
            match cell {
                Cell::Text(s) => self.ws.write_string(r, c, s).map(|_| ())?,
                Cell::Int(n) => self.ws.write_number(r, c, n as f64).map(|_| ())?,
                Cell::Number(n) => self.ws.write_number(r, c, n).map(|_| ())?,
                Cell::Rate(Some(v)) => self
                    .ws
                    .write_number_with_format(r, c, v, &self.percent)
                    .map(|_| ())?,
                Cell::Average(Some(v)) => self
                    .ws
                    .write_number_with_format(r, c, v, &self.decimal)
                    .map(|_| ())?,
                Cell::Rate(None) | Cell::Average(None) => {
                    self.ws.write_string(r, c, "—").map(|_| ())?
                }
            }
        }
        self.row += 1;
        Ok(())
    }
}

fn col_of(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// The cells of one KPI: value, numerator, denominator.
fn ratio_cells(kpi: Kpi, r: &Ratio) -> [Cell; 3] {
    let value = match kpi {
        Kpi::AvgDefectsPerUnit => Cell::Average(r.value),
        _ => Cell::Rate(r.value),
    };
    [value, Cell::Int(r.numerator), Cell::Int(r.denominator)]
}

fn row_ratio(row: &KpiRow, kpi: Kpi) -> &Ratio {
    match kpi {
        Kpi::ConcentratedDeliveryRate => &row.concentrated_delivery_rate,
        Kpi::ZeroDefectDeliveryRate => &row.zero_defect_delivery_rate,
        Kpi::AvgDefectsPerUnit => &row.avg_defects_per_unit,
    }
}

/// The headers of a row of the three KPIs: each with its numerator and denominator.
fn kpi_headers(l: Locale) -> Vec<String> {
    let mut h = Vec::new();
    for k in Kpi::ALL {
        let name = l.t(&format!("report.{}", k.as_str()));
        h.push(name.to_owned());
        h.push(format!("{name} · {}", l.t("report.col.numerator")));
        h.push(format!("{name} · {}", l.t("report.col.denominator")));
    }
    h
}

fn kpi_cells(row: &KpiRow) -> Vec<Cell> {
    let mut cells = vec![Cell::Int(row.planned_units)];
    for k in Kpi::ALL {
        cells.extend(ratio_cells(k, row_ratio(row, k)));
    }
    cells.push(Cell::Int(row.scattered_deliveries));
    cells
}

/// The workbook of a batch's KPIs: the KPIs, then per building, day and trade.
pub fn kpi_book(f: &Figures, l: Locale) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let t = |k: &str| l.t(k);
    let head = [
        t("report.col.kpi"),
        t("report.col.value"),
        t("report.col.numerator"),
        t("report.col.denominator"),
    ];
    let mut s = Sheet::new(&mut book, t("report.sheet.kpis"), &head).map_err(xlsx)?;
    let k = &f.kpis;
    let period = format!("{} – {}", k.period.start, k.period.end);
    s.push(vec![
        Cell::Text(t("report.period").into()),
        Cell::Text(period),
    ])
    .map_err(xlsx)?;
    let as_of = crate::clock::show(f.as_of);
    s.push(vec![
        Cell::Text(t("report.as_of").into()),
        Cell::Text(as_of),
    ])
    .map_err(xlsx)?;
    s.push(vec![
        Cell::Text(t("report.col.planned_units").into()),
        Cell::Int(k.planned_units),
    ])
    .map_err(xlsx)?;
    let row = KpiRow::from(f.counts);
    for kpi in Kpi::ALL {
        let mut cells = vec![Cell::Text(t(&format!("report.{}", kpi.as_str())).into())];
        cells.extend(ratio_cells(kpi, row_ratio(&row, kpi)));
        s.push(cells).map_err(xlsx)?;
    }
    s.push(vec![
        Cell::Text(t("report.col.scattered").into()),
        Cell::Int(k.scattered_deliveries),
    ])
    .map_err(xlsx)?;
    s.ws.set_column_width(0, 22).map_err(xlsx)?;
    breakdown_sheets(&mut book, f, l).map_err(xlsx)?;
    service_sheets(&mut book, &f.secondary, l).map_err(xlsx)?;
    book.save_to_buffer().map_err(xlsx)
}

/// A secondary figure's value as a cell: rates in the percent format, counts whole.
fn line_cell(x: &Line) -> Cell {
    match x.kind {
        Kind::Rate => Cell::Rate(x.value),
        Kind::Count => Cell::Int(x.numerator),
        _ => Cell::Average(x.value),
    }
}

/// The service-quality sheets: the secondary figures (the NPS with its promoters, passives and
/// detractors), satisfaction per dimension, the refusal reasons and the contractors' ranking.
fn service_sheets(book: &mut Workbook, s: &Secondary, l: Locale) -> Result<(), XlsxError> {
    let t = |k: &str| l.t(k);
    let head = [
        t("kpis.sec.figure"),
        t("kpis.sec.value"),
        t("report.col.numerator"),
        t("report.col.denominator"),
        t("kpis.sec.definition"),
    ];
    let mut sheet = Sheet::new(book, t("report.sheet.service"), &head)?;
    for x in s.lines() {
        let denominator = x.denominator.map_or(Cell::Text(String::new()), Cell::Int);
        sheet.push(vec![
            Cell::Text(t(&format!("kpis.sec.{}", x.key)).into()),
            line_cell(&x),
            Cell::Int(x.numerator),
            denominator,
            Cell::Text(t(&format!("kpis.sec_def.{}", x.key)).into()),
        ])?;
    }
    let n = &s.nps;
    for (key, count) in [
        ("kpis.sec.promoters", n.promoters),
        ("kpis.sec.passives", n.passives),
        ("kpis.sec.detractors", n.detractors),
    ] {
        sheet.push(vec![Cell::Text(t(key).into()), Cell::Int(count)])?;
    }
    sheet.ws.set_column_width(0, 26)?;
    sheet.ws.set_column_width(4, 60)?;
    let head = [
        t("kpis.sec.dimension"),
        t("kpis.sec.stars"),
        t("kpis.sec.responses"),
    ];
    let mut sheet = Sheet::new(book, t("report.sheet.satisfaction"), &head)?;
    for d in &s.satisfaction {
        sheet.push(vec![
            Cell::Text(dimension_label(l, &d.dimension, &d.title)),
            Cell::Average(d.mean_stars.value),
            Cell::Int(d.mean_stars.count),
        ])?;
    }
    let head = [t("kpis.sec.reason"), t("kpis.sec.visits")];
    let mut sheet = Sheet::new(book, t("report.sheet.refusals"), &head)?;
    for r in &s.refusal_reasons {
        sheet.push(vec![
            Cell::Text(t(&format!("visit.refusal.{}", r.reason)).into()),
            Cell::Int(r.count),
        ])?;
    }
    let head = [
        t("kpis.sec.contractor"),
        t("kpis.sec.assigned"),
        t("kpis.sec.closed"),
        t("kpis.sec.completion"),
        t("kpis.sec.on_time"),
        t("kpis.sec.send_backs"),
    ];
    let mut sheet = Sheet::new(book, t("report.sheet.contractors"), &head)?;
    for k in &s.contractors {
        sheet.push(vec![
            Cell::Text(k.name.clone()),
            Cell::Int(k.assigned),
            Cell::Int(k.closed),
            Cell::Rate(k.completion_rate.value),
            Cell::Rate(k.on_time_rate.value),
            Cell::Int(k.send_backs),
        ])?;
    }
    sheet.ws.set_column_width(0, 30)?;
    Ok(())
}

fn breakdown_sheets(book: &mut Workbook, f: &Figures, l: Locale) -> Result<(), XlsxError> {
    let t = |k: &str| l.t(k).to_owned();
    let with_kpis = |first: Vec<String>| {
        let mut h = first;
        h.push(t("report.col.planned_units"));
        h.extend(kpi_headers(l));
        h.push(t("report.col.scattered"));
        h
    };
    let head = with_kpis(vec![t("report.col.building")]);
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut s = Sheet::new(book, &t("report.sheet.buildings"), &head)?;
    for b in &f.breakdowns.buildings {
        let mut cells = vec![Cell::Text(b.building.clone())];
        cells.extend(kpi_cells(&b.kpis));
        s.push(cells)?;
    }
    let head = with_kpis(vec![
        t("report.col.day"),
        t("report.col.delivered"),
        t("report.col.took_part"),
        t("report.col.issues"),
    ]);
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut s = Sheet::new(book, &t("report.sheet.days"), &head)?;
    for d in &f.breakdowns.days {
        let mut cells = vec![
            Cell::Text(d.day.to_string()),
            Cell::Int(d.delivered),
            Cell::Int(d.took_part),
            Cell::Int(d.issues),
        ];
        cells.extend(kpi_cells(&d.kpis));
        s.push(cells)?;
    }
    let head = [
        t("report.col.trade"),
        t("report.col.issues"),
        t("report.col.per_unit"),
        t("report.col.share"),
    ];
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut s = Sheet::new(book, &t("report.sheet.trades"), &head)?;
    for r in &f.breakdowns.trades {
        let trade = Trade::parse(&r.trade).map_or(r.trade.clone(), |x| x.label(l).to_owned());
        s.push(vec![
            Cell::Text(trade),
            Cell::Int(r.issues),
            Cell::Average(r.per_unit.value),
            Cell::Rate(r.share.value),
        ])?;
    }
    Ok(())
}

/// The workbook of a drill-down: one row per unit of the denominator.
pub fn units_book(d: &DrillDown, l: Locale) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let t = |k: &str| l.t(k);
    let head = [
        t("report.col.unit"),
        t("report.col.building"),
        t("report.col.in_numerator"),
        t("report.col.delivered_at"),
        t("report.col.scattered_at"),
        t("report.col.took_part_at"),
        t("report.col.issues"),
        t("report.col.complaints"),
    ];
    let mut s = Sheet::new(&mut book, t("report.sheet.units"), &head).map_err(xlsx)?;
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
        Cell::Text(at.map_or_else(String::new, crate::clock::show))
    };
    for u in &d.units {
        let f = &u.facts;
        s.push(vec![
            Cell::Text(f.number.clone()),
            Cell::Text(f.building.clone()),
            Cell::Int(u.in_numerator),
            time(f.delivered_at),
            time(f.scattered_at),
            time(f.took_part_at),
            Cell::Int(f.issues),
            Cell::Int(f.complaints),
        ])
        .map_err(xlsx)?;
    }
    let last = s.row.saturating_sub(1);
    s.ws.autofilter(0, 0, last, 7).map_err(xlsx)?;
    book.save_to_buffer().map_err(xlsx)
}

/// The workbook of a secondary figure's drill-down: each unit, what it adds, its facts.
pub fn secondary_book(
    d: &SecondaryDrill,
    l: Locale,
    dimensions: &[crate::delivery::settings::Entry],
    scope: &Scope,
) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let facet = d.figure.facet();
    let mut head = vec![
        l.t("report.col.unit"),
        l.t("report.col.building"),
        l.t("kpis.sunits.in_numerator"),
        l.t("kpis.sunits.in_denominator"),
    ];
    head.extend(columns(facet).iter().map(|k| l.t(k)));
    let mut s = Sheet::new(&mut book, l.t("report.sheet.units"), &head).map_err(xlsx)?;
    for u in &d.units {
        let mut cells = vec![
            Cell::Text(u.facts.number.clone()),
            Cell::Text(u.facts.building.clone()),
            Cell::Number(u.in_numerator),
            Cell::Int(u.in_denominator),
        ];
        let of_unit = facts(l, facet, (&u.facts, scope.contractor), dimensions);
        cells.extend(of_unit.into_iter().map(|f| match f {
            Fact::Count(n) => Cell::Int(n),
            Fact::Mean(_, v) => Cell::Average(v),
            other => Cell::Text(other.text(l)),
        }));
        s.push(cells).map_err(xlsx)?;
    }
    let last = s.row.saturating_sub(1);
    let last_col = col_of(head.len() - 1);
    s.ws.autofilter(0, 0, last, last_col).map_err(xlsx)?;
    book.save_to_buffer().map_err(xlsx)
}
