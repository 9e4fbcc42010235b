//! The report font: one full CJK face (every 生僻字 of a buyer's name must be there), regular and
//! optionally bold, parsed once and shared by every report.

use std::path::{Path, PathBuf};

use printpdf::ParsedFont;

use super::PdfError;

/// Noto Sans CJK from Debian `fonts-noto-cjk` (SIL OFL 1.1).
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// Face of the Simplified Chinese font in a Noto Sans CJK collection (JP, KR, SC, TC, HK).
pub const DEFAULT_FACE: usize = 2;

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Face {
    /// Body text.
    Regular,
    /// Headings and table headers (the regular face when no bold file was found).
    Bold,
}

/// The parsed report fonts, loaded once (about a tenth of a second) and kept in an `Arc`.
pub struct Fonts {
    regular: ParsedFont,
    bold: Option<ParsedFont>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("regular", &self.regular.font_name)
            .field("bold", &self.bold.as_ref().map(|b| &b.font_name))
            .finish()
    }
}

impl Fonts {
    /// The font named by `HANDOVER_FONT` (face `HANDOVER_FONT_INDEX`, default 2), else
    /// [`DEFAULT_FONT`] face [`DEFAULT_FACE`].
    pub fn from_env() -> Result<Self, PdfError> {
        let path =
            std::env::var_os("HANDOVER_FONT").map_or_else(|| DEFAULT_FONT.into(), PathBuf::from);
        let face = match std::env::var("HANDOVER_FONT_INDEX") {
            Ok(i) => i.parse().map_err(|_| PdfError::FontInvalid {
                path: path.clone(),
                reason: format!("HANDOVER_FONT_INDEX={i:?} is not a face number"),
            })?,
            Err(_) => DEFAULT_FACE,
        };
        Self::load(&path, face)
    }

    /// Loads face `face` of `path`, and the same face of its bold sibling (the file name with
    /// `Regular` replaced by `Bold`) when that file exists.
    pub fn load(path: &Path, face: usize) -> Result<Self, PdfError> {
        let regular = parse(path, face)?;
        let bold = bold_sibling(path)
            .filter(|p| p.is_file())
            .map(|p| parse(&p, face))
            .transpose()?;
        Ok(Fonts { regular, bold })
    }

    /// Characters of `text` the font has no glyph for (they would print as empty boxes).
    pub fn missing(&self, text: &str) -> Vec<char> {
        text.chars()
            .filter(|c| !c.is_control() && self.regular.lookup_glyph_index(u32::from(*c)).is_none())
            .collect()
    }

    /// The parsed face.
    pub(super) fn face(&self, face: Face) -> &ParsedFont {
        match face {
            Face::Bold => self.bold.as_ref().unwrap_or(&self.regular),
            Face::Regular => &self.regular,
        }
    }

    /// Whether a real bold face was found (else bold text uses the regular face).
    pub(super) fn has_bold(&self) -> bool {
        self.bold.is_some()
    }

    /// The glyph of `c` in `face` (0, the empty box, when missing) and its advance width as a
    /// fraction of the font size. Slow-ish: the character map of a CJK font is searched
    /// linearly, so [`super::Report`] caches it.
    pub(super) fn glyph(&self, face: Face, c: char) -> (u16, f32) {
        let font = self.face(face);
        let gid = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
        let upm = f32::from(font.font_metrics.units_per_em.max(1));
        (gid, f32::from(font.get_horizontal_advance(gid)) / upm)
    }
}

/// Reads and parses one face of a font file.
fn parse(path: &Path, face: usize) -> Result<ParsedFont, PdfError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PdfError::FontMissing(path.to_owned()),
        _ => PdfError::FontInvalid {
            path: path.to_owned(),
            reason: e.to_string(),
        },
    })?;
    let mut warnings = Vec::new();
    ParsedFont::from_bytes(&bytes, face, &mut warnings).ok_or_else(|| PdfError::FontInvalid {
        path: path.to_owned(),
        reason: format!("face {face} does not parse as a font ({warnings:?})"),
    })
}

/// `NotoSansCJK-Regular.ttc` → `NotoSansCJK-Bold.ttc`, same directory.
fn bold_sibling(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    name.contains("Regular")
        .then(|| path.with_file_name(name.replace("Regular", "Bold")))
}
