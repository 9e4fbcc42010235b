//! The report builder: content flows down A4 pages; headers, footers and page numbers are
//! added by [`Report::finish`], once the number of pages is known.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use printpdf::{
    Codepoint, FontId, Mm, Op, PdfDocument, PdfPage, PdfParseErrorSeverity, PdfSaveOptions,
    XObjectId,
};

use super::draw::{self, PAGE_H, PAGE_W, pt_to_mm};
use super::fonts::{Face, Fonts};
use super::image::Image;
use super::wrap::wrap;
use super::{Meta, PdfError};

/// Left and right margin.
pub(super) const MARGIN_X: f32 = 18.0;
/// Width between the margins.
pub(super) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
/// Top of the flowing content (the header sits above it).
pub(super) const TOP: f32 = 22.0;
/// Bottom of the flowing content (the footer sits below it).
pub(super) const BOTTOM: f32 = PAGE_H - 20.0;

/// Font sizes in points.
const TITLE_SIZE: f32 = 17.0;
const HEADING_SIZE: f32 = 12.5;
pub(super) const BODY_SIZE: f32 = 10.0;
pub(super) const SMALL_SIZE: f32 = 8.0;

/// Space between blocks.
pub(super) const GAP: f32 = 3.0;
/// Height of the box a signature is drawn in.
const SIGNATURE_H: f32 = 26.0;
/// Signatures side by side.
const SIGNATURES_PER_ROW: usize = 3;

/// Height of a line of text at `size` points, in mm.
pub(super) fn line_height(size: f32) -> f32 {
    pt_to_mm(size * 1.4)
}

/// Baseline of a line of text at `size` points whose line box starts at `top`.
pub(super) fn baseline(top: f32, size: f32) -> f32 {
    let size_mm = pt_to_mm(size);
    // Centre the em box in the line box; Noto CJK's ascender is 0.88 em.
    top + (line_height(size) - size_mm) / 2.0 + 0.88 * size_mm
}

/// A drawn signature and the lines printed under it (name, role, time, ...).
#[derive(Debug, Clone, Default)]
pub struct SignatureBlock {
    /// Pen strokes, each a list of points in the canvas's pixels (x right, y down).
    pub strokes: Vec<Vec<(f32, f32)>>,
    /// Width of the canvas the strokes were drawn on, in pixels.
    pub canvas_width: f32,
    /// Height of that canvas, in pixels.
    pub canvas_height: f32,
    /// Text lines under the box.
    pub lines: Vec<String>,
}

/// A report being built: call the block methods in reading order, then [`Report::finish`].
pub struct Report {
    fonts: Arc<Fonts>,
    meta: Meta,
    doc: PdfDocument,
    regular: FontId,
    bold: FontId,
    /// Content of the pages before the current one.
    pages: Vec<Vec<Op>>,
    /// Content of the current page.
    pub(super) ops: Vec<Op>,
    /// Where the next block starts, in mm from the top of the page.
    pub(super) y: f32,
    /// Where content starts on this page (below a repeated table header).
    pub(super) page_top: f32,
    /// JPEGs already embedded, by the hash of their bytes.
    embedded: HashMap<u64, (Image, XObjectId)>,
    /// Glyphs and advance widths looked up so far ([`Fonts::glyph`] is slow-ish).
    glyphs: RefCell<HashMap<(Face, char), (u16, f32)>>,
}

impl Report {
    /// An empty report whose first page starts with `meta.title`.
    pub fn new(fonts: Arc<Fonts>, meta: Meta) -> Self {
        let mut doc = PdfDocument::new(&meta.title);
        let created = printpdf::OffsetDateTime::from_unix_timestamp(meta.created.timestamp())
            .unwrap_or_else(|_| printpdf::OffsetDateTime::now_utc());
        let info = &mut doc.metadata.info;
        info.creation_date = created;
        info.modification_date = created;
        info.metadata_date = created;
        info.producer = "Handover".to_owned();
        info.creator = "Handover".to_owned();
        let regular = doc.add_font(fonts.face(Face::Regular));
        let bold = if fonts.has_bold() {
            doc.add_font(fonts.face(Face::Bold))
        } else {
            regular.clone()
        };
        let mut report = Report {
            fonts,
            doc,
            regular,
            bold,
            pages: Vec::new(),
            ops: Vec::new(),
            y: TOP,
            page_top: TOP,
            embedded: HashMap::new(),
            glyphs: RefCell::default(),
            meta,
        };
        let title = report.wrap(&report.meta.title, Face::Bold, TITLE_SIZE, CONTENT_W);
        report.lines(&title, Face::Bold, TITLE_SIZE);
        report.y += GAP;
        report
    }

