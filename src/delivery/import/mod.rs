//! Importing a batch's appointments (预约) and its customers' handover conditions (收楼条件)
//! from spreadsheets. This file reads a sheet's cells into rows (pure, no SQL); [`plan`]
//! checks the rows against the batch; [`service`] loads the batch, writes all-or-nothing and
//! is shared by [`api`] and [`pages`].
//!
//! Files are read as rosters are ([`crate::org::import::read_cells`]: `.xlsx`, `.xls` or
//! `.csv`, bounded in size and in expansion). Units are named as the roster names them — 楼栋,
//! 单元 and 房号 columns, or one 房号 column holding the whole number (`3-1-1201`). Every
//! problem of every row is reported at once by spreadsheet row number; problems of the header
//! are row 1.

pub mod api;
pub mod pages;
pub mod plan;
pub mod repo;
pub mod service;

use std::collections::HashMap;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

use super::settings::Settings;
use crate::error::RowError;
use crate::i18n::Locale;

/// The two sheets a batch imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    /// Appointments: a unit and the start of its slot.
    Appointments,
    /// Handover conditions: a unit and one column per condition.
    Conditions,
}

impl Sheet {
    /// The name in routes (`appointments`, `conditions`).
    pub fn as_str(self) -> &'static str {
        match self {
            Sheet::Appointments => "appointments",
            Sheet::Conditions => "conditions",
        }
    }

    /// Parses the name in routes.
    pub fn parse(s: &str) -> Option<Sheet> {
        [Sheet::Appointments, Sheet::Conditions]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A column the sheets know by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Building,
    Entrance,
    Room,
    /// Date and time together (or the time, when a date column is there).
    When,
    Date,
    Time,
    Name,
    Phone,
}

impl Col {
    fn of_header(h: &str) -> Option<Col> {
        Some(match normalize_header(h).as_str() {
            "楼栋" | "楼号" | "栋" | "楼栋号" | "building" => Col::Building,
            "单元" | "单元号" | "entrance" => Col::Entrance,
            "房号" | "房间号" | "户号" | "room" | "roomnumber" | "unit" | "unitnumber" => {
                Col::Room
            }
            "预约时间" | "预约时段" | "时段" | "appointment" | "slot" | "datetime" => {
                Col::When
            }
            "预约日期" | "日期" | "date" => Col::Date,
            "时间" | "开始时间" | "time" | "start" | "starttime" => Col::Time,
            "业主姓名" | "业主" | "客户姓名" | "姓名" | "buyer" | "buyername" | "owner"
            | "name" => Col::Name,
            "联系电话" | "电话" | "手机" | "手机号" | "phone" => Col::Phone,
            _ => return None,
        })
    }

    /// The Chinese header, used in messages about a column.
    fn header(self) -> &'static str {
        match self {
            Col::Building => "楼栋",
            Col::Entrance => "单元",
            Col::Room => "房号",
            Col::When => "预约时间",
            Col::Date => "预约日期",
            Col::Time => "时间",
            Col::Name => "业主姓名",
            Col::Phone => "联系电话",
        }
    }
}

