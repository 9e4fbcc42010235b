//! Photo ingest figures: `handover::photos::ingest` (the real pipeline minus HTTP) on one JPEG,
//! its peak memory, and the `Photos` service's throughput. Driven by `bench/photo-ingest`.
//!
//! ```text
//! cargo bench --bench photo_ingest -- make OUT.jpg [WIDTH HEIGHT]   a photo-like 4:2:0 q90 JPEG
//! cargo bench --bench photo_ingest -- time PHOTO [ITERATIONS]       median ms per photo, one core
//! cargo bench --bench photo_ingest -- rss PHOTO                     peak RSS (VmHWM) of one ingest
//! cargo bench --bench photo_ingest -- throughput PHOTO [PHOTOS] [TASKS]   photos/s, Photos service
//! ```
//! PHOTO may also come from the `PHOTO` environment variable. Each mode ends with `key=value`
//! lines for scripts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use handover::photos::{self, Photos};

fn main() -> Result<()> {
    // `cargo bench` appends `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let photo = || -> Result<String> {
        arg(1)
            .map(str::to_owned)
            .or_else(|| std::env::var("PHOTO").ok())
            .context("give a JPEG path (argument or PHOTO=...)")
    };
    let number = |i: usize, default: usize| -> Result<usize> {
        arg(i).map_or(Ok(default), |s| s.parse().context("not a number"))
    };
    match arg(0) {
        Some("make") => {
            let out = arg(1).context("make OUT.jpg [WIDTH HEIGHT]")?;
            make(out, number(2, 4000)?, number(3, 3000)?)
        }
        // `cargo test --all-targets` runs this binary with no arguments: check the pipeline on
        // a small photo instead of timing a big one.
        None if std::env::var_os("PHOTO").is_none() => smoke(),
        Some("time") | None => time(&photo()?, number(2, 15)?),
        Some("rss") => rss(&photo()?),
        Some("throughput") => throughput(&photo()?, number(2, 60)?, number(3, 2)?),
        Some(other) => bail!("unknown mode {other:?}: make | time | rss | throughput"),
    }
}

/// Makes a small photo, ingests it once through the timed path, and checks both derivatives.
fn smoke() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("photo-ingest-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("smoke.jpg");
    let path = path.to_str().context("temp path is not UTF-8")?;
    make(path, 800, 600)?;
    time(path, 1)?;
    let ingested = photos::ingest(&std::fs::read(path)?).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    std::fs::remove_dir_all(&dir)?;
    if ingested.preview.is_empty() || ingested.thumb.is_empty() {
        bail!("ingest made no derivatives");
    }
    println!("smoke=ok");
    Ok(())
}

/// Runs `ingest` `iterations` times (after one warm-up) and prints the median.
fn time(path: &str, iterations: usize) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    let first = photos::ingest(&bytes).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut ms = Vec::with_capacity(iterations);
    for _ in 0..iterations.max(1) {
        let start = Instant::now();
        let ingested = photos::ingest(&bytes).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(ingested);
    }
    ms.sort_by(f64::total_cmp);
    let median = ms[ms.len() / 2];
    println!(
        "{path}: {} bytes, {}×{} upright → preview {} B, thumb {} B",
        bytes.len(),
        first.width,
        first.height,
        first.preview.len(),
        first.thumb.len()
    );
    println!(
        "ingest: median {median:.1} ms, min {:.1}, max {:.1} over {} runs",
        ms[0],
        ms[ms.len() - 1],
        ms.len()
    );
    println!("median_ms={median:.1}");
    Ok(())
}

/// One ingest, then the process's peak resident set (VmHWM).
fn rss(path: &str) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    let before = vm_hwm_kb()?;
    let ingested = photos::ingest(&bytes).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    std::hint::black_box(&ingested);
    let peak = vm_hwm_kb()?;
    println!(
        "peak RSS {:.1} MB after one ingest ({:.1} MB with the photo read, before decoding)",
        peak as f64 / 1024.0,
        before as f64 / 1024.0
    );
    println!("peak_rss_mb={:.1}", peak as f64 / 1024.0);
    Ok(())
}

fn vm_hwm_kb() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")
}

