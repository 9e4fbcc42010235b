//! Roster import: reading an `.xlsx`/`.xls`/`.csv` roster into validated rows (pure, no SQL).
//!
//! Rosters come from Excel, with Chinese or English headers. Parsing is all-or-nothing: any bad
//! row fails the whole file with every problem listed by spreadsheet row number. An `.xlsx` is a
//! zip archive, so its real expanded size is bounded before the spreadsheet reader sees it.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader};

use crate::error::{AppError, RowError};
use crate::i18n::Locale;

/// Largest roster file accepted (bytes).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Largest total expanded size of an `.xlsx` archive (bytes).
pub const MAX_EXPANDED_BYTES: u64 = 100 * 1024 * 1024;
/// Most data rows in one roster.
pub const MAX_ROWS: usize = 20_000;

/// One buyer of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct BuyerEntry {
    /// Full name.
    pub name: String,
    /// Phone number, digits (may be empty).
    pub phone: String,
}

/// One valid roster row.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    /// Spreadsheet row number.
    pub row: usize,
    /// Building name (`3` for `3号楼`).
    pub building: String,
    /// Entrance name (`1` for `1单元`).
    pub entrance: String,
    /// Floor number.
    pub floor: i32,
    /// Room number within the entrance (`1201`).
    pub room: String,
    /// Building area in m².
    pub area_m2: f64,
    /// Layout name, if given.
    pub layout: Option<String>,
    /// Buyers in the order listed.
    pub buyers: Vec<BuyerEntry>,
}

impl RosterRow {
    /// The unit number `building-entrance-room`, e.g. `3-1-1201`.
    pub fn number(&self) -> String {
        super::unit_number(&self.building, &self.entrance, &self.room)
    }
}

/// A column of the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Building,
    Entrance,
    Floor,
    Room,
    Area,
    Layout,
    Buyer,
    Phone,
}

const REQUIRED: [Col; 5] = [
    Col::Building,
    Col::Entrance,
    Col::Floor,
    Col::Room,
    Col::Area,
];

impl Col {
    fn of_header(h: &str) -> Option<Col> {
        let h: String = h
            .split(['(', '（'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .collect::<String>()
            .to_lowercase();
        Some(match h.as_str() {
            "楼栋" | "楼号" | "栋" | "楼栋号" | "building" => Col::Building,
            "单元" | "单元号" | "entrance" => Col::Entrance,
            "楼层" | "层" | "floor" => Col::Floor,
            "房号" | "房间号" | "户号" | "room" | "roomnumber" => Col::Room,
            "建筑面积" | "面积" | "area" | "buildingarea" => Col::Area,
            "户型" | "layout" => Col::Layout,
            "业主姓名" | "业主" | "客户姓名" | "姓名" | "buyer" | "buyername" | "owner" => {
                Col::Buyer
            }
            "联系电话" | "电话" | "手机" | "手机号" | "phone" | "buyerphone" => {
                Col::Phone
            }
            _ => return None,
        })
    }

    /// The Chinese header, used in messages about a column.
    fn header(self) -> &'static str {
        match self {
            Col::Building => "楼栋",
            Col::Entrance => "单元",
            Col::Floor => "楼层",
            Col::Room => "房号",
            Col::Area => "建筑面积",
            Col::Layout => "户型",
            Col::Buyer => "业主姓名",
            Col::Phone => "联系电话",
        }
    }
}

/// Reads a roster file (format from its content) into its cells, header row first.
pub fn read_cells(filename: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, AppError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    let lower = filename.to_lowercase();
    if bytes.starts_with(b"PK\x03\x04") {
        check_archive(bytes)?;
        read_workbook(bytes)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_workbook(bytes)
    } else if lower.ends_with(".xlsx") || lower.ends_with(".xls") {
        Err(AppError::ImportNotSpreadsheet("not a workbook".into()))
    } else {
        read_csv(bytes)
    }
}

/// Refuses an archive that would expand past [`MAX_EXPANDED_BYTES`], by declared sizes and by
/// actually inflating (declared sizes can lie).
fn check_archive(bytes: &[u8]) -> Result<(), AppError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| AppError::ImportNotSpreadsheet(e.to_string()))?;
    if zip.len() > 10_000 {
        return Err(AppError::ImportUnsafeArchive);
    }
    let mut budget = MAX_EXPANDED_BYTES;
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|e| AppError::ImportNotSpreadsheet(e.to_string()))?;
        if entry.size() > budget {
            return Err(AppError::ImportUnsafeArchive);
        }
        let read = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink())
            .map_err(|e| AppError::ImportNotSpreadsheet(e.to_string()))?;
        budget = budget
            .checked_sub(read)
            .ok_or(AppError::ImportUnsafeArchive)?;
    }
    Ok(())
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, AppError> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| AppError::ImportNotSpreadsheet(e.to_string()))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| AppError::ImportNotSpreadsheet("no worksheet".into()))?
        .map_err(|e| AppError::ImportNotSpreadsheet(e.to_string()))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string().trim().to_owned(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, AppError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Excel on Chinese Windows saves CSV as GBK; GB18030 is its superset.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::ImportNotSpreadsheet("binary content".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AppError::ImportNotSpreadsheet(e.to_string()))?;
        rows.push(record.iter().map(|s| s.trim().to_owned()).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(AppError::PayloadTooLarge);
        }
    }
    Ok(rows)
}