/// A header as compared: before any parenthesis, without spaces or underscores, lowercase.
fn normalize_header(h: &str) -> String {
    h.split(['(', '（'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect::<String>()
        .to_lowercase()
}

/// A row error of the header (row 1).
fn header_error(column: &str, code: &'static str) -> RowError {
    RowError {
        row: 1,
        column: Some(column.to_owned()),
        code,
        detail: String::new(),
    }
}

/// The header row: where each known column is, and the other headers by position.
struct Header {
    cols: HashMap<Col, usize>,
    others: Vec<(usize, String)>,
}

impl Header {
    fn read(cells: &[Vec<String>]) -> Result<Header, Vec<RowError>> {
        let Some(first) = cells.first() else {
            return Err(vec![RowError {
                row: 1,
                column: None,
                code: "no_data",
                detail: String::new(),
            }]);
        };
        let mut cols = HashMap::new();
        let mut others = Vec::new();
        for (i, h) in first.iter().enumerate() {
            match Col::of_header(h) {
                Some(c) => {
                    cols.entry(c).or_insert(i);
                }
                None if !h.trim().is_empty() => others.push((i, h.trim().to_owned())),
                None => {}
            }
        }
        let unit_cols = if cols.contains_key(&Col::Building) {
            &[Col::Building, Col::Entrance, Col::Room][..]
        } else {
            &[Col::Room][..]
        };
        let missing: Vec<RowError> = unit_cols
            .iter()
            .filter(|c| !cols.contains_key(c))
            .map(|c| header_error(c.header(), "missing_column"))
            .collect();
        if missing.is_empty() {
            Ok(Header { cols, others })
        } else {
            Err(missing)
        }
    }

    fn has(&self, c: Col) -> bool {
        self.cols.contains_key(&c)
    }

    /// The cell of column `c` in `row` (empty when absent).
    fn get<'a>(&self, row: &'a [String], c: Col) -> &'a str {
        self.cols
            .get(&c)
            .and_then(|&i| row.get(i))
            .map_or("", |s| s.trim())
    }

    /// The unit number a row names: 楼栋 + 单元 + 房号, or 房号 alone as `3-1-1201`.
    fn unit(&self, row: usize, cells: &[String]) -> Result<String, RowError> {
        let room = self.get(cells, Col::Room);
        let number = if self.has(Col::Building) {
            let parts = [
                (Col::Building, self.get(cells, Col::Building)),
                (Col::Entrance, self.get(cells, Col::Entrance)),
                (Col::Room, room),
            ];
            if let Some((c, _)) = parts.iter().find(|(_, v)| v.is_empty()) {
                return Err(row_error(row, *c, "required", ""));
            }
            crate::org::import::unit_number_of(parts[0].1, parts[1].1, parts[2].1)
        } else {
            let parts: Vec<&str> = room.split('-').map(str::trim).collect();
            match parts[..] {
                [b, e, r] => crate::org::import::unit_number_of(b, e, r),
                _ if room.is_empty() => return Err(row_error(row, Col::Room, "required", "")),
                _ => None,
            }
        };
        number.ok_or_else(|| row_error(row, Col::Room, "invalid_name", room))
    }
}

fn row_error(row: usize, c: Col, code: &'static str, detail: &str) -> RowError {
    RowError {
        row,
        column: Some(c.header().to_owned()),
        code,
        detail: detail.to_owned(),
    }
}

/// The data rows: spreadsheet row number and cells, blank rows skipped.
fn data_rows(cells: &[Vec<String>]) -> impl Iterator<Item = (usize, &[String])> {
    cells
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| (i + 1, r.as_slice()))
}

/// Reports a unit named twice: the later row points at the first.
fn check_duplicate(
    first_row_of: &mut HashMap<String, usize>,
    number: &str,
    row: usize,
) -> Option<RowError> {
    match first_row_of.get(number) {
        Some(first) => Some(row_error(
            row,
            Col::Room,
            "duplicate_unit",
            &first.to_string(),
        )),
        None => {
            first_row_of.insert(number.to_owned(), row);
            None
        }
    }
}

/// A sheet's rows that read well, and the problems of the others (all of them, so that the
/// good rows can still be checked against the batch and every problem reported at once).
#[derive(Debug)]
pub struct Parsed<T> {
    /// The rows that read well.
    pub lines: Vec<T>,
    /// The problems, by row.
    pub errors: Vec<RowError>,
}

impl<T> Parsed<T> {
    fn header_failed(errors: Vec<RowError>) -> Self {
        Parsed {
            lines: Vec::new(),
            errors,
        }
    }

    /// The rows, or every problem sorted by row.
    pub fn into_result(self) -> Result<Vec<T>, Vec<RowError>> {
        if self.errors.is_empty() {
            Ok(self.lines)
        } else {
            let mut errors = self.errors;
            errors.sort_by_key(|e| e.row);
            Err(errors)
        }
    }
}

