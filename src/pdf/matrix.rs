//! A square two-dimensional code (a QR code's modules) drawn as vector squares — sharp at any
//! print size, unlike a picture of it — with text beside it.

use super::draw;
use super::fonts::Face;
use super::report::{BODY_SIZE, CONTENT_W, GAP, MARGIN_X, Report, line_height};

/// Light modules kept around the code (the quiet zone a scanner needs), in modules.
const QUIET: usize = 4;

impl Report {
    /// The `n` × `n` `modules` (row by row, `true` for dark) in a square box `side` mm wide at
    /// the left, quiet zone included, and `text` wrapped to its right.
    pub fn matrix_code(&mut self, modules: &[bool], n: usize, side: f32, text: &str) {
        let gap = 4.0;
        let lines = self.wrap(text, Face::Regular, BODY_SIZE, CONTENT_W - side - gap);
        let text_h = lines.len() as f32 * line_height(BODY_SIZE);
        let height = side.max(text_h);
        self.ensure(height);
        if n > 0 && modules.len() == n * n {
            let module = side / (n + 2 * QUIET) as f32;
            let left = MARGIN_X + QUIET as f32 * module;
            let top = self.y + QUIET as f32 * module;
            for (r, row) in modules.chunks(n).enumerate() {
                for (start, len) in dark_runs(row) {
                    // A run is one rectangle: no hairline seams between neighbouring modules.
                    draw::fill_rect(
                        &mut self.ops,
                        left + start as f32 * module,
                        top + r as f32 * module,
                        len as f32 * module,
                        module,
                        draw::rgb(0, 0, 0),
                    );
                }
            }
        }
        let x = MARGIN_X + side + gap;
        let mut top = self.y + (height - text_h) / 2.0;
        for line in &lines {
            self.text(Face::Regular, BODY_SIZE, draw::black(), x, top, line);
            top += line_height(BODY_SIZE);
        }
        self.y += height + GAP;
    }
}

/// The runs of dark modules in `row`, as (first module, length).
fn dark_runs(row: &[bool]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, &dark) in row.iter().chain([&false]).enumerate() {
        match (dark, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i - s));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::dark_runs;

    #[test]
    fn neighbouring_dark_modules_make_one_run() {
        let row = [true, true, false, true, false, false, true, true, true];
        assert_eq!(dark_runs(&row), vec![(0, 2), (3, 1), (6, 3)]);
        assert!(dark_runs(&[false, false]).is_empty());
    }
}