/// Validates cells (header row first) into roster rows; every problem is reported at once.
pub fn validate(cells: &[Vec<String>]) -> Result<Vec<RosterRow>, AppError> {
    let header = cells.first().ok_or(AppError::ImportEmpty)?;
    let mut columns: HashMap<Col, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if let Some(col) = Col::of_header(h) {
            columns.entry(col).or_insert(i);
        }
    }
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| !columns.contains_key(c))
        .map(|c| c.header().to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(AppError::ImportMissingColumns(missing));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (i, cells) in cells.iter().enumerate().skip(1) {
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let get = |c: Col| {
            columns
                .get(&c)
                .and_then(|&i| cells.get(i))
                .map_or("", |s| s.as_str())
        };
        // Duplicates are found on every row, even one with other problems.
        if let Some(number) = unit_key(&get)
            && let Some(other) = first_row_of.insert(number.clone(), i + 1)
        {
            first_row_of.insert(number, other);
            errors.push(RowError {
                row: i + 1,
                column: Some(Col::Room.header().to_owned()),
                code: "duplicate_unit",
                detail: other.to_string(),
            });
        }
        match parse_row(i + 1, get) {
            Ok(row) => rows.push(row),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(AppError::ImportRows(errors));
    }
    if rows.is_empty() {
        return Err(AppError::ImportEmpty);
    }
    Ok(rows)
}

/// The names a row's unit number is made of: building, entrance, room (normalised).
fn location<'a>(get: &impl Fn(Col) -> &'a str) -> (String, String, String) {
    normalize(get(Col::Building), get(Col::Entrance), get(Col::Room))
}

/// Building, entrance and room cells as the roster stores them (`3号楼`, `1单元`, `3-1-1201`
/// → `3`, `1`, `1201`).
fn normalize(building: &str, entrance: &str, room: &str) -> (String, String, String) {
    let building = strip_suffix(building, &["号楼", "栋", "号", "幢"]);
    let entrance = strip_suffix(entrance, &["单元"]);
    let room = room.rsplit('-').next().unwrap_or("").trim().to_owned();
    (building, entrance, room)
}

/// The unit number that building, entrance and room cells name, read as a roster row is
/// (`3号楼`, `1单元`, `1201` → `3-1-1201`); `None` when a part is empty. Other sheets that name
/// units (appointments, handover conditions) use it to find them.
pub fn unit_number_of(building: &str, entrance: &str, room: &str) -> Option<String> {
    let (b, e, r) = normalize(building, entrance, room);
    (!b.is_empty() && !e.is_empty() && !r.is_empty()).then(|| super::unit_number(&b, &e, &r))
}

