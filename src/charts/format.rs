//! How values and axis ticks are written: percentages with one decimal, whole numbers (with or
//! without thousands separators), two decimals, or the caller's own function.

use std::fmt;
use std::sync::Arc;

use super::scale;

/// How values and axis ticks are written.
#[derive(Clone)]
pub enum Format {
    /// A fraction as a percentage with one decimal: 0.7834 → "78.3%".
    Percent,
    /// A whole number: 1234.0 → "1234".
    Integer,
    /// A whole number with thousands separators (English pages): 1234.0 → "1,234".
    GroupedInteger,
    /// Two decimals: 1.5 → "1.50".
    Decimal2,
    /// The caller's own formatting, used for values and ticks alike.
    Custom(Arc<dyn Fn(f64) -> String + Send + Sync>),
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Percent => f.write_str("Percent"),
            Format::Integer => f.write_str("Integer"),
            Format::GroupedInteger => f.write_str("GroupedInteger"),
            Format::Decimal2 => f.write_str("Decimal2"),
            Format::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Format {
    /// `value` written in full (labels and tooltips).
    pub fn value(&self, value: f64) -> String {
        match self {
            Format::Percent => format!("{}%", fixed(value * 100.0, 1)),
            Format::Integer => fixed(value, 0),
            Format::GroupedInteger => grouped(&fixed(value, 0)),
            Format::Decimal2 => fixed(value, 2),
            Format::Custom(f) => f(value),
        }
    }

    /// An axis tick at `value` on an axis whose ticks are `step` apart: only the decimals the
    /// step needs ("20%", not "20.0%").
    pub(crate) fn tick(&self, value: f64, step: f64) -> String {
        let decimals = |scale: f64| scale::decimals(step * scale);
        match self {
            Format::Percent => format!("{}%", fixed(value * 100.0, decimals(100.0).min(1))),
            Format::Integer => fixed(value, 0),
            Format::GroupedInteger => grouped(&fixed(value, 0)),
            Format::Decimal2 => fixed(value, decimals(1.0).min(2)),
            Format::Custom(f) => f(value),
        }
    }

    /// The smallest sensible distance between two ticks (no "0.5" on an axis of counts).
    pub(crate) fn min_step(&self) -> f64 {
        match self {
            Format::Percent => 0.001,
            Format::Integer | Format::GroupedInteger => 1.0,
            Format::Decimal2 => 0.01,
            Format::Custom(_) => 0.0,
        }
    }
}

/// `value` with `decimals` decimals, never "-0".
fn fixed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_owned()
    } else {
        text
    }
}

/// "1234567" → "1,234,567" (the sign and any decimals kept).
fn grouped(number: &str) -> String {
    let (sign, digits) = number
        .strip_prefix('-')
        .map_or(("", number), |rest| ("-", rest));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_formatted_as_asked() {
        assert_eq!(Format::Percent.value(0.7834), "78.3%");
        assert_eq!(Format::Percent.value(1.0), "100.0%");
        assert_eq!(Format::Percent.value(-0.00001), "0.0%");
        assert_eq!(Format::Integer.value(1234.4), "1234");
        assert_eq!(Format::GroupedInteger.value(1_234_567.0), "1,234,567");
        assert_eq!(Format::GroupedInteger.value(-1234.0), "-1,234");
        assert_eq!(Format::GroupedInteger.value(999.0), "999");
        assert_eq!(Format::Decimal2.value(1.5), "1.50");
        let custom = Format::Custom(Arc::new(|v| format!("{v} 天")));
        assert_eq!(custom.value(3.0), "3 天");
    }

    #[test]
    fn ticks_carry_only_the_decimals_their_step_needs() {
        assert_eq!(Format::Percent.tick(0.2, 0.2), "20%");
        assert_eq!(Format::Percent.tick(0.955, 0.005), "95.5%");
        assert_eq!(Format::Decimal2.tick(1.5, 0.5), "1.5");
        assert_eq!(Format::Decimal2.tick(2.0, 1.0), "2");
        assert_eq!(Format::GroupedInteger.tick(5000.0, 1000.0), "5,000");
    }
}