    /// A section heading, kept on the same page as the start of what follows it.
    pub fn heading(&mut self, text: &str) {
        if self.y > self.page_top {
            self.y += GAP;
        }
        let lines = self.wrap(text, Face::Bold, HEADING_SIZE, CONTENT_W);
        let height = lines.len() as f32 * line_height(HEADING_SIZE);
        self.ensure(height + 3.0 * line_height(BODY_SIZE));
        self.lines(&lines, Face::Bold, HEADING_SIZE);
        self.y += 1.5;
    }

    /// Wrapped body text; `\n` starts a new line.
    pub fn paragraph(&mut self, text: &str) {
        let lines = self.wrap(text, Face::Regular, BODY_SIZE, CONTENT_W);
        self.lines(&lines, Face::Regular, BODY_SIZE);
        self.y += GAP;
    }

    /// A grid of photos, `per_row` across, each scaled to fit its cell, caption beneath.
    pub fn images(&mut self, images: &[Image], per_row: usize) {
        let per_row = per_row.max(1);
        let gap = 4.0;
        let cell_w = (CONTENT_W - gap * (per_row - 1) as f32) / per_row as f32;
        let box_h = cell_w * 0.75;
        for row in images.chunks(per_row) {
            let captions: Vec<Vec<String>> = row
                .iter()
                .map(|image| self.small_lines(image.caption(), cell_w))
                .collect();
            let caption_lines = captions.iter().map(Vec::len).max().unwrap_or(0);
            self.ensure(box_h + 1.0 + caption_lines as f32 * line_height(SMALL_SIZE));
            for (i, (image, caption)) in row.iter().zip(&captions).enumerate() {
                let x = MARGIN_X + i as f32 * (cell_w + gap);
                let (w, h) = fit(image.aspect(), cell_w, box_h);
                let id = self.embed(image);
                draw::image(
                    &mut self.ops,
                    &id,
                    x + (cell_w - w) / 2.0,
                    self.y + (box_h - h) / 2.0,
                    w,
                    h,
                );
                let mut top = self.y + box_h + 1.0;
                for line in caption {
                    self.text(Face::Regular, SMALL_SIZE, draw::grey(), x, top, line);
                    top += line_height(SMALL_SIZE);
                }
            }
            self.y += box_h + 1.0 + caption_lines as f32 * line_height(SMALL_SIZE) + gap;
        }
    }

    /// Drawn signatures side by side (three to a row): each in a box, its lines beneath.
    pub fn signatures(&mut self, blocks: &[SignatureBlock]) {
        let gap = 6.0;
        let n = SIGNATURES_PER_ROW as f32;
        let cell_w = (CONTENT_W - gap * (n - 1.0)) / n;
        for row in blocks.chunks(SIGNATURES_PER_ROW) {
            let texts: Vec<Vec<String>> = row
                .iter()
                .map(|b| self.small_lines(&b.lines.join("\n"), cell_w))
                .collect();
            let text_lines = texts.iter().map(Vec::len).max().unwrap_or(0);
            let height = SIGNATURE_H + 1.0 + text_lines as f32 * line_height(SMALL_SIZE);
            self.ensure(height);
            for (i, (block, lines)) in row.iter().zip(&texts).enumerate() {
                let x = MARGIN_X + i as f32 * (cell_w + gap);
                draw::stroke_rect(
                    &mut self.ops,
                    x,
                    self.y,
                    cell_w,
                    SIGNATURE_H,
                    0.5,
                    draw::rule_grey(),
                );
                self.strokes(block, x, self.y, cell_w, SIGNATURE_H);
                let mut top = self.y + SIGNATURE_H + 1.0;
                for line in lines {
                    self.text(Face::Regular, SMALL_SIZE, draw::black(), x, top, line);
                    top += line_height(SMALL_SIZE);
                }
            }
            self.y += height + GAP;
        }
    }

