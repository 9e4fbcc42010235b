//! A chart as an inline SVG for the pages: sized by its `viewBox` (it shrinks to a phone's
//! width and keeps its proportions), text in the pages' CJK font stack and XML-escaped, bars
//! and points with a `<title>` tooltip and, for drill-down, wrapped in `<a href>`.

use std::fmt::Write;

use super::layout::{Anchor, Area, Frame, Mark, Rgb, Shape, layout};
use super::{Chart, Kind, Orientation};

/// The pages' font stack (templates/static/app.css), CJK first.
const FONT_FAMILY: &str =
    "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif";

/// Text size in user units: 13 px when the chart is shown at its natural width.
const FONT: f32 = 13.0;

/// Natural size of a chart: the width it is shown at on a desktop, shrinking with the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    /// Width in CSS pixels (and user units).
    pub width: f32,
    /// Height in CSS pixels (and user units).
    pub height: f32,
}

impl Default for Size {
    /// 480 × 280: readable on a phone once shrunk to its width.
    fn default() -> Self {
        Size {
            width: 480.0,
            height: 280.0,
        }
    }
}

impl Size {
    /// The default size, but as tall as a horizontal bar chart's bars need (about 29 px a
    /// bar), so that a few bars do not spread out and many do not crowd.
    pub fn fitting(chart: &Chart) -> Size {
        match &chart.kind {
            Kind::Bar(c) if c.orientation == Orientation::Horizontal && !c.bars.is_empty() => {
                Size {
                    height: (c.bars.len() as f32 * 2.2 + 2.0) * FONT,
                    ..Size::default()
                }
            }
            _ => Size::default(),
        }
    }
}

/// `chart` as an `<svg>` element, `role="img"` with the chart's title as its `aria-label`.
pub fn render(chart: &Chart, size: Size) -> String {
    let frame = Frame {
        width: sane(size.width, Size::default().width),
        height: sane(size.height, Size::default().height),
        font: FONT,
    };
    let shapes = layout(chart, frame, &text_width);
    let title = escape(&chart.title);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" style="max-width:100%;height:auto" role="img" aria-label="{title}" font-family="{FONT_FAMILY}" font-size="{FONT}"><title>{title}</title>"#,
        w = num(frame.width),
        h = num(frame.height),
    );
    for shape in &shapes {
        shape_svg(&mut svg, shape);
    }
    svg.push_str("</svg>");
    svg
}

/// A positive finite size, else `default`.
fn sane(v: f32, default: f32) -> f32 {
    if v.is_finite() && v > 0.0 { v } else { default }
}

/// Appends one shape.
fn shape_svg(svg: &mut String, shape: &Shape) {
    // Writing into a String cannot fail.
    let _ = match shape {
        Shape::Rect { area, color, mark } => {
            let rect = format!(
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                num(area.x),
                num(area.y),
                num(area.w),
                num(area.h),
                hex(*color)
            );
            marked(svg, &rect, mark.as_ref())
        }
        Shape::Dot {
            x,
            y,
            r,
            color,
            mark,
        } => {
            let dot = format!(
                r#"<circle cx="{}" cy="{}" r="{}" fill="{}"/>"#,
                num(*x),
                num(*y),
                num(*r),
                hex(*color)
            );
            marked(svg, &dot, mark.as_ref())
        }
        Shape::Line {
            points,
            width,
            color,
            dashed,
        } => {
            let points: Vec<String> = points
                .iter()
                .map(|&(x, y)| format!("{},{}", num(x), num(y)))
                .collect();
            let dash = if *dashed {
                format!(r#" stroke-dasharray="{0} {0}""#, num(width * 4.0))
            } else {
                String::new()
            };
            write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round" stroke-linecap="round"{dash}/>"#,
                points.join(" "),
                hex(*color),
                num(*width)
            )
        }
        Shape::Text {
            x,
            y,
            text,
            size,
            color,
            anchor,
        } => {
            let anchor = match anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            write!(
                svg,
                r#"<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="{anchor}">{}</text>"#,
                num(*x),
                num(*y),
                num(*size),
                hex(*color),
                escape(text)
            )
        }
    };
}

/// `inner` with its tooltip and an invisible hit area, in an `<a>` when it links somewhere.
fn marked(svg: &mut String, inner: &str, mark: Option<&Mark>) -> std::fmt::Result {
    let Some(mark) = mark else {
        svg.push_str(inner);
        return Ok(());
    };
    let Area { x, y, w, h } = mark.hit;
    match &mark.href {
        Some(href) => write!(svg, r#"<a href="{}">"#, escape(href))?,
        None => svg.push_str("<g>"),
    }
    write!(
        svg,
        r#"<title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="transparent"/>{inner}"#,
        escape(&mark.tip),
        num(x),
        num(y),
        num(w),
        num(h)
    )?;
    svg.push_str(if mark.href.is_some() { "</a>" } else { "</g>" });
    Ok(())
}

/// `text` safe in XML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most one decimal ("12", "12.5").
fn num(v: f32) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let text = format!("{:.1}", v);
    match text.strip_suffix(".0") {
        Some("-0") => "0".to_owned(),
        Some(int) => int.to_owned(),
        None => text,
    }
}

/// `#rrggbb`.
fn hex(Rgb(r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Width of `text` at `size` without the font at hand: CJK and other wide characters take a
/// full em, the rest a generous 0.6 em, so the estimate errs on the side of room.
pub(super) fn text_width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.6 })
        .sum::<f32>()
        * size
}

