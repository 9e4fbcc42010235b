//! Charts drawn into a report as vector operations (bars, polylines, dots and text in the
//! report's font), from the same layout as the pages' SVG.

use crate::charts::{Anchor, Chart, Frame, Rgb, Shape, layout};

use super::draw::{self, mm_to_pt, pt_to_mm};
use super::fonts::Face;
use super::report::{BOTTOM, CONTENT_W, GAP, MARGIN_X, Report, SMALL_SIZE, TOP, baseline};

/// Length of a dash and of the gap after it, in multiples of the line's width.
const DASH: f32 = 4.0;

impl Report {
    /// `chart` across the full width, `height_mm` high (20 mm to a page), on the next page
    /// when it does not fit on this one. Horizontal bars read best at about 6 mm a bar plus
    /// 8 mm for the axis.
    pub fn chart(&mut self, chart: &Chart, height_mm: f32) {
        let height = if height_mm.is_finite() {
            height_mm.clamp(20.0, BOTTOM - TOP)
        } else {
            BOTTOM - TOP
        };
        self.ensure(height);
        let frame = Frame {
            width: CONTENT_W,
            height,
            font: pt_to_mm(SMALL_SIZE),
        };
        let shapes = layout(chart, frame, &|text, size| {
            self.width(Face::Regular, mm_to_pt(size), text)
        });
        let (x0, y0) = (MARGIN_X, self.y);
        for shape in shapes {
            self.shape(shape, x0, y0);
        }
        self.y += height + GAP;
    }

    /// Draws one laid-out shape whose frame's top-left corner is at (`x0`, `y0`).
    fn shape(&mut self, shape: Shape, x0: f32, y0: f32) {
        match shape {
            Shape::Rect { area, color, .. } => {
                if area.w > 0.0 && area.h > 0.0 {
                    draw::fill_rect(
                        &mut self.ops,
                        x0 + area.x,
                        y0 + area.y,
                        area.w,
                        area.h,
                        colour(color),
                    );
                }
            }
            Shape::Dot { x, y, r, color, .. } => {
                // One point with round caps is a dot as wide as the pen.
                draw::polyline(
                    &mut self.ops,
                    &[(x0 + x, y0 + y)],
                    mm_to_pt(2.0 * r),
                    colour(color),
                );
            }
            Shape::Line {
                points,
                width,
                color,
                dashed,
            } => {
                let points: Vec<(f32, f32)> =
                    points.iter().map(|&(x, y)| (x0 + x, y0 + y)).collect();
                let pieces = if dashed {
                    dashes(&points, width * DASH)
                } else {
                    vec![points]
                };
                for piece in pieces {
                    draw::polyline(&mut self.ops, &piece, mm_to_pt(width), colour(color));
                }
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                color,
                anchor,
            } => {
                let size = mm_to_pt(size);
                let width = self.width(Face::Regular, size, &text);
                let left = match anchor {
                    Anchor::Start => x,
                    Anchor::Middle => x - width / 2.0,
                    Anchor::End => x - width,
                };
                // `y` is the baseline; the report places text by the top of its line box.
                let top = y0 + y - baseline(0.0, size);
                self.text(Face::Regular, size, colour(color), x0 + left, top, &text);
            }
        }
    }
}

/// A printpdf colour.
fn colour(Rgb(r, g, b): Rgb) -> printpdf::Color {
    draw::rgb(r, g, b)
}

/// The polyline through `points` cut into dashes `dash` long with gaps as long.
fn dashes(points: &[(f32, f32)], dash: f32) -> Vec<Vec<(f32, f32)>> {
    let mut pieces = Vec::new();
    if dash <= 0.0 {
        return pieces;
    }
    // Walk the line, toggling pen down/up every `dash`.
    let (mut down, mut left) = (true, dash);
    let mut current = points.first().map(|&p| vec![p]).unwrap_or_default();
    for pair in points.windows(2) {
        let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
        let length = ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt();
        let mut at = 0.0;
        while length - at > left {
            at += left;
            let t = at / length;
            let p = (ax + (bx - ax) * t, ay + (by - ay) * t);
            if down {
                current.push(p);
                pieces.push(std::mem::take(&mut current));
            } else {
                current = vec![p];
            }
            down = !down;
            left = dash;
        }
        left -= length - at;
        if down {
            current.push((bx, by));
        }
    }
    if down && current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::dashes;

    #[test]
    fn a_dashed_line_is_cut_into_equal_dashes_and_gaps() {
        let pieces = dashes(&[(0.0, 0.0), (10.0, 0.0)], 2.0);
        let spans: Vec<(f32, f32)> = pieces.iter().map(|p| (p[0].0, p[p.len() - 1].0)).collect();
        assert_eq!(spans, [(0.0, 2.0), (4.0, 6.0), (8.0, 10.0)]);
        // Around a corner, a dash keeps its length.
        let corner = dashes(&[(0.0, 0.0), (1.0, 0.0), (1.0, 5.0)], 2.0);
        assert_eq!(corner[0], [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]);
        assert!(dashes(&[(0.0, 0.0), (1.0, 0.0)], 0.0).is_empty());
    }
}
