//! The KPI pages, for executives first (desktop and phone): the dashboard `/dashboard` (the
//! batches of a date range rolled up per region, project and batch), one batch's KPIs with
//! their daily trend and breakdowns `/batches/{id}/kpis`, and the drill-down behind each
//! number `/batches/{id}/kpis/{kpi}/units` and each secondary figure
//! `/batches/{id}/secondary/{figure}/units`. Everything shown comes from the same figures as
//! the API (`crate::kpis`), and every number links to the units behind it.

mod batch;
mod dashboard;
mod secondary;
mod secondary_units;
mod units;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use uuid::Uuid;

use super::drill::Kpi;
use super::{Ratio, average, percent};
use crate::app::AppState;
use crate::i18n::Locale;

pub use secondary::dimension_label;
pub use secondary_units::{Fact, columns, facts};
pub use units::Filter;

/// Routes of the KPI pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard::show))
        .route("/batches/{id}/kpis", get(batch::show))
        .route("/batches/{id}/kpis/{kpi}/units", get(units::show))
        .route(
            "/batches/{id}/secondary/{figure}/units",
            get(secondary_units::show),
        )
        .route("/static/kpis.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../templates/static/kpis.css"),
    )
}

/// A KPI's name in `l` (集中交付率, ...).
pub fn name(l: Locale, kpi: Kpi) -> &'static str {
    l.t(&format!("kpis.name.{}", kpi.as_str()))
}

/// A KPI's value as pages show it: a rate as `78.3%`, 户均缺陷 as `0.75`, `—` without a value.
pub fn shown(kpi: Kpi, r: &Ratio) -> String {
    match kpi {
        Kpi::AvgDefectsPerUnit => average(r),
        Kpi::ConcentratedDeliveryRate | Kpi::ZeroDefectDeliveryRate => percent(r),
    }
}

/// The ratio of `kpi` among the three of a row.
pub fn ratio_of(row: &super::breakdown::KpiRow, kpi: Kpi) -> &Ratio {
    match kpi {
        Kpi::ConcentratedDeliveryRate => &row.concentrated_delivery_rate,
        Kpi::ZeroDefectDeliveryRate => &row.zero_defect_delivery_rate,
        Kpi::AvgDefectsPerUnit => &row.avg_defects_per_unit,
    }
}

/// A building's name as the unit pages write it (`1号楼`, `Building 1`).
pub fn building_name(l: Locale, building: &str) -> String {
    l.fmt1("map.building", "name", building)
}

/// One KPI as shown: its value and the counts behind it, each a link.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The KPI's API name (`data-kpi` in the page).
    pub kpi: &'static str,
    /// Its name.
    pub name: &'static str,
    /// `50.0%`, `0.75` or `—`.
    pub value: String,
    /// Whether there is no value (a zero denominator).
    pub none: bool,
    /// The numerator, as a count in the page's language.
    pub numerator: String,
    /// The denominator, likewise.
    pub denominator: String,
    /// What the numerator and the denominator count, e.g. "周期内交付 / 计划交付（户）".
    pub counts: &'static str,
    /// Where the value and the denominator lead: every unit behind the number.
    pub href: String,
    /// Where the numerator leads: the units that add to it.
    pub numerator_href: String,
}

impl Figure {
    /// `kpi` of ratio `r`, linking to `href` and `numerator_href`.
    pub fn new(l: Locale, kpi: Kpi, r: &Ratio, href: String, numerator_href: String) -> Self {
        Figure {
            kpi: kpi.as_str(),
            name: name(l, kpi),
            value: shown(kpi, r),
            none: r.value.is_none(),
            numerator: l.count(r.numerator),
            denominator: l.count(r.denominator),
            counts: l.t(&format!("kpis.counts.{}", kpi.as_str())),
            href,
            numerator_href,
        }
    }

    /// The three KPIs of one batch's (or one building's) units, each linking to its
    /// drill-down under `filter`.
    pub fn of_batch(
        l: Locale,
        batch: Uuid,
        row: &super::breakdown::KpiRow,
        filter: &Filter,
    ) -> Vec<Figure> {
        Kpi::ALL
            .into_iter()
            .map(|kpi| {
                let only = Filter {
                    numerator_only: true,
                    ..filter.clone()
                };
                Figure::new(
                    l,
                    kpi,
                    ratio_of(row, kpi),
                    filter.href(batch, kpi),
                    only.href(batch, kpi),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_show_as_percentages_and_the_average_with_two_decimals() {
        assert_eq!(
            shown(Kpi::ConcentratedDeliveryRate, &Ratio::of(3, 6)),
            "50.0%"
        );
        assert_eq!(
            shown(Kpi::ZeroDefectDeliveryRate, &Ratio::of(1, 3)),
            "33.3%"
        );
        assert_eq!(shown(Kpi::AvgDefectsPerUnit, &Ratio::of(3, 4)), "0.75");
        assert_eq!(shown(Kpi::ZeroDefectDeliveryRate, &Ratio::of(0, 0)), "—");
    }

    #[test]
    fn every_kpi_has_a_name_and_counts_in_both_languages() {
        for l in [Locale::ZhCn, Locale::En] {
            for kpi in Kpi::ALL {
                assert!(!name(l, kpi).is_empty(), "{kpi:?}");
                let f = Figure::new(l, kpi, &Ratio::of(1, 2), String::new(), String::new());
                assert!(!f.counts.is_empty(), "{kpi:?}");
            }
        }
        assert_eq!(name(Locale::ZhCn, Kpi::AvgDefectsPerUnit), "户均缺陷");
    }
}
