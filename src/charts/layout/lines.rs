//! Line charts: one line per series over the x labels, broken where a value is missing.

use super::{Ctx, LINE_WIDTH, Rgb, TARGET_WIDTH, palette};
use crate::charts::LineChart;
use crate::charts::scale::Ticks;

impl Ctx<'_> {
    /// Lines over the x labels, each broken where a value is missing, and the target line.
    pub(super) fn lines(&mut self, chart: &LineChart) {
        let (line, pad) = (self.line(), self.pad());
        let n = chart.labels.len();
        let mut values: Vec<f64> = chart
            .series
            .iter()
            .flat_map(|s| (0..n).filter_map(move |i| s.at(i)))
            .collect();
        values.extend(chart.target.as_ref().map(|t| t.value));
        if chart.percent_axis {
            values.push(1.0);
        }
        let ticks = Ticks::cover(values, self.format.min_step());
        let left = self.tick_texts(&ticks, self.format);
        let x0 = self.widest(&left) + pad;
        let x1 = (self.width - pad).max(x0 + 1.0);
        // The lines are named when there are several; the target always is (in the legend,
        // where it cannot collide with the data).
        let mut items: Vec<(&str, Rgb, bool)> = Vec::new();
        if chart.series.len() > 1 {
            items.extend(
                (chart.series.iter().enumerate())
                    .map(|(i, s)| (s.name.as_str(), series_color(i), false)),
            );
        }
        items.extend(
            chart
                .target
                .as_ref()
                .map(|t| (t.label.as_str(), palette::MUTED, true)),
        );
        let mut y0 = pad;
        if !items.is_empty() {
            self.legend(&items);
            y0 += line;
        }
        let y1 = (self.height - line).max(y0 + 1.0);
        self.value_axis(&ticks, left, (x0, x1), (y0, y1));
        let labels: Vec<&str> = chart.labels.iter().map(String::as_str).collect();
        self.categories(&labels, (x0, x1), y1);
        if let Some(target) = &chart.target {
            let y = ticks.position(target.value, y1, y0);
            self.polyline(vec![(x0, y), (x1, y)], TARGET_WIDTH, palette::MUTED, true);
        }

        let band = (x1 - x0) / n as f32;
        for (j, series) in chart.series.iter().enumerate() {
            let color = series_color(j);
            let points: Vec<Option<(f32, f32)>> = (0..n)
                .map(|i| {
                    let v = series.at(i)?;
                    Some((x0 + band * (i as f32 + 0.5), ticks.position(v, y1, y0)))
                })
                .collect();
            for run in points.split(Option::is_none) {
                if run.len() > 1 {
                    self.polyline(
                        run.iter().flatten().copied().collect(),
                        LINE_WIDTH,
                        color,
                        false,
                    );
                }
            }
            for (i, point) in points.iter().enumerate() {
                let (Some((x, y)), Some(v)) = (point, series.at(i)) else {
                    continue;
                };
                let tip = if chart.series.len() > 1 {
                    format!(
                        "{} {}: {}",
                        chart.labels[i],
                        series.name,
                        self.format.value(v)
                    )
                } else {
                    format!("{}: {}", chart.labels[i], self.format.value(v))
                };
                let href = series.links.get(i).cloned().flatten();
                self.dot(*x, *y, color, tip, href, band);
            }
        }
    }
}

/// The colour of the `i`-th line.
fn series_color(i: usize) -> Rgb {
    palette::SERIES[i % palette::SERIES.len()]
}
