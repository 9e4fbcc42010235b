//! Pixels: decoding at the smallest useful size, resizing to the preview and thumbnail, turning
//! them upright and encoding them as fresh JPEGs (no metadata). Blocking CPU work.
//!
//! JPEG goes through libjpeg-turbo with DCT-domain downscaling (a 12 MP photo is decoded at
//! 2000×1500, never at full size); PNG and WebP through the `image` crate with allocation limits.

use std::io::Cursor;

use fast_image_resize::images::{Image as FirImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use turbojpeg::{Colorspace, Compressor, Decompressor, PixelFormat, ScalingFactor, Subsamp};

use crate::error::AppError;

use super::sniff::{Format, JpegInfo, check_dimensions};
use super::{MAX_PIXELS, MAX_SIDE, PREVIEW_PX, THUMB_PX};

/// JPEG quality of the derivatives.
const QUALITY: i32 = 82;

/// Most bytes a PNG/WebP decoder may allocate: the largest allowed image as 8-bit RGBA.
const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 4;

/// Progressive scans allowed in one JPEG (cameras write ~10; thousands is a CPU-exhaustion trick).
const MAX_SCANS: u32 = 500;

/// The derivatives of one photo.
pub struct Derived {
    /// Upright width of the original.
    pub width: u32,
    /// Upright height of the original.
    pub height: u32,
    /// JPEG, longest side at most [`PREVIEW_PX`].
    pub preview: Vec<u8>,
    /// JPEG, longest side at most [`THUMB_PX`].
    pub thumb: Vec<u8>,
}

/// An 8-bit RGB raster.
struct Rgb {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

/// Derivatives of a JPEG whose header (`info`) has already passed the pixel bounds.
pub fn from_jpeg(bytes: &[u8], info: &JpegInfo<'_>) -> Result<Derived, AppError> {
    let corrupt = |e: turbojpeg::Error| AppError::PhotoCorrupt(format!("jpeg: {e}"));
    let orientation = info
        .exif
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let mut decoder = Decompressor::new().map_err(internal)?;
    let header = decoder.read_header(bytes).map_err(corrupt)?;
    if (header.width, header.height) != (info.width as usize, info.height as usize) {
        return Err(AppError::PhotoCorrupt(
            "jpeg: inconsistent frame size".into(),
        ));
    }
    let denom = if header.is_lossless {
        1
    } else {
        dct_denominator(info.width, info.height)
    };
    let scale = ScalingFactor::new(1, denom);
    decoder.set_scaling_factor(scale).map_err(internal)?;
    decoder.set_scan_limit(MAX_SCANS).map_err(internal)?;
    let scaled = header.scaled(scale);
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let format = if cmyk {
        PixelFormat::CMYK
    } else {
        PixelFormat::RGB
    };
    let mut pixels = vec![0u8; scaled.width * scaled.height * format.size()];
    let image = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: scaled.width,
        pitch: scaled.width * format.size(),
        height: scaled.height,
        format,
    };
    // libjpeg-turbo reports a truncated or damaged stream as a warning and fills the rest with
    // grey; the turbojpeg crate turns that warning into an error, which is what we want.
    decoder.decompress(bytes, image).map_err(corrupt)?;
    if cmyk {
        pixels = cmyk_to_rgb(&pixels);
    }
    let decoded = Rgb {
        width: u32::try_from(scaled.width).map_err(internal)?,
        height: u32::try_from(scaled.height).map_err(internal)?,
        pixels,
    };
    finish(decoded, (info.width, info.height), orientation)
}

/// Derivatives of a PNG or WebP, decoded by the `image` crate under allocation limits.
pub fn from_image(bytes: &[u8], format: Format) -> Result<Derived, AppError> {
    let format = match format {
        Format::Png => image::ImageFormat::Png,
        Format::WebP => image::ImageFormat::WebP,
        Format::Jpeg => return Err(internal("from_image called on a JPEG")),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits.clone());
    // Reads the header only; the size is checked before any pixel buffer exists.
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    limits
        .reserve(decoder.total_bytes())
        .map_err(|_| AppError::PhotoTooManyPixels)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let rgb = if image.color().has_alpha() {
        flatten_on_white(image.into_rgba8().into_raw())
    } else {
        image.into_rgb8().into_raw()
    };
    finish(
        Rgb {
            width,
            height,
            pixels: rgb,
        },
        (width, height),
        orientation,
    )
}

/// Largest DCT downscale (1/8, 1/4, 1/2) that still leaves the long side at least
/// [`PREVIEW_PX`]; 1 when the photo is not larger than that.
pub fn dct_denominator(width: u32, height: u32) -> usize {
    let long = width.max(height) as usize;
    [8, 4, 2]
        .into_iter()
        .find(|&d| ScalingFactor::new(1, d).scale(long) >= PREVIEW_PX as usize)
        .unwrap_or(1)
}

/// Size that fits `width`×`height` within `max` on the long side, keeping the aspect ratio;
/// never enlarges.
pub fn fit(width: u32, height: u32, max: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max {
        return (width, height);
    }
    let scale = |side: u32| {
        let s = (u64::from(side) * u64::from(max) + u64::from(long) / 2) / u64::from(long);
        (s as u32).clamp(1, max)
    };
    (scale(width), scale(height))
}

/// Preview and thumbnail from a decoded raster of the photo whose stored size is `original`.
fn finish(
    decoded: Rgb,
    original: (u32, u32),
    orientation: Orientation,
) -> Result<Derived, AppError> {
    // The target comes from the original's exact ratio, not the rounded DCT-scaled size.
    let (pw, ph) = fit(original.0, original.1, PREVIEW_PX);
    let preview = orient(resize(decoded, pw, ph)?, orientation)?;
    let (tw, th) = fit(preview.width, preview.height, THUMB_PX);
    let thumb = resize_ref(&preview, tw, th)?;
    let (width, height) = match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (original.1, original.0),
        _ => original,
    };
    Ok(Derived {
        width,
        height,
        preview: encode(&preview)?,
        thumb: encode(&thumb)?,
    })
}

