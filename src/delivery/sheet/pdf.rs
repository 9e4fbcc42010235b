//! Drawing the sheet on the shared PDF layer, section by section, in the reader's language.
//! Blocking CPU work: called in `spawn_blocking` with everything already read.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Sheet;
use crate::checklists::Trade;
use crate::clock;
use crate::delivery::api::IssueView;
use crate::delivery::{MeterKind, Outcome};
use crate::i18n::Locale;
use crate::pdf::{Cell, Fonts, Image, Meta, PdfError, Report, SignatureBlock, Table};

/// Side of the QR code's box (quiet zone included), in mm.
const QR_SIDE: f32 = 36.0;
/// Photos across a row of the photo grid.
const PHOTOS_PER_ROW: usize = 4;

/// The sheet of `s` in `l`.
pub fn render(fonts: Arc<Fonts>, s: &Sheet, l: Locale) -> Result<Vec<u8>, PdfError> {
    let now = clock::now();
    let title = l.t("sheet.title").to_owned();
    let today = long_date(l, now);
    let mut report = Report::new(
        fonts,
        Meta {
            footer: l.fmt(
                "sheet.footer",
                &[("title", title.as_str()), ("date", today.as_str())],
            ),
            header: format!(
                "{} · {} · {}",
                s.unit.project_name,
                building(l, s),
                s.unit.number
            ),
            title,
            locale: l,
            created: now,
        },
    );
    overview(&mut report, l, s);
    participants(&mut report, l, s);
    self_inspection(&mut report, l, s);
    issues(&mut report, l, s);
    meters(&mut report, l, s);
    keys(&mut report, l, s);
    documents(&mut report, l, s);
    outcome(&mut report, l, s);
    link(&mut report, l, s);
    report.finish()
}

/// `2026年12月1日` in Chinese, `2026-12-01` in English (Asia/Shanghai).
fn long_date(l: Locale, t: DateTime<Utc>) -> String {
    crate::pdf::download::long_date(l, clock::local_date(t))
}

/// `14:05` (Asia/Shanghai).
fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&clock::shanghai())
        .format("%H:%M")
        .to_string()
}

/// The date and time of `t`.
fn date_time(l: Locale, t: DateTime<Utc>) -> String {
    format!("{} {}", long_date(l, t), time(t))
}

/// Between the items of a list: `、` in Chinese, `, ` in English.
fn separator(l: Locale) -> &'static str {
    match l {
        Locale::ZhCn => "、",
        Locale::En => ", ",
    }
}

fn building(l: Locale, s: &Sheet) -> String {
    l.fmt1("map.building", "name", &s.unit.building)
}

fn kv(l: Locale, key: &str, value: impl Into<String>) -> (String, String) {
    (l.t(key).to_owned(), value.into())
}

fn overview(report: &mut Report, l: Locale, s: &Sheet) {
    let v = &s.visit;
    let walk = match (v.walk_started_at, v.walk_ended_at) {
        (Some(a), Some(b)) => format!("{} – {}", time(a), time(b)),
        (Some(a), None) => format!("{} –", time(a)),
        _ => l.t("sheet.not_recorded").to_owned(),
    };
    let mut rows = vec![
        kv(l, "sheet.project", &s.unit.project_name),
        kv(l, "sheet.batch", &s.batch),
        kv(
            l,
            "sheet.unit",
            format!("{} {}", building(l, s), s.unit.number),
        ),
    ];
    if let Some(area) = s.unit.area_m2 {
        rows.push(kv(l, "sheet.area", format!("{area} m²")));
    }
    if let Some(layout) = s.unit.layout.as_deref().filter(|x| !x.is_empty()) {
        rows.push(kv(l, "sheet.layout", layout));
    }
    rows.extend([
        kv(l, "sheet.stage", l.t("sheet.stage_value")),
        kv(l, "sheet.date", long_date(l, v.checked_in_at)),
        kv(l, "sheet.checked_in", time(v.checked_in_at)),
        kv(l, "sheet.walk", walk),
    ]);
    report.key_values(&rows);
}

