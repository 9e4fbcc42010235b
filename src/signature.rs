//! Drawn signatures (UI.md: strokes of points with times, plus a rendered image): the checks
//! every signing endpoint applies, the stored form, and the vector drawing for pages and PDFs.
//! The takeover's two sides and the customer's acceptance on handover day both sign this way.

use serde::Deserialize;

use crate::error::{AppError, Check};

/// One point of a drawn stroke: x, y in the canvas's pixels, and milliseconds since the
/// signature began.
pub type StrokePoint = [f64; 3];

/// Most points of one signature.
const MAX_POINTS: usize = 20_000;

/// Largest rendered image accepted (bytes).
const MAX_PNG: usize = 512 * 1024;

/// Adds the field errors of a drawing to `check`: a canvas of sane size, at least one stroke of
/// two points, every point inside the canvas, and not too many points.
pub fn check_drawing(check: Check, width: f64, height: f64, strokes: &[Vec<StrokePoint>]) -> Check {
    let points: usize = strokes.iter().map(Vec::len).sum();
    let drawn = strokes.iter().any(|s| s.len() >= 2);
    let in_canvas = strokes.iter().flatten().all(|p| {
        p.iter().all(|v| v.is_finite())
            && (0.0..=width).contains(&p[0])
            && (0.0..=height).contains(&p[1])
    });
    let canvas_ok = (10.0..=4000.0).contains(&width) && (10.0..=4000.0).contains(&height);
    check
        .when(!canvas_ok, "width", "out_of_range")
        .when(!drawn, "strokes", "empty")
        .when(points > MAX_POINTS, "strokes", "too_many")
        .when(drawn && !in_canvas, "strokes", "out_of_range")
}

/// The rendered image sent as base64 (a `data:` URL prefix is allowed): a PNG of at most
/// 512 KB, or `None` when none was sent.
pub fn decode_png(b64: Option<&str>) -> Result<Option<Vec<u8>>, AppError> {
    let Some(b64) = b64 else {
        return Ok(None);
    };
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64.trim_start_matches("data:image/png;base64,"))
        .map_err(|_| AppError::field("image_png", "invalid"))?;
    if png.len() > MAX_PNG || !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(AppError::field("image_png", "invalid"));
    }
    Ok(Some(png))
}

/// The stored form of a drawing: `{"width", "height", "strokes"}` as JSON.
pub fn stored(width: f64, height: f64, strokes: &[Vec<StrokePoint>]) -> String {
    serde_json::json!({"width": width, "height": height, "strokes": strokes}).to_string()
}

/// A drawn signature as stored (`{"width", "height", "strokes": [[[x, y, ms], ...], ...]}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Drawing {
    /// Canvas width.
    pub width: f64,
    /// Canvas height.
    pub height: f64,
    /// Strokes of `[x, y, ms]` points.
    pub strokes: Vec<Vec<[f64; 3]>>,
}

impl Drawing {
    /// Parses the stored JSON.
    pub fn parse(json: &str) -> Option<Drawing> {
        serde_json::from_str(json).ok()
    }

    /// The drawing as an SVG image (vector, any size).
    pub fn svg(&self) -> String {
        use std::fmt::Write;
        let mut d = String::new();
        for stroke in self.strokes.iter().filter(|s| s.len() >= 2) {
            for (i, p) in stroke.iter().enumerate() {
                let op = if i == 0 { 'M' } else { 'L' };
                let _ = write!(d, "{op}{:.1} {:.1} ", p[0], p[1]);
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">\
             <path d=\"{d}\" fill=\"none\" stroke=\"#111\" stroke-width=\"3\" \
             stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>",
            w = self.width,
            h = self.height,
            d = d.trim_end()
        )
    }
}