/// `src` resized to `width`×`height` (moved through unchanged when it already has that size).
fn resize(src: Rgb, width: u32, height: u32) -> Result<Rgb, AppError> {
    if (src.width, src.height) == (width, height) {
        return Ok(src);
    }
    resize_ref(&src, width, height)
}

fn resize_ref(src: &Rgb, width: u32, height: u32) -> Result<Rgb, AppError> {
    let view =
        ImageRef::new(src.width, src.height, &src.pixels, PixelType::U8x3).map_err(internal)?;
    let mut dst = FirImage::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&view, &mut dst, &options)
        .map_err(internal)?;
    Ok(Rgb {
        width,
        height,
        pixels: dst.into_vec(),
    })
}

/// `src` turned upright per its Exif orientation (done on the small preview, not the original).
fn orient(src: Rgb, orientation: Orientation) -> Result<Rgb, AppError> {
    let exif = orientation.to_exif();
    if exif == 1 {
        return Ok(src);
    }
    let (w, h) = (src.width as usize, src.height as usize);
    let transposed = exif >= 5;
    let (dw, dh) = if transposed { (h, w) } else { (w, h) };
    let wi = w as isize;
    // Per Exif orientation 2..=8: the source pixel of the first pixel of destination row `y`,
    // and how far the source moves for each step along that row (±1 for flips, ±w for the
    // rotations, which read a source column).
    let row_start = |y: usize| match exif {
        2 => (w - 1, y, -1),
        3 => (w - 1, h - 1 - y, -1),
        4 => (0, h - 1 - y, 1),
        5 => (y, 0, wi),
        6 => (y, h - 1, -wi),
        7 => (w - 1 - y, h - 1, -wi),
        _ => (w - 1 - y, 0, wi),
    };
    let mut pixels = vec![0u8; src.pixels.len()];
    for (y, row) in pixels.chunks_exact_mut(dw * 3).enumerate() {
        let (sx, sy, step) = row_start(y);
        let mut i = (sy * w + sx) as isize;
        for px in row.chunks_exact_mut(3) {
            let s = i as usize * 3;
            px.copy_from_slice(&src.pixels[s..s + 3]);
            i += step;
        }
    }
    Ok(Rgb {
        width: u32::try_from(dw).map_err(internal)?,
        height: u32::try_from(dh).map_err(internal)?,
        pixels,
    })
}

