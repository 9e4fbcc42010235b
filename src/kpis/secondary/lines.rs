//! The secondary figures as rows — name, value, what it is counted over — shared by the batch
//! page, the batch report and the workbook, so the three show the same figures the same way.
//! A figure's name is `kpis.sec.{key}` in the catalogs and its definition `kpis.sec_def.{key}`.

use super::{Mean, Secondary};
use crate::kpis::Ratio;

/// How a figure's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A fraction shown as a percent (`78.3%`).
    Rate,
    /// Per unit, two decimals (`1.25`).
    PerUnit,
    /// A mean in days, one decimal.
    Days,
    /// A mean in minutes, whole.
    Minutes,
    /// A count.
    Count,
    /// The NPS, −100 to 100, one decimal.
    Score,
    /// Mean stars, 1–5, one decimal.
    Stars,
}

/// One secondary figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Catalog key stem.
    pub key: &'static str,
    /// How the value reads.
    pub kind: Kind,
    /// The value; `None` when there is nothing to compute it over.
    pub value: Option<f64>,
    /// A rate's numerator, a mean's count of values, a count itself.
    pub numerator: i64,
    /// A rate's denominator (means and counts have none).
    pub denominator: Option<i64>,
}

impl Line {
    fn rate(key: &'static str, kind: Kind, r: &Ratio) -> Self {
        Line {
            key,
            kind,
            value: r.value,
            numerator: r.numerator,
            denominator: Some(r.denominator),
        }
    }

    fn mean(key: &'static str, kind: Kind, m: &Mean) -> Self {
        Line {
            key,
            kind,
            value: m.value,
            numerator: m.count,
            denominator: None,
        }
    }

    fn count(key: &'static str, n: i64) -> Self {
        Line {
            key,
            kind: Kind::Count,
            value: Some(n as f64),
            numerator: n,
            denominator: None,
        }
    }

    /// The value as pages and reports show it: "—" without one.
    pub fn shown(&self) -> String {
        shown(self.kind, self.value)
    }

    /// What the value is counted over: `47/60` for a rate, the count of a mean, "" for a count.
    pub fn over(&self) -> String {
        match (self.kind, self.denominator) {
            (Kind::Count, _) => String::new(),
            (_, Some(d)) => format!("{}/{d}", self.numerator),
            (_, None) => self.numerator.to_string(),
        }
    }
}

/// A value of `kind` as shown: "—" without one.
pub fn shown(kind: Kind, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "—".to_owned();
    };
    match kind {
        Kind::Rate => format!("{:.1}%", v * 100.0),
        Kind::PerUnit => format!("{v:.2}"),
        Kind::Days | Kind::Score | Kind::Stars => format!("{v:.1}"),
        Kind::Minutes => format!("{v:.0}"),
        Kind::Count => format!("{v:.0}"),
    }
}

impl Secondary {
    /// The figures in the order the pages list them.
    pub fn lines(&self) -> Vec<Line> {
        let c = &self.complaints;
        vec![
            Line::rate(
                "self_inspection_coverage",
                Kind::Rate,
                &self.self_inspection_coverage,
            ),
            Line::rate(
                "stage1_defects_per_unit",
                Kind::PerUnit,
                &self.stage1_defects_per_unit,
            ),
            Line::rate(
                "rectification_completion_rate",
                Kind::Rate,
                &self.rectification_completion_rate,
            ),
            Line::rate(
                "on_time_rectification_rate",
                Kind::Rate,
                &self.on_time_rectification_rate,
            ),
            Line::mean(
                "mean_days_to_rectify",
                Kind::Days,
                &self.mean_days_to_rectify,
            ),
            Line::rate(
                "first_time_pass_rate",
                Kind::Rate,
                &self.first_time_pass_rate,
            ),
            Line::rate("refusal_rate", Kind::Rate, &self.refusal_rate),
            Line::count("complaints_received", c.received),
            Line::mean(
                "mean_first_response_minutes",
                Kind::Minutes,
                &c.mean_first_response_minutes,
            ),
            Line::mean(
                "mean_resolution_minutes",
                Kind::Minutes,
                &c.mean_resolution_minutes,
            ),
            Line {
                key: "nps",
                kind: Kind::Score,
                value: self.nps.score,
                numerator: self.nps.responses,
                denominator: None,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpis::secondary::Facts;

    #[test]
    fn an_empty_batch_shows_dashes_never_zero_percent() {
        let s = Secondary::from(Facts::default());
        let lines = s.lines();
        assert_eq!(lines.len(), 11);
        let rate = lines.iter().find(|l| l.key == "refusal_rate").unwrap();
        assert_eq!(rate.shown(), "—");
        assert_eq!(rate.over(), "0/0");
        let nps = lines.iter().find(|l| l.key == "nps").unwrap();
        assert_eq!((nps.shown(), nps.over()), ("—".to_owned(), "0".to_owned()));
        let received = lines.iter().find(|l| l.key == "complaints_received");
        assert_eq!(received.unwrap().shown(), "0");
    }

    #[test]
    fn values_read_as_their_kind() {
        assert_eq!(shown(Kind::Rate, Some(0.7833)), "78.3%");
        assert_eq!(shown(Kind::PerUnit, Some(1.254)), "1.25");
        assert_eq!(shown(Kind::Days, Some(4.318)), "4.3");
        assert_eq!(shown(Kind::Minutes, Some(167.6)), "168");
        assert_eq!(shown(Kind::Score, Some(-12.34)), "-12.3");
    }
}
