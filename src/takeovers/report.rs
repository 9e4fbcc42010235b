//! The takeover's PDFs on the shared PDF layer: the takeover report (承接查验报告) and the
//! rectification notice (整改通知单), zh-CN by default, English on request. Both are drawn from
//! the takeover's [`Snapshot`] — the sealed copy once signed — so a report of a signed takeover
//! always says what was signed, with the seal printed on it.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use uuid::Uuid;

use super::pages::{document_title, prerequisite_title};
use super::snapshot::{Finding, Snapshot};
use super::{PrereqStatus, Side, api};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery};
use crate::i18n::Locale;
use crate::pdf::download::{ReportQuery, long_date, render, response};
use crate::pdf::{Cell, Image, Meta, Report, SignatureBlock, Table};
use crate::photos::Variant;
use crate::signature::Drawing;

fn meta(l: Locale, title_key: &str, record: &Snapshot) -> Meta {
    let title = l.t(title_key).to_owned();
    let today = long_date(l, clock::local_date(clock::now()));
    Meta {
        footer: l.fmt(
            "takeover.pdf.footer",
            &[("title", title.as_str()), ("date", today.as_str())],
        ),
        header: format!("{} · {}", record.project_name, record.name),
        title,
        locale: l,
        created: clock::now(),
    }
}

/// The thumbnails of findings that have a photo, read from the store (a missing one is left
/// out rather than failing the report).
async fn thumbnails(app: &AppState, findings: &[&Finding]) -> Vec<Option<Image>> {
    let mut out = Vec::with_capacity(findings.len());
    for f in findings {
        let image = match &f.photo_sha256 {
            Some(sha) => app
                .photos
                .read(sha, Variant::Thumb)
                .await
                .ok()
                .and_then(|bytes| Image::jpeg(bytes).ok()),
            None => None,
        };
        out.push(image);
    }
    out
}

fn status_cell(l: Locale, status: &str) -> Cell {
    let label = PrereqStatus::parse(status).map_or("", |s| s.label(l));
    if status == PrereqStatus::NotMet.as_str() || status == PrereqStatus::Pending.as_str() {
        Cell::alert(label)
    } else {
        Cell::text(label)
    }
}

fn overview(report: &mut Report, l: Locale, record: &Snapshot, seal: Option<&str>) {
    let d = &record.deadlines;
    let scope = if record.buildings.is_empty() {
        l.t("takeover.pdf.whole_project").to_owned()
    } else {
        record
            .buildings
            .iter()
            .map(|b| l.fmt1("map.building", "name", b))
            .collect::<Vec<_>>()
            .join("、")
    };
    let state = match seal {
        Some(_) => l.t("takeover.sealed_badge"),
        None => l.t("takeover.pdf.draft"),
    };
    let mut rows = vec![
        (
            l.t("takeover.pdf.project").to_owned(),
            record.project_name.clone(),
        ),
        (
            l.t("takeover.col.batch").to_owned(),
            record.batch_name.clone(),
        ),
        (l.t("takeover.col.name").to_owned(), record.name.clone()),
        (l.t("takeover.pdf.scope").to_owned(), scope),
        (
            l.t("takeover.col.delivery").to_owned(),
            long_date(l, d.delivery_start),
        ),
        (
            l.t("takeover.inspection_due").to_owned(),
            long_date(l, d.inspection_due),
        ),
        (
            l.t("takeover.formalities_due").to_owned(),
            long_date(l, d.formalities_due),
        ),
        (l.t("takeover.col.state").to_owned(), state.to_owned()),
    ];
    if let Some(seal) = seal {
        rows.push((l.t("takeover.pdf.seal").to_owned(), seal.to_owned()));
    }
    report.key_values(&rows);
}

fn team(report: &mut Report, l: Locale, record: &Snapshot) {
    report.heading(l.t("takeover.team"));
    let mut t = Table::new([
        (l.t("takeover.col.side"), 1.0),
        (l.t("takeover.col.person"), 1.0),
        (l.t("takeover.col.title"), 1.0),
    ]);
    for m in &record.team {
        let side = Side::parse(&m.side).map_or("", |s| s.label(l));
        t.row([Cell::text(side), Cell::text(&m.name), Cell::text(&m.title)]);
    }
    report.table(t);
}