    /// The PDF: every page gets the header (text and a rule) and the footer (text and
    /// "第 N 页 / 共 M 页").
    pub fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        self.pages.push(std::mem::take(&mut self.ops));
        let count = self.pages.len();
        let bodies = std::mem::take(&mut self.pages);
        let pages = bodies
            .into_iter()
            .enumerate()
            .map(|(i, body)| {
                let (mut ops, footer) = self.header_footer(i + 1, count);
                ops.extend(body);
                ops.extend(footer);
                PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops)
            })
            .collect();
        self.doc.with_pages(pages);
        let options = PdfSaveOptions {
            image_optimization: None,
            ..PdfSaveOptions::default()
        };
        let mut warnings = Vec::new();
        let bytes = self.doc.save(&options, &mut warnings);
        let errors: Vec<String> = warnings
            .into_iter()
            .filter(|w| w.severity == PdfParseErrorSeverity::Error)
            .map(|w| w.msg)
            .collect();
        if errors.is_empty() {
            Ok(bytes)
        } else {
            Err(PdfError::Write(errors.join("; ")))
        }
    }

    /// Starts a new page unless `height` fits on this one (or this one is still empty).
    pub(super) fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > self.page_top {
            self.new_page();
        }
    }

    /// Closes the current page and starts the next.
    pub(super) fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = TOP;
        self.page_top = TOP;
    }

    /// `text` wrapped to `width` mm.
    pub(super) fn wrap(&self, text: &str, face: Face, size: f32, width: f32) -> Vec<String> {
        wrap(text, width, |s| self.width(face, size, s))
    }

    /// Width of `text` in `face` at `size` points, in mm.
    pub(super) fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let mut glyphs = self.glyphs.borrow_mut();
        let em: f32 = text
            .chars()
            .map(|c| glyph(&mut glyphs, &self.fonts, face, c).1)
            .sum();
        pt_to_mm(em * size)
    }

    /// The glyphs of `line`, each with the text it stands for (for search and copy). Passing
    /// glyph ids spares printpdf two more character-map searches per character.
    fn codepoints(&self, face: Face, line: &str) -> Vec<Codepoint> {
        let mut glyphs = self.glyphs.borrow_mut();
        line.chars()
            .map(|c| {
                let (gid, _) = glyph(&mut glyphs, &self.fonts, face, c);
                Codepoint::with_cid(gid, 0.0, c.to_string())
            })
            .collect()
    }

    /// Small text (captions, signature lines) wrapped to `width`; none for no text.
    fn small_lines(&self, text: &str, width: f32) -> Vec<String> {
        if text.is_empty() {
            Vec::new()
        } else {
            self.wrap(text, Face::Regular, SMALL_SIZE, width)
        }
    }

    /// One line of text in the line box starting at `top`.
    pub(super) fn text(
        &mut self,
        face: Face,
        size: f32,
        color: printpdf::Color,
        x: f32,
        top: f32,
        line: &str,
    ) {
        if line.is_empty() {
            return;
        }
        let glyphs = self.codepoints(face, line);
        let font = match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        };
        let baseline = baseline(top, size);
        draw::text(&mut self.ops, font, size, color, x, baseline, glyphs);
    }

    /// The XObject of `image`, embedding it on first use.
    pub(super) fn embed(&mut self, image: &Image) -> XObjectId {
        if let Some((seen, id)) = self.embedded.get(&image.key())
            && seen.same_bytes(image)
        {
            return id.clone();
        }
        let id = self.doc.add_xobject(&image.xobject());
        self.embedded
            .entry(image.key())
            .or_insert_with(|| (image.clone(), id.clone()));
        id
    }

    /// Lines of text across the full width, breaking pages between them.
    fn lines(&mut self, lines: &[String], face: Face, size: f32) {
        for line in lines {
            self.ensure(line_height(size));
            self.text(face, size, draw::black(), MARGIN_X, self.y, line);
            self.y += line_height(size);
        }
    }

    /// The strokes of `block` scaled into the box at (`x`, `y`), aspect kept, centred.
    fn strokes(&mut self, block: &SignatureBlock, x: f32, y: f32, w: f32, h: f32) {
        let pad = 2.0;
        if block.canvas_width <= 0.0 || block.canvas_height <= 0.0 {
            return;
        }
        let scale =
            ((w - 2.0 * pad) / block.canvas_width).min((h - 2.0 * pad) / block.canvas_height);
        let left = x + (w - block.canvas_width * scale) / 2.0;
        let top = y + (h - block.canvas_height * scale) / 2.0;
        for stroke in &block.strokes {
            let points: Vec<(f32, f32)> = stroke
                .iter()
                .map(|&(px, py)| (left + px * scale, top + py * scale))
                .collect();
            draw::polyline(&mut self.ops, &points, 1.2, draw::black());
        }
    }

    /// Header and footer of page `page` of `count` (drawn before and after the page's content,
    /// so that text extraction reads them in that order).
    fn header_footer(&self, page: usize, count: usize) -> (Vec<Op>, Vec<Op>) {
        let header_top = 9.0;
        let footer_top = PAGE_H - 14.0;
        let number = self.meta.locale.fmt(
            "pdf.page_of",
            &[("page", &page.to_string()), ("pages", &count.to_string())],
        );
        let number_w = self.width(Face::Regular, SMALL_SIZE, &number);
        let footer_text = self.first_line(&self.meta.footer, CONTENT_W - number_w - 6.0);

        let mut header = Vec::new();
        let header_text = self.first_line(&self.meta.header, CONTENT_W);
        self.small(&mut header, MARGIN_X, header_top, &header_text);
        let rule = header_top + line_height(SMALL_SIZE) + 1.0;
        draw::hrule(
            &mut header,
            MARGIN_X,
            MARGIN_X + CONTENT_W,
            rule,
            0.5,
            draw::rule_grey(),
        );

        let mut footer = Vec::new();
        self.small(&mut footer, MARGIN_X, footer_top, &footer_text);
        self.small(
            &mut footer,
            MARGIN_X + CONTENT_W - number_w,
            footer_top,
            &number,
        );
        (header, footer)
    }

    /// A line of small grey text into `ops` (header and footer).
    fn small(&self, ops: &mut Vec<Op>, x: f32, top: f32, text: &str) {
        if !text.is_empty() {
            let glyphs = self.codepoints(Face::Regular, text);
            let baseline = baseline(top, SMALL_SIZE);
            draw::text(
                ops,
                &self.regular,
                SMALL_SIZE,
                draw::grey(),
                x,
                baseline,
                glyphs,
            );
        }
    }

    /// The first line of `text` wrapped to `width` (header and footer have one line).
    fn first_line(&self, text: &str, width: f32) -> String {
        self.wrap(text, Face::Regular, SMALL_SIZE, width)
            .into_iter()
            .next()
            .unwrap_or_default()
    }
}

/// The cached glyph of `c` in `face`.
fn glyph(
    cache: &mut HashMap<(Face, char), (u16, f32)>,
    fonts: &Fonts,
    face: Face,
    c: char,
) -> (u16, f32) {
    *cache
        .entry((face, c))
        .or_insert_with(|| fonts.glyph(face, c))
}

/// The largest `aspect` (width/height) box inside `max_w` × `max_h`.
pub(super) fn fit(aspect: f32, max_w: f32, max_h: f32) -> (f32, f32) {
    if max_w / max_h > aspect {
        (max_h * aspect, max_h)
    } else {
        (max_w, max_w / aspect)
    }
}