fn participants(report: &mut Report, l: Locale, s: &Sheet) {
    let v = &s.visit;
    report.heading(l.t("sheet.participants"));
    let identity = if v.identity_checked {
        l.t("sheet.identity_checked")
    } else {
        l.t("sheet.identity_unchecked")
    };
    let mut customer = l.fmt(
        "sheet.customer_value",
        &[("name", v.customer_name.as_str()), ("identity", identity)],
    );
    if !v.identity_note.is_empty() {
        customer = format!("{customer} {}", v.identity_note);
    }
    let or_none = |x: String| {
        if x.is_empty() {
            l.t("sheet.not_recorded").to_owned()
        } else {
            x
        }
    };
    report.key_values(&[
        kv(l, "sheet.customer", customer),
        kv(l, "sheet.buyers", or_none(s.buyers.join(separator(l)))),
        kv(l, "sheet.staff", or_none(v.staff.clone())),
    ]);
}

fn self_inspection(report: &mut Report, l: Locale, s: &Sheet) {
    report.heading(l.t("sheet.self"));
    let mut rows = Vec::new();
    match &s.self_inspection {
        None => report.paragraph(l.t("sheet.self_none")),
        Some(i) => {
            let verdict = match i.verdict.as_str() {
                "pass" => l.t("sheet.verdict.pass"),
                "fail" => l.t("sheet.verdict.fail"),
                _ => "",
            };
            let (passed, failed) = (i.passed as i64, i.failed as i64);
            let items = l.fmt(
                "sheet.self_items_value",
                &[
                    ("checked", &l.count(passed + failed)),
                    ("passed", &l.count(passed)),
                    ("failed", &l.count(failed)),
                ],
            );
            rows.extend([
                kv(l, "sheet.self_date", long_date(l, i.finished_at)),
                kv(l, "sheet.self_verdict", verdict),
                kv(l, "sheet.self_items", items),
            ]);
        }
    }
    // Defects of the takeover may exist without a self-inspection: shown whenever there are any.
    let one = s.stage_one;
    if s.self_inspection.is_some() || one.closed + one.open > 0 {
        let value = l.fmt(
            "sheet.stage_one_value",
            &[
                ("total", &l.count(one.closed + one.open)),
                ("closed", &l.count(one.closed)),
                ("open", &l.count(one.open)),
            ],
        );
        rows.push(kv(l, "sheet.stage_one", value));
    }
    if !rows.is_empty() {
        report.key_values(&rows);
    }
}

