//! PDF report figures: loading the font, a big synthetic takeover report (40 sections, 300
//! findings, 200 photos) and a one-page report, through `handover::pdf`. The big report is
//! made twice: with 800×600 photos of about 75 KB, and with the 320 px thumbnails that
//! `handover::photos::ingest` derives from them. Driven by `bench/pdf-report`.
//!
//! ```text
//! cargo bench --bench pdf_report -- time [ROUNDS] [OUT_DIR]   median ms and sizes; PDFs kept in OUT_DIR
//! ```
//! With no arguments (as `cargo test --all-targets` runs it) it builds a small report once and
//! checks it. Every mode ends with `key=value` lines for scripts.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use handover::i18n::Locale;
use handover::pdf::{Cell, Fonts, Image, Meta, Report, SignatureBlock, Table};
use handover::photos;
use turbojpeg::{PixelFormat, Subsamp};

/// Sections of the big report.
const SECTIONS: usize = 40;
/// Findings of the big report.
const FINDINGS: usize = 300;
/// Photos of the big report.
const PHOTOS: usize = 200;

fn main() -> Result<()> {
    // `cargo bench` appends `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        None => smoke(),
        Some("time") => {
            let rounds = args.get(1).map_or(Ok(5), |s| s.parse().context("ROUNDS"))?;
            time(rounds, args.get(2).map(String::as_str))
        }
        Some(other) => bail!("unknown mode {other:?}: time [ROUNDS] [OUT_DIR]"),
    }
}

/// A small report with every kind of block, once: it must come out as a PDF.
fn smoke() -> Result<()> {
    let fonts = Arc::new(Fonts::from_env()?);
    let photos = photos(4)?;
    let pdf = big_report(fonts, 2, 10, &images(&photos)?)?;
    let photo_bytes: usize = photos.iter().map(|(jpeg, _)| jpeg.len()).sum();
    if !pdf.starts_with(b"%PDF-") || pdf.len() < photo_bytes {
        bail!("not a PDF with its photos ({} bytes)", pdf.len());
    }
    println!("smoke=ok");
    Ok(())
}

/// Times the font load once, then `rounds` big and one-page reports; prints medians and sizes.
fn time(rounds: usize, out_dir: Option<&str>) -> Result<()> {
    let rss_before = vm_rss_kb()?;
    let start = Instant::now();
    let fonts = Arc::new(Fonts::from_env()?);
    let font_ms = ms(start);
    let font_mb = (vm_rss_kb()? - rss_before) as f64 / 1024.0;
    println!("font loaded in {font_ms:.0} ms, {font_mb:.0} MB more resident");
    println!("font_load_ms={font_ms:.0}");
    println!("font_rss_mb={font_mb:.0}");

    let previews = photos(PHOTOS)?;
    let thumbs = previews
        .iter()
        .map(|(jpeg, caption)| {
            let thumb = photos::ingest(jpeg)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?
                .thumb;
            Ok((thumb, caption.clone()))
        })
        .collect::<Result<Vec<_>>>()?;
    for (name, set) in [("big", &previews), ("thumbs", &thumbs)] {
        let images = images(set)?;
        let sizes: Vec<usize> = set.iter().map(|(jpeg, _)| jpeg.len()).collect();
        let photo_bytes: usize = sizes.iter().sum();
        let (took, pdf) = median(rounds, || {
            big_report(fonts.clone(), SECTIONS, FINDINGS, &images)
        })?;
        if let Some(dir) = out_dir {
            std::fs::write(format!("{dir}/{name}.pdf"), &pdf)?;
        }
        println!(
            "{name}: {SECTIONS} sections, {FINDINGS} findings, {PHOTOS} photos of {:.0}–{:.0} KB \
             ({:.1} MB): median {took:.0} ms, {:.2} MB",
            sizes.iter().min().copied().unwrap_or(0) as f64 / 1024.0,
            sizes.iter().max().copied().unwrap_or(0) as f64 / 1024.0,
            photo_bytes as f64 / 1_048_576.0,
            pdf.len() as f64 / 1_048_576.0
        );
        println!("{name}_ms={took:.0}");
        println!("{name}_bytes={}", pdf.len());
        println!("{name}_photo_bytes={photo_bytes}");
    }

    let (one_ms, one) = median(rounds, || one_page(fonts.clone()))?;
    if let Some(dir) = out_dir {
        std::fs::write(format!("{dir}/one-page.pdf"), &one)?;
    }
    println!(
        "one-page report: median {one_ms:.0} ms, {:.1} KB",
        one.len() as f64 / 1024.0
    );
    println!("one_page_ms={one_ms:.0}");
    println!("one_page_bytes={}", one.len());
    Ok(())
}

/// Resident memory of this process (VmRSS), in kB.
fn vm_rss_kb() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/self/status")
}

/// Runs `build` `rounds` times; the median time and the last PDF.
fn median(rounds: usize, build: impl Fn() -> Result<Vec<u8>>) -> Result<(f64, Vec<u8>)> {
    let mut times = Vec::new();
    let mut pdf = Vec::new();
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        pdf = build()?;
        times.push(ms(start));
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], pdf))
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn meta() -> Meta {
    Meta {
        title: "承接查验报告 · 滨江花园二期 3栋".into(),
        header: "滨江花园二期 · 3栋".into(),
        footer: "承接查验报告 · 生成于 2026年11月24日".into(),
        locale: Locale::ZhCn,
        created: Utc::now(),
    }
}

