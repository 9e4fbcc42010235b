//! Tables and label/value blocks: rows of wrapped cells that break across pages, a table's
//! header row repeated on each page it continues on.

use printpdf::{Color, XObjectId};

use super::draw;
use super::fonts::Face;
use super::image::Image;
use super::report::{BODY_SIZE, BOTTOM, CONTENT_W, GAP, MARGIN_X, Report, TOP, fit, line_height};

/// Text size in tables.
const TABLE_SIZE: f32 = 9.0;
/// Padding inside a table cell.
const PAD: f32 = 1.5;
/// Tallest thumbnail in a cell.
const THUMB_H: f32 = 22.0;

/// A table column: its title and its width relative to the other columns.
#[derive(Debug, Clone)]
pub struct Column {
    /// Header text.
    pub title: String,
    /// Relative width (the widths are scaled to fill the page width).
    pub width: f32,
}

/// One cell: wrapped text, red when it is an alert, optionally a thumbnail above the text.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    text: String,
    alert: bool,
    thumbnail: Option<Image>,
}

impl Cell {
    /// A cell of plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    /// A cell whose text is red (overdue and other alerts).
    pub fn alert(text: impl Into<String>) -> Self {
        Cell {
            alert: true,
            ..Cell::text(text)
        }
    }

    /// The same cell with a small picture above its text.
    pub fn with_thumbnail(mut self, image: Image) -> Self {
        self.thumbnail = Some(image);
        self
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::text(text)
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::text(text)
    }
}