/// `count` distinct photos (the same pixels, each with its own JPEG comment, so each is stored)
/// through the `Photos` service from `tasks` concurrent tasks; prints photos per second.
fn throughput(path: &str, count: usize, tasks: usize) -> Result<()> {
    let bytes = Bytes::from(std::fs::read(path).with_context(|| format!("reading {path}"))?);
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(tasks.max(1))
        .enable_all()
        .build()?;
    let elapsed = runtime.block_on(async {
        let photos = Arc::new(Photos::new(dir.path().to_path_buf()));
        photos
            .ingest(with_comment(&bytes, usize::MAX))
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?; // warm-up
        let next = Arc::new(AtomicUsize::new(0));
        let cpu_start = cpu_ms()?;
        let start = Instant::now();
        let workers: Vec<_> = (0..tasks.max(1))
            .map(|_| {
                let (photos, next, bytes) = (photos.clone(), next.clone(), bytes.clone());
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return Ok::<_, anyhow::Error>(());
                        }
                        photos
                            .ingest(with_comment(&bytes, i))
                            .await
                            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    }
                })
            })
            .collect();
        for w in workers {
            w.await??;
        }
        Ok::<_, anyhow::Error>((start.elapsed(), cpu_ms()? - cpu_start))
    })?;
    let (elapsed, cpu) = elapsed;
    let rate = count as f64 / elapsed.as_secs_f64();
    println!(
        "Photos service: {count} photos in {:.2} s from {tasks} tasks on {} cores: {rate:.1} photos/s \
         ({:.0} ms of CPU per photo)",
        elapsed.as_secs_f64(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu / count as f64
    );
    println!("photos_per_s={rate:.1}");
    println!("cpu_ms_per_photo={:.0}", cpu / count as f64);
    Ok(())
}

/// CPU time (user + system) of this process so far, in ms (from `/proc/self/stat`).
fn cpu_ms() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("odd /proc/self/stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks * 10.0) // USER_HZ is 100 on Linux
}

/// The JPEG with a COM segment after SOI naming `i`: same pixels, different bytes and sha.
fn with_comment(jpeg: &[u8], i: usize) -> Bytes {
    let text = format!("handover bench photo {i}");
    let mut out = Vec::with_capacity(jpeg.len() + text.len() + 4);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&(text.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    Bytes::from(out)
}

/// Writes a photo-like JPEG (q90, 4:2:0): a lit facade with windows, a sky gradient and sensor
/// noise, so that it compresses like a phone photo (about 4 MB at 12 MP), unlike flat colour.
fn make(out: &str, width: usize, height: usize) -> Result<()> {
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = move || {
        // Sum of uniforms ≈ Gaussian, σ ≈ 10 levels.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let b = rng.to_le_bytes();
        (i32::from(b[0]) + i32::from(b[1]) + i32::from(b[2]) - 382) / 12
    };
    let mut rgb = vec![0u8; width * height * 3];
    let horizon = height * 2 / 5;
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            let base = if y < horizon {
                // sky: blue to pale, with soft clouds
                let cloud = ((fx * 9.0).sin() * (fy * 23.0 + fx * 4.0).cos() * 30.0).max(0.0);
                [
                    120.0 + 90.0 * fy + cloud,
                    160.0 + 60.0 * fy + cloud,
                    230.0 + cloud * 0.3,
                ]
            } else {
                // facade: brick courses, windows in a grid, shading across
                let (wx, wy) = (x % 320, (y - horizon) % 260);
                let window = (60..260).contains(&wx) && (50..210).contains(&wy);
                let course = if (y / 12) % 2 == 0 { 12.0 } else { -6.0 };
                let brick = if (x + (y / 12 % 2) * 18) % 36 < 2 {
                    -40.0
                } else {
                    course
                };
                let shade = 40.0 * (fx * 3.1).sin();
                if window {
                    let glass = 40.0 + 50.0 * ((fx * 40.0 + fy * 13.0).sin() + 1.0);
                    [glass * 0.7, glass * 0.8, glass]
                } else {
                    [
                        180.0 + brick + shade,
                        120.0 + brick + shade * 0.8,
                        90.0 + brick * 0.6,
                    ]
                }
            };
            let i = (y * width + x) * 3;
            for (c, v) in base.iter().enumerate() {
                rgb[i + c] = (*v as i32 + noise()).clamp(0, 255) as u8;
            }
        }
    }
    let image = turbojpeg::Image {
        pixels: rgb.as_slice(),
        width,
        pitch: width * 3,
        height,
        format: turbojpeg::PixelFormat::RGB,
    };
    let jpeg = turbojpeg::compress(image, 90, turbojpeg::Subsamp::Sub2x2)?;
    std::fs::write(out, &*jpeg)?;
    println!("{out}: {width}×{height}, {} bytes", jpeg.len());
    Ok(())
}
