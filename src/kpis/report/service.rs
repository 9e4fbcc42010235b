//! The service-quality sections of the batch delivery report: the secondary figures with their
//! definitions, satisfaction and NPS, complaint handling with the refusal reasons, and the
//! contractors' ranking — the same rows as the batch page (`secondary::lines`).

use crate::charts::{Bar, BarChart, Chart, Format};
use crate::i18n::Locale;
use crate::kpis::pages::dimension_label;
use crate::kpis::secondary::lines::{Kind, shown};
use crate::kpis::{Secondary, percent};
use crate::pdf::{Cell, Report, Table};

/// Appends the four sections for `s`.
pub fn sections(report: &mut Report, l: Locale, s: &Secondary) {
    figures(report, l, s);
    satisfaction(report, l, s);
    complaints(report, l, s);
    contractors(report, l, s);
}

fn figures(report: &mut Report, l: Locale, s: &Secondary) {
    report.heading(l.t("kpis.sec.title"));
    let mut t = Table::new([
        (l.t("kpis.sec.figure"), 1.7),
        (l.t("kpis.sec.value"), 0.9),
        (l.t("kpis.sec.over"), 1.0),
        (l.t("kpis.sec.definition"), 3.6),
    ]);
    for x in s.lines() {
        t.row([
            Cell::text(l.t(&format!("kpis.sec.{}", x.key))),
            Cell::text(x.shown()),
            Cell::text(x.over()),
            Cell::text(l.t(&format!("kpis.sec_def.{}", x.key))),
        ]);
    }
    report.table(t);
}

fn satisfaction(report: &mut Report, l: Locale, s: &Secondary) {
    report.heading(l.t("kpis.sec.satisfaction"));
    let labels: Vec<String> = s
        .satisfaction
        .iter()
        .map(|d| dimension_label(l, &d.dimension, &d.title))
        .collect();
    let bars = s
        .satisfaction
        .iter()
        .zip(&labels)
        .filter_map(|(d, label)| Some(Bar::new(label, d.mean_stars.value?)))
        .collect();
    let chart = Chart::new(
        l.t("kpis.sec.stars"),
        Format::Decimal2,
        l.t("kpis.sec.no_surveys"),
        BarChart::horizontal(bars),
    );
    report.chart(&chart, 8.0 + 7.0 * labels.len().max(1) as f32);
    let mut t = Table::new([
        (l.t("kpis.sec.dimension"), 2.0),
        (l.t("kpis.sec.stars"), 1.2),
        (l.t("kpis.sec.responses"), 1.0),
    ]);
    for (d, label) in s.satisfaction.iter().zip(labels) {
        t.row([
            Cell::text(label),
            Cell::text(shown(Kind::Stars, d.mean_stars.value)),
            Cell::text(d.mean_stars.count.to_string()),
        ]);
    }
    report.table(t);
    let n = &s.nps;
    let mut t = Table::new([
        (l.t("kpis.sec.nps"), 1.4),
        (l.t("kpis.sec.promoters"), 1.0),
        (l.t("kpis.sec.passives"), 1.0),
        (l.t("kpis.sec.detractors"), 1.0),
        (l.t("kpis.sec.responses"), 1.0),
    ]);
    t.row([
        Cell::text(shown(Kind::Score, n.score)),
        Cell::text(n.promoters.to_string()),
        Cell::text(n.passives.to_string()),
        Cell::text(n.detractors.to_string()),
        Cell::text(n.responses.to_string()),
    ]);
    report.table(t);
}

fn complaints(report: &mut Report, l: Locale, s: &Secondary) {
    report.heading(l.t("kpis.sec.complaints"));
    let c = &s.complaints;
    let mut t = Table::new([
        (l.t("kpis.sec.complaints_received"), 1.0),
        (l.t("kpis.sec.responded"), 1.0),
        (l.t("kpis.sec.resolved"), 1.0),
        (l.t("kpis.sec.mean_first_response_minutes"), 1.5),
        (l.t("kpis.sec.mean_resolution_minutes"), 1.5),
    ]);
    t.row([
        Cell::text(c.received.to_string()),
        Cell::text(c.responded.to_string()),
        Cell::text(c.resolved.to_string()),
        Cell::text(shown(Kind::Minutes, c.mean_first_response_minutes.value)),
        Cell::text(shown(Kind::Minutes, c.mean_resolution_minutes.value)),
    ]);
    report.table(t);
    report.heading(l.t("kpis.sec.refusals"));
    if s.refusal_reasons.is_empty() {
        report.paragraph(l.t("kpis.sec.no_refusals"));
        return;
    }
    let mut t = Table::new([(l.t("kpis.sec.reason"), 2.0), (l.t("kpis.sec.visits"), 1.0)]);
    for r in &s.refusal_reasons {
        t.row([
            Cell::text(l.t(&format!("visit.refusal.{}", r.reason))),
            Cell::text(r.count.to_string()),
        ]);
    }
    report.table(t);
}

fn contractors(report: &mut Report, l: Locale, s: &Secondary) {
    report.heading(l.t("kpis.sec.contractors"));
    if s.contractors.is_empty() {
        report.paragraph(l.t("kpis.sec.no_contractors"));
        return;
    }
    let mut t = Table::new([
        (l.t("kpis.sec.contractor"), 2.6),
        (l.t("kpis.sec.assigned"), 0.8),
        (l.t("kpis.sec.closed"), 0.8),
        (l.t("kpis.sec.completion"), 0.9),
        (l.t("kpis.sec.on_time"), 0.9),
        (l.t("kpis.sec.send_backs"), 0.8),
    ]);
    for k in &s.contractors {
        t.row([
            Cell::text(&k.name),
            Cell::text(k.assigned.to_string()),
            Cell::text(k.closed.to_string()),
            Cell::text(percent(&k.completion_rate)),
            Cell::text(percent(&k.on_time_rate)),
            Cell::text(k.send_backs.to_string()),
        ]);
    }
    report.table(t);
}
