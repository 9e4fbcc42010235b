use super::*;
use crate::charts::svg::text_width;
use crate::charts::{Bar, BarChart, LineChart, Pareto, Series, Target};

const FRAME: Frame = Frame {
    width: 400.0,
    height: 200.0,
    font: 10.0,
};

fn lay(chart: &Chart) -> Vec<Shape> {
    layout(chart, FRAME, &text_width)
}

fn texts(shapes: &[Shape]) -> Vec<&str> {
    shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn rects(shapes: &[Shape]) -> Vec<(Area, &Mark)> {
    shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Rect {
                area,
                mark: Some(mark),
                ..
            } => Some((*area, mark)),
            _ => None,
        })
        .collect()
}

fn dots(shapes: &[Shape]) -> Vec<(f32, f32, &Mark)> {
    shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Dot {
                x,
                y,
                mark: Some(m),
                ..
            } => Some((*x, *y, m)),
            _ => None,
        })
        .collect()
}

fn lines_of(shapes: &[Shape], color: Rgb) -> Vec<&Vec<(f32, f32)>> {
    shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Line {
                points, color: c, ..
            } if *c == color => Some(points),
            _ => None,
        })
        .collect()
}

/// Every number in every shape is finite.
fn all_finite(shapes: &[Shape]) -> bool {
    let area = |a: &Area| [a.x, a.y, a.w, a.h].iter().all(|v| v.is_finite());
    shapes.iter().all(|s| match s {
        Shape::Rect { area: a, mark, .. } => area(a) && mark.as_ref().is_none_or(|m| area(&m.hit)),
        Shape::Dot { x, y, r, mark, .. } => {
            [x, y, r].iter().all(|v| v.is_finite()) && mark.as_ref().is_none_or(|m| area(&m.hit))
        }
        Shape::Line { points, width, .. } => {
            width.is_finite() && points.iter().all(|(x, y)| x.is_finite() && y.is_finite())
        }
        Shape::Text { x, y, .. } => x.is_finite() && y.is_finite(),
    })
}

fn days(n: usize) -> Vec<String> {
    (1..=n).map(|d| format!("12-{d:02}")).collect()
}

#[test]
fn bar_lengths_are_proportional_to_their_values() {
    let chart = Chart::new(
        "t",
        Format::Integer,
        "无",
        BarChart::horizontal(vec![
            Bar::new("甲", 40.0),
            Bar::new("乙", 20.0),
            Bar::new("丙", 0.0),
        ]),
    );
    let shapes = lay(&chart);
    let bars = rects(&shapes);
    assert_eq!(bars.len(), 3);
    // Ticks 0..40 exactly: the 40 bar spans the whole axis, the 20 bar half of it.
    assert!((bars[0].0.w - 2.0 * bars[1].0.w).abs() < 1e-3, "{bars:?}");
    assert_eq!(bars[2].0.w, 0.0);
    assert_eq!(bars[0].0.x, bars[1].0.x);
    assert!(bars[0].0.y < bars[1].0.y, "first bar on top");
    for tick in ["0", "10", "20", "30", "40"] {
        assert!(texts(&shapes).contains(&tick), "{tick}");
    }
    // Bars, labels and values stay inside the frame.
    assert!(bars[0].0.x + bars[0].0.w <= FRAME.width);
    for label in ["甲", "乙", "丙", "40", "20"] {
        assert!(texts(&shapes).contains(&label), "{label}");
    }
}

#[test]
fn vertical_bars_grow_up_from_zero_and_link_their_units() {
    let chart = Chart::new(
        "t",
        Format::Decimal2,
        "无",
        BarChart::vertical(vec![
            Bar::new("1栋", 1.5).link("/u?b=1"),
            Bar::new("2栋", 0.75).link("/u?b=2"),
        ]),
    );
    let shapes = lay(&chart);
    let bars = rects(&shapes);
    assert_eq!(bars.len(), 2);
    let bottom = |a: Area| a.y + a.h;
    assert!((bottom(bars[0].0) - bottom(bars[1].0)).abs() < 1e-3);
    assert!((bars[0].0.h - 2.0 * bars[1].0.h).abs() < 1e-3, "{bars:?}");
    assert_eq!(bars[0].1.href.as_deref(), Some("/u?b=1"));
    assert_eq!(bars[1].1.href.as_deref(), Some("/u?b=2"));
    assert_eq!(bars[0].1.tip, "1栋: 1.50");
    // The column's hit area is the whole column.
    assert!(bars[1].1.hit.h > bars[1].0.h);
    assert!(texts(&shapes).contains(&"1.50"));
}

