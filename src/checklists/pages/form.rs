//! The item form of the template page: reading it into an [`ItemInput`], filling it from an
//! item, and the message of a refused post.

use std::collections::HashMap;

use axum::http::Uri;

use crate::checklists::{Confidence, ItemInput, KindName, Trade};
use crate::error::{AppError, Check};
use crate::i18n::Locale;

/// A trimmed form field; empty when absent.
pub fn field(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// A query parameter of the request.
pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query()?)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// Reads a number as typed on a tablet (`−5`, `+8`, `1,5` are fine).
fn number(s: &str) -> Result<Option<f64>, ()> {
    let s = s.trim().replace(['−', '－'], "-").replace(['，', ','], ".");
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<f64>().map(Some).map_err(|_| ())
}

/// Reads the item form; numbers that do not parse are invalid fields. The pass rate is typed
/// as a percentage. A pass/fail item ignores the measurement fields the form also shows.
pub fn item_from_form(f: &HashMap<String, String>) -> Result<ItemInput, AppError> {
    let mut c = Check::default();
    let trade = Trade::parse(&field(f, "trade"));
    c = c.when(trade.is_none(), "trade", "required");
    let measured = field(f, "kind") != "pass_fail";
    let mut read = |name: &str| match number(&field(f, name)) {
        Ok(v) => v,
        Err(()) => {
            c = std::mem::take(&mut c).when(true, name, "invalid");
            None
        }
    };
    let (lower, upper, points, pass_rate, max_factor) = (
        read("lower"),
        read("upper"),
        read("points"),
        read("pass_rate"),
        read("max_factor"),
    );
    let points = points.map(|p| {
        if p.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&p) {
            p as u32
        } else {
            0 // out of range: the item check names it
        }
    });
    let confidence = Confidence::parse(&field(f, "confidence"));
    c.done()?;
    let unit = Some(field(f, "unit")).filter(|u| !u.is_empty());
    let m = |v| if measured { v } else { None };
    Ok(ItemInput {
        trade: trade.unwrap_or(Trade::Civil),
        room: field(f, "room"),
        part: field(f, "part"),
        name: field(f, "name"),
        kind: if measured {
            KindName::Measured
        } else {
            KindName::PassFail
        },
        unit: if measured { unit } else { None },
        lower: m(lower),
        upper: m(upper),
        points: if measured { points } else { None },
        pass_rate: m(pass_rate.map(|p| p / 100.0)),
        max_factor: m(max_factor),
        tool: field(f, "tool"),
        method: field(f, "method"),
        standard: field(f, "standard"),
        confidence,
    })
}

fn show(v: Option<f64>) -> String {
    v.map(|v| format!("{}", (v * 1e6).round() / 1e6))
        .unwrap_or_default()
}

