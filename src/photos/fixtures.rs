//! Test photos built in code: JPEGs with chosen pixels, an Exif block with orientation and GPS,
//! a crafted frame header, PNG (with alpha), WebP and a PNG decompression bomb.

use image::{ExtendedColorType, ImageEncoder};
use turbojpeg::{PixelFormat, Subsamp};

/// Deterministic noise, `width`×`height` RGB.
pub fn noisy_rgb(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..width as usize * height as usize * 3)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

/// `width`×`height` RGB whose left half is `left` and right half `right`.
pub fn halves_rgb(width: u32, height: u32, left: [u8; 3], right: [u8; 3]) -> Vec<u8> {
    let row: Vec<u8> = (0..width)
        .flat_map(|x| if x < width / 2 { left } else { right })
        .collect();
    row.repeat(height as usize)
}

/// A baseline 4:2:0 JPEG of `rgb`.
pub fn jpeg(rgb: &[u8], width: u32, height: u32, quality: i32) -> Vec<u8> {
    let image = turbojpeg::Image {
        pixels: rgb,
        width: width as usize,
        pitch: width as usize * 3,
        height: height as usize,
        format: PixelFormat::RGB,
    };
    turbojpeg::compress(image, quality, Subsamp::Sub2x2)
        .unwrap()
        .to_vec()
}

/// Decodes a JPEG to (width, height, RGB).
pub fn decode(jpeg: &[u8]) -> (u32, u32, Vec<u8>) {
    let image = turbojpeg::decompress(jpeg, PixelFormat::RGB).unwrap();
    (image.width as u32, image.height as u32, image.pixels)
}

/// RGB of pixel (x, y) of a decoded raster `width` wide.
pub fn pixel(rgb: &[u8], width: u32, x: u32, y: u32) -> [u8; 3] {
    let i = (y as usize * width as usize + x as usize) * 3;
    [rgb[i], rgb[i + 1], rgb[i + 2]]
}

/// The markers of a JPEG up to its scan (SOI excluded).
pub fn markers(jpeg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        out.push(marker);
        if marker == 0xDA {
            break;
        }
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    out
}

/// Offset of the `FF C0`/`FF C2` frame header of a JPEG written by libjpeg-turbo.
pub fn sof_offset(jpeg: &[u8]) -> usize {
    jpeg.windows(2)
        .position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2])
        .unwrap()
}

/// `jpeg` with its frame header claiming `width`×`height` (the scan data is unchanged).
pub fn with_sof_size(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = sof_offset(jpeg);
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

/// Text of the GPS map datum in [`with_exif`]'s GPS block, to look for in derivatives.
pub const GPS_DATUM: &[u8] = b"WGS-84-FIXTURE";

/// `jpeg` with an Exif APP1 segment right after SOI: IFD0 Orientation=`orientation` and,
/// when `gps`, a GPS IFD (latitude N 31°14'23.45" and a map datum).
pub fn with_exif(jpeg: &[u8], orientation: u16, gps: bool) -> Vec<u8> {
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    let ifd0_entries: u16 = if gps { 2 } else { 1 };
    let gps_ifd = 8 + 2 + 12 * u32::from(ifd0_entries) + 4;
    t.extend_from_slice(&ifd0_entries.to_le_bytes());
    entry(&mut t, 0x0112, 3, 1, u32::from(orientation)); // Orientation, SHORT
    if gps {
        entry(&mut t, 0x8825, 4, 1, gps_ifd); // GPSInfo IFD pointer, LONG
    }
    t.extend_from_slice(&0u32.to_le_bytes());
    if gps {
        let data = gps_ifd + 2 + 12 * 3 + 4;
        t.extend_from_slice(&3u16.to_le_bytes());
        entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")); // GPSLatitudeRef
        entry(&mut t, 0x0002, 5, 3, data); // GPSLatitude, 3 RATIONAL
        let datum_len = GPS_DATUM.len() as u32 + 1;
        entry(&mut t, 0x0012, 2, datum_len, data + 24); // GPSMapDatum, ASCII
        t.extend_from_slice(&0u32.to_le_bytes());
        for (n, d) in [(31u32, 1u32), (14, 1), (2345, 100)] {
            t.extend_from_slice(&n.to_le_bytes());
            t.extend_from_slice(&d.to_le_bytes());
        }
        t.extend_from_slice(GPS_DATUM);
        t.push(0);
    }
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(2 + 6 + t.len() as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&t);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// An RGBA PNG: left half fully transparent red, right half opaque blue.
pub fn png_rgba(width: u32, height: u32) -> Vec<u8> {
    let rgba: Vec<u8> = (0..height)
        .flat_map(|_| {
            (0..width).flat_map(move |x| {
                if x < width / 2 {
                    [255, 0, 0, 0]
                } else {
                    [0, 0, 255, 255]
                }
            })
        })
        .collect();
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&rgba, width, height, ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// A lossless WebP: left half green, right half white.
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let rgb = halves_rgb(width, height, [0, 255, 0], [255, 255, 255]);
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(&rgb, width, height, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A valid `side`×`side` 8-bit grey PNG, all black, whose IDAT is a fixed-Huffman deflate
/// stream of 258-byte matches: 20000×20000 (400 MB of pixels) fits in about 2.5 MB.
pub fn png_bomb(side: u32) -> Vec<u8> {
    let raw_len = (u64::from(side) + 1) * u64::from(side); // a filter byte per row, all zero
    let mut w = BitWriter::default();
    w.bits(1, 1); // BFINAL
    w.bits(1, 2); // BTYPE = 01, fixed Huffman
    w.code(0b0011_0000, 8); // literal 0
    let mut left = raw_len - 1;
    while left >= 258 {
        w.code(0b1100_0101, 8); // length 258 (symbol 285)
        w.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        w.code(0b0011_0000, 8);
    }
    w.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend_from_slice(&w.finish());
    let adler = (((raw_len % 65521) as u32) << 16) | 1; // Adler-32 of zeros: a = 1, b = n
    zlib.extend_from_slice(&adler.to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", &zlib), (b"IEND", &[])] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// `n` bits of `value`, least significant first (deflate header fields).
    fn bits(&mut self, value: u64, n: u32) {
        self.acc |= value << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code of `n` bits, most significant first.
    fn code(&mut self, code: u64, n: u32) {
        let reversed = (0..n).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
        self.bits(reversed, n);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn crc32(data: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}
