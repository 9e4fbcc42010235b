//! Bar charts, horizontal and vertical, and the Pareto chart (columns and their cumulative line).

use super::{AXIS_WIDTH, Anchor, Area, Ctx, GRID_WIDTH, LINE_WIDTH, Mark, Shape, palette};
use crate::charts::scale::Ticks;
use crate::charts::{Bar, BarChart, Format, Pareto};

impl Ctx<'_> {
    /// The tooltip of a bar: "label: value".
    fn bar_tip(&self, bar: &Bar) -> String {
        format!("{}: {}", bar.label, self.bar_value(bar))
    }

    /// What is written at a bar's end.
    fn bar_value(&self, bar: &Bar) -> String {
        match (&bar.value_label, bar.finite()) {
            (Some(text), _) => text.clone(),
            (None, Some(v)) => self.format.value(v),
            (None, None) => "—".to_owned(),
        }
    }

    /// Horizontal bars: labels on the left, values at the bars' ends, value ticks underneath.
    pub(super) fn horizontal(&mut self, chart: &BarChart) {
        let (line, pad) = (self.line(), self.pad());
        let ticks = Ticks::cover(
            chart.bars.iter().filter_map(Bar::finite),
            self.format.min_step(),
        );
        let tick_texts = self.tick_texts(&ticks, self.format);
        let values: Vec<String> = chart.bars.iter().map(|b| self.bar_value(b)).collect();
        let label_w = self
            .widest(chart.bars.iter().map(|b| &b.label))
            .min(self.width * 0.35);
        let value_w = if chart.show_values {
            (self.widest(&values) + pad).min(self.width * 0.3)
        } else {
            0.0
        };
        let last_tick = tick_texts.last().map_or(0.0, |t| self.measure(t) / 2.0);
        let x0 = label_w + pad;
        let x1 = (self.width - value_w.max(last_tick)).max(x0 + 1.0);
        let (y0, y1) = (0.0, (self.height - line).max(1.0));
        for (v, text) in ticks.values.iter().zip(tick_texts) {
            let x = ticks.position(*v, x0, x1);
            self.polyline(vec![(x, y0), (x, y1)], GRID_WIDTH, palette::GRID, false);
            self.text(x, y1 + line / 2.0, text, Anchor::Middle, palette::MUTED);
        }
        let zero = ticks.position(0.0, x0, x1);
        self.polyline(
            vec![(zero, y0), (zero, y1)],
            AXIS_WIDTH,
            palette::AXIS,
            false,
        );

        let band = (y1 - y0) / chart.bars.len() as f32;
        let thickness = (band * 0.7).min(self.font * 1.6);
        let every = (line / band).ceil().max(1.0) as usize;
        for (i, (bar, value)) in chart.bars.iter().zip(values).enumerate() {
            let cy = y0 + band * (i as f32 + 0.5);
            let end = bar.finite().map_or(zero, |v| ticks.position(v, x0, x1));
            let hit = Area {
                x: 0.0,
                y: cy - band / 2.0,
                w: self.width,
                h: band,
            };
            self.bar(
                bar,
                zero.min(end),
                cy - thickness / 2.0,
                (end - zero).abs(),
                thickness,
                hit,
            );
            if i % every == 0 {
                let label = self.fit(&bar.label, label_w);
                self.text(x0 - pad, cy, label, Anchor::End, palette::TEXT);
                if chart.show_values {
                    let value = self.fit(&value, value_w);
                    self.text(
                        zero.max(end) + pad / 2.0,
                        cy,
                        value,
                        Anchor::Start,
                        palette::TEXT,
                    );
                }
            }
        }
    }

    /// A bar in the accent colour with its tooltip and link.
    fn bar(&mut self, bar: &Bar, x: f32, y: f32, w: f32, h: f32, hit: Area) {
        self.shapes.push(Shape::Rect {
            area: Area { x, y, w, h },
            color: palette::ACCENT,
            mark: Some(Mark {
                tip: self.bar_tip(bar),
                href: bar.href.clone(),
                hit,
            }),
        });
    }

    /// Vertical bars (columns), values above them; with `pareto`, also its cumulative line
    /// against a right axis in percent.
    pub(super) fn columns(&mut self, bars: &[Bar], show_values: bool, pareto: Option<&Pareto>) {
        let (line, pad) = (self.line(), self.pad());
        let ticks = Ticks::cover(bars.iter().filter_map(Bar::finite), self.format.min_step());
        let left = self.tick_texts(&ticks, self.format);
        let shares = Ticks::cover([1.0], Format::Percent.min_step());
        let right = self.tick_texts(&shares, &Format::Percent);
        let x0 = self.widest(&left) + pad;
        let x1 = match pareto {
            Some(_) => self.width - self.widest(&right) - pad,
            None => self.width - pad,
        }
        .max(x0 + 1.0);
        let mut y0 = if show_values { line } else { pad };
        if let Some(p) = pareto {
            self.legend(&[(p.cumulative_label.as_str(), palette::ORANGE, false)]);
            y0 += line;
        }
        let y1 = (self.height - line).max(y0 + 1.0);
        self.value_axis(&ticks, left, (x0, x1), (y0, y1));
        if pareto.is_some() {
            for (v, text) in shares.values.iter().zip(right) {
                let y = shares.position(*v, y1, y0);
                self.text(x1 + pad / 2.0, y, text, Anchor::Start, palette::MUTED);
            }
        }

        let band = (x1 - x0) / bars.len() as f32;
        let thickness = (band * 0.65).min(self.font * 3.0);
        let zero = ticks.position(0.0, y1, y0);
        let values: Vec<String> = bars.iter().map(|b| self.bar_value(b)).collect();
        let show_values = show_values && self.widest(&values) <= band;
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        self.categories(&labels, (x0, x1), y1);
        for (i, (bar, value)) in bars.iter().zip(values).enumerate() {
            let cx = x0 + band * (i as f32 + 0.5);
            let top = bar.finite().map_or(zero, |v| ticks.position(v, y1, y0));
            let hit = Area {
                x: cx - band / 2.0,
                y: y0,
                w: band,
                h: y1 - y0,
            };
            self.bar(
                bar,
                cx - thickness / 2.0,
                top.min(zero),
                thickness,
                (zero - top).abs(),
                hit,
            );
            if show_values {
                self.text(
                    cx,
                    top.min(zero) - line / 2.0,
                    value,
                    Anchor::Middle,
                    palette::TEXT,
                );
            }
        }
        if let Some(p) = pareto {
            let points: Vec<(String, f32, f32)> = p
                .cumulative()
                .into_iter()
                .zip(bars)
                .enumerate()
                .map(|(i, (share, bar))| {
                    let tip = format!(
                        "{}: {} {}",
                        bar.label,
                        p.cumulative_label,
                        Format::Percent.value(share)
                    );
                    let x = x0 + band * (i as f32 + 0.5);
                    (tip, x, shares.position(share, y1, y0))
                })
                .collect();
            let path = points.iter().map(|&(_, x, y)| (x, y)).collect();
            self.polyline(path, LINE_WIDTH, palette::ORANGE, false);
            for (tip, x, y) in points {
                self.dot(x, y, palette::ORANGE, tip, None, band);
            }
        }
    }
}
