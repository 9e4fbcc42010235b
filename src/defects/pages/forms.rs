//! Page forms of the defect pages: what the last post said (a flash), the fields kept when it
//! failed, errors as sentences that say what to do next, and the lifecycle commands the forms
//! send.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::error::AppError;
use crate::i18n::Locale;

/// What the last post said: which form, the message, whether it worked.
#[derive(Debug, Clone)]
pub struct Flash {
    /// The form (or row) it is about.
    pub form: String,
    /// The message, in the page's language.
    pub text: String,
    /// Whether it worked.
    pub ok: bool,
}

/// The answer to the last post, and what was typed into the form when it failed.
#[derive(Debug, Clone, Default)]
pub struct Said {
    /// The message.
    pub flash: Option<Flash>,
    /// The fields as they were sent.
    pub kept: HashMap<String, String>,
}

impl Said {
    /// A success message from an `?ok=` key (only keys of the catalog's `defects.ok.*`).
    pub fn ok(l: Locale, form: &str, key: Option<&str>) -> Self {
        Self::ok_in(l, "defects.ok", form, key)
    }

    /// A success message from an `?ok=` key, looked up under `prefix` in the catalog.
    pub fn ok_in(l: Locale, prefix: &str, form: &str, key: Option<&str>) -> Self {
        let flash = key
            .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(|k| l.t(&format!("{prefix}.{k}")))
            .filter(|text| !text.is_empty())
            .map(|text| Flash {
                form: form.to_owned(),
                text: text.to_owned(),
                ok: true,
            });
        Said {
            flash,
            kept: HashMap::new(),
        }
    }

    /// A failure of `form`, with the fields to show again.
    pub fn failed(l: Locale, form: &str, e: &AppError, kept: HashMap<String, String>) -> Self {
        let mut kept = kept;
        kept.remove("_csrf");
        kept.remove("event_id");
        Said {
            flash: Some(Flash {
                form: form.to_owned(),
                text: error_text(l, e),
                ok: false,
            }),
            kept,
        }
    }

    /// The message for `form`, if the last post was one of its.
    pub fn for_form(&self, form: &str) -> Option<&Flash> {
        self.flash.as_ref().filter(|f| f.form == form)
    }

    /// A field as it was typed, or empty.
    pub fn kept(&self, field: &str) -> &str {
        self.kept.get(field).map_or("", String::as_str)
    }

    /// A field as it was typed into `form`, when the last post was that form's.
    pub fn kept_for(&self, form: &str, field: &str) -> &str {
        if self.for_form(form).is_some() {
            self.kept(field)
        } else {
            ""
        }
    }
}

/// Whether an error of a page post is shown on the page (with the form as typed) rather than
/// as an error page.
pub fn shown_on_page(e: &AppError) -> bool {
    !matches!(
        e,
        AppError::Internal(_)
            | AppError::NotFound
            | AppError::Forbidden
            | AppError::CsrfRejected
            | AppError::Unauthenticated
    )
}

/// A failure as a sentence in `l` that says what to do next.
pub fn error_text(l: Locale, e: &AppError) -> String {
    let AppError::Invalid(fields) = e else {
        return l.t(e.code()).to_owned();
    };
    // The common mistakes get their own sentence; anything else lists the fields.
    let specific: Vec<&'static str> = fields
        .iter()
        .filter_map(|f| match (f.field.as_str(), f.code) {
            ("photos" | "file", "required") => Some("defects.error.photo_required"),
            ("note", "required") => Some("defects.error.note_required"),
            ("reason", "required") => Some("defects.error.reason_required"),
            ("ids", "required") => Some("defects.error.ids_required"),
            ("contractor_id", _) => Some("defects.error.contractor_required"),
            ("due_on", _) => Some("defects.error.due_required"),
            ("days", _) => Some("defects.error.days"),
            ("trade", _) => Some("defects.error.trade_required"),
            _ => None,
        })
        .map(|k| l.t(k))
        .collect();
    if specific.len() == fields.len() && !specific.is_empty() {
        let mut out: Vec<&str> = Vec::new();
        for s in specific {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        return out.join(" ");
    }
    let sep = match l {
        Locale::ZhCn => "；",
        Locale::En => "; ",
    };
    let detail = fields
        .iter()
        .map(|f| {
            l.fmt(
                "defects.error.field",
                &[
                    ("name", field_label(l, &f.field)),
                    ("problem", l.t(&format!("field.{}", f.code))),
                ],
            )
        })
        .collect::<Vec<_>>()
        .join(sep);
    l.fmt(
        "defects.error.invalid",
        &[("fields", &detail), ("next", l.t("defects.error.retry"))],
    )
}

fn field_label(l: Locale, field: &str) -> &'static str {
    let known = [
        "contractor_id",
        "due_on",
        "ids",
        "note",
        "reason",
        "photos",
        "file",
        "days",
        "trade",
        "building_id",
    ];
    if known.contains(&field) {
        l.t(&format!("defects.fieldname.{field}"))
    } else {
        l.t("defects.fieldname.other")
    }
}

/// A trimmed form field, or empty.
pub fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// A required date field (`2026-12-01`).
pub fn date(value: &str, name: &str) -> Result<NaiveDate, AppError> {
    if value.is_empty() {
        return Err(AppError::field(name, "required"));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| AppError::field(name, "invalid_date"))
}

/// An optional date field: empty is `None`.
pub fn optional_date(value: &str, name: &str) -> Result<Option<NaiveDate>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        date(value, name).map(Some)
    }
}

/// A required id field.
pub fn id_field(value: &str, name: &str) -> Result<Uuid, AppError> {
    value.parse().map_err(|_| AppError::field(name, "required"))
}

/// Both results, or every field error of both.
pub fn both<A, B>(a: Result<A, AppError>, b: Result<B, AppError>) -> Result<(A, B), AppError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(AppError::Invalid(mut x)), Err(AppError::Invalid(y))) => {
            x.extend(y);
            Err(AppError::Invalid(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// A lifecycle command from a page form: `assign`, `cancel`, `verify` or `send-back`, with the
/// `?ok=` key of its success message.
pub fn parse_command(
    action: &str,
    form: &HashMap<String, String>,
) -> Result<(crate::defects::commands::Command, &'static str), AppError> {
    use crate::defects::Action;
    use crate::error::Check;
    let note = field(form, "note");
    let (action, note, ok) = match action {
        "assign" => {
            let (contractor, due_on) = both(
                id_field(&field(form, "contractor_id"), "contractor_id"),
                date(&field(form, "due_on"), "due_on"),
            )?;
            let a = Action::Assign { contractor, due_on };
            (a, note, "assigned")
        }
        "cancel" => {
            let reason = field(form, "reason");
            Check::default().text("reason", &reason, 200).done()?;
            (Action::Cancel { reason }, String::new(), "cancelled")
        }
        "verify" => (Action::Verify, note, "verified"),
        "send-back" => {
            let checked = Check::default().text("note", &note, 500).done();
            let (_, due_on) = both(checked, optional_date(&field(form, "due_on"), "due_on"))?;
            (Action::SendBack { due_on }, note, "sent_back")
        }
        _ => return Err(AppError::NotFound),
    };
    let cmd = crate::defects::commands::Command {
        action,
        note,
        event_id: field(form, "event_id").parse().ok(),
    };
    Ok((cmd, ok))
}