/// One row of an appointments sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentLine {
    /// Spreadsheet row.
    pub row: usize,
    /// Unit number (`3-1-1201`).
    pub number: String,
    /// When the customer comes, Asia/Shanghai.
    pub at: NaiveDateTime,
    /// Buyer's name as written (empty when not given): checked against the roster.
    pub name: String,
    /// Buyer's phone, digits (empty when not given): checked against the roster.
    pub phone: String,
}

/// Reads an appointments sheet: the unit, the time (one 预约时间 column, or 预约日期 with
/// 时间), and optionally the buyer's name and phone.
pub fn appointments(cells: &[Vec<String>]) -> Parsed<AppointmentLine> {
    let h = match Header::read(cells) {
        Ok(h) => h,
        Err(e) => return Parsed::header_failed(e),
    };
    let has_time = h.has(Col::When) || (h.has(Col::Date) && h.has(Col::Time));
    if !has_time {
        let missing = header_error(Col::When.header(), "missing_column");
        return Parsed::header_failed(vec![missing]);
    }
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut first_row_of = HashMap::new();
    for (row, cells) in data_rows(cells) {
        let number = h.unit(row, cells);
        if let Ok(n) = &number {
            errors.extend(check_duplicate(&mut first_row_of, n, row));
        }
        let at = appointment_time(&h, row, cells);
        match (number, at) {
            (Ok(number), Ok(at)) => lines.push(AppointmentLine {
                row,
                number,
                at,
                name: h.get(cells, Col::Name).to_owned(),
                phone: digits(h.get(cells, Col::Phone)),
            }),
            (number, at) => errors.extend(number.err().into_iter().chain(at.err())),
        }
    }
    finish(lines, errors)
}

/// The rows and errors read; a sheet without data rows is an error of row 1.
fn finish<T>(lines: Vec<T>, mut errors: Vec<RowError>) -> Parsed<T> {
    if lines.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 1,
            column: None,
            code: "no_data",
            detail: String::new(),
        });
    }
    Parsed { lines, errors }
}

/// The time of an appointment row.
fn appointment_time(h: &Header, row: usize, cells: &[String]) -> Result<NaiveDateTime, RowError> {
    let when = h.get(cells, Col::When);
    let (col, text) = if h.has(Col::Date) {
        let time = if h.has(Col::Time) {
            h.get(cells, Col::Time)
        } else {
            when
        };
        let date = h.get(cells, Col::Date);
        let at = parse_date(date).zip(parse_time(time));
        if let Some((d, t)) = at {
            return Ok(d.and_time(t));
        }
        if parse_date(date).is_none() {
            (Col::Date, date)
        } else if h.has(Col::Time) {
            (Col::Time, time)
        } else {
            (Col::When, time)
        }
    } else {
        match parse_when(when) {
            Some(at) => return Ok(at),
            None => (Col::When, when),
        }
    };
    let code = if text.is_empty() {
        "required"
    } else {
        "invalid_time"
    };
    Err(row_error(row, col, code, text))
}

/// The digits of a phone number, without a leading +86.
fn digits(p: &str) -> String {
    let p = p
        .trim()
        .trim_start_matches("+86")
        .trim_start_matches("0086");
    p.chars().filter(char::is_ascii_digit).collect()
}

/// Days from Excel's day 0 (dates are serial numbers in a workbook).
fn excel_date(serial: f64) -> Option<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    epoch.checked_add_days(Days::new(serial.floor() as u64))
}

/// The time in a fraction of a day (Excel's time cells).
fn excel_time(fraction: f64) -> Option<NaiveTime> {
    let secs = (fraction.fract() * 86_400.0).round() as u32;
    NaiveTime::from_num_seconds_from_midnight_opt(secs.min(86_399), 0)
}

/// A date: `2026-12-18`, `2026/12/18`, `2026.12.18`, `2026年12月18日`, or an Excel serial.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(f) = s.parse::<f64>() {
        return (1.0..2_958_466.0).contains(&f).then(|| excel_date(f))?;
    }
    let s: String = s.replace(['/', '.', '年', '月'], "-").replace('日', "");
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A time: `09:00`, `9:00:00`, `09：00`, the start of a range (`09:00-09:30`), or an Excel
/// fraction of a day.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    if let Ok(f) = s.parse::<f64>() {
        return (0.0..1.0).contains(&f).then(|| excel_time(f))?;
    }
    let start = s
        .split(['-', '–', '—', '~', '～', '至'])
        .next()
        .unwrap_or("")
        .replace('：', ":");
    let start = start.trim();
    NaiveTime::parse_from_str(start, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(start, "%H:%M"))
        .ok()
}