#[test]
fn a_missing_value_breaks_the_line_and_is_never_drawn_as_zero() {
    let values = vec![
        Some(3.0),
        Some(5.0),
        None,
        Some(4.0),
        Some(f64::NAN),
        Some(2.0),
        Some(1.0),
    ];
    let chart = Chart::new(
        "t",
        Format::Integer,
        "无",
        LineChart::new(days(7)).series(Series::new("交付", values)),
    );
    let shapes = lay(&chart);
    let runs = lines_of(&shapes, palette::ACCENT);
    // 3–5 | (missing) | 4 alone | (NaN) | 2–1.
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0].len(), 2);
    assert_eq!(runs[1].len(), 2);
    let points = dots(&shapes);
    assert_eq!(points.len(), 5, "the lone 4 still gets its dot");
    let tips: Vec<&str> = points.iter().map(|p| p.2.tip.as_str()).collect();
    assert_eq!(
        tips,
        ["12-01: 3", "12-02: 5", "12-04: 4", "12-06: 2", "12-07: 1"]
    );
    // No point sits on the zero line (the axis bottom) for the missing days.
    let lowest = points.iter().map(|p| p.1).fold(0.0, f32::max);
    let one = points[4].1;
    assert_eq!(lowest, one, "the value 1 is the lowest point");
    assert!(
        one < FRAME.height - FRAME.font * 1.4 - 1.0,
        "1 is above zero"
    );
}

#[test]
fn a_percent_axis_runs_to_100_and_carries_the_target() {
    let chart = Chart::new(
        "t",
        Format::Percent,
        "无",
        LineChart::new(days(3))
            .series(Series::new("率", vec![Some(0.2), Some(0.4), Some(0.5)]))
            .percent_axis()
            .target(0.95, "目标 95%"),
    );
    let shapes = lay(&chart);
    let t = texts(&shapes);
    for tick in ["0%", "20%", "40%", "60%", "80%", "100%", "目标 95%"] {
        assert!(t.contains(&tick), "{tick} in {t:?}");
    }
    let dashed: Vec<&Shape> = shapes
        .iter()
        .filter(|s| matches!(s, Shape::Line { dashed: true, .. }))
        .collect();
    // The target line across the plot, and its swatch in the legend.
    assert_eq!(dashed.len(), 2);
    let Shape::Line { points, .. } = dashed[1] else {
        unreachable!()
    };
    assert!(points[1].0 - points[0].0 > FRAME.width * 0.8, "{points:?}");
    // 95 % of the way from the zero line to the 100 % line (below the legend).
    let (top, zero) = (FRAME.font * (0.5 + 1.4), FRAME.height - FRAME.font * 1.4);
    let expected = zero - 0.95 * (zero - top);
    assert!(
        (points[0].1 - expected).abs() < 1e-3,
        "{points:?} vs {expected}"
    );
    assert_eq!(
        chart_target(&chart).map(|t| t.label.as_str()),
        Some("目标 95%")
    );
}

fn chart_target(chart: &Chart) -> Option<&Target> {
    match &chart.kind {
        Kind::Line(c) => c.target.as_ref(),
        _ => None,
    }
}

#[test]
fn a_pareto_line_climbs_to_the_top_of_its_axis() {
    let chart = Chart::new(
        "t",
        Format::Integer,
        "无",
        Pareto::new(
            vec![Bar::new("A", 1.0), Bar::new("B", 3.0).link("/b")],
            "累计",
        ),
    );
    let shapes = lay(&chart);
    let bars = rects(&shapes);
    assert_eq!(bars[0].1.tip, "B: 3");
    assert_eq!(bars[0].1.href.as_deref(), Some("/b"));
    let points = dots(&shapes);
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].2.tip, "B: 累计 75.0%");
    assert_eq!(points[1].2.tip, "A: 累计 100.0%");
    assert!(points[1].1 < points[0].1, "the line rises");
    assert_eq!(
        lines_of(&shapes, palette::ORANGE).len(),
        2,
        "legend and line"
    );
    assert!(texts(&shapes).contains(&"100%") && texts(&shapes).contains(&"累计"));
}

#[test]
fn empty_charts_draw_the_callers_message_only() {
    let empties = [
        Chart::new(
            "t",
            Format::Percent,
            "暂无数据",
            BarChart::horizontal(Vec::new()),
        ),
        Chart::new(
            "t",
            Format::Integer,
            "暂无数据",
            Pareto::new(Vec::new(), "累计"),
        ),
        Chart::new("t", Format::Integer, "暂无数据", LineChart::new(Vec::new())),
        Chart::new(
            "t",
            Format::Integer,
            "暂无数据",
            LineChart::new(days(3)).series(Series::new("s", vec![None, None, None])),
        ),
    ];
    for chart in &empties {
        let shapes = lay(chart);
        assert_eq!(texts(&shapes), ["暂无数据"], "{chart:?}");
        assert_eq!(shapes.len(), 1);
        assert!(all_finite(&shapes));
    }
}