/// The unit number a row names, when its parts are present.
fn unit_key<'a>(get: &impl Fn(Col) -> &'a str) -> Option<String> {
    unit_number_of(get(Col::Building), get(Col::Entrance), get(Col::Room))
}

fn parse_row<'a>(row: usize, get: impl Fn(Col) -> &'a str) -> Result<RosterRow, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |col: Col, code: &'static str, detail: String| {
        errors.push(RowError {
            row,
            column: Some(col.header().to_owned()),
            code,
            detail,
        })
    };
    let (building, entrance, room) = location(&get);
    for (col, v) in [
        (Col::Building, &building),
        (Col::Entrance, &entrance),
        (Col::Room, &room),
    ] {
        if v.is_empty() {
            err(col, "required", String::new());
        } else if v.chars().count() > 16 || v.contains('-') {
            err(col, "invalid_name", v.to_string());
        }
    }
    let floor = get(Col::Floor)
        .trim_end_matches(['层', 'F', 'f'])
        .parse::<i32>();
    let floor = match floor {
        Ok(f) if (-10..=300).contains(&f) && f != 0 => f,
        Ok(_) => {
            err(Col::Floor, "out_of_range", get(Col::Floor).to_owned());
            0
        }
        Err(_) => {
            err(Col::Floor, "not_integer", get(Col::Floor).to_owned());
            0
        }
    };
    let area_text = strip_unit(get(Col::Area), &["平方米", "平米", "㎡", "m²", "m2", "平"]);
    let area_m2 = match area_text.parse::<f64>() {
        Ok(a) if a.is_finite() && a > 0.0 && a < 100_000.0 => a,
        Ok(_) => {
            err(Col::Area, "out_of_range", get(Col::Area).to_owned());
            0.0
        }
        Err(_) => {
            err(Col::Area, "not_a_number", get(Col::Area).to_owned());
            0.0
        }
    };
    let buyers = parse_buyers(get(Col::Buyer), get(Col::Phone)).unwrap_or_else(|(code, d)| {
        err(Col::Phone, code, d);
        Vec::new()
    });
    let layout = Some(get(Col::Layout).to_owned()).filter(|l| !l.is_empty());
    if errors.is_empty() {
        Ok(RosterRow {
            row,
            building,
            entrance,
            floor,
            room,
            area_m2,
            layout,
            buyers,
        })
    } else {
        Err(errors)
    }
}

fn strip_suffix(v: &str, suffixes: &[&str]) -> String {
    let v = v.trim();
    for s in suffixes {
        if let Some(rest) = v.strip_suffix(s)
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return rest.to_owned();
        }
    }
    v.to_owned()
}

/// `v` without one trailing unit suffix (`89.5㎡` → `89.5`), trimmed.
fn strip_unit<'a>(v: &'a str, units: &[&str]) -> &'a str {
    let v = v.trim();
    units
        .iter()
        .find_map(|u| v.strip_suffix(u))
        .unwrap_or(v)
        .trim()
}