/// Columns and rows of cells.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with `columns` as (title, relative width).
    pub fn new<T: Into<String>>(columns: impl IntoIterator<Item = (T, f32)>) -> Self {
        Table {
            columns: columns
                .into_iter()
                .map(|(title, width)| Column {
                    title: title.into(),
                    width: width.max(0.0),
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are empty, cells past the last column are dropped.
    pub fn row(&mut self, cells: impl IntoIterator<Item = Cell>) -> &mut Self {
        let mut cells: Vec<Cell> = cells.into_iter().take(self.columns.len()).collect();
        cells.resize_with(self.columns.len(), Cell::default);
        self.rows.push(cells);
        self
    }

    /// Column widths in mm, filling the page width.
    fn widths(&self) -> Vec<f32> {
        let total: f32 = self.columns.iter().map(|c| c.width).sum();
        let n = self.columns.len().max(1) as f32;
        self.columns
            .iter()
            .map(|c| {
                if total > 0.0 {
                    c.width / total * CONTENT_W
                } else {
                    CONTENT_W / n
                }
            })
            .collect()
    }
}

/// Something stacked in a laid-out cell.
#[derive(Debug, Clone)]
enum Item {
    Line(String),
    Thumb { id: XObjectId, w: f32, h: f32 },
}

/// A cell laid out at its column.
#[derive(Debug, Clone)]
struct Laid {
    x: f32,
    w: f32,
    face: Face,
    size: f32,
    color: Color,
    items: Vec<Item>,
}

impl Laid {
    /// Height `item` takes in this cell.
    fn item_height(&self, item: &Item) -> f32 {
        match item {
            Item::Line(_) => line_height(self.size),
            Item::Thumb { h, .. } => h + 1.0,
        }
    }

    /// Height of the cell with `pad` above and below.
    fn height(&self, pad: f32) -> f32 {
        2.0 * pad + self.items.iter().map(|i| self.item_height(i)).sum::<f32>()
    }

    /// Splits off the items that fit in `height` (at least one when `force`).
    fn split(&mut self, height: f32, pad: f32, force: bool) -> Laid {
        let mut used = 2.0 * pad;
        let mut n = 0;
        for item in &self.items {
            used += self.item_height(item);
            if used > height {
                break;
            }
            n += 1;
        }
        if force && n == 0 {
            n = self.items.len().min(1);
        }
        let rest = self.items.split_off(n);
        Laid {
            x: self.x,
            w: self.w,
            face: self.face,
            size: self.size,
            color: self.color.clone(),
            items: std::mem::replace(&mut self.items, rest),
        }
    }
}

/// How a row looks.
#[derive(Debug, Clone, Copy)]
struct Style {
    pad: f32,
    borders: bool,
    shaded: bool,
}

/// A table row: padded, ruled.
const BODY_ROW: Style = Style {
    pad: PAD,
    borders: true,
    shaded: false,
};
/// A table's header row: ruled and shaded.
const HEADER_ROW: Style = Style {
    pad: PAD,
    borders: true,
    shaded: true,
};
/// A label/value row: tighter, no rules.
const KEY_VALUE_ROW: Style = Style {
    pad: 0.8,
    borders: false,
    shaded: false,
};

/// A row laid out across the page.
#[derive(Debug, Clone)]
struct Row {
    cells: Vec<Laid>,
    style: Style,
}

impl Row {
    /// Height of the tallest cell.
    fn height(&self) -> f32 {
        self.cells
            .iter()
            .map(|c| c.height(self.style.pad))
            .fold(0.0, f32::max)
    }

    /// Splits off the part of the row that fits in `height`; `None` when nothing does.
    fn split(&mut self, height: f32, force: bool) -> Option<Row> {
        let cells: Vec<Laid> = self
            .cells
            .iter_mut()
            .map(|c| c.split(height, self.style.pad, force))
            .collect();
        let any = cells.iter().any(|c| !c.items.is_empty());
        any.then_some(Row {
            cells,
            style: self.style,
        })
    }
}

impl Report {
    /// A table: the header row is repeated on every page the table continues on; a row that
    /// does not fit moves to the next page, one taller than a page is split between its lines.
    pub fn table(&mut self, table: Table) {
        let widths = table.widths();
        let titles: Vec<Cell> = table.columns.iter().map(|c| Cell::text(&c.title)).collect();
        let header = self.lay_row(&titles, &widths, Face::Bold, TABLE_SIZE, HEADER_ROW);
        let rows: Vec<Row> = table
            .rows
            .iter()
            .map(|cells| self.lay_row(cells, &widths, Face::Regular, TABLE_SIZE, BODY_ROW))
            .collect();
        // Keep the header with the first row.
        let first = rows.first().map_or(0.0, Row::height);
        self.ensure(header.height() + first.min(3.0 * line_height(TABLE_SIZE) + 2.0 * PAD));
        self.draw_row(&header);
        for row in rows {
            self.flow_row(row, Some(&header));
        }
        self.y += GAP;
    }

    /// Label/value pairs in two columns, labels in grey.
    pub fn key_values(&mut self, rows: &[(String, String)]) {
        let widths = [CONTENT_W * 0.28, CONTENT_W * 0.72];
        for (label, value) in rows {
            let mut row = self.lay_row(
                &[Cell::text(label), Cell::text(value)],
                &widths,
                Face::Regular,
                BODY_SIZE,
                KEY_VALUE_ROW,
            );
            row.cells[0].color = draw::grey();
            self.flow_row(row, None);
        }
        self.y += GAP;
    }

    /// Draws `row`, moving to the next page (and repeating `header`) as needed.
    fn flow_row(&mut self, mut row: Row, header: Option<&Row>) {
        let repeated = header.map_or(0.0, Row::height);
        loop {
            let room = BOTTOM - self.y;
            let fresh = self.y <= self.page_top;
            if row.height() <= room {
                self.draw_row(&row);
                return;
            }
            let fits_a_page = row.height() <= BOTTOM - TOP - repeated;
            if !fresh && fits_a_page {
                self.continue_on_next_page(header);
                continue;
            }
            if let Some(head) = row.split(room, fresh) {
                self.draw_row(&head);
            }
            self.continue_on_next_page(header);
        }
    }

    /// Starts the next page, with `header` at its top.
    fn continue_on_next_page(&mut self, header: Option<&Row>) {
        self.new_page();
        if let Some(header) = header {
            self.draw_row(header);
            self.page_top = self.y;
        }
    }

    /// Lays out `cells` in columns of `widths` mm, embedding thumbnails.
    fn lay_row(
        &mut self,
        cells: &[Cell],
        widths: &[f32],
        face: Face,
        size: f32,
        style: Style,
    ) -> Row {
        let mut x = MARGIN_X;
        let mut laid = Vec::with_capacity(cells.len());
        for (cell, &w) in cells.iter().zip(widths) {
            let inner = (w - 2.0 * style.pad).max(1.0);
            let mut items = Vec::new();
            if let Some(image) = &cell.thumbnail {
                let (tw, th) = fit(image.aspect(), inner, THUMB_H);
                items.push(Item::Thumb {
                    id: self.embed(image),
                    w: tw,
                    h: th,
                });
            }
            if !cell.text.is_empty() || items.is_empty() {
                let lines = self.wrap(&cell.text, face, size, inner);
                items.extend(lines.into_iter().map(Item::Line));
            }
            let color = if cell.alert {
                draw::red()
            } else {
                draw::black()
            };
            laid.push(Laid {
                x,
                w,
                face,
                size,
                color,
                items,
            });
            x += w;
        }
        Row { cells: laid, style }
    }

    /// Draws `row` at the cursor and moves the cursor below it.
    fn draw_row(&mut self, row: &Row) {
        let height = row.height();
        let pad = row.style.pad;
        if row.style.shaded {
            draw::fill_rect(
                &mut self.ops,
                MARGIN_X,
                self.y,
                CONTENT_W,
                height,
                draw::rgb(0xee, 0xee, 0xee),
            );
        }
        for cell in &row.cells {
            let mut top = self.y + pad;
            for item in &cell.items {
                match item {
                    Item::Line(line) => {
                        self.text(
                            cell.face,
                            cell.size,
                            cell.color.clone(),
                            cell.x + pad,
                            top,
                            line,
                        );
                    }
                    Item::Thumb { id, w, h } => {
                        draw::image(&mut self.ops, id, cell.x + pad, top, *w, *h);
                    }
                }
                top += cell.item_height(item);
            }
            if row.style.borders {
                draw::stroke_rect(
                    &mut self.ops,
                    cell.x,
                    self.y,
                    cell.w,
                    height,
                    0.4,
                    draw::rule_grey(),
                );
            }
        }
        self.y += height;
    }
}
