//! The ingest rules of the photo issue, end to end through [`ingest`] and [`Photos`].

use std::time::{Duration, Instant};

use super::fixtures::{self, decode, pixel};
use super::*;

const RED: [u8; 3] = [255, 0, 0];
const BLUE: [u8; 3] = [0, 0, 255];

fn is_red(p: [u8; 3]) -> bool {
    p[0] > 200 && p[1] < 60 && p[2] < 60
}

fn is_blue(p: [u8; 3]) -> bool {
    p[0] < 60 && p[1] < 60 && p[2] > 200
}

fn small_jpeg() -> Vec<u8> {
    fixtures::jpeg(&fixtures::noisy_rgb(64, 48, 7), 64, 48, 90)
}

#[test]
fn more_than_max_bytes_is_too_large() {
    let mut bytes = small_jpeg();
    bytes.resize(MAX_BYTES + 1, 0);
    assert!(matches!(ingest(&bytes), Err(AppError::PhotoTooLarge)));
    // The limit is inclusive: exactly MAX_BYTES gets past the size check (and fails later).
    bytes.truncate(MAX_BYTES);
    assert!(!matches!(ingest(&bytes), Err(AppError::PhotoTooLarge)));
}

#[test]
fn a_tiny_jpeg_claiming_60000_squared_is_refused_from_its_header() {
    let bomb = fixtures::with_sof_size(&small_jpeg(), 60000, 60000);
    assert!(bomb.len() < 4096, "{} bytes", bomb.len());
    assert!(matches!(ingest(&bomb), Err(AppError::PhotoTooManyPixels)));
    // One side over the limit, few pixels in all.
    let long = fixtures::with_sof_size(&small_jpeg(), 30001, 8);
    assert!(matches!(ingest(&long), Err(AppError::PhotoTooManyPixels)));
    // 12000×10001 = 120.012 MP: over by pixels with both sides allowed.
    let many = fixtures::with_sof_size(&small_jpeg(), 12000, 10001);
    assert!(matches!(ingest(&many), Err(AppError::PhotoTooManyPixels)));
}

#[test]
fn a_png_bomb_is_refused_fast() {
    let bomb = fixtures::png_bomb(20_000);
    assert!(bomb.len() < 3 * 1024 * 1024, "{} bytes", bomb.len());
    // It is a real PNG claiming 20000×20000.
    let dims =
        image::ImageReader::with_format(std::io::Cursor::new(&bomb), image::ImageFormat::Png)
            .into_dimensions()
            .unwrap();
    assert_eq!(dims, (20_000, 20_000));
    let start = Instant::now();
    assert!(matches!(ingest(&bomb), Err(AppError::PhotoTooManyPixels)));
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_png_bomb_under_the_pixel_limit_still_decodes_within_bounds() {
    // 2000×2000 of zeros: allowed, decoded (4 MP), and derived like any photo.
    let ingested = ingest(&fixtures::png_bomb(2000)).unwrap();
    assert_eq!((ingested.width, ingested.height), (2000, 2000));
    let (w, h, rgb) = decode(&ingested.preview);
    assert_eq!((w, h), (1600, 1600));
    assert!(pixel(&rgb, w, 800, 800).iter().all(|&c| c < 8));
}

#[test]
fn a_truncated_jpeg_is_corrupt() {
    let jpeg = fixtures::jpeg(&fixtures::noisy_rgb(400, 300, 3), 400, 300, 90);
    assert!(ingest(&jpeg).is_ok());
    let half = &jpeg[..jpeg.len() / 2];
    match ingest(half) {
        Err(AppError::PhotoCorrupt(detail)) => assert!(!detail.is_empty()),
        other => panic!("expected corrupt, got {other:?}"),
    }
    // Cut before the scan: caught while reading the header.
    let sof = fixtures::sof_offset(&jpeg);
    assert!(matches!(
        ingest(&jpeg[..sof + 6]),
        Err(AppError::PhotoCorrupt(_))
    ));
    // Garbage in the scan data.
    let mut damaged = jpeg.clone();
    let mid = damaged.len() / 2;
    damaged[mid..mid + 64].fill(0xFF);
    assert!(matches!(ingest(&damaged), Err(AppError::PhotoCorrupt(_))));
}

#[test]
fn a_truncated_png_is_corrupt() {
    let png = fixtures::png_rgba(300, 200);
    assert!(ingest(&png).is_ok());
    assert!(matches!(
        ingest(&png[..png.len() / 2]),
        Err(AppError::PhotoCorrupt(_))
    ));
}

#[test]
fn heic_is_named_and_anything_else_unsupported() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta";
    assert!(matches!(ingest(heic), Err(AppError::PhotoHeic)));
    let random = fixtures::noisy_rgb(1000, 1, 42);
    assert!(matches!(ingest(&random), Err(AppError::PhotoUnsupported)));
    assert!(matches!(
        ingest(b"%PDF-1.7\n"),
        Err(AppError::PhotoUnsupported)
    ));
    assert!(matches!(ingest(b""), Err(AppError::PhotoUnsupported)));
}

