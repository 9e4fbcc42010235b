//! Reports checked with the real poppler tools (Debian `poppler-utils`): the text a reader
//! extracts, the embedded font subset, the JPEG bytes, the page count and a rendering.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};

use super::*;
use crate::i18n::Locale;
use crate::photos::fixtures;

/// Rare characters of buyers' names (生僻字), one from CJK Extension A and one from B.
const RARE: &str = "䶮堃喆燊犇玥珺镕𠅤";

/// The fonts, parsed once for all tests.
fn fonts() -> Arc<Fonts> {
    static FONTS: OnceLock<Arc<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| Arc::new(Fonts::from_env().expect("the report font")))
        .clone()
}

fn meta(locale: Locale) -> Meta {
    Meta {
        title: "承接查验报告".into(),
        header: "滨江花园二期".into(),
        footer: "承接查验报告 · 生成于 2026年11月24日".into(),
        locale,
        created: Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap(),
    }
}

/// A report written to a file of its own, for the poppler tools.
struct Written {
    _dir: tempfile::TempDir,
    path: PathBuf,
    bytes: Vec<u8>,
}

fn write(report: Report) -> Written {
    let bytes = report.finish().expect("the PDF");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &bytes).unwrap();
    Written {
        _dir: dir,
        path,
        bytes,
    }
}

