//! What an upload is, read from its first bytes and headers only: the format from magic bytes
//! (never the file name), and a JPEG's size and Exif block from its markers, before any pixel
//! is decoded.

use crate::error::AppError;

use super::{MAX_PIXELS, MAX_SIDE};

/// An image format the pipeline decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JPEG / JFIF / Exif (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// WebP (`RIFF....WEBP`).
    WebP,
}

impl Format {
    /// MIME type of the format.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
        }
    }
}

/// ISO-BMFF brands of HEIC/HEIF stills and sequences (what iPhones and many Androids shoot).
const HEIC_BRANDS: [&[u8; 4]; 9] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"mif1", b"msf1",
];

/// The format of `bytes` from its magic bytes: HEIC/HEIF is `PhotoHeic` (the tablet must send
/// JPEG), anything else unknown is `PhotoUnsupported`.
pub fn sniff(bytes: &[u8]) -> Result<Format, AppError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(Format::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok(Format::WebP)
    } else if is_heic(bytes) {
        Err(AppError::PhotoHeic)
    } else {
        Err(AppError::PhotoUnsupported)
    }
}

/// An ISO-BMFF `ftyp` box whose major or a compatible brand is a HEIC/HEIF one.
fn is_heic(bytes: &[u8]) -> bool {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(12, bytes.len());
    // Major brand at 8..12, minor version at 12..16, compatible brands from 16 to the box end.
    std::iter::once(&bytes[8..12])
        .chain(bytes.get(16..end).unwrap_or_default().chunks_exact(4))
        .any(|brand| HEIC_BRANDS.iter().any(|h| &h[..] == brand))
}

/// Refuses a zero-sized image (corrupt) and one over [`MAX_PIXELS`] or [`MAX_SIDE`] (a
/// decompression bomb), from header dimensions.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), AppError> {
    if width == 0 || height == 0 {
        return Err(AppError::PhotoCorrupt(format!(
            "image size {width}×{height}"
        )));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(AppError::PhotoTooManyPixels);
    }
    Ok(())
}

/// What a JPEG's markers say before its scan data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegInfo<'a> {
    /// Width from the frame header (SOF), as stored (before orientation).
    pub width: u32,
    /// Height from the frame header (SOF), as stored.
    pub height: u32,
    /// TIFF body of the first `Exif` APP1 segment (after `Exif\0\0`), if any.
    pub exif: Option<&'a [u8]>,
}