#[test]
fn exif_orientation_6_gives_upright_derivatives_without_metadata() {
    // Stored 400×200 with red on the left; orientation 6 = turn 90° clockwise to display, so
    // upright it is 200×400 with red at the top.
    let stored = fixtures::jpeg(&fixtures::halves_rgb(400, 200, RED, BLUE), 400, 200, 92);
    let photo = fixtures::with_exif(&stored, 6, true);
    assert!(
        photo
            .windows(fixtures::GPS_DATUM.len())
            .any(|w| w == fixtures::GPS_DATUM)
    );

    let ingested = ingest(&photo).unwrap();
    assert_eq!((ingested.width, ingested.height), (200, 400));
    assert_eq!(ingested.mime, "image/jpeg");
    assert_eq!(ingested.bytes, photo.len());
    assert_eq!(ingested.sha256, format!("{:x}", Sha256::digest(&photo)));

    let (w, h, rgb) = decode(&ingested.preview);
    assert_eq!((w, h), (200, 400));
    assert!(
        is_red(pixel(&rgb, w, 100, 20)),
        "{:?}",
        pixel(&rgb, w, 100, 20)
    );
    assert!(
        is_blue(pixel(&rgb, w, 100, 380)),
        "{:?}",
        pixel(&rgb, w, 100, 380)
    );

    let (tw, th, trgb) = decode(&ingested.thumb);
    assert_eq!((tw, th), (160, 320));
    assert!(is_red(pixel(&trgb, tw, 80, 10)));
    assert!(is_blue(pixel(&trgb, tw, 80, 310)));

    for derived in [&ingested.preview, &ingested.thumb] {
        let markers = fixtures::markers(derived);
        assert!(
            !markers.contains(&0xE1),
            "APP1 in a derivative: {markers:x?}"
        );
        assert!(!derived.windows(4).any(|w| w == b"Exif"));
        assert!(
            !derived
                .windows(fixtures::GPS_DATUM.len())
                .any(|w| w == fixtures::GPS_DATUM)
        );
    }
}