/// `sections` sections sharing `findings` findings (a table each) and the photos (a grid
/// each, the first photo of a finding also as its thumbnail), then three signatures.
fn big_report(
    fonts: Arc<Fonts>,
    sections: usize,
    findings: usize,
    photos: &[Image],
) -> Result<Vec<u8>> {
    let mut report = Report::new(fonts, meta());
    report.key_values(&[
        ("项目".into(), "滨江花园二期".into()),
        ("查验范围".into(), "3栋 1–32 层，共 128 户及公共区域".into()),
        ("查验日期".into(), "2026年11月20日 至 2026年11月23日".into()),
        ("查验单位".into(), "物业服务中心工程部".into()),
    ]);
    report.paragraph(
        "本报告依据集团《承接查验标准》编制，逐户记录问题、照片与整改期限。逾期未整改的问题以红色标出。",
    );
    let mut next_finding = 0;
    let mut next_photo = 0;
    for s in 0..sections {
        report.heading(&format!("{}. {}层 公共区域与户内", s + 1, s + 1));
        let rows = (findings * (s + 1)) / sections - next_finding;
        let mut table = Table::new([
            ("编号", 1.2),
            ("照片", 1.6),
            ("部位", 1.5),
            ("问题描述", 4.0),
            ("责任单位", 2.0),
            ("整改期限", 1.6),
        ]);
        for r in 0..rows {
            let n = next_finding + r + 1;
            let due = if n % 9 == 0 {
                Cell::alert("已逾期 3 天")
            } else {
                Cell::text("2026-12-15")
            };
            let photo = &photos[(n * 7) % photos.len()];
            table.row([
                Cell::text(format!("F-{n:03}")),
                Cell::text("").with_thumbnail(photo.clone()),
                Cell::text(format!("{}0{} 主卧", s + 1, r % 4 + 1)),
                Cell::text("墙面空鼓约 0.3 m²，门框与墙体间缝隙不均匀，需凿除后重新抹灰并复查。"),
                Cell::text("中建三局 土建二组"),
                due,
            ]);
        }
        next_finding += rows;
        report.table(table);
        let count = (photos.len() * (s + 1)) / sections - next_photo;
        report.images(&photos[next_photo..next_photo + count], 3);
        next_photo += count;
    }
    report.heading("签字确认");
    let signer = |role: &str, name: &str| SignatureBlock {
        strokes: vec![
            (0..40)
                .map(|i| {
                    (
                        20.0 + i as f32 * 14.0,
                        100.0 + 60.0 * (i as f32 / 3.0).sin(),
                    )
                })
                .collect(),
        ],
        canvas_width: 600.0,
        canvas_height: 200.0,
        lines: vec![format!("{role}：{name}"), "2026-11-24 16:05".into()],
    };
    report.signatures(&[
        signer("物业公司", "王䶮"),
        signer("开发建设单位", "李堃"),
        signer("监理单位", "张喆"),
    ]);
    Ok(report.finish()?)
}

/// A one-page report: unit facts, a short findings table, a conclusion.
fn one_page(fonts: Arc<Fonts>) -> Result<Vec<u8>> {
    let mut report = Report::new(fonts, meta());
    report.key_values(&[
        ("房号".into(), "3栋2单元1801".into()),
        (
            "业主".into(),
            "王䶮 李堃 张喆 陈燊 刘犇 赵玥 孙珺 周镕 𠅤".into(),
        ),
        ("建筑面积".into(), "128.6 m²".into()),
    ]);
    report.heading("查验问题");
    let mut table = Table::new([
        ("编号", 1.0),
        ("部位", 1.5),
        ("问题描述", 5.0),
        ("整改期限", 1.5),
    ]);
    for (i, text) in [
        "卫生间地漏坡度不足，积水",
        "入户门闭门器缺失",
        "阳台栏杆高度 1.02 m，低于设计",
    ]
    .iter()
    .enumerate()
    {
        table.row([
            Cell::text(format!("F-{:03}", i + 1)),
            Cell::text("卫生间"),
            Cell::text(*text),
            Cell::alert("已逾期 2 天"),
        ]);
    }
    report.table(table);
    report.heading("结论");
    report.paragraph("本户共发现问题 3 项，均已指派责任单位，整改完成后复验。");
    Ok(report.finish()?)
}

/// `count` distinct photo-like 800×600 JPEGs of 60–100 KB, with their captions.
fn photos(count: usize) -> Result<Vec<(Vec<u8>, String)>> {
    (0..count)
        .map(|i| {
            Ok((
                photo(800, 600, i as u64)?,
                format!("照片 {} · 墙面空鼓", i + 1),
            ))
        })
        .collect()
}

/// The photos as report images.
fn images(photos: &[(Vec<u8>, String)]) -> Result<Vec<Image>> {
    photos
        .iter()
        .map(|(jpeg, caption)| Ok(Image::jpeg(jpeg.clone())?.with_caption(caption.clone())))
        .collect()
}

/// A wall under a gradient sky with sensor noise: compresses like a phone photo's preview.
fn photo(width: usize, height: usize, seed: u64) -> Result<Vec<u8>> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut noise = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 59) as i32) - 16
    };
    let mut pixels = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for col in 0..width {
            let wall = y > height / 3;
            let tile = ((col / 40 + y / 40 + seed as usize) % 2) as i32 * 18;
            let base = if wall {
                [170 + tile, 160 + tile, 150 + tile]
            } else {
                let t = (y * 80 / height) as i32;
                [110 + t, 150 + t, 220]
            };
            for c in base {
                pixels.push((c + noise()).clamp(0, 255) as u8);
            }
        }
    }
    let image = turbojpeg::Image {
        pixels: pixels.as_slice(),
        width,
        pitch: width * 3,
        height,
        format: PixelFormat::RGB,
    };
    Ok(turbojpeg::compress(image, 80, Subsamp::Sub2x2)?.to_vec())
}