/// Runs a poppler tool and returns its standard output.
fn run(tool: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(pdf)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (Debian poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pages(pdf: &Path) -> usize {
    run("pdfinfo", &[], pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count")
}

/// The text of `page` without whitespace: poppler's layout analysis adds or drops spaces
/// between glyphs by their distances, so texts are compared without it (see [`has`]).
fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    run("pdftotext", &["-f", &p, "-l", &p], pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Whether `text` (from [`page_text`]) has `expected`, whitespace aside.
fn has(text: &str, expected: &str) -> bool {
    let expected: String = expected.chars().filter(|c| !c.is_whitespace()).collect();
    text.contains(&expected)
}

#[test]
fn the_font_covers_rare_name_characters() {
    assert_eq!(fonts().missing(RARE), Vec::<char>::new());
}

#[test]
fn a_missing_font_names_its_path_and_the_debian_package() {
    let err = Fonts::load(Path::new("/nonexistent/NotoSansCJK-Regular.ttc"), 2).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("/nonexistent/NotoSansCJK-Regular.ttc"),
        "{message}"
    );
    assert!(message.contains("fonts-noto-cjk"), "{message}");
}

#[test]
fn a_one_page_report_has_extractable_chinese_in_a_subset_font() {
    let mut report = Report::new(fonts(), meta(Locale::ZhCn));
    report.heading("一、房屋基本信息");
    report.key_values(&[
        ("房号".into(), "3栋2单元1801".into()),
        ("业主".into(), format!("王{}", RARE)),
        ("建筑面积".into(), "128.6 m²".into()),
    ]);
    report.heading("二、查验结论");
    report.paragraph(
        "经承接查验，本户共发现问题 12 项，其中逾期未整改 2 项。Checked against the group \
         standard, every finding has a photo and a responsible contractor.",
    );
    let pdf = write(report);

    assert!(pdf.bytes.len() < 300 * 1024, "{} bytes", pdf.bytes.len());
    assert_eq!(pages(&pdf.path), 1);
    let text = page_text(&pdf.path, 1);
    for expected in [
        "承接查验报告",
        "一、房屋基本信息",
        "3栋2单元1801",
        RARE,
        "逾期未整改",
        "responsible contractor",
    ] {
        assert!(has(&text, expected), "{expected:?} not in {text}");
    }
    // Every embedded font: embedded, subset, with a Unicode map.
    let fonts = run("pdffonts", &[], &pdf.path);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        assert!(row.contains("yes yes yes"), "emb sub uni: {row}");
    }
}

#[test]
fn a_long_table_repeats_its_header_and_numbers_every_page() {
    let mut report = Report::new(fonts(), meta(Locale::ZhCn));
    report.heading("问题清单");
    let mut table = Table::new([
        ("编号", 1.0),
        ("部位", 2.0),
        ("问题描述", 5.0),
        ("整改期限", 2.0),
    ]);
    for i in 1..=300 {
        let due = if i % 7 == 0 {
            Cell::alert("已逾期")
        } else {
            Cell::text("2026-12-01")
        };
        table.row([
            Cell::text(format!("R-{i:03}")),
            Cell::text("主卧"),
            Cell::text("墙面空鼓，面积约 0.3 m²，需凿除重新抹灰"),
            due,
        ]);
    }
    report.table(table);
    let pdf = write(report);

    let count = pages(&pdf.path);
    assert!(count >= 5, "300 rows on {count} pages");
    let mut all = String::new();
    for page in 1..=count {
        let text = page_text(&pdf.path, page);
        for title in ["编号", "部位", "问题描述", "整改期限"] {
            assert!(
                has(&text, title),
                "page {page} has no header {title:?}: {text}"
            );
        }
        let number = format!("第 {page} 页 / 共 {count} 页");
        assert!(has(&text, &number), "page {page} lacks {number:?}");
        assert!(
            has(&text, "承接查验报告 · 生成于"),
            "page {page} lacks the footer"
        );
        all.push_str(&text);
    }
    for i in 1..=300 {
        assert_eq!(all.matches(&format!("R-{i:03}")).count(), 1, "row {i}");
    }
}

#[test]
fn a_row_taller_than_a_page_is_split_between_its_lines() {
    let mut report = Report::new(fonts(), meta(Locale::ZhCn));
    let long: Vec<String> = (1..=120).map(|i| format!("第{i}行说明")).collect();
    let mut table = Table::new([("编号", 1.0), ("说明", 4.0)]);
    table.row([Cell::text("A-1"), Cell::text(long.join("\n"))]);
    report.table(table);
    let pdf = write(report);

    let count = pages(&pdf.path);
    assert!(count >= 2, "{count} pages");
    let all: String = (1..=count).map(|p| page_text(&pdf.path, p)).collect();
    for line in &long {
        assert!(has(&all, line), "{line} lost");
    }
    assert!(has(&page_text(&pdf.path, 2), "说明"), "header repeated");
}

#[test]
fn english_pages_are_numbered_in_english() {
    let mut report = Report::new(fonts(), meta(Locale::En));
    report.paragraph("Takeover inspection report.");
    let pdf = write(report);
    let text = page_text(&pdf.path, 1);
    assert!(has(&text, "Page 1 of 1"), "{text}");
    assert!(!has(&text, "第 1 页"), "{text}");
}

/// A grey JPEG (one component).
fn grey_jpeg(width: usize, height: usize) -> Vec<u8> {
    let pixels: Vec<u8> = (0..width * height).map(|i| (i % 251) as u8).collect();
    let image = turbojpeg::Image {
        pixels: pixels.as_slice(),
        width,
        pitch: width,
        height,
        format: turbojpeg::PixelFormat::GRAY,
    };
    turbojpeg::compress(image, 85, turbojpeg::Subsamp::Gray)
        .unwrap()
        .to_vec()
}

#[test]
fn jpegs_are_embedded_byte_for_byte_and_once() {
    let colour = fixtures::jpeg(&fixtures::noisy_rgb(320, 240, 3), 320, 240, 85);
    let grey = grey_jpeg(200, 100);
    let photo = Image::jpeg(colour.clone())
        .unwrap()
        .with_caption("客厅 墙面空鼓");
    let mut report = Report::new(fonts(), meta(Locale::ZhCn));
    report.images(
        &[
            photo.clone(),
            Image::jpeg(colour.clone()).unwrap(), // same bytes, another value
            Image::jpeg(grey.clone()).unwrap().with_caption("灰度"),
        ],
        3,
    );
    let mut table = Table::new([("照片", 1.0), ("说明", 3.0)]);
    table.row([Cell::text("").with_thumbnail(photo), Cell::text("缩略图")]);
    report.table(table);
    let pdf = write(report);

    // page num type width height color comp bpc enc interp object ID ...
    let list = run("pdfimages", &["-list"], &pdf.path);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 4, "{list}");
    assert!(rows.iter().all(|r| r[8] == "jpeg"), "{list}");
    let objects = |w: &str| {
        let mut ids: Vec<&str> = rows.iter().filter(|r| r[3] == w).map(|r| r[10]).collect();
        ids.dedup();
        ids
    };
    assert_eq!(
        objects("320").len(),
        1,
        "the colour photo is embedded once: {list}"
    );
    assert!(
        rows.iter()
            .any(|r| r[3] == "200" && r[5] == "gray" && r[6] == "1"),
        "{list}"
    );

    let out = pdf.path.with_file_name("img");
    let status = Command::new("pdfimages")
        .args(["-j"])
        .arg(&pdf.path)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let extracted: Vec<Vec<u8>> = (0..4)
        .map(|i| std::fs::read(format!("{}-{i:03}.jpg", out.display())).unwrap())
        .collect();
    assert!(extracted.contains(&colour), "colour JPEG changed");
    assert!(extracted.contains(&grey), "grey JPEG changed");
    // And so they sit in the file as they are, once each.
    let find = |needle: &[u8]| {
        pdf.bytes
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    };
    assert_eq!(find(&colour), 1);
    assert_eq!(find(&grey), 1);
}

#[test]
fn a_bad_jpeg_is_refused_when_it_is_given() {
    assert!(matches!(
        Image::jpeg(b"not a jpeg".to_vec()),
        Err(PdfError::Jpeg(_))
    ));
}

/// Dark pixels of page 1 rendered at 50 dpi: (x, y) in pixels.
fn dark_pixels(pdf: &Path) -> Vec<(u32, u32)> {
    let prefix = pdf.with_file_name("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "50", "-png", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success());
    let png = ::image::open(prefix.with_extension("png"))
        .unwrap()
        .to_luma8();
    png.enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] < 100)
        .map(|(x, y, _)| (x, y))
        .collect()
}