#[test]
fn every_exif_orientation_is_applied() {
    let stored = fixtures::jpeg(&fixtures::halves_rgb(400, 200, RED, BLUE), 400, 200, 92);
    // Where the red (stored left) half ends up: (upright size, a red point, a blue point).
    let cases = [
        (1, (400, 200), (20, 100), (380, 100)),
        (2, (400, 200), (380, 100), (20, 100)),
        (3, (400, 200), (380, 100), (20, 100)),
        (4, (400, 200), (20, 100), (380, 100)),
        (5, (200, 400), (100, 20), (100, 380)),
        (6, (200, 400), (100, 20), (100, 380)),
        (7, (200, 400), (100, 380), (100, 20)),
        (8, (200, 400), (100, 380), (100, 20)),
    ];
    for (orientation, size, red, blue) in cases {
        let ingested = ingest(&fixtures::with_exif(&stored, orientation, false)).unwrap();
        assert_eq!(
            (ingested.width, ingested.height),
            size,
            "orientation {orientation}"
        );
        let (w, h, rgb) = decode(&ingested.preview);
        assert_eq!((w, h), size, "orientation {orientation}");
        assert!(
            is_red(pixel(&rgb, w, red.0, red.1)),
            "orientation {orientation}"
        );
        assert!(
            is_blue(pixel(&rgb, w, blue.0, blue.1)),
            "orientation {orientation}"
        );
    }
}

#[test]
fn a_large_jpeg_is_scaled_to_1600_and_320() {
    let (w, h) = (4000, 3000);
    let rgb = fixtures::halves_rgb(w, h, RED, BLUE);
    let ingested = ingest(&fixtures::jpeg(&rgb, w, h, 85)).unwrap();
    assert_eq!((ingested.width, ingested.height), (4000, 3000));
    let (pw, ph, prgb) = decode(&ingested.preview);
    assert_eq!((pw, ph), (1600, 1200));
    assert!(is_red(pixel(&prgb, pw, 100, 600)) && is_blue(pixel(&prgb, pw, 1500, 600)));
    let (tw, th, _) = decode(&ingested.thumb);
    assert_eq!((tw, th), (320, 240));
}

#[test]
fn a_png_with_alpha_is_flattened_on_white() {
    let png = fixtures::png_rgba(300, 200);
    let ingested = ingest(&png).unwrap();
    assert_eq!(ingested.mime, "image/png");
    assert_eq!((ingested.width, ingested.height), (300, 200));
    let (w, h, rgb) = decode(&ingested.preview);
    assert_eq!((w, h), (300, 200));
    // Transparent red is white, not red or black.
    assert!(
        pixel(&rgb, w, 30, 100).iter().all(|&c| c > 240),
        "{:?}",
        pixel(&rgb, w, 30, 100)
    );
    assert!(is_blue(pixel(&rgb, w, 270, 100)));
}

#[test]
fn a_webp_is_ingested() {
    let ingested = ingest(&fixtures::webp(640, 480)).unwrap();
    assert_eq!(ingested.mime, "image/webp");
    assert_eq!((ingested.width, ingested.height), (640, 480));
    let (tw, th, rgb) = decode(&ingested.thumb);
    assert_eq!((tw, th), (320, 240));
    let green = pixel(&rgb, tw, 40, 120);
    assert!(green[1] > 200 && green[0] < 60, "{green:?}");
}

