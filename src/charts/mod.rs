//! Charts for the pages and the PDF reports, free of any domain: bar charts, Pareto charts and
//! daily line charts. A [`Chart`] is laid out once into positioned [`Shape`]s (in whatever unit
//! the backend works in), then [`svg::render`] writes them as SVG and the PDF layer
//! (`Report::chart`) draws them as vectors.
//!
//! Rates are fractions (0.953 is shown as "95.3%"), as in the KPI API. A missing value is `None`
//! and is never drawn as 0. The caller passes every text already translated, including the
//! message shown when there is nothing to draw.

mod format;
mod layout;
mod scale;
pub mod svg;

pub use format::Format;
pub use layout::{Anchor, Area, Frame, Mark, Rgb, Shape, layout, palette};

/// One labelled bar, optionally a link to the units behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Category (building, trade, contractor, ...).
    pub label: String,
    /// Its value; a non-finite value is treated as missing (no bar, "—").
    pub value: f64,
    /// Where a click on the bar leads (the drill-down).
    pub href: Option<String>,
    /// Text at the end of the bar instead of the formatted value, e.g. "78.3%（47/60）".
    pub value_label: Option<String>,
}

impl Bar {
    /// A bar of `value` labelled `label`.
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Bar {
            label: label.into(),
            value,
            href: None,
            value_label: None,
        }
    }

    /// The same bar linking to `href`.
    pub fn link(mut self, href: impl Into<String>) -> Self {
        self.href = Some(href.into());
        self
    }

    /// The same bar with `text` written at its end instead of the formatted value.
    pub fn value_label(mut self, text: impl Into<String>) -> Self {
        self.value_label = Some(text.into());
        self
    }

    /// The value when it can be drawn.
    fn finite(&self) -> Option<f64> {
        self.value.is_finite().then_some(self.value)
    }
}

/// Which way bars grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// Bars grow to the right, labels on the left: best for long labels and many bars.
    #[default]
    Horizontal,
    /// Bars grow upwards, labels underneath.
    Vertical,
}

/// Bars in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// The bars.
    pub bars: Vec<Bar>,
    /// Which way they grow.
    pub orientation: Orientation,
    /// Whether each bar's value is written at its end.
    pub show_values: bool,
}

impl BarChart {
    /// Bars growing to the right, values written at their ends.
    pub fn horizontal(bars: Vec<Bar>) -> Self {
        BarChart {
            bars,
            orientation: Orientation::Horizontal,
            show_values: true,
        }
    }

    /// Bars growing upwards, values written above them.
    pub fn vertical(bars: Vec<Bar>) -> Self {
        BarChart {
            orientation: Orientation::Vertical,
            ..BarChart::horizontal(bars)
        }
    }

    /// The same chart without the values at the bars' ends.
    pub fn hide_values(mut self) -> Self {
        self.show_values = false;
        self
    }
}

/// Bars sorted from the largest down, with the line of their cumulative share of the total
/// against a right axis in percent (negative values count as 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Pareto {
    /// The bars, largest first (equal values keep the order given).
    pub bars: Vec<Bar>,
    /// Name of the cumulative line in the legend and tooltips, e.g. "累计占比".
    pub cumulative_label: String,
}

impl Pareto {
    /// A Pareto chart of `bars`; the line is called `cumulative_label`.
    pub fn new(mut bars: Vec<Bar>, cumulative_label: impl Into<String>) -> Self {
        for bar in &mut bars {
            bar.value = bar.finite().unwrap_or(0.0).max(0.0);
        }
        bars.sort_by(|a, b| b.value.total_cmp(&a.value));
        Pareto {
            bars,
            cumulative_label: cumulative_label.into(),
        }
    }

    /// Each bar's cumulative share of the total (0–1), in order; empty when the total is 0.
    pub fn cumulative(&self) -> Vec<f64> {
        let total: f64 = self.bars.iter().map(|b| b.value).sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let mut sum = 0.0;
        self.bars
            .iter()
            .map(|b| {
                sum += b.value;
                sum / total
            })
            .collect()
    }
}

/// One line of a [`LineChart`]: a value (or none) per x label.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Name in the legend and tooltips.
    pub name: String,
    /// One per x label; `None` (or a non-finite value) breaks the line.
    pub values: Vec<Option<f64>>,
    /// Where a click on each point leads, by x label.
    pub links: Vec<Option<String>>,
}

impl Series {
    /// A line called `name` through `values`.
    pub fn new(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Series {
            name: name.into(),
            values,
            links: Vec::new(),
        }
    }

    /// The same line whose points link to `links` (by x label).
    pub fn links(mut self, links: Vec<Option<String>>) -> Self {
        self.links = links;
        self
    }

    /// The value at x `i` when it can be drawn.
    fn at(&self, i: usize) -> Option<f64> {
        self.values
            .get(i)
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
    }
}

