//! Drawing on a page in millimetres from its top-left corner (PDF counts points from the
//! bottom-left): text lines, rules, boxes, images and polylines as printpdf operations.

use printpdf::{
    Codepoint, Color, CurTransMat, FontId, Line, LineCapStyle, LineJoinStyle, LinePoint, Op,
    PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem, TextMatrix, XObjectId,
    XObjectTransform,
};

/// A4 width.
pub const PAGE_W: f32 = 210.0;
/// A4 height.
pub const PAGE_H: f32 = 297.0;

/// Millimetres → points.
pub fn mm_to_pt(mm: f32) -> f32 {
    mm * 72.0 / 25.4
}

/// Points → millimetres.
pub fn pt_to_mm(pt: f32) -> f32 {
    pt * 25.4 / 72.0
}

/// A point `x` mm from the left and `y` mm from the top.
fn point(x: f32, y: f32) -> Point {
    Point {
        x: Pt(mm_to_pt(x)),
        y: Pt(mm_to_pt(PAGE_H - y)),
    }
}

/// An sRGB colour from 0–255 components.
pub fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::Rgb(Rgb::new(
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
        None,
    ))
}

/// Body text.
pub fn black() -> Color {
    rgb(0x1a, 0x1a, 0x1a)
}

/// Header, footer, labels and captions.
pub fn grey() -> Color {
    rgb(0x66, 0x66, 0x66)
}

/// Rules and cell borders.
pub fn rule_grey() -> Color {
    rgb(0xb4, 0xb4, 0xb4)
}

/// Overdue and other alerts.
pub fn red() -> Color {
    rgb(0xc6, 0x28, 0x28)
}

/// One line of glyphs whose baseline starts at (`x`, `baseline`).
pub fn text(
    ops: &mut Vec<Op>,
    font: &FontId,
    size: f32,
    color: Color,
    x: f32,
    baseline: f32,
    glyphs: Vec<Codepoint>,
) {
    ops.extend([
        Op::StartTextSection,
        Op::SetFillColor { col: color },
        Op::SetFont {
            font: PdfFontHandle::External(font.clone()),
            size: Pt(size),
        },
        Op::SetTextMatrix {
            matrix: TextMatrix::Translate(point(x, baseline).x, point(x, baseline).y),
        },
        Op::ShowText {
            items: vec![TextItem::GlyphIds(glyphs)],
        },
        Op::EndTextSection,
    ]);
}

/// A horizontal rule at `y` from `x1` to `x2`, `width` points thick.
pub fn hrule(ops: &mut Vec<Op>, x1: f32, x2: f32, y: f32, width: f32, color: Color) {
    polyline(ops, &[(x1, y), (x2, y)], width, color);
}

/// An open polyline through `points` (mm), round caps and joins; one point draws a dot.
pub fn polyline(ops: &mut Vec<Op>, points: &[(f32, f32)], width: f32, color: Color) {
    let Some(&first) = points.first() else {
        return;
    };
    // A single touch of the pen: a zero-length segment, which the round cap turns into a dot.
    let points = if points.len() == 1 {
        vec![first, first]
    } else {
        points.to_vec()
    };
    ops.extend([
        Op::SaveGraphicsState,
        Op::SetOutlineColor { col: color },
        Op::SetOutlineThickness { pt: Pt(width) },
        Op::SetLineCapStyle {
            cap: LineCapStyle::Round,
        },
        Op::SetLineJoinStyle {
            join: LineJoinStyle::Round,
        },
        Op::DrawLine {
            line: Line {
                points: points
                    .iter()
                    .map(|&(x, y)| LinePoint {
                        p: point(x, y),
                        bezier: false,
                    })
                    .collect(),
                is_closed: false,
            },
        },
        Op::RestoreGraphicsState,
    ]);
}

/// A filled rectangle with its top-left corner at (`x`, `y`).
pub fn fill_rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, color: Color) {
    let mut rect = Rect::from_xywh(
        Pt(mm_to_pt(x)),
        Pt(mm_to_pt(PAGE_H - y - h)),
        Pt(mm_to_pt(w)),
        Pt(mm_to_pt(h)),
    );
    rect.mode = Some(PaintMode::Fill);
    ops.extend([
        Op::SaveGraphicsState,
        Op::SetFillColor { col: color },
        Op::DrawRectangle { rectangle: rect },
        Op::RestoreGraphicsState,
    ]);
}

/// An outlined rectangle with its top-left corner at (`x`, `y`).
pub fn stroke_rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, width: f32, color: Color) {
    let corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)];
    polyline(ops, &corners, width, color);
}

/// Image XObject `id` painted into the box with its top-left corner at (`x`, `y`).
pub fn image(ops: &mut Vec<Op>, id: &XObjectId, x: f32, y: f32, w: f32, h: f32) {
    let bottom_left = point(x, y + h);
    ops.extend([
        Op::SaveGraphicsState,
        // An image is a unit square: scale it to the box and move it into place.
        Op::SetTransformationMatrix {
            matrix: CurTransMat::Raw([
                mm_to_pt(w),
                0.0,
                0.0,
                mm_to_pt(h),
                bottom_left.x.0,
                bottom_left.y.0,
            ]),
        },
        Op::UseXobject {
            id: id.clone(),
            transform: XObjectTransform {
                no_auto_scale: true,
                ..XObjectTransform::default()
            },
        },
        Op::RestoreGraphicsState,
    ]);
}