#[tokio::test]
async fn the_service_stores_each_photo_once_and_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let photos = Photos::new(dir.path().to_path_buf());
    let stored = fixtures::jpeg(&fixtures::halves_rgb(400, 200, RED, BLUE), 400, 200, 92);
    let bytes = Bytes::from(fixtures::with_exif(&stored, 6, true));

    let first = photos.ingest(bytes.clone()).await.unwrap();
    let again = photos.ingest(bytes.clone()).await.unwrap();
    assert_eq!(first.sha256, again.sha256);

    let original = photos.read(&first.sha256, Variant::Original).await.unwrap();
    assert_eq!(
        original, bytes,
        "original kept byte for byte, Exif and GPS included"
    );
    assert_eq!(
        photos.read(&first.sha256, Variant::Preview).await.unwrap(),
        first.preview
    );
    assert_eq!(
        photos.read(&first.sha256, Variant::Thumb).await.unwrap(),
        first.thumb
    );

    let mut files = Vec::new();
    let mut dirs = vec![dir.path().to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path.strip_prefix(dir.path()).unwrap().to_owned());
            }
        }
    }
    files.sort();
    let shard = &first.sha256[..2];
    let sha = &first.sha256;
    let expected: Vec<std::path::PathBuf> = vec![
        format!("original/{shard}/{sha}").into(),
        format!("preview/{shard}/{sha}.jpg").into(),
        format!("thumb/{shard}/{sha}.jpg").into(),
    ];
    assert_eq!(files, expected, "three files, stored once, no temporaries");

    let unknown = "0".repeat(64);
    assert!(matches!(
        photos.read(&unknown, Variant::Original).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        photos.read("../../etc/passwd", Variant::Thumb).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        photos
            .read(&first.sha256.to_uppercase(), Variant::Original)
            .await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn the_service_refuses_bad_uploads_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let photos = Photos::new(dir.path().join("store"));
    let too_big = Bytes::from(vec![0xFF; MAX_BYTES + 1]);
    assert!(matches!(
        photos.ingest(too_big).await,
        Err(AppError::PhotoTooLarge)
    ));
    let heic = Bytes::from_static(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic");
    assert!(matches!(
        photos.ingest(heic).await,
        Err(AppError::PhotoHeic)
    ));
    assert!(!dir.path().join("store").exists());

    // A JPEG refused after decoding started: its staged original is gone too.
    let jpeg = fixtures::jpeg(&fixtures::noisy_rgb(400, 300, 3), 400, 300, 90);
    let truncated = Bytes::copy_from_slice(&jpeg[..jpeg.len() / 2]);
    assert!(matches!(
        photos.ingest(truncated).await,
        Err(AppError::PhotoCorrupt(_))
    ));
    let staging = std::fs::read_dir(dir.path().join("store/tmp"))
        .unwrap()
        .count();
    assert_eq!(staging, 0, "staged original removed");
    assert!(!dir.path().join("store/original").exists());
}

#[test]
fn grey_and_cmyk_jpegs_become_rgb() {
    let compress = |pixels: &[u8], format: turbojpeg::PixelFormat, subsamp| {
        let image = turbojpeg::Image {
            pixels,
            width: 64,
            pitch: 64 * format.size(),
            height: 32,
            format,
        };
        turbojpeg::compress(image, 95, subsamp).unwrap().to_vec()
    };
    let grey: Vec<u8> = (0..32)
        .flat_map(|_| (0..64u32).map(|x| if x < 32 { 30 } else { 220 }))
        .collect();
    let ingested = ingest(&compress(
        &grey,
        turbojpeg::PixelFormat::GRAY,
        turbojpeg::Subsamp::Gray,
    ))
    .unwrap();
    let (w, _, rgb) = decode(&ingested.preview);
    assert!(pixel(&rgb, w, 8, 16).iter().all(|&c| c < 50));
    assert!(pixel(&rgb, w, 56, 16).iter().all(|&c| c > 200));

    // Adobe-style inverted CMYK (255 = no ink): red on the left, blue on the right.
    let cmyk: Vec<u8> = (0..32)
        .flat_map(|_| {
            (0..64u32).flat_map(|x| {
                if x < 32 {
                    [255, 0, 0, 255]
                } else {
                    [0, 0, 255, 255]
                }
            })
        })
        .collect();
    let jpeg = compress(
        &cmyk,
        turbojpeg::PixelFormat::CMYK,
        turbojpeg::Subsamp::None,
    );
    assert_eq!(
        turbojpeg::read_header(&jpeg).unwrap().colorspace,
        turbojpeg::Colorspace::YCCK
    );
    let ingested = ingest(&jpeg).unwrap();
    let (w, _, rgb) = decode(&ingested.preview);
    assert!(is_red(pixel(&rgb, w, 8, 16)), "{:?}", pixel(&rgb, w, 8, 16));
    assert!(
        is_blue(pixel(&rgb, w, 56, 16)),
        "{:?}",
        pixel(&rgb, w, 56, 16)
    );
}
