//! Laying a chart out once into positioned shapes, in the backend's own unit (SVG user units,
//! PDF millimetres): each backend only has to emit rectangles, polylines, dots and text.

use super::scale::Ticks;
use super::{Chart, Format, Kind, Orientation};

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The palette of the pages' CSS (`templates/static/app.css`).
pub mod palette {
    use super::Rgb;

    /// Text (`--fg`).
    pub const TEXT: Rgb = Rgb(0x1f, 0x23, 0x29);
    /// Axis labels and notes (`--muted`).
    pub const MUTED: Rgb = Rgb(0x64, 0x6a, 0x73);
    /// Grid lines (`--line`).
    pub const GRID: Rgb = Rgb(0xde, 0xe0, 0xe3);
    /// The zero line.
    pub const AXIS: Rgb = Rgb(0x9a, 0xa0, 0xa6);
    /// Bars and the first line (`--accent`).
    pub const ACCENT: Rgb = Rgb(0x1f, 0x6f, 0xeb);
    /// The Pareto's cumulative line and the second line.
    pub const ORANGE: Rgb = Rgb(0xf0, 0x8c, 0x00);
    /// Further lines, in order.
    pub const SERIES: [Rgb; 5] = [
        ACCENT,
        ORANGE,
        Rgb(0x0b, 0x6b, 0x2c),
        Rgb(0x8e, 0x44, 0xad),
        MUTED,
    ];
}

/// The box a chart is laid out in, and its text size, all in the backend's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
    /// Text size (line widths and gaps are proportional to it).
    pub font: f32,
}

/// A rectangle: top-left corner, width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Left.
    pub x: f32,
    /// Top.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// What a bar or point says when hovered and where it leads when clicked.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Tooltip text, e.g. "3栋: 78.3%".
    pub tip: String,
    /// The drill-down link.
    pub href: Option<String>,
    /// The area that reacts (the whole row or column, so a short bar is easy to tap).
    pub hit: Area,
}

/// Where a text line is anchored horizontally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// `x` is its left end.
    Start,
    /// `x` is its middle.
    Middle,
    /// `x` is its right end.
    End,
}

/// A positioned drawing primitive (y grows downwards).
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A filled rectangle (a bar; may be zero-sized for a zero or missing value).
    Rect {
        /// Where.
        area: Area,
        /// Fill.
        color: Rgb,
        /// Tooltip and link of a bar.
        mark: Option<Mark>,
    },
    /// A filled circle (a point of a line).
    Dot {
        /// Centre.
        x: f32,
        /// Centre.
        y: f32,
        /// Radius.
        r: f32,
        /// Fill.
        color: Rgb,
        /// Tooltip and link of the point.
        mark: Option<Mark>,
    },
    /// An open polyline.
    Line {
        /// Its points, two or more.
        points: Vec<(f32, f32)>,
        /// Thickness.
        width: f32,
        /// Colour.
        color: Rgb,
        /// Whether it is dashed (reference lines).
        dashed: bool,
    },
    /// One line of text.
    Text {
        /// Anchor point.
        x: f32,
        /// Baseline.
        y: f32,
        /// What it says (never empty).
        text: String,
        /// Size.
        size: f32,
        /// Colour.
        color: Rgb,
        /// Which point of the text `x` is.
        anchor: Anchor,
    },
}

/// Line widths, in multiples of the text size.
const GRID_WIDTH: f32 = 0.06;
const AXIS_WIDTH: f32 = 0.08;
const LINE_WIDTH: f32 = 0.18;
const TARGET_WIDTH: f32 = 0.1;

/// Lays `chart` out in `frame`; `measure(text, size)` is the width of a line of text.
pub fn layout(chart: &Chart, frame: Frame, measure: &dyn Fn(&str, f32) -> f32) -> Vec<Shape> {
    let mut ctx = Ctx::new(frame, measure, &chart.format);
    if chart.is_empty() {
        let (x, y) = (ctx.width / 2.0, ctx.height / 2.0);
        let text = ctx.fit(&chart.no_data, ctx.width);
        ctx.text(x, y, text, Anchor::Middle, palette::MUTED);
        return ctx.shapes;
    }
    match &chart.kind {
        Kind::Bar(c) if c.orientation == Orientation::Horizontal => ctx.horizontal(c),
        Kind::Bar(c) => ctx.columns(&c.bars, c.show_values, None),
        Kind::Pareto(c) => ctx.columns(&c.bars, true, Some(c)),
        Kind::Line(c) => ctx.lines(c),
    }
    ctx.shapes
}

/// A layout in progress.
struct Ctx<'a> {
    width: f32,
    height: f32,
    font: f32,
    measure: &'a dyn Fn(&str, f32) -> f32,
    format: &'a Format,
    shapes: Vec<Shape>,
}

impl<'a> Ctx<'a> {
    fn new(frame: Frame, measure: &'a dyn Fn(&str, f32) -> f32, format: &'a Format) -> Self {
        let positive = |v: f32, default: f32| if v.is_finite() && v > 0.0 { v } else { default };
        Ctx {
            width: positive(frame.width, 1.0),
            height: positive(frame.height, 1.0),
            font: positive(frame.font, 1.0),
            measure,
            format,
            shapes: Vec::new(),
        }
    }