#[test]
fn a_signature_is_drawn_inside_its_box() {
    let signature = |strokes| SignatureBlock {
        strokes,
        canvas_width: 600.0,
        canvas_height: 200.0,
        lines: vec!["业主：王䶮".into(), "2026-11-24 09:30".into()],
    };
    // A zigzag across the canvas and a dot.
    let zigzag: Vec<(f32, f32)> = (0..=12)
        .map(|i| (i as f32 * 50.0, if i % 2 == 0 { 20.0 } else { 180.0 }))
        .collect();
    let render = |strokes| {
        let mut report = Report::new(fonts(), meta(Locale::ZhCn));
        report.signatures(&[signature(strokes)]);
        let pdf = write(report);
        dark_pixels(&pdf.path)
    };
    let signed = render(vec![zigzag, vec![(300.0, 100.0)]]);
    let blank = render(Vec::new());
    let ink: Vec<&(u32, u32)> = signed.iter().filter(|p| !blank.contains(p)).collect();
    assert!(ink.len() > 50, "{} dark pixels from the strokes", ink.len());
    // The box: left margin, a third of the width, 26 mm high (mm → px at 50 dpi).
    let px = |mm: f32| (mm / 25.4 * 50.0).round() as u32;
    let (x0, x1) = (px(18.0), px(18.0 + 174.0 / 3.0));
    let top = ink.iter().map(|p| p.1).min().unwrap();
    let bottom = ink.iter().map(|p| p.1).max().unwrap();
    assert!(
        ink.iter().all(|p| p.0 >= x0 && p.0 <= x1),
        "ink outside the box column"
    );
    assert!(
        bottom - top <= px(26.0),
        "ink {top}..{bottom} taller than the box"
    );
    // Aspect kept: the 3:1 canvas is limited by the box's inner width (54 − 4 mm), so the
    // zigzag is 50 mm wide and about 17 mm high.
    let left = ink.iter().map(|p| p.0).min().unwrap();
    let right = ink.iter().map(|p| p.0).max().unwrap();
    assert!(
        right - left >= px(48.0),
        "zigzag {left}..{right} not scaled to the box"
    );
    assert!(bottom - top <= px(19.0), "zigzag {top}..{bottom} stretched");
}

#[test]
fn images_fit_their_box_keeping_their_aspect() {
    assert_eq!(report::fit(2.0, 100.0, 100.0), (100.0, 50.0));
    assert_eq!(report::fit(0.5, 100.0, 100.0), (50.0, 100.0));
}

#[test]
fn fonts_are_shared_across_threads_and_a_report_can_move_to_one() {
    fn shared<T: Send + Sync>() {}
    fn movable<T: Send>() {}
    shared::<Fonts>();
    movable::<Report>();
}

mod charts;