fn prerequisites(report: &mut Report, l: Locale, record: &Snapshot) {
    report.heading(l.t("takeover.prerequisites"));
    let mut t = Table::new([
        (l.t("takeover.pdf.item"), 4.0),
        (l.t("takeover.col.status"), 1.0),
        (l.t("takeover.col.evidence"), 2.2),
        (l.t("takeover.pdf.confirmed"), 1.4),
    ]);
    for p in &record.prerequisites {
        let code = if p.code.is_empty() {
            String::new()
        } else {
            format!("{}) ", p.code)
        };
        let mut evidence = p.evidence.clone();
        if let Some(sha) = &p.evidence_sha256 {
            let file = l.fmt1(
                "takeover.pdf.evidence_file",
                "sha",
                &sha[..sha.len().min(12)],
            );
            evidence = [evidence, file].join(" ").trim().to_owned();
        }
        let confirmed = match (&p.confirmed_by, p.confirmed_at) {
            (Some(by), Some(at)) => format!("{by} {}", clock::show(at)),
            _ => String::new(),
        };
        t.row([
            Cell::text(format!("{code}{}", prerequisite_title(l, p))),
            status_cell(l, &p.status),
            Cell::text(evidence),
            Cell::text(confirmed),
        ]);
    }
    report.table(t);
}

fn documents(report: &mut Report, l: Locale, record: &Snapshot) {
    report.heading(l.t("takeover.documents"));
    let mut t = Table::new([
        (l.t("takeover.col.document"), 3.0),
        (l.t("takeover.col.category"), 1.4),
        (l.t("takeover.col.copies"), 0.8),
        (l.t("takeover.col.form"), 1.0),
        (l.t("takeover.col.received_by"), 1.0),
        (l.t("takeover.col.received_on"), 1.2),
    ]);
    for d in &record.documents {
        let category = super::DocumentCategory::parse(&d.category).map_or("", |c| c.label(l));
        let form = super::DocumentForm::parse(&d.form).map_or("", |f| f.label(l));
        let copies = if d.copies == 0 {
            Cell::alert(l.t("takeover.missing"))
        } else {
            Cell::text(d.copies.to_string())
        };
        t.row([
            Cell::text(document_title(l, d)),
            Cell::text(category),
            copies,
            Cell::text(form),
            Cell::text(&d.received_by),
            Cell::text(d.received_on.map(|x| x.to_string()).unwrap_or_default()),
        ]);
    }
    report.table(t);
}

fn finding_row(l: Locale, f: &Finding, today: NaiveDate) -> [Cell; 5] {
    let trade = crate::checklists::Trade::parse(&f.trade).map_or("", |t| t.label(l));
    let status = crate::defects::Status::parse(&f.status)
        .map_or("", |s| crate::defects::pages::status_label(l, s));
    let due = f.due_on.map(|d| d.to_string()).unwrap_or_default();
    let late = f.is_open() && f.due_on.is_some_and(|d| d < today);
    [
        Cell::text(f.number.to_string()),
        Cell::text(&f.place),
        Cell::text(format!("{}（{trade}）", f.description)),
        Cell::text(f.contractor.clone().unwrap_or_default()),
        if late {
            Cell::alert(format!("{due} · {status}"))
        } else {
            Cell::text(format!("{due} · {status}"))
        },
    ]
}

async fn findings(app: &AppState, report: &mut Report, l: Locale, record: &Snapshot) {
    report.heading(l.t("takeover.pdf.findings"));
    let areas: Vec<&Finding> = record.findings.iter().filter(|f| f.common_area).collect();
    if areas.is_empty() {
        report.paragraph(l.t("takeover.findings_empty"));
        return;
    }
    let thumbs = thumbnails(app, &areas).await;
    let today = clock::local_date(clock::now());
    let mut t = Table::new([
        ("#", 0.5),
        (l.t("takeover.col.place"), 1.4),
        (l.t("takeover.col.description"), 3.0),
        (l.t("takeover.col.contractor"), 1.6),
        (l.t("takeover.pdf.due_status"), 1.6),
    ]);
    for (f, thumb) in areas.iter().zip(thumbs) {
        let [n, place, description, contractor, due] = finding_row(l, f, today);
        let description = match thumb {
            Some(image) => description.with_thumbnail(image),
            None => description,
        };
        t.row([n, place, description, contractor, due]);
    }
    report.table(t);
}

fn open_items(report: &mut Report, l: Locale, record: &Snapshot) {
    report.heading(l.t("takeover.pdf.open_items"));
    let open: Vec<&Finding> = record.open_items().collect();
    if open.is_empty() {
        report.paragraph(l.t("takeover.pdf.no_open_items"));
        return;
    }
    let today = clock::local_date(clock::now());
    let mut t = Table::new([
        ("#", 0.5),
        (l.t("takeover.col.place"), 1.4),
        (l.t("takeover.col.description"), 3.0),
        (l.t("takeover.col.contractor"), 1.6),
        (l.t("takeover.pdf.due_status"), 1.6),
    ]);
    for f in open {
        t.row(finding_row(l, f, today));
    }
    report.table(t);
}