    /// Height of a row of text.
    fn line(&self) -> f32 {
        self.font * 1.4
    }

    /// The usual gap.
    fn pad(&self) -> f32 {
        self.font * 0.5
    }

    fn measure(&self, text: &str) -> f32 {
        (self.measure)(text, self.font)
    }

    /// The widest of `texts`.
    fn widest<'t>(&self, texts: impl IntoIterator<Item = &'t String>) -> f32 {
        texts
            .into_iter()
            .map(|t| self.measure(t))
            .fold(0.0, f32::max)
    }

    /// `text` cut to `max` wide, with "…" when cut.
    fn fit(&self, text: &str, max: f32) -> String {
        if self.measure(text) <= max {
            return text.to_owned();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let cut: String = chars.iter().chain(['…'].iter()).collect();
            if self.measure(&cut) <= max {
                return cut;
            }
        }
        String::new()
    }

    /// A line of text vertically centred on `y`; nothing for no text.
    fn text(&mut self, x: f32, y: f32, text: String, anchor: Anchor, color: Rgb) {
        if !text.is_empty() {
            self.shapes.push(Shape::Text {
                x,
                y: y + self.font * 0.35,
                text,
                size: self.font,
                color,
                anchor,
            });
        }
    }

    fn polyline(&mut self, points: Vec<(f32, f32)>, width: f32, color: Rgb, dashed: bool) {
        self.shapes.push(Shape::Line {
            points,
            width: self.font * width,
            color,
            dashed,
        });
    }
    /// A point with its tooltip and link, reacting in a `band` wide square.
    fn dot(&mut self, x: f32, y: f32, color: Rgb, tip: String, href: Option<String>, band: f32) {
        let side = band.min(self.font * 2.0);
        self.shapes.push(Shape::Dot {
            x,
            y,
            r: self.font * 0.28,
            color,
            mark: Some(Mark {
                tip,
                href,
                hit: Area {
                    x: x - side / 2.0,
                    y: y - side / 2.0,
                    w: side,
                    h: side,
                },
            }),
        });
    }

    /// The texts of `ticks` in `format`.
    fn tick_texts(&self, ticks: &Ticks, format: &Format) -> Vec<String> {
        ticks
            .values
            .iter()
            .map(|v| format.tick(*v, ticks.step))
            .collect()
    }

    /// A vertical value axis: a grid line per tick across the plot, labelled on the left,
    /// and the zero line.
    fn value_axis(&mut self, ticks: &Ticks, texts: Vec<String>, x: (f32, f32), y: (f32, f32)) {
        let pad = self.pad();
        for (v, text) in ticks.values.iter().zip(texts) {
            let ty = ticks.position(*v, y.1, y.0);
            self.polyline(vec![(x.0, ty), (x.1, ty)], GRID_WIDTH, palette::GRID, false);
            self.text(x.0 - pad / 2.0, ty, text, Anchor::End, palette::MUTED);
        }
        let zero = ticks.position(0.0, y.1, y.0);
        self.polyline(
            vec![(x.0, zero), (x.1, zero)],
            AXIS_WIDTH,
            palette::AXIS,
            false,
        );
    }

    /// Category labels under a plot spanning `x`, as many as fit without overlapping (the
    /// others are in the tooltips), each cut to the room it has.
    fn categories(&mut self, labels: &[&str], x: (f32, f32), bottom: f32) {
        let band = (x.1 - x.0) / labels.len().max(1) as f32;
        let pad = self.pad();
        let widest = labels.iter().map(|l| self.measure(l)).fold(0.0, f32::max);
        let every = ((widest.min(self.font * 6.0) + pad) / band).ceil().max(1.0) as usize;
        let room = band * every as f32 - pad;
        let y = bottom + self.line() / 2.0;
        for (i, label) in labels.iter().enumerate().step_by(every) {
            let text = self.fit(label, room);
            self.text(
                x.0 + band * (i as f32 + 0.5),
                y,
                text,
                Anchor::Middle,
                palette::MUTED,
            );
        }
    }

    /// A legend along the top: a line swatch (dashed for a reference line) and the name of
    /// each item.
    fn legend(&mut self, items: &[(&str, Rgb, bool)]) {
        let (font, line) = (self.font, self.line());
        let room = self.width / items.len().max(1) as f32 - font * 3.5;
        let mut x = 0.0;
        for &(name, color, dashed) in items {
            let y = line / 2.0;
            let width = if dashed { TARGET_WIDTH } else { LINE_WIDTH };
            self.polyline(vec![(x, y), (x + font * 2.0, y)], width, color, dashed);
            let text = self.fit(name, room);
            let w = self.measure(&text);
            self.text(x + font * 2.5, y, text, Anchor::Start, palette::TEXT);
            x += font * 3.5 + w;
        }
    }
}

mod bars;
mod lines;
#[cfg(test)]
mod tests;
