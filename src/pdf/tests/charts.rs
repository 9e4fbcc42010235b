//! Charts in a report: vectors only, Chinese labels extractable, the font a subset.

use std::path::Path;
use std::process::Command;

use super::*;
use crate::charts::{Bar, BarChart, Chart, Format, LineChart, Pareto, Series};

fn buildings() -> Chart {
    Chart::new(
        "各楼栋集中交付率",
        Format::Percent,
        "暂无数据",
        BarChart::horizontal(vec![
            Bar::new("1栋", 0.783).link("/u/1"),
            Bar::new("2栋", 0.5),
            Bar::new("3栋", 0.0).value_label("0.0%（0/12）"),
        ]),
    )
}

fn trades() -> Chart {
    Chart::new(
        "问题专业分布",
        Format::Integer,
        "暂无数据",
        Pareto::new(
            vec![
                Bar::new("门窗", 12.0),
                Bar::new("墙面", 40.0),
                Bar::new("水电", 25.0),
                Bar::new("防水", 3.0),
            ],
            "累计占比",
        ),
    )
}

fn daily() -> Chart {
    let days = (1..=7).map(|d| format!("12-{d:02}")).collect();
    Chart::new(
        "每日集中交付率",
        Format::Percent,
        "暂无数据",
        LineChart::new(days)
            .series(Series::new(
                "集中交付率",
                vec![
                    Some(0.4),
                    Some(0.6),
                    None,
                    Some(0.8),
                    Some(0.9),
                    None,
                    Some(0.97),
                ],
            ))
            .series(Series::new("无缺陷交付率", vec![Some(0.3); 7]))
            .percent_axis()
            .target(0.95, "目标 95%"),
    )
}

/// Pixels of page `page` rendered at 50 dpi that are close to `rgb`.
fn pixels_of(pdf: &Path, page: usize, rgb: [u8; 3]) -> usize {
    let prefix = pdf.with_file_name(format!("chart-{page}"));
    let p = page.to_string();
    let status = Command::new("pdftoppm")
        .args(["-r", "50", "-png", "-singlefile", "-f", &p, "-l", &p])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success());
    let png = ::image::open(prefix.with_extension("png"))
        .unwrap()
        .to_rgb8();
    png.pixels()
        .filter(|px| px.0.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) < 24))
        .count()
}

#[test]
fn every_chart_kind_is_drawn_as_vectors_with_its_chinese_labels() {
    let mut report = Report::new(fonts(), meta(Locale::ZhCn));
    report.heading("各楼栋集中交付率");
    report.chart(&buildings(), 50.0);
    report.heading("问题专业分布");
    report.chart(&trades(), 60.0);
    report.heading("每日趋势");
    report.chart(&daily(), 60.0);
    report.heading("满意度");
    let empty = Chart::new(
        "满意度",
        Format::Decimal2,
        "本批次暂无问卷",
        BarChart::vertical(Vec::new()),
    );
    report.chart(&empty, 30.0);
    let pdf = write(report);

    let count = pages(&pdf.path);
    let text: String = (1..=count).map(|p| page_text(&pdf.path, p)).collect();
    for expected in [
        "1栋",
        "2栋",
        "3栋",
        "78.3%",
        "0.0%（0/12）", // bars and their values
        "墙面",
        "水电",
        "门窗",
        "防水",
        "累计占比",
        "100%", // Pareto and its right axis
        "12-01",
        "12-07",
        "集中交付率",
        "无缺陷交付率",
        "目标95%", // lines, legend, target
        "本批次暂无问卷",
    ] {
        assert!(has(&text, expected), "{expected:?} not in {text}");
    }
    // The Pareto's bars: largest first.
    let first = |label: &str| text.find(label).unwrap();
    assert!(first("墙面") < first("水电") && first("水电") < first("门窗"));

    let fonts = run("pdffonts", &[], &pdf.path);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        assert!(row.contains("yes yes yes"), "emb sub uni: {row}");
    }
    let images = run("pdfimages", &["-list"], &pdf.path);
    assert_eq!(
        images.lines().count(),
        2,
        "no images, only the header: {images}"
    );
    assert!(pdf.bytes.len() < 300 * 1024, "{} bytes", pdf.bytes.len());

    // The bars and lines are really painted: the accent blue and the Pareto's orange.
    let blue: usize = (1..=count)
        .map(|p| pixels_of(&pdf.path, p, [0x1f, 0x6f, 0xeb]))
        .sum();
    let orange: usize = (1..=count)
        .map(|p| pixels_of(&pdf.path, p, [0xf0, 0x8c, 0x00]))
        .sum();
    assert!(blue > 200, "{blue} blue pixels");
    assert!(orange > 20, "{orange} orange pixels");
}

#[test]
fn a_chart_that_does_not_fit_moves_to_the_next_page() {
    let mut report = Report::new(fonts(), meta(Locale::ZhCn));
    for i in 0..25 {
        report.paragraph(&format!("第{i}段：填充正文，使图表放不下。"));
    }
    report.chart(&trades(), 90.0);
    let pdf = write(report);

    assert_eq!(pages(&pdf.path), 2);
    let second = page_text(&pdf.path, 2);
    assert!(has(&second, "累计占比") && has(&second, "墙面"), "{second}");
    assert!(!has(&page_text(&pdf.path, 1), "累计占比"));
    assert!(pixels_of(&pdf.path, 2, [0xf0, 0x8c, 0x00]) > 20);
}