fn reservations(report: &mut Report, l: Locale, record: &Snapshot) {
    let lines: Vec<String> = record
        .prerequisites
        .iter()
        .flat_map(|p| {
            p.reservations.iter().map(move |(side, text)| {
                let side = Side::parse(side).map_or("", |s| s.label(l));
                format!("{} — {side}：{text}", prerequisite_title(l, p))
            })
        })
        .collect();
    if lines.is_empty() {
        return;
    }
    report.heading(l.t("takeover.reservation"));
    for line in lines {
        report.paragraph(&line);
    }
}

fn signatures(report: &mut Report, l: Locale, record: &Snapshot) {
    report.heading(l.t("takeover.signatures"));
    let blocks: Vec<SignatureBlock> = Side::ALL
        .into_iter()
        .map(|side| {
            let signed = record.signatures.iter().find(|s| s.side == side.as_str());
            let drawing = signed.and_then(|s| Drawing::parse(&s.strokes));
            let mut lines = vec![side.label(l).to_owned()];
            match signed {
                Some(s) => {
                    lines.push(format!("{} {}", s.name, s.title).trim().to_owned());
                    lines.push(clock::show(s.signed_at));
                }
                None => lines.push(l.t("takeover.not_signed").to_owned()),
            }
            SignatureBlock {
                strokes: drawing
                    .as_ref()
                    .map(|d| {
                        d.strokes
                            .iter()
                            .map(|s| s.iter().map(|p| (p[0] as f32, p[1] as f32)).collect())
                            .collect()
                    })
                    .unwrap_or_default(),
                canvas_width: drawing.as_ref().map_or(600.0, |d| d.width as f32),
                canvas_height: drawing.as_ref().map_or(200.0, |d| d.height as f32),
                lines,
            }
        })
        .collect();
    report.signatures(&blocks);
}

/// The takeover report (承接查验报告) of `record` in `l`.
pub async fn takeover_report(
    app: &AppState,
    record: &Snapshot,
    seal: Option<&str>,
    l: Locale,
) -> Result<Vec<u8>, AppError> {
    let fonts = app.pdf_fonts().await?;
    let mut report = Report::new(fonts, meta(l, "takeover.pdf.report_title", record));
    overview(&mut report, l, record, seal);
    team(&mut report, l, record);
    prerequisites(&mut report, l, record);
    documents(&mut report, l, record);
    findings(app, &mut report, l, record).await;
    open_items(&mut report, l, record);
    reservations(&mut report, l, record);
    signatures(&mut report, l, record);
    if let Some(seal) = seal {
        report.heading(l.t("takeover.pdf.seal"));
        report.paragraph(seal);
        report.paragraph(l.t("takeover.seal_help"));
    }
    render(report).await
}

/// The rectification notice (整改通知单): the open findings with contractor and deadline.
pub async fn notice(app: &AppState, record: &Snapshot, l: Locale) -> Result<Vec<u8>, AppError> {
    let fonts = app.pdf_fonts().await?;
    let mut report = Report::new(fonts, meta(l, "takeover.pdf.notice_title", record));
    let today = clock::local_date(clock::now());
    report.key_values(&[
        (
            l.t("takeover.pdf.project").to_owned(),
            record.project_name.clone(),
        ),
        (l.t("takeover.col.name").to_owned(), record.name.clone()),
        (l.t("takeover.pdf.issued").to_owned(), long_date(l, today)),
        (
            l.t("takeover.inspection_due").to_owned(),
            long_date(l, record.deadlines.inspection_due),
        ),
    ]);
    report.paragraph(&l.fmt1(
        "takeover.pdf.notice_text",
        "due",
        &long_date(l, record.deadlines.inspection_due),
    ));
    open_items(&mut report, l, record);
    render(report).await
}

async fn record_of(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(Snapshot, Option<String>), AppError> {
    let t = api::visible(app, user, id).await?;
    let record = Snapshot::current(&mut app.db.read().await?, &t).await?;
    Ok((record, t.seal_sha256))
}

/// The takeover report PDF (`?lang=en` for English).
#[utoipa::path(get, path = "/api/v1/takeovers/{id}/report.pdf", tag = "takeovers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn report_pdf(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let (record, seal) = record_of(&app, &user, id).await?;
    let bytes = takeover_report(&app, &record, seal.as_deref(), q.locale(l)).await?;
    Ok(response(bytes, "takeover-report"))
}

/// The rectification notice PDF (`?lang=en` for English).
#[utoipa::path(get, path = "/api/v1/takeovers/{id}/notice.pdf", tag = "takeovers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn notice_pdf(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let (record, _) = record_of(&app, &user, id).await?;
    let bytes = notice(&app, &record, q.locale(l)).await?;
    Ok(response(bytes, "rectification-notice"))
}