#[test]
fn odd_input_never_gives_nan_or_panics() {
    let frames = [
        FRAME,
        Frame {
            width: 0.0,
            height: 0.0,
            font: 0.0,
        },
        Frame {
            width: f32::NAN,
            height: f32::INFINITY,
            font: -1.0,
        },
        Frame {
            width: 30.0,
            height: 20.0,
            font: 12.0,
        },
    ];
    let charts = [
        Chart::new(
            "t",
            Format::Percent,
            "无",
            BarChart::vertical(vec![
                Bar::new("a", f64::NAN),
                Bar::new("b", -0.2),
                Bar::new("", f64::INFINITY),
                Bar::new("c", 0.0),
            ]),
        ),
        Chart::new(
            "t",
            Format::Integer,
            "无",
            BarChart::horizontal(vec![Bar::new("a", 0.0), Bar::new("b", 0.0)]),
        ),
        Chart::new(
            "t",
            Format::Decimal2,
            "无",
            LineChart::new(days(2))
                .series(Series::new("s", vec![Some(0.0), Some(1e300)]))
                .series(Series::new("longer than labels", vec![Some(1.0); 9]))
                .target(f64::NAN, "x"),
        ),
        Chart::new(
            "t",
            Format::Integer,
            "无",
            Pareto::new(vec![Bar::new("a", 1.0)], ""),
        ),
    ];
    for frame in frames {
        for chart in &charts {
            let shapes = layout(chart, frame, &text_width);
            assert!(all_finite(&shapes), "{chart:?} in {frame:?}: {shapes:?}");
        }
    }
}

#[test]
fn crowded_day_labels_are_thinned_so_they_never_overlap() {
    let values = (0..60).map(|i| Some(f64::from(i))).collect();
    let chart = Chart::new(
        "t",
        Format::Integer,
        "无",
        LineChart::new(days(60)).series(Series::new("s", values)),
    );
    let shapes = lay(&chart);
    let labels: Vec<(f32, f32)> = shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Text { x, text, .. } if text.starts_with("12-") => {
                let w = text_width(text, FRAME.font);
                Some((x - w / 2.0, x + w / 2.0))
            }
            _ => None,
        })
        .collect();
    assert!(labels.len() >= 5 && labels.len() < 60, "{}", labels.len());
    for pair in labels.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "{pair:?} overlap");
    }
    assert_eq!(
        dots(&shapes).len(),
        60,
        "every day keeps its point and tooltip"
    );
}

#[test]
fn long_labels_are_cut_to_their_room() {
    let long = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十";
    let chart = Chart::new(
        "t",
        Format::Integer,
        "无",
        BarChart::horizontal(vec![Bar::new(long, 3.0)]),
    );
    let shapes = lay(&chart);
    let cut = texts(&shapes)
        .into_iter()
        .find(|t| t.starts_with("一二"))
        .expect("the label");
    assert!(cut.ends_with('…') && cut.len() < long.len(), "{cut}");
    assert!(text_width(cut, FRAME.font) <= FRAME.width * 0.35);
    assert_eq!(
        rects(&shapes)[0].1.tip,
        format!("{long}: 3"),
        "full text in the tooltip"
    );
}

#[test]
fn several_lines_get_a_legend_and_their_own_colours() {
    let chart = Chart::new(
        "t",
        Format::Integer,
        "无",
        LineChart::new(days(2))
            .series(
                Series::new("计划", vec![Some(1.0), Some(2.0)])
                    .links(vec![Some("/d/1".into()), None]),
            )
            .series(Series::new("实际", vec![Some(2.0), Some(1.0)])),
    );
    let shapes = lay(&chart);
    assert!(texts(&shapes).contains(&"计划") && texts(&shapes).contains(&"实际"));
    // Legend swatch + line, per series.
    assert_eq!(lines_of(&shapes, palette::SERIES[0]).len(), 2);
    assert_eq!(lines_of(&shapes, palette::SERIES[1]).len(), 2);
    let points = dots(&shapes);
    assert_eq!(points[0].2.tip, "12-01 计划: 1");
    assert_eq!(points[0].2.href.as_deref(), Some("/d/1"));
    assert_eq!(points[1].2.href, None);
}