/// The form values of an item (what the edit form starts from).
pub fn item_values(i: &ItemInput) -> HashMap<String, String> {
    let kind = match i.kind {
        KindName::Measured => "measured",
        KindName::PassFail => "pass_fail",
    };
    [
        ("trade", i.trade.as_str().to_owned()),
        ("room", i.room.clone()),
        ("part", i.part.clone()),
        ("name", i.name.clone()),
        ("kind", kind.to_owned()),
        ("unit", i.unit.clone().unwrap_or_default()),
        ("lower", show(i.lower)),
        ("upper", show(i.upper)),
        (
            "points",
            i.points.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("pass_rate", show(i.pass_rate.map(|r| r * 100.0))),
        ("max_factor", show(i.max_factor)),
        ("tool", i.tool.clone()),
        ("method", i.method.clone()),
        ("standard", i.standard.clone()),
        (
            "confidence",
            i.confidence
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What the add form starts with: a measured item with the GB 50209 rule (80 %, 1.5×).
pub fn add_defaults() -> HashMap<String, String> {
    [
        ("trade", "civil"),
        ("kind", "measured"),
        ("unit", "mm"),
        ("points", "5"),
        ("pass_rate", "80"),
        ("max_factor", "1.5"),
        ("confidence", "low"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The message of a refused post in `l`, naming each invalid field.
pub fn error_message(e: &AppError, l: Locale) -> String {
    let message = l.t(e.code()).to_owned();
    let AppError::Invalid(fields) = e else {
        return message;
    };
    let detail: Vec<String> = fields
        .iter()
        .map(|f| {
            // `items[3].upper` → "第 4 项 上限"; `upper` → "上限".
            let (item, name) = match f.field.split_once("].") {
                Some((head, name)) => (
                    head.trim_start_matches("items[").parse::<usize>().ok(),
                    name,
                ),
                None => (None, f.field.as_str()),
            };
            let label = l.t(&format!("checklists.field.{name}"));
            let label = match item {
                Some(i) => l.fmt(
                    "checklists.field_of_item",
                    &[("n", &(i + 1).to_string()), ("field", label)],
                ),
                None => label.to_owned(),
            };
            l.fmt(
                "checklists.field_error",
                &[
                    ("field", &label),
                    ("error", l.t(&format!("field.{}", f.code))),
                ],
            )
        })
        .collect();
    let sep = match l {
        Locale::ZhCn => "；",
        Locale::En => "; ",
    };
    l.fmt(
        "checklists.error_detail",
        &[("message", &message), ("detail", &detail.join(sep))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_round_trips_an_item_with_percent_rates() {
        let f = form(&[
            ("trade", "civil"),
            ("room", "每个房间"),
            ("name", "楼板厚度偏差"),
            ("kind", "measured"),
            ("unit", "mm"),
            ("lower", "−5"),
            ("upper", "+8"),
            ("points", "5"),
            ("pass_rate", "80"),
            ("max_factor", "1,5"),
            ("confidence", ""),
        ]);
        let item = item_from_form(&f).unwrap();
        assert_eq!((item.lower, item.upper), (Some(-5.0), Some(8.0)));
        assert_eq!((item.pass_rate, item.max_factor), (Some(0.8), Some(1.5)));
        assert_eq!(item.confidence, None);
        let back = item_values(&item);
        assert_eq!(back["pass_rate"], "80");
        assert_eq!(back["lower"], "-5");
        assert_eq!(item_from_form(&back).unwrap(), item);
    }

    #[test]
    fn bad_numbers_are_invalid_fields_and_pass_fail_ignores_measurements() {
        let f = form(&[
            ("trade", "x"),
            ("kind", "measured"),
            ("upper", "abc"),
            ("points", "2"),
        ]);
        let AppError::Invalid(fields) = item_from_form(&f).unwrap_err() else {
            panic!()
        };
        let got: Vec<_> = fields.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(got, [("trade", "required"), ("upper", "invalid")]);
        let f = form(&[
            ("trade", "plumbing"),
            ("kind", "pass_fail"),
            ("upper", "4"),
            ("unit", "mm"),
        ]);
        let item = item_from_form(&f).unwrap();
        assert_eq!((item.upper, item.unit), (None, None));
        let f = form(&[("trade", "civil"), ("kind", "measured"), ("points", "2.5")]);
        assert_eq!(item_from_form(&f).unwrap().points, Some(0));
    }

    #[test]
    fn error_messages_name_fields_and_items() {
        let e = AppError::Invalid(vec![
            crate::error::FieldError {
                field: "upper".into(),
                code: "bound_required",
            },
            crate::error::FieldError {
                field: "items[3].points".into(),
                code: "out_of_range",
            },
        ]);
        let zh = error_message(&e, Locale::ZhCn);
        assert!(zh.contains("上限") && zh.contains("第 4 项"), "{zh}");
        let en = error_message(&e, Locale::En);
        assert!(en.contains("Upper bound") && en.contains("item 4"), "{en}");
    }
}