/// A date and time in one cell (`2026-12-18 09:00`, `2026-12-18T09:00`), or an Excel serial.
fn parse_when(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(f) = s.parse::<f64>() {
        return (f >= 1.0)
            .then(|| Some(excel_date(f)?.and_time(excel_time(f)?)))
            .flatten();
    }
    let (date, time) = s.split_once([' ', 'T', '\u{3000}'])?;
    Some(parse_date(date)?.and_time(parse_time(time)?))
}

/// One row of a conditions sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionLine {
    /// Spreadsheet row.
    pub row: usize,
    /// Unit number.
    pub number: String,
    /// Each condition column: the condition's code and whether it is met.
    pub marks: Vec<(String, bool)>,
}

/// Reads a conditions sheet: the unit, then one column per condition of the project, headed
/// by its name (in either language) or code; cells 是/✓/√ mean met, 否/✗ or empty not met.
/// Name and phone columns may stay in the sheet; other headers are errors.
pub fn conditions(cells: &[Vec<String>], settings: &Settings) -> Parsed<ConditionLine> {
    let h = match Header::read(cells) {
        Ok(h) => h,
        Err(e) => return Parsed::header_failed(e),
    };
    let names = condition_names(settings);
    let mut columns = Vec::new();
    let mut errors = Vec::new();
    for (i, header) in &h.others {
        match names.get(&normalize_header(header)) {
            Some(code) => columns.push((*i, header.as_str(), code.as_str())),
            None => errors.push(header_error(header, "unknown_condition")),
        }
    }
    if columns.is_empty() && errors.is_empty() {
        errors.push(header_error("", "no_condition_columns"));
    }
    if !errors.is_empty() {
        return Parsed::header_failed(errors);
    }
    let mut lines = Vec::new();
    let mut first_row_of = HashMap::new();
    for (row, cells) in data_rows(cells) {
        let number = h.unit(row, cells);
        if let Ok(n) = &number {
            errors.extend(check_duplicate(&mut first_row_of, n, row));
        }
        let mut marks = Vec::new();
        for (i, header, code) in &columns {
            let cell = cells.get(*i).map_or("", |c| c.trim());
            match parse_mark(cell) {
                Some(met) => marks.push(((*code).to_owned(), met)),
                None => errors.push(RowError {
                    row,
                    column: Some((*header).to_owned()),
                    code: "invalid_mark",
                    detail: cell.to_owned(),
                }),
            }
        }
        match number {
            Ok(number) => lines.push(ConditionLine { row, number, marks }),
            Err(e) => errors.push(e),
        }
    }
    finish(lines, errors)
}

/// Every way a header may name a condition of the project: its code, its own title, and its
/// name in each language, each normalised as headers are.
fn condition_names(settings: &Settings) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for e in &settings.conditions {
        let all = [
            e.code.clone(),
            e.title.clone(),
            e.label(Locale::ZhCn, "condition"),
            e.label(Locale::En, "condition"),
        ];
        for n in all.iter().filter(|n| !n.is_empty()) {
            names.insert(normalize_header(n), e.code.clone());
        }
    }
    names
}

