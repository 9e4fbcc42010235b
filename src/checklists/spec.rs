//! Measured items: the tolerance of an item and the rule that judges its points.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Check};

/// Units a measured item may be recorded in.
pub const UNITS: [&str; 8] = ["mm", "m", "MPa", "‰", "N", "mA", "s", "%"];

/// Most points one measured item may have.
pub const MAX_POINTS: u32 = 50;

/// Slack when comparing a point with a bound, so `6.0` is not beyond `4 × 1.5`.
const EPS: f64 = 1e-9;

/// The tolerance of a measured item and how its points are judged.
///
/// A point is *within* when it lies in `[lower, upper]` (an absent bound is open). The item
/// passes when at least `pass_rate` of its points are within and no point lies beyond
/// `max_factor` × the tolerance (GB 50209-2010 §3.0.22: 80 % and 1.5×). The factor moves each
/// bound away from zero by `(max_factor − 1) × |bound|`: upper 4 mm with 1.5 allows no point over
/// 6 mm, lower −20 mm none under −30 mm. Absolute minimums (栏杆净高 ≥ 1.05 m) carry rate 1.0
/// and factor 1.0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeasuredSpec {
    /// Unit of the values (one of [`UNITS`]).
    pub unit: String,
    /// Smallest value within tolerance; `None` = no lower bound.
    pub lower: Option<f64>,
    /// Largest value within tolerance; `None` = no upper bound.
    pub upper: Option<f64>,
    /// Points to measure (per room or per item, as the method says).
    pub points: u32,
    /// Share of points that must be within tolerance, `0 < rate ≤ 1` (0.8 = 80 %).
    pub pass_rate: f64,
    /// No point may lie beyond this multiple of the tolerance, `≥ 1`.
    pub max_factor: f64,
}

/// What the points of a measured item came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Judgement {
    /// Points within tolerance.
    pub within: usize,
    /// Points measured.
    pub total: usize,
    /// Whether the item passes.
    pub passed: bool,
    /// Whether some point lies beyond `max_factor` × the tolerance (or is not a number).
    pub hard_fail: bool,
}

impl MeasuredSpec {
    /// The bounds no point may cross: each bound moved away from zero by the factor.
    pub fn hard_limits(&self) -> (Option<f64>, Option<f64>) {
        let widen = self.max_factor - 1.0;
        (
            self.lower.map(|l| l - widen * l.abs()),
            self.upper.map(|u| u + widen * u.abs()),
        )
    }

    fn inside(p: f64, lower: Option<f64>, upper: Option<f64>) -> bool {
        // Written so that NaN is never inside.
        p.is_finite() && lower.is_none_or(|l| p >= l - EPS) && upper.is_none_or(|u| p <= u + EPS)
    }

    /// Whether one point is within tolerance.
    pub fn within(&self, point: f64) -> bool {
        Self::inside(point, self.lower, self.upper)
    }

    /// Judges the measured points: empty points never pass.
    pub fn judge(&self, points: &[f64]) -> Judgement {
        let (hard_lower, hard_upper) = self.hard_limits();
        let total = points.len();
        let within = points.iter().filter(|p| self.within(**p)).count();
        let hard_fail = points
            .iter()
            .any(|p| !Self::inside(*p, hard_lower, hard_upper));
        // Integer comparison in parts per million: exactly 80 % passes, whatever 0.8 is in binary.
        let rate_ppm = (self.pass_rate.clamp(0.0, 1.0) * 1e6).round() as u64;
        let enough = within as u64 * 1_000_000 >= rate_ppm * total as u64;
        Judgement {
            within,
            total,
            passed: total > 0 && enough && !hard_fail,
            hard_fail,
        }
    }

    /// Checks the definition; fields are named `{prefix}unit`, `{prefix}upper`, ...
    pub fn check(&self, prefix: &str, c: Check) -> Check {
        let f = |name: &str| format!("{prefix}{name}");
        let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
        c.when(self.unit.trim().is_empty(), &f("unit"), "required")
            .when(
                !self.unit.trim().is_empty() && !UNITS.contains(&self.unit.trim()),
                &f("unit"),
                "invalid",
            )
            .when(!finite(self.lower), &f("lower"), "invalid")
            .when(!finite(self.upper), &f("upper"), "invalid")
            .when(
                self.lower.is_none() && self.upper.is_none(),
                &f("upper"),
                "bound_required",
            )
            .when(
                matches!((self.lower, self.upper), (Some(l), Some(u)) if l > u),
                &f("lower"),
                "lower_above_upper",
            )
            .when(
                !(1..=MAX_POINTS).contains(&self.points),
                &f("points"),
                "out_of_range",
            )
            .when(
                !(self.pass_rate > 0.0 && self.pass_rate <= 1.0),
                &f("pass_rate"),
                "out_of_range",
            )
            .when(
                !(self.max_factor.is_finite() && self.max_factor >= 1.0),
                &f("max_factor"),
                "out_of_range",
            )
    }

    /// Checks measured points before judging them: 1..=50 finite numbers.
    pub fn check_points(points: &[f64], field: &str) -> Result<(), AppError> {
        Check::default()
            .when(points.is_empty(), field, "required")
            .when(points.len() > MAX_POINTS as usize, field, "too_long")
            .when(points.iter().any(|p| !p.is_finite()), field, "invalid")
            .done()
    }