/// Where an issue is: room and part, or "—".
fn place(i: &IssueView) -> String {
    let parts: Vec<&str> = [i.room.as_str(), i.part.as_str()]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect();
    if parts.is_empty() {
        "—".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// The judgement cell: reasonable with the rectification status, not reasonable with the
/// reason, or not judged yet.
fn judgement(l: Locale, i: &IssueView) -> Cell {
    match i.judgement.as_deref() {
        Some("reasonable") => {
            let status = i
                .defect_status
                .as_deref()
                .and_then(crate::defects::Status::parse)
                .map(|st| crate::defects::pages::status_label(l, st));
            let mut text = l.t("visit.reasonable").to_owned();
            if let Some(st) = status {
                text = format!("{text}\n{}", l.fmt1("sheet.rectification", "status", st));
            }
            Cell::text(text)
        }
        Some(_) => {
            let mut reason = i
                .reason_code
                .as_deref()
                .map(|c| l.t(&format!("issue.reason.{c}")).to_owned())
                .unwrap_or_default();
            if !i.reason_text.is_empty() {
                reason = l.fmt(
                    "sheet.reason_detail",
                    &[
                        ("reason", reason.as_str()),
                        ("text", i.reason_text.as_str()),
                    ],
                );
            }
            Cell::text(format!("{}\n{reason}", l.t("visit.unreasonable")))
        }
        None => Cell::alert(l.t("visit.not_judged")),
    }
}

fn issues(report: &mut Report, l: Locale, s: &Sheet) {
    let list = &s.visit.issues;
    report.heading(l.t("sheet.issues"));
    if list.is_empty() {
        report.paragraph(l.t("sheet.no_issues"));
        return;
    }
    let judged = |j: &str| {
        list.iter()
            .filter(|i| i.judgement.as_deref() == Some(j))
            .count()
    };
    let pending = list.iter().filter(|i| i.judgement.is_none()).count();
    let mut summary = l.fmt(
        "sheet.issue_summary",
        &[
            ("n", &list.len().to_string()),
            ("reasonable", &judged("reasonable").to_string()),
            ("unreasonable", &judged("unreasonable").to_string()),
        ],
    );
    if pending > 0 {
        summary.push_str(&l.fmt1("sheet.issue_pending", "n", &pending.to_string()));
    }
    report.paragraph(&summary);
    let mut t = Table::new([
        (l.t("sheet.col.no"), 0.5),
        (l.t("sheet.col.place"), 1.4),
        (l.t("sheet.col.trade"), 1.0),
        (l.t("sheet.col.description"), 3.2),
        (l.t("sheet.col.judgement"), 1.9),
        (l.t("sheet.col.photos"), 0.6),
    ]);
    for (n, i) in list.iter().enumerate() {
        t.row([
            Cell::text((n + 1).to_string()),
            Cell::text(place(i)),
            Cell::text(Trade::parse(&i.trade).map_or("", |t| t.label(l))),
            Cell::text(&i.description),
            judgement(l, i),
            Cell::text(i.photos.len().to_string()),
        ]);
    }
    report.table(t);
    let photos: Vec<Image> = list
        .iter()
        .enumerate()
        .flat_map(|(n, i)| {
            let caption = l.fmt(
                "sheet.photo_caption",
                &[("n", &(n + 1).to_string()), ("place", &place(i))],
            );
            i.photos
                .iter()
                .filter_map(|sha| s.thumbs.get(sha))
                .map(move |image| image.clone().with_caption(caption.clone()))
        })
        .collect();
    if !photos.is_empty() {
        report.heading(l.t("sheet.photos"));
        report.images(&photos, PHOTOS_PER_ROW);
    }
}

/// A reading as typed: no trailing zeros (`1234.5`, `86`).
fn reading(value: f64) -> String {
    format!("{value}")
}

fn meters(report: &mut Report, l: Locale, s: &Sheet) {
    report.heading(l.t("sheet.meters"));
    if s.visit.meters.is_empty() {
        report.paragraph(l.t("sheet.no_meters"));
        return;
    }
    let mut t = Table::new([
        (l.t("sheet.col.meter"), 1.2),
        (l.t("sheet.col.reading"), 1.6),
        (l.t("sheet.col.dial"), 1.6),
    ]);
    for kind in MeterKind::ALL {
        let Some(m) = s.visit.meters.iter().find(|m| m.kind == kind.as_str()) else {
            continue;
        };
        let unit = l.t(&format!("sheet.meter_unit.{}", kind.as_str()));
        let dial = match m.photo.as_ref().and_then(|sha| s.thumbs.get(sha)) {
            Some(image) => Cell::text("").with_thumbnail(image.clone()),
            None => Cell::text("—"),
        };
        t.row([
            Cell::text(l.t(&format!("visit.meter.{}", kind.as_str()))),
            Cell::text(format!("{} {unit}", reading(m.reading))),
            dial,
        ]);
    }
    report.table(t);
}

fn keys(report: &mut Report, l: Locale, s: &Sheet) {
    report.heading(l.t("sheet.keys"));
    let handed = &s.visit.keys;
    let mut lines: Vec<(String, i32)> = s
        .settings
        .keys
        .iter()
        .map(|e| (e.label(l, "key"), handed.get(&e.code).copied().unwrap_or(0)))
        .collect();
    // Kinds handed that the project's list no longer names.
    let mut extra: Vec<(String, i32)> = handed
        .iter()
        .filter(|(code, _)| !s.settings.keys.iter().any(|e| &&e.code == code))
        .map(|(code, n)| (code.clone(), *n))
        .collect();
    extra.sort();
    lines.extend(extra);
    let mut t = Table::new([(l.t("sheet.col.key"), 3.0), (l.t("sheet.col.count"), 1.0)]);
    for (name, n) in &lines {
        t.row([Cell::text(name), Cell::text(n.to_string())]);
    }
    let total: i32 = lines.iter().map(|(_, n)| n).sum();
    t.row([
        Cell::text(l.t("sheet.total")),
        Cell::text(total.to_string()),
    ]);
    report.table(t);
}

fn documents(report: &mut Report, l: Locale, s: &Sheet) {
    report.heading(l.t("sheet.documents"));
    let handed = &s.visit.documents;
    let mut t = Table::new([
        (l.t("sheet.col.document"), 3.0),
        (l.t("sheet.col.handed"), 1.0),
    ]);
    for e in &s.settings.documents {
        let state = if handed.contains(&e.code) {
            Cell::text(l.t("sheet.handed"))
        } else {
            Cell::alert(l.t("sheet.not_handed"))
        };
        t.row([Cell::text(e.label(l, "document")), state]);
    }
    for code in handed {
        if !s.settings.documents.iter().any(|e| &e.code == code) {
            t.row([Cell::text(code), Cell::text(l.t("sheet.handed"))]);
        }
    }
    report.table(t);
}

fn outcome(report: &mut Report, l: Locale, s: &Sheet) {
    let v = &s.visit;
    report.heading(l.t("sheet.outcome"));
    let Some(o) = v.outcome.as_deref().and_then(Outcome::parse) else {
        report.paragraph(l.t("sheet.open_text"));
        return;
    };
    let text = match o {
        Outcome::Accepted => l.t("sheet.accepted_text").to_owned(),
        Outcome::Refused => {
            let reason = v
                .refusal_reason
                .as_deref()
                .map_or("", |r| l.t(&format!("visit.refusal.{r}")));
            l.fmt1("sheet.refused_text", "reason", reason)
        }
        Outcome::OnlyLooked => l.t("sheet.only_looked_text").to_owned(),
    };
    report.paragraph(&l.fmt(
        "sheet.outcome_line",
        &[("outcome", o.label(l)), ("text", text.as_str())],
    ));
    if !v.outcome_note.is_empty() {
        report.paragraph(&l.fmt1("sheet.note", "note", &v.outcome_note));
    }
    if o != Outcome::Accepted {
        return;
    }
    let mut lines = vec![l.fmt1(
        "sheet.signed",
        "name",
        v.signature_name.as_deref().unwrap_or_default(),
    )];
    if let Some(at) = v.outcome_at {
        lines.push(l.fmt1("sheet.signed_at", "time", &date_time(l, at)));
    }
    let d = s.signature.as_ref();
    report.signatures(&[SignatureBlock {
        strokes: d
            .map(|d| {
                d.strokes
                    .iter()
                    .map(|st| st.iter().map(|p| (p[0] as f32, p[1] as f32)).collect())
                    .collect()
            })
            .unwrap_or_default(),
        canvas_width: d.map_or(600.0, |d| d.width as f32),
        canvas_height: d.map_or(200.0, |d| d.height as f32),
        lines,
    }]);
}

fn link(report: &mut Report, l: Locale, s: &Sheet) {
    let Some(code) = &s.link else {
        return;
    };
    report.heading(l.t("sheet.link"));
    let until = long_date(l, code.expires_at);
    let text = format!(
        "{}\n{}",
        l.fmt1("sheet.link_text", "date", &until),
        code.url
    );
    report.matrix_code(&code.modules, code.width, QR_SIDE, &text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_print_as_typed() {
        assert_eq!(reading(1234.5), "1234.5");
        assert_eq!(reading(86.0), "86");
        assert_eq!(reading(0.25), "0.25");
    }

    #[test]
    fn dates_are_long_in_chinese_and_iso_in_english() {
        use chrono::TimeZone;
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 17, 30, 0).unwrap();
        assert_eq!(long_date(Locale::ZhCn, t), "2026年12月1日");
        assert_eq!(long_date(Locale::En, t), "2026-12-01");
        assert_eq!(date_time(Locale::ZhCn, t), "2026年12月1日 01:30");
    }
}
