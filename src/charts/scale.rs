//! Value axes: "nice" ticks 1, 2 or 5 × 10ⁿ apart covering the data, and the mapping from
//! values to positions.

/// About this many intervals between ticks.
const INTERVALS: f64 = 5.0;

/// A value axis: its ticks, from the lowest to the highest, evenly `step` apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// Tick values, lowest first; the first and last are the axis's ends.
    pub values: Vec<f64>,
    /// Distance between two ticks.
    pub step: f64,
}

impl Ticks {
    /// Ticks covering `values` and 0, at least `min_step` apart (0 for no minimum).
    pub fn cover(values: impl IntoIterator<Item = f64>, min_step: f64) -> Self {
        let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        Self::span(lo, hi, min_step)
    }

    /// Ticks from at most `lo` to at least `hi`.
    fn span(lo: f64, hi: f64, min_step: f64) -> Self {
        let range = hi - lo;
        if !range.is_finite() {
            return Self::span(0.0, 1.0, min_step);
        }
        if range <= 0.0 {
            // Only zeros (the data always spans 0): an axis from 0 to 1.
            return Self::span(lo, lo + 1.0, min_step);
        }
        let min_step = if min_step > 0.0 {
            min_step
        } else {
            f64::MIN_POSITIVE
        };
        let raw = range / INTERVALS;
        let step = nice(raw.max(min_step));
        let first = (lo / step).floor();
        let mut last = (hi / step).ceil();
        if last <= first {
            last = first + 1.0;
        }
        let values = (0..=(last - first) as usize)
            .map(|i| clean((first + i as f64) * step, step))
            .collect();
        Ticks { values, step }
    }

    /// The lowest value on the axis.
    pub fn min(&self) -> f64 {
        self.values.first().copied().unwrap_or(0.0)
    }

    /// The highest value on the axis.
    pub fn max(&self) -> f64 {
        self.values.last().copied().unwrap_or(1.0)
    }

    /// Where `value` falls between `start` (the axis's minimum) and `end` (its maximum), the
    /// value clamped to the axis.
    pub fn position(&self, value: f64, start: f32, end: f32) -> f32 {
        let (min, max) = (self.min(), self.max());
        let t = if max > min {
            ((value - min) / (max - min)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        start + (end - start) * t as f32
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at least `raw` (which is positive and finite).
fn nice(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        // Floating point: 0.3 / 0.1 must not ask for 2 × 0.1 ... let a hair's excess pass.
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// `value` rounded to the precision of `step` (0.30000000000000004 → 0.3).
fn clean(value: f64, step: f64) -> f64 {
    let scale = 10f64.powi(decimals(step) as i32);
    (value * scale).round() / scale
}

/// Decimals needed to write multiples of `step` (a 1-2-5 step): 0.05 → 2, 20 → 0.
pub fn decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    (-(step.log10() + 1e-9).floor()).max(0.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_one_two_five_steps_covering_the_data_and_zero() {
        let t = Ticks::cover([3.0, 47.0], 1.0);
        assert_eq!(t.values, [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(t.step, 10.0);

        let t = Ticks::cover([0.12, 0.953], 0.001);
        assert_eq!(t.values, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);

        let t = Ticks::cover([1234.0], 1.0);
        assert_eq!(t.values, [0.0, 500.0, 1000.0, 1500.0]);

        let t = Ticks::cover([-3.0, 7.0], 1.0);
        assert_eq!(t.values.first(), Some(&-4.0));
        assert_eq!(t.values.last(), Some(&8.0));
        assert_eq!(t.step, 2.0);
    }

    #[test]
    fn counts_never_get_fractional_ticks() {
        let t = Ticks::cover([2.0], 1.0);
        assert_eq!(t.values, [0.0, 1.0, 2.0]);
        let t = Ticks::cover([2.0], 0.0);
        assert_eq!(t.step, 0.5);
    }

    #[test]
    fn flat_or_empty_data_still_gives_an_axis() {
        for t in [
            Ticks::cover([], 1.0),
            Ticks::cover([0.0, 0.0], 1.0),
            Ticks::cover([0.0], 0.0),
            Ticks::cover([f64::NAN, f64::INFINITY], 0.001),
            Ticks::cover([f64::MAX, -f64::MAX], 1.0),
        ] {
            assert!(t.values.len() >= 2, "{t:?}");
            assert!(t.max() > t.min(), "{t:?}");
            assert!(t.values.iter().all(|v| v.is_finite()), "{t:?}");
        }
    }

    #[test]
    fn tick_values_are_clean_decimals() {
        let t = Ticks::cover([0.3], 0.0);
        assert!(t.values.contains(&0.3), "{t:?}");
        assert_eq!(decimals(0.05), 2);
        assert_eq!(decimals(0.1), 1);
        assert_eq!(decimals(1.0), 0);
        assert_eq!(decimals(20.0), 0);
    }

    #[test]
    fn positions_map_linearly_and_clamp() {
        let t = Ticks::cover([100.0], 1.0);
        assert_eq!(t.position(0.0, 200.0, 0.0), 200.0);
        assert_eq!(t.position(50.0, 200.0, 0.0), 100.0);
        assert_eq!(t.position(100.0, 200.0, 0.0), 0.0);
        assert_eq!(t.position(500.0, 200.0, 0.0), 0.0);
    }
}