/// Walks a JPEG's marker segments up to its frame header (SOFn), which carries the size; the
/// Exif APP1 segment precedes it. Nothing is decoded or allocated.
pub fn jpeg_info(bytes: &[u8]) -> Result<JpegInfo<'_>, AppError> {
    let corrupt = |what: &str| AppError::PhotoCorrupt(format!("jpeg: {what}"));
    let mut exif = None;
    let mut i = 2; // after SOI
    loop {
        if bytes.get(i) != Some(&0xFF) {
            return Err(corrupt("no frame header"));
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1; // fill bytes
        }
        let Some(&marker) = bytes.get(i) else {
            return Err(corrupt("no frame header"));
        };
        i += 1;
        match marker {
            // Standalone markers carry no length.
            0x01 | 0xD0..=0xD8 => continue,
            // Start of scan or end of image before any frame header.
            0xD9 | 0xDA => return Err(corrupt("no frame header")),
            _ => {}
        }
        let len = match bytes.get(i..i + 2) {
            Some(l) => usize::from(u16::from_be_bytes([l[0], l[1]])),
            None => return Err(corrupt("truncated header")),
        };
        let Some(segment) = bytes.get(i + 2..i + len).filter(|_| len >= 2) else {
            return Err(corrupt("truncated header"));
        };
        match marker {
            0xE1 if exif.is_none() && segment.starts_with(b"Exif\0\0") => {
                exif = Some(&segment[6..]);
            }
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let Some(sof) = segment.get(..5) else {
                    return Err(corrupt("short frame header"));
                };
                let height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
                let width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
                return Ok(JpegInfo {
                    width,
                    height,
                    exif,
                });
            }
            _ => {}
        }
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn formats_come_from_magic_bytes() {
        let jpeg = fixtures::jpeg(&fixtures::noisy_rgb(16, 8, 1), 16, 8, 90);
        assert_eq!(sniff(&jpeg).ok(), Some(Format::Jpeg));
        assert_eq!(sniff(&fixtures::png_rgba(4, 4)).ok(), Some(Format::Png));
        assert_eq!(sniff(&fixtures::webp(4, 4)).ok(), Some(Format::WebP));
        assert!(matches!(
            sniff(b"GIF89a......"),
            Err(AppError::PhotoUnsupported)
        ));
        assert!(matches!(sniff(b""), Err(AppError::PhotoUnsupported)));
    }

    #[test]
    fn heic_brands_are_recognised_in_major_and_compatible_position() {
        for brand in HEIC_BRANDS {
            let mut major = b"\0\0\0\x18ftyp".to_vec();
            major.extend_from_slice(&brand[..]);
            major.extend_from_slice(b"\0\0\0\0isom");
            assert!(
                matches!(sniff(&major), Err(AppError::PhotoHeic)),
                "{major:?}"
            );
        }
        // Major brand `isom` with `mif1` among the compatible brands is still HEIF.
        let compat = b"\0\0\0\x1cftypisom\0\0\0\0mp41mif1\0\0\0\x08free";
        assert!(matches!(sniff(compat), Err(AppError::PhotoHeic)));
        // An MP4 video is not HEIC, just unsupported; nor is a box size past the buffer a panic.
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2mp41";
        assert!(matches!(sniff(mp4), Err(AppError::PhotoUnsupported)));
        assert!(matches!(
            sniff(b"\xff\xff\xff\xffftypmp42"),
            Err(AppError::PhotoUnsupported)
        ));
    }

    #[test]
    fn jpeg_info_reads_sof_and_exif_without_decoding() {
        let jpeg = fixtures::jpeg(&fixtures::noisy_rgb(40, 24, 2), 40, 24, 90);
        let info = jpeg_info(&jpeg).unwrap();
        assert_eq!((info.width, info.height, info.exif), (40, 24, None));

        let tagged = fixtures::with_exif(&jpeg, 6, true);
        let info = jpeg_info(&tagged).unwrap();
        assert_eq!((info.width, info.height), (40, 24));
        let exif = info.exif.expect("exif found");
        assert!(exif.starts_with(b"II*\0"));
    }

    #[test]
    fn jpeg_info_refuses_headers_cut_short() {
        let jpeg = fixtures::jpeg(&fixtures::noisy_rgb(40, 24, 2), 40, 24, 90);
        let sof = fixtures::sof_offset(&jpeg);
        for cut in [2, 3, 5, 20, sof, sof + 4] {
            assert!(
                matches!(jpeg_info(&jpeg[..cut]), Err(AppError::PhotoCorrupt(_))),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn dimensions_are_bounded_by_pixels_and_by_side() {
        assert!(check_dimensions(4000, 3000).is_ok());
        assert!(check_dimensions(MAX_SIDE, 4000).is_ok());
        assert!(matches!(
            check_dimensions(MAX_SIDE + 1, 10),
            Err(AppError::PhotoTooManyPixels)
        ));
        assert!(matches!(
            check_dimensions(10, MAX_SIDE + 1),
            Err(AppError::PhotoTooManyPixels)
        ));
        assert!(matches!(
            check_dimensions(12_000, 10_001),
            Err(AppError::PhotoTooManyPixels)
        ));
        assert!(check_dimensions(12_000, 10_000).is_ok());
        assert!(matches!(
            check_dimensions(0, 10),
            Err(AppError::PhotoCorrupt(_))
        ));
    }
}