/// East Asian wide and full-width characters (CJK, kana, hangul, full-width forms).
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{Bar, BarChart, Format, LineChart, Pareto, Series};

    fn bars() -> Chart {
        Chart::new(
            "各楼栋集中交付率 <A&B>",
            Format::Percent,
            "暂无数据",
            BarChart::horizontal(vec![
                Bar::new("1栋 <东>", 0.783).link("/batches/1/kpis/concentrated?building=1&x=\"y\""),
                Bar::new("2栋 & 3栋", 0.5),
                Bar::new("4栋", 0.0).value_label("0.0%（0/12）"),
            ]),
        )
    }

    #[test]
    fn an_svg_is_an_accessible_scalable_image() {
        let svg = render(&bars(), Size::default());
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains(r#"viewBox="0 0 480 280""#), "{svg}");
        assert!(svg.contains(r#"role="img""#), "{svg}");
        assert!(
            svg.contains(r#"aria-label="各楼栋集中交付率 &lt;A&amp;B&gt;""#),
            "{svg}"
        );
        assert!(svg.contains("Noto Sans CJK SC"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn every_text_is_escaped() {
        let svg = render(&bars(), Size::default());
        assert!(svg.contains("1栋 &lt;东&gt;"), "{svg}");
        assert!(svg.contains("2栋 &amp; 3栋"), "{svg}");
        assert!(!svg.contains("<东>") && !svg.contains("2栋 & 3栋"), "{svg}");
        assert!(
            svg.contains(r#"href="/batches/1/kpis/concentrated?building=1&amp;x=&quot;y&quot;""#),
            "{svg}"
        );
        assert_eq!(escape("a'\u{1}b"), "a&#39;b");
    }

    #[test]
    fn bars_have_tooltips_and_linked_bars_are_anchors() {
        let svg = render(&bars(), Size::default());
        assert_eq!(svg.matches("<a href=").count(), 1, "{svg}");
        assert_eq!(svg.matches("</a>").count(), 1, "{svg}");
        let linked = &svg[svg.find("<a href=").unwrap()..svg.find("</a>").unwrap()];
        assert!(
            linked.contains("<title>1栋 &lt;东&gt;: 78.3%</title>"),
            "{linked}"
        );
        assert!(linked.contains(r##"fill="#1f6feb""##), "{linked}");
        assert!(svg.contains("<title>2栋 &amp; 3栋: 50.0%</title>"), "{svg}");
        assert!(svg.contains("<title>4栋: 0.0%（0/12）</title>"), "{svg}");
        assert!(svg.contains(">0.0%（0/12）</text>"), "{svg}");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let chart = Chart::new(
            "每日交付",
            Format::Integer,
            "暂无数据 <空>",
            LineChart::new(vec!["12-01".into()]).series(Series::new("交付", vec![None])),
        );
        let svg = render(&chart, Size::default());
        assert!(svg.contains(">暂无数据 &lt;空&gt;</text>"), "{svg}");
        assert!(
            !svg.contains("<polyline") && !svg.contains("<circle"),
            "{svg}"
        );
    }

    #[test]
    fn a_missing_day_leaves_a_gap_in_the_line() {
        let days: Vec<String> = (1..=5).map(|d| format!("12-0{d}")).collect();
        let chart = Chart::new(
            "每日集中交付率",
            Format::Percent,
            "暂无数据",
            LineChart::new(days)
                .series(Series::new(
                    "集中交付率",
                    vec![Some(0.5), Some(0.6), None, Some(0.9), Some(0.95)],
                ))
                .percent_axis()
                .target(0.95, "目标 95%"),
        );
        let svg = render(&chart, Size::default());
        let data_lines = svg.matches(r##"stroke="#1f6feb""##).count();
        assert_eq!(data_lines, 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
        assert!(svg.contains("stroke-dasharray"), "{svg}");
        assert!(svg.contains(">目标 95%</text>"), "{svg}");
        assert!(svg.contains(">100%</text>"), "{svg}");
        assert!(
            !svg.contains("12-03:"),
            "no tooltip for the missing day: {svg}"
        );
    }

    #[test]
    fn a_pareto_has_its_cumulative_line_and_right_axis() {
        let chart = Chart::new(
            "问题专业分布",
            Format::Integer,
            "暂无数据",
            Pareto::new(
                vec![
                    Bar::new("门窗", 2.0),
                    Bar::new("墙面", 6.0),
                    Bar::new("水电", 2.0),
                ],
                "累计占比",
            ),
        );
        let svg = render(&chart, Size::default());
        assert!(svg.contains("<title>墙面: 6</title>"), "{svg}");
        assert!(svg.contains("<title>墙面: 累计占比 60.0%</title>"), "{svg}");
        assert!(
            svg.contains("<title>水电: 累计占比 100.0%</title>"),
            "{svg}"
        );
        assert!(svg.find(">墙面</text>") < svg.find(">门窗</text>"), "{svg}");
        assert!(svg.contains(r##"stroke="#f08c00""##), "{svg}");
    }

    #[test]
    fn coordinates_are_short_and_finite() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.26), "12.3");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f32::NAN), "0");
        let svg = render(
            &bars(),
            Size {
                width: f32::NAN,
                height: -3.0,
            },
        );
        assert!(svg.contains(r#"viewBox="0 0 480 280""#), "{svg}");
    }

    #[test]
    fn horizontal_bars_get_a_height_that_fits_them() {
        assert_eq!(Size::fitting(&bars()).height, (3.0 * 2.2 + 2.0) * FONT);
        assert_eq!(Size::fitting(&bars()).width, Size::default().width);
        let vertical = Chart::new("t", Format::Integer, "无", BarChart::vertical(Vec::new()));
        assert_eq!(Size::fitting(&vertical), Size::default());
    }

    #[test]
    fn wide_characters_are_measured_wider() {
        assert_eq!(text_width("交付", 10.0), 20.0);
        assert_eq!(text_width("ab", 10.0), 12.0);
    }
}
