//! The defect list as an `.xlsx` workbook (what site teams keep in Excel), with the same filters
//! as the list and the caller's language for headers and values.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};
use uuid::Uuid;

use super::api::{DefectQuery, DefectView};
use super::{commands, repo};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::checklists::Trade;
use crate::error::AppError;
use crate::i18n::Locale;

/// Most rows one export holds.
const MAX_ROWS: i64 = 200_000;

const COLUMNS: [&str; 15] = [
    "number",
    "location",
    "room",
    "part",
    "trade",
    "description",
    "severity",
    "stage",
    "status",
    "contractor",
    "due_on",
    "overdue",
    "send_backs",
    "raised_by",
    "created_at",
];

/// Builds the workbook of the defects `q` selects and answers it as a download.
pub async fn response(
    app: &AppState,
    user: &CurrentUser,
    locale: Locale,
    project: Uuid,
    q: &DefectQuery,
) -> Result<Response, AppError> {
    let mut conn = app.db.read().await?;
    let actor = commands::actor(&mut conn, user, project).await?;
    let mut filter = q.filter()?;
    if actor.is_contractor_only() {
        filter.contractor = Some(actor.contractor.ok_or(AppError::Forbidden)?);
    }
    let (rows, _) = repo::list(&mut conn, project, &filter, q.order(), MAX_ROWS, 0).await?;
    drop(conn);
    let views: Vec<DefectView> = rows.into_iter().map(DefectView::from).collect();
    let bytes = tokio::task::spawn_blocking(move || workbook(&views, locale))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let name = format!(
        "defects-{}.xlsx",
        crate::clock::local_date(crate::clock::now())
    );
    Ok((
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
        .into_response())
}

/// The workbook bytes: one header row, one row per defect.
pub fn workbook(rows: &[DefectView], l: Locale) -> Result<Vec<u8>, AppError> {
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(l.t("defect.export.sheet")).map_err(xlsx)?;
    let bold = Format::new().set_bold();
    for (col, key) in COLUMNS.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(0, col, l.t(&format!("defect.col.{key}")), &bold)
            .map_err(xlsx)?;
    }
    for (i, d) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|e| AppError::Internal(e.into()))?;
        for (col, value) in cells(d, l).into_iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            sheet.write_string(row, col, value).map_err(xlsx)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    sheet
        .autofilter(0, 0, u32::try_from(rows.len()).unwrap_or(0), 14)
        .map_err(xlsx)?;
    book.save_to_buffer().map_err(xlsx)
}

fn cells(d: &DefectView, l: Locale) -> [String; 15] {
    let location = d
        .unit_number
        .clone()
        .or_else(|| d.area_name.clone())
        .unwrap_or_default();
    let trade = Trade::parse(&d.trade).map_or(d.trade.as_str(), |t| t.label(l));
    [
        d.number.to_string(),
        location,
        d.room.clone(),
        d.part.clone(),
        trade.to_owned(),
        d.description.clone(),
        l.t(&format!("defect.severity.{}", d.severity)).to_owned(),
        l.t(&format!("stage.{}", d.stage)).to_owned(),
        l.t(&format!("defect.status.{}", d.status)).to_owned(),
        d.contractor_name.clone().unwrap_or_default(),
        d.due_on.map(|x| x.to_string()).unwrap_or_default(),
        if d.overdue { l.t("common.yes") } else { "" }.to_owned(),
        d.send_backs.to_string(),
        d.raised_by_name.clone(),
        crate::clock::show(d.created_at),
    ]
}