/// A baseline JPEG (quality 82, 4:2:0) with a JFIF header and no other metadata.
fn encode(src: &Rgb) -> Result<Vec<u8>, AppError> {
    let mut compressor = Compressor::new().map_err(internal)?;
    compressor.set_quality(QUALITY).map_err(internal)?;
    compressor.set_subsamp(Subsamp::Sub2x2).map_err(internal)?;
    let image = turbojpeg::Image {
        pixels: src.pixels.as_slice(),
        width: src.width as usize,
        pitch: src.width as usize * 3,
        height: src.height as usize,
        format: PixelFormat::RGB,
    };
    compressor.compress_to_vec(image).map_err(internal)
}

/// RGBA composited onto a white background, as RGB.
fn flatten_on_white(rgba: Vec<u8>) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| {
            let a = u32::from(p[3]);
            let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            [mix(p[0]), mix(p[1]), mix(p[2])]
        })
        .collect()
}

/// CMYK as libjpeg returns it for Adobe files (inverted: 255 = no ink) to RGB.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = u32::from(p[3]);
            let c = |v: u8| ((u32::from(v) * k + 127) / 255) as u8;
            [c(p[0]), c(p[1]), c(p[2])]
        })
        .collect()
}

fn image_error(e: image::ImageError) -> AppError {
    match e {
        image::ImageError::Limits(_) => AppError::PhotoTooManyPixels,
        image::ImageError::Unsupported(e) => {
            AppError::PhotoCorrupt(format!("unsupported variant: {e}"))
        }
        e => AppError::PhotoCorrupt(e.to_string()),
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("photo pipeline: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_scale_is_the_largest_that_keeps_the_preview_size() {
        assert_eq!(dct_denominator(4000, 3000), 2); // → 2000×1500
        assert_eq!(dct_denominator(3000, 4000), 2);
        assert_eq!(dct_denominator(8000, 6000), 4); // → 2000×1500
        assert_eq!(dct_denominator(6400, 4800), 4); // → 1600×1200 exactly
        assert_eq!(dct_denominator(6397, 4800), 4); // libjpeg rounds up: 1600
        assert_eq!(dct_denominator(6396, 4800), 2); // 1/4 would give 1599
        assert_eq!(dct_denominator(13000, 100), 8);
        assert_eq!(dct_denominator(3198, 100), 1);
        assert_eq!(dct_denominator(1600, 1200), 1);
        assert_eq!(dct_denominator(400, 200), 1);
    }

    #[test]
    fn fit_keeps_ratio_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit(1600, 1200, 320), (320, 240));
        assert_eq!(fit(400, 200, 1600), (400, 200));
        assert_eq!(fit(30000, 1, 320), (320, 1));
    }

    #[test]
    fn flattening_puts_transparency_on_white() {
        assert_eq!(
            flatten_on_white(vec![0, 0, 255, 0, 0, 0, 255, 255, 10, 20, 30, 128]),
            vec![255, 255, 255, 0, 0, 255, 132, 137, 142]
        );
    }

    #[test]
    fn adobe_cmyk_becomes_rgb() {
        // Inverted CMYK: (255,255,255,255) is white, K=0 is black, C=0 is full cyan ink.
        assert_eq!(
            cmyk_to_rgb(&[255, 255, 255, 255, 9, 9, 9, 0, 0, 255, 255, 255]),
            vec![255, 255, 255, 0, 0, 0, 0, 255, 255]
        );
    }
}