fn split_list(v: &str) -> Vec<String> {
    v.split(['/', '、', ';', '；', ',', '，'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_buyers(names: &str, phones: &str) -> Result<Vec<BuyerEntry>, (&'static str, String)> {
    let names = split_list(names);
    let phones = split_list(phones);
    if phones.len() > names.len() {
        return Err(("phone_without_buyer", phones.join("/")));
    }
    let mut out = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let phone = phones.get(i).map_or(String::new(), |p| normalize_phone(p));
        if !phone.is_empty() && !is_valid_phone(&phone) {
            return Err(("invalid_phone", super::mask_phone(&phone)));
        }
        out.push(BuyerEntry { name, phone });
    }
    Ok(out)
}

fn normalize_phone(p: &str) -> String {
    let p = p
        .trim()
        .trim_start_matches("+86")
        .trim_start_matches("0086");
    p.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
}

/// Whether `p` (normalised: digits only) is a mainland mobile or landline number.
pub fn is_valid_phone(p: &str) -> bool {
    let digits = p.chars().all(|c| c.is_ascii_digit());
    let mobile = p.len() == 11 && p.starts_with('1') && p.as_bytes()[1] >= b'3';
    let landline = p.starts_with('0') && (10..=12).contains(&p.len());
    digits && (mobile || landline)
}

/// The message of a row error in `locale`, e.g. `第 5 行 建筑面积：不是数字（abc）`.
pub fn row_message(e: &RowError, locale: Locale) -> String {
    locale.fmt(
        &format!("row.{}", e.code),
        &[
            ("column", e.column.as_deref().unwrap_or("")),
            ("detail", &e.detail),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[&str]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.split(',').map(str::to_owned).collect())
            .collect()
    }

    const HEADER: &str = "楼栋,单元,楼层,房号,建筑面积,户型,业主姓名,联系电话";

    #[test]
    fn reads_chinese_headers_and_normalises_names() {
        let rows = validate(&cells(&[
            HEADER,
            "3号楼,1单元,12,1201,89.5,A,张三/李四,13812345678/13987654321",
        ]))
        .unwrap();
        assert_eq!(rows[0].number(), "3-1-1201");
        assert_eq!(rows[0].buyers.len(), 2);
        assert_eq!(rows[0].buyers[1].phone, "13987654321");
    }

    #[test]
    fn english_headers_work_too() {
        let rows = validate(&cells(&[
            "Building,Entrance,Floor,Room,Area",
            "1,2,3,301,100",
        ]))
        .unwrap();
        assert_eq!(rows[0].number(), "1-2-301");
        assert!(rows[0].buyers.is_empty());
    }

    #[test]
    fn lists_every_bad_row_with_its_number() {
        let err = validate(&cells(&[
            HEADER,
            "1,1,1,101,abc,A,王五,13812345678",
            "1,1,x,102,90,A,,",
            "1,1,1,101,90,A,,",
            "1,1,2,201,90,A,赵六,12345",
        ]))
        .unwrap_err();
        let AppError::ImportRows(rows) = err else {
            panic!("{err:?}")
        };
        let got: Vec<_> = rows.iter().map(|r| (r.row, r.code)).collect();
        assert_eq!(
            got,
            vec![
                (2, "not_a_number"),
                (3, "not_integer"),
                (4, "duplicate_unit"),
                (5, "invalid_phone")
            ]
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let err = validate(&cells(&["楼栋,单元,房号", "1,1,101"])).unwrap_err();
        let AppError::ImportMissingColumns(cols) = err else {
            panic!()
        };
        assert_eq!(cols, vec!["楼层", "建筑面积"]);
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("楼栋,单元,楼层,房号,建筑面积\n1,1,1,101,88\n");
        let rows = validate(&read_cells("r.csv", &bytes).unwrap()).unwrap();
        assert_eq!(rows[0].area_m2, 88.0);
    }

    #[test]
    fn binary_is_not_a_spreadsheet() {
        let err = read_cells("r.xlsx", b"\x00\x01\x02garbage").unwrap_err();
        assert_eq!(err.code(), "import.not_a_spreadsheet");
    }

    #[test]
    fn area_units_are_stripped_once_and_digits_kept() {
        for (text, want) in [
            ("92", 92.0),
            ("115.32", 115.32),
            ("89.5㎡", 89.5),
            ("122 m2", 122.0),
            ("100平米", 100.0),
        ] {
            let rows = validate(&cells(&[
                "楼栋,单元,楼层,房号,建筑面积",
                &format!("1,1,1,101,{text}"),
            ]))
            .unwrap();
            assert_eq!(rows[0].area_m2, want, "{text}");
        }
    }

    #[test]
    fn phones_are_checked() {
        assert!(is_valid_phone("13812345678"));
        assert!(is_valid_phone("02188886666"));
        assert!(!is_valid_phone("12812345678"));
        assert!(!is_valid_phone("1381234567"));
    }
}