/// A horizontal reference line, e.g. the 95 % target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Where it is drawn.
    pub value: f64,
    /// Text written at its right end, e.g. "目标 95%".
    pub label: String,
}

/// Lines over labelled x positions (days), one value or none at each.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The x labels, e.g. "12-01".
    pub labels: Vec<String>,
    /// The lines; more than one gets a legend.
    pub series: Vec<Series>,
    /// Whether the y axis runs 0–100 % (values are fractions), whatever the data.
    pub percent_axis: bool,
    /// An optional reference line.
    pub target: Option<Target>,
}

impl LineChart {
    /// Lines over `labels`, no series yet.
    pub fn new(labels: Vec<String>) -> Self {
        LineChart {
            labels,
            series: Vec::new(),
            percent_axis: false,
            target: None,
        }
    }

    /// Adds a line.
    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// A y axis from 0 to 100 % (extended only if a value falls outside).
    pub fn percent_axis(mut self) -> Self {
        self.percent_axis = true;
        self
    }

    /// A dashed reference line at `value`, labelled `label`.
    pub fn target(mut self, value: f64, label: impl Into<String>) -> Self {
        self.target = value.is_finite().then(|| Target {
            value,
            label: label.into(),
        });
        self
    }

    /// Whether any series has a value to draw.
    fn has_values(&self) -> bool {
        self.series
            .iter()
            .any(|s| (0..self.labels.len()).any(|i| s.at(i).is_some()))
    }
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Labelled bars.
    Bar(BarChart),
    /// Sorted bars and their cumulative share.
    Pareto(Pareto),
    /// Lines over days.
    Line(LineChart),
}

impl From<BarChart> for Kind {
    fn from(chart: BarChart) -> Self {
        Kind::Bar(chart)
    }
}

impl From<Pareto> for Kind {
    fn from(chart: Pareto) -> Self {
        Kind::Pareto(chart)
    }
}

impl From<LineChart> for Kind {
    fn from(chart: LineChart) -> Self {
        Kind::Line(chart)
    }
}

/// A chart with its accessible title, value format and the message shown when it is empty.
#[derive(Debug, Clone)]
pub struct Chart {
    /// What the chart shows, for screen readers (`aria-label`); the page's heading says it too.
    pub title: String,
    /// How values and the value axis are written (the Pareto's right axis is always percent).
    pub format: Format,
    /// Drawn instead of the chart when there is nothing to draw, e.g. "暂无数据".
    pub no_data: String,
    /// The chart itself.
    pub kind: Kind,
}

impl Chart {
    /// A chart titled `title` whose values are written as `format`; `no_data` is shown when
    /// it has nothing to draw.
    pub fn new(
        title: impl Into<String>,
        format: Format,
        no_data: impl Into<String>,
        kind: impl Into<Kind>,
    ) -> Self {
        Chart {
            title: title.into(),
            format,
            no_data: no_data.into(),
            kind: kind.into(),
        }
    }

    /// Whether there is nothing to draw (no bars, only zeros in a Pareto, no line values).
    pub fn is_empty(&self) -> bool {
        match &self.kind {
            Kind::Bar(c) => c.bars.is_empty(),
            Kind::Pareto(c) => c.cumulative().is_empty(),
            Kind::Line(c) => !c.has_values(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pareto_sorts_largest_first_and_accumulates_to_one() {
        let chart = Pareto::new(
            vec![
                Bar::new("门窗", 2.0),
                Bar::new("墙面", 5.0),
                Bar::new("水电", 3.0),
                Bar::new("负数", -4.0),
                Bar::new("无效", f64::NAN),
            ],
            "累计占比",
        );
        let labels: Vec<&str> = chart.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["墙面", "水电", "门窗", "负数", "无效"]);
        assert_eq!(chart.cumulative(), [0.5, 0.8, 1.0, 1.0, 1.0]);
        assert!(
            Pareto::new(vec![Bar::new("a", 0.0)], "x")
                .cumulative()
                .is_empty()
        );
    }

    #[test]
    fn empty_charts_are_recognised() {
        let empty = |kind: Kind| Chart::new("t", Format::Integer, "暂无数据", kind).is_empty();
        assert!(empty(BarChart::vertical(Vec::new()).into()));
        assert!(!empty(BarChart::vertical(vec![Bar::new("a", 0.0)]).into()));
        assert!(empty(Pareto::new(vec![Bar::new("a", 0.0)], "累计").into()));
        let days = vec!["12-01".to_owned(), "12-02".to_owned()];
        assert!(empty(LineChart::new(days.clone()).into()));
        assert!(empty(
            LineChart::new(days.clone())
                .series(Series::new("率", vec![None, Some(f64::NAN)]))
                .into()
        ));
        assert!(!empty(
            LineChart::new(days)
                .series(Series::new("率", vec![None, Some(0.0)]))
                .into()
        ));
    }
}
