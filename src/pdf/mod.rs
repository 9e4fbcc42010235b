//! PDF reports: a flowing A4 layout on printpdf (headings, wrapped paragraphs, label/value
//! blocks, tables that break across pages, photo grids, drawn signatures, vector charts), with a
//! header and a "第 N 页 / 共 M 页" footer on every page.
//!
//! Text is set in one full CJK font ([`Fonts`], loaded once and shared), embedded as a subset of
//! the glyphs used. JPEGs pass through unchanged (`/DCTDecode`), each distinct one embedded once.
//! The caller passes strings already translated: this layer knows nothing about the domain.
//! Building a report is blocking CPU work: run it in `spawn_blocking`.

mod chart;
pub mod download;
mod draw;
mod fonts;
mod image;
mod report;
mod table;
mod wrap;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::i18n::Locale;

pub use fonts::Fonts;
pub use image::Image;
pub use report::{Report, SignatureBlock};
pub use table::{Cell, Table};

/// What a report says about itself: metadata, first heading and the text around every page.
#[derive(Debug, Clone)]
pub struct Meta {
    /// Document title (PDF metadata) and the report's first heading.
    pub title: String,
    /// Left of every page's header, e.g. the project name.
    pub header: String,
    /// Left of every page's footer, e.g. "承接查验报告 · 生成于 2026年11月24日".
    pub footer: String,
    /// Language of the page numbers ("第 3 页 / 共 12 页" or "Page 3 of 12").
    pub locale: Locale,
    /// Creation time written into the PDF metadata.
    pub created: DateTime<Utc>,
}

/// Why a font could not be loaded or a report not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The font file does not exist.
    #[error(
        "font file {0} not found: install the Debian package fonts-noto-cjk, \
         or set HANDOVER_FONT to a CJK font"
    )]
    FontMissing(PathBuf),
    /// The font file exists but cannot be read or parsed.
    #[error("font file {path}: {reason}")]
    FontInvalid {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Bytes given as a JPEG are not one a PDF can carry as it is.
    #[error("not a usable JPEG: {0}")]
    Jpeg(String),
    /// printpdf reported an error while writing (e.g. the font could not be subset).
    #[error("writing the PDF: {0}")]
    Write(String),
}

#[cfg(test)]
mod tests;