/// A condition cell: met, not met, or unreadable.
fn parse_mark(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "是" | "✓" | "✔" | "√" | "☑" | "y" | "yes" | "true" | "1" | "已" | "已完成" => {
            Some(true)
        }
        "" | "否" | "✗" | "✘" | "×" | "x" | "n" | "no" | "false" | "0" | "未" | "未完成" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[&str]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.split(',').map(str::to_owned).collect())
            .collect()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn appointments_name_units_as_the_roster_and_read_many_time_forms() {
        let lines = appointments(&cells(&[
            "楼栋,单元,房号,预约时间,业主姓名,联系电话",
            "3号楼,1单元,1201,2026-12-18 09:00,张三,+86 138-1234-5678",
            "3,1,1202,2026/12/18 9:30,,",
            "3,1,1203,46374.375,,",
            "3,1,1204,2026年12月18日 10:00-10:30,,",
        ]))
        .into_result()
        .unwrap();
        assert_eq!(lines[0].number, "3-1-1201");
        assert_eq!(lines[0].phone, "13812345678");
        assert_eq!(lines[1].at, at("2026-12-18 09:30"));
        assert_eq!(lines[2].at, at("2026-12-18 09:00"));
        assert_eq!(lines[3].at, at("2026-12-18 10:00"));
        let lines = appointments(&cells(&[
            "房号,预约日期,时间",
            "3-1-1201,2026-12-19,14:00",
            "3-1-1202,46375,0.5",
        ]))
        .into_result()
        .unwrap();
        assert_eq!(lines[0].at, at("2026-12-19 14:00"));
        assert_eq!(lines[1].at, at("2026-12-19 12:00"));
    }

    #[test]
    fn every_bad_appointment_row_is_reported_with_its_row_and_column() {
        let err = appointments(&cells(&[
            "楼栋,单元,房号,预约时间",
            "3,1,1201,明天上午",
            "3,1,,2026-12-18 09:00",
            "3,1,1201,2026-12-18 10:00",
            "3,1,1203,",
        ]))
        .into_result()
        .unwrap_err();
        let got: Vec<_> = err
            .iter()
            .map(|e| (e.row, e.code, e.column.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            [
                (2, "invalid_time", "预约时间"),
                (3, "required", "房号"),
                (4, "duplicate_unit", "房号"),
                (5, "required", "预约时间"),
            ]
        );
        let err = appointments(&cells(&["楼栋,房号,预约时间"]))
            .into_result()
            .unwrap_err();
        assert_eq!((err[0].row, err[0].code), (1, "missing_column"));
        let err = appointments(&cells(&["房号,预约时间"]))
            .into_result()
            .unwrap_err();
        assert_eq!(err[0].code, "no_data");
    }

    #[test]
    fn condition_columns_are_named_by_title_or_code_and_cells_read_as_marks() {
        let s = Settings::default();
        let lines = conditions(
            &cells(&[
                "房号,业主姓名,购房款结清,maintenance_fund,Identity verified",
                "3-1-1201,张三,是,✓,",
                "3-1-1202,李四,否,√,Yes",
            ]),
            &s,
        )
        .into_result()
        .unwrap();
        assert_eq!(
            lines[0].marks,
            [
                ("payment".to_owned(), true),
                ("maintenance_fund".to_owned(), true),
                ("identity".to_owned(), false)
            ]
        );
        assert_eq!(lines[1].marks[0], ("payment".to_owned(), false));
        assert_eq!(lines[1].marks[2], ("identity".to_owned(), true));
        let err = conditions(&cells(&["房号,车位款,购房款结清", "3-1-1201,是,也许"]), &s)
            .into_result()
            .unwrap_err();
        assert_eq!(
            (err[0].row, err[0].code, err[0].column.as_deref()),
            (1, "unknown_condition", Some("车位款"))
        );
        let err = conditions(&cells(&["房号,购房款结清", "3-1-1201,也许"]), &s)
            .into_result()
            .unwrap_err();
        assert_eq!((err[0].row, err[0].code), (2, "invalid_mark"));
    }

    #[test]
    fn every_row_code_has_a_message_in_both_languages() {
        for code in [
            "missing_column",
            "no_data",
            "invalid_time",
            "unknown_condition",
            "no_condition_columns",
            "invalid_mark",
            "unknown_unit",
            "not_in_batch",
            "no_slot",
            "slot_full",
            "name_mismatch",
            "phone_mismatch",
        ] {
            for l in [Locale::ZhCn, Locale::En] {
                let key = format!("row.{code}");
                assert!(!l.t(&key).is_empty(), "{key}");
            }
        }
    }
}
