//! The service-quality part of a batch's KPI page: the secondary figures with what each is
//! counted over and its definition, the refusal reasons, complaint handling, satisfaction per
//! dimension with the NPS, and the contractors' ranking.

use uuid::Uuid;

use super::secondary_units::Filter;
use crate::delivery::settings::Entry;
use crate::i18n::Locale;
use crate::kpis::secondary::drill::{Figure, Scope};
use crate::kpis::secondary::lines::{Kind, shown};
use crate::kpis::{Secondary, percent};

/// One secondary figure as a row; its value links to the units behind it.
pub struct LineView {
    pub key: &'static str,
    pub href: String,
    pub name: &'static str,
    pub value: String,
    pub over: String,
    pub definition: &'static str,
}

/// A labelled count, linking to the units behind it.
pub struct Counted {
    pub label: String,
    pub count: String,
    pub href: String,
}

/// A number shown, linking to the units behind it.
pub struct Linked {
    pub text: String,
    pub href: String,
}

/// One survey dimension.
pub struct DimensionView {
    pub label: String,
    pub stars: String,
    pub responses: String,
}

/// One contractor of the ranking.
pub struct ContractorView {
    pub name: String,
    pub assigned: String,
    pub closed: String,
    pub completion: String,
    pub on_time: String,
    pub send_backs: String,
    /// The drill-downs of its items: completion, on time, first-time pass.
    pub hrefs: [String; 3],
}

/// The service-quality section.
pub struct SecondaryView {
    pub lines: Vec<LineView>,
    pub reasons: Vec<Counted>,
    /// Received, responded, resolved, mean first response, mean resolution (minutes).
    pub complaints: [Linked; 5],
    pub dimensions: Vec<DimensionView>,
    /// NPS, promoters, passives, detractors, responses.
    pub nps: [String; 5],
    /// Some customer answered the survey.
    pub surveyed: bool,
    /// The surveys' units.
    pub surveys_href: String,
    pub contractors: Vec<ContractorView>,
}

impl SecondaryView {
    /// The section of `s` of `batch` in `l`.
    pub fn of(l: Locale, batch: Uuid, s: &Secondary) -> Self {
        let c = &s.complaints;
        let n = &s.nps;
        let href = |figure: Figure, scope: Scope| Filter::href(batch, figure, &scope);
        let all = |figure: Figure| href(figure, Scope::default());
        let linked = |text: String, figure: Figure| Linked {
            text,
            href: all(figure),
        };
        SecondaryView {
            lines: s
                .lines()
                .into_iter()
                .map(|x| LineView {
                    key: x.key,
                    href: Figure::parse(x.key).map(all).unwrap_or_default(),
                    name: l.t(&format!("kpis.sec.{}", x.key)),
                    value: x.shown(),
                    over: x.over(),
                    definition: l.t(&format!("kpis.sec_def.{}", x.key)),
                })
                .collect(),
            reasons: s
                .refusal_reasons
                .iter()
                .map(|r| Counted {
                    label: l.t(&format!("visit.refusal.{}", r.reason)).to_owned(),
                    count: l.count(r.count),
                    href: href(
                        Figure::RefusalRate,
                        Scope {
                            numerator_only: true,
                            reason: Some(r.reason.clone()),
                            ..Scope::default()
                        },
                    ),
                })
                .collect(),
            complaints: [
                linked(l.count(c.received), Figure::ComplaintsReceived),
                linked(l.count(c.responded), Figure::MeanFirstResponseMinutes),
                linked(l.count(c.resolved), Figure::MeanResolutionMinutes),
                linked(
                    shown(Kind::Minutes, c.mean_first_response_minutes.value),
                    Figure::MeanFirstResponseMinutes,
                ),
                linked(
                    shown(Kind::Minutes, c.mean_resolution_minutes.value),
                    Figure::MeanResolutionMinutes,
                ),
            ],
            dimensions: s
                .satisfaction
                .iter()
                .map(|d| DimensionView {
                    label: dimension_label(l, &d.dimension, &d.title),
                    stars: shown(Kind::Stars, d.mean_stars.value),
                    responses: l.count(d.mean_stars.count),
                })
                .collect(),
            nps: [
                shown(Kind::Score, n.score),
                l.count(n.promoters),
                l.count(n.passives),
                l.count(n.detractors),
                l.count(n.responses),
            ],
            surveyed: n.responses > 0,
            surveys_href: all(Figure::Nps),
            contractors: s
                .contractors
                .iter()
                .map(|k| ContractorView {
                    name: k.name.clone(),
                    assigned: l.count(k.assigned),
                    closed: l.count(k.closed),
                    completion: percent(&k.completion_rate),
                    on_time: percent(&k.on_time_rate),
                    send_backs: l.count(k.send_backs),
                    hrefs: [
                        Figure::RectificationCompletionRate,
                        Figure::OnTimeRectificationRate,
                        Figure::FirstTimePassRate,
                    ]
                    .map(|f| {
                        let scope = Scope {
                            contractor: Some(k.contractor_id),
                            ..Scope::default()
                        };
                        href(f, scope)
                    }),
                })
                .collect(),
        }
    }
}

/// A survey dimension's name: the project's own, the catalog's for a built-in one, else its
/// code (a dimension dropped from the survey since).
pub fn dimension_label(l: Locale, code: &str, title: &str) -> String {
    let entry = Entry {
        code: code.to_owned(),
        title: title.to_owned(),
    };
    let label = entry.label(l, "survey");
    if label.is_empty() {
        code.to_owned()
    } else {
        label
    }
}