    /// The tolerance as shown: `≤ 4 mm`, `≥ −20 mm`, `±10 mm`, `−5 ~ +8 mm`.
    pub fn tolerance(&self) -> String {
        let unit = &self.unit;
        match (self.lower, self.upper) {
            (Some(l), Some(u)) if l < 0.0 && (l + u).abs() < EPS => format!("±{} {unit}", num(u)),
            (Some(l), Some(u)) if l < 0.0 || u < 0.0 => {
                format!(
                    "{} ~ {}{} {unit}",
                    num(l),
                    if u > 0.0 { "+" } else { "" },
                    num(u)
                )
            }
            (Some(l), Some(u)) => format!("{} ~ {} {unit}", num(l), num(u)),
            (Some(l), None) => format!("≥ {} {unit}", num(l)),
            (None, Some(u)) => format!("≤ {} {unit}", num(u)),
            (None, None) => String::new(),
        }
    }
}

/// A number as shown in a tolerance: shortest form, real minus sign.
pub fn num(v: f64) -> String {
    if v < 0.0 {
        format!("−{}", -v)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(lower: Option<f64>, upper: Option<f64>, rate: f64, factor: f64) -> MeasuredSpec {
        MeasuredSpec {
            unit: "mm".into(),
            lower,
            upper,
            points: 5,
            pass_rate: rate,
            max_factor: factor,
        }
    }

    fn plaster() -> MeasuredSpec {
        spec(None, Some(4.0), 0.8, 1.5)
    }

    #[test]
    fn four_of_five_within_is_exactly_80_percent_and_passes() {
        let j = plaster().judge(&[1.0, 2.0, 4.0, 3.0, 5.0]);
        assert_eq!(
            (j.within, j.total, j.passed, j.hard_fail),
            (4, 5, true, false)
        );
    }

    #[test]
    fn three_of_five_within_fails() {
        let j = plaster().judge(&[1.0, 2.0, 3.0, 5.0, 5.5]);
        assert_eq!((j.within, j.passed, j.hard_fail), (3, false, false));
    }

    #[test]
    fn rates_that_are_not_exact_in_binary_compare_exactly() {
        // 0.7 * 10 is 7.000000000000001 in floating point; 7 of 10 must still pass.
        let s = spec(None, Some(4.0), 0.7, 1.5);
        let pts = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 5.0, 5.0];
        assert!(s.judge(&pts).passed);
        assert!(!s.judge(&pts[1..]).passed, "6 of 9 is below 70 %");
        let s = spec(None, Some(4.0), 1.0 / 3.0, 1.5);
        assert!(s.judge(&[1.0, 5.0, 5.0]).passed);
    }

    #[test]
    fn a_point_at_exactly_the_factor_passes_and_just_over_fails() {
        assert!(plaster().judge(&[1.0, 1.0, 1.0, 1.0, 6.0]).passed);
        let j = plaster().judge(&[1.0, 1.0, 1.0, 1.0, 6.0001]);
        assert!(!j.passed && j.hard_fail);
        // Decimal bounds whose product is not exact in binary.
        let s = spec(None, Some(0.3), 0.8, 1.5);
        assert!(s.judge(&[0.1, 0.1, 0.1, 0.1, 0.45]).passed);
        assert!(s.within(0.30000000001 - 1e-11));
    }

    #[test]
    fn asymmetric_bounds_scale_each_side() {
        let s = spec(Some(-5.0), Some(8.0), 0.8, 1.5);
        assert_eq!(s.hard_limits(), (Some(-7.5), Some(12.0)));
        assert!(s.judge(&[0.0, -5.0, 8.0, 1.0, 12.0]).passed);
        assert!(s.judge(&[0.0, -5.0, 8.0, 1.0, -7.5]).passed);
        assert!(!s.judge(&[0.0, -5.0, 8.0, 1.0, -7.6]).passed);
        assert!(!s.judge(&[0.0, -5.0, 8.0, -6.0, 9.0]).passed, "3 of 5");
        assert_eq!(s.tolerance(), "−5 ~ +8 mm");
        assert_eq!(
            spec(Some(-10.0), Some(10.0), 0.8, 1.5).tolerance(),
            "±10 mm"
        );
    }

    #[test]
    fn lower_only_items() {
        // 室内净高偏差 ≥ −20 mm, factor 1.5 → nothing under −30.
        let s = spec(Some(-20.0), None, 0.8, 1.5);
        assert!(s.judge(&[-20.0, 35.0, -25.0, 0.0, 1.0]).passed);
        assert!(s.judge(&[-30.0, 0.0, 0.0, 0.0, 0.0]).passed);
        assert!(!s.judge(&[-30.01, 0.0, 0.0, 0.0, 0.0]).passed);
        assert_eq!(s.tolerance(), "≥ −20 mm");
        // 栏杆净高 ≥ 1.05 m is absolute: rate 1.0, factor 1.0.
        let rail = MeasuredSpec {
            unit: "m".into(),
            ..spec(Some(1.05), None, 1.0, 1.0)
        };
        assert!(rail.judge(&[1.05, 1.10]).passed);
        assert!(!rail.judge(&[1.05, 1.049]).passed);
        assert_eq!(rail.tolerance(), "≥ 1.05 m");
    }

    #[test]
    fn empty_and_non_numbers_never_pass() {
        let j = plaster().judge(&[]);
        assert!(!j.passed && j.total == 0);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let j = plaster().judge(&[1.0, 1.0, 1.0, 1.0, 1.0, bad]);
            assert!(!j.passed && j.hard_fail, "{bad}");
        }
        let e = MeasuredSpec::check_points(&[1.0, f64::NAN], "points").unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref f) if f[0].code == "invalid"));
        assert!(MeasuredSpec::check_points(&[], "points").is_err());
        assert!(MeasuredSpec::check_points(&[f64::INFINITY], "points").is_err());
        assert!(MeasuredSpec::check_points(&[0.0; 51], "points").is_err());
        assert!(MeasuredSpec::check_points(&[0.0; 50], "points").is_ok());
    }
}
