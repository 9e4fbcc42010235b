//! The add-defect form of the inspection page (a unit's or a common area's, at the page's
//! stage): one multipart post with the typed fields and the
//! camera photos. `_csrf` must be the first part, so a forged post is refused before any photo
//! is read; then the photos are checked and stored, the defect recorded (the project's fix
//! preset assigns it) and the photos attached as "before".

use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;
use uuid::Uuid;

use super::actions::StageQuery;
use super::inspect::{PageState, render};
use super::place::{Place, Site};
use super::{
    Choice, PARTS, ROOMS, check_csrf, json_answer, json_failure, trade_label, user_message,
    wants_json,
};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::checklists::{Phrase, Trade};
use crate::defects::commands::{self, MAX_PHOTOS_PER_UPLOAD, NewDefect};
use crate::defects::repo::DefectRow;
use crate::defects::{Severity, Stage};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, see_other};
use crate::http::{multipart_error, read_text};
use crate::i18n::Locale;
use crate::photos::upload::read_photo;

/// Longest text field accepted (bytes); the real limits (500 characters ...) are checked later.
const MAX_TEXT: usize = 4 * 1024;
/// Most parts of one form post.
const MAX_PARTS: usize = 64;

/// What was typed into the form (kept when it comes back with an error).
#[derive(Debug, Default, Clone)]
pub struct FormInput {
    /// The form's idempotency id: the same form sent twice records one defect.
    pub id: Option<Uuid>,
    pub trade: String,
    pub room: String,
    pub room_text: String,
    pub part: String,
    pub part_text: String,
    pub phrase: String,
    pub description: String,
    pub severity: String,
    pub pin_x: String,
    pub pin_y: String,
}

impl FormInput {
    /// A form prefilled from a failed checklist item.
    pub fn prefill(trade: Option<String>, part: Option<String>, desc: Option<String>) -> Self {
        let part = part.unwrap_or_default();
        let chip = PARTS.iter().any(|(p, _)| *p == part);
        FormInput {
            trade: trade.unwrap_or_default(),
            description: desc.unwrap_or_default(),
            part_text: if chip { String::new() } else { part.clone() },
            part: if chip { part } else { String::new() },
            ..FormInput::default()
        }
    }

    fn set(&mut self, name: &str, value: String) {
        let slot = match name {
            "id" => {
                self.id = Uuid::parse_str(value.trim()).ok();
                return;
            }
            "trade" => &mut self.trade,
            "room" => &mut self.room,
            "room_text" => &mut self.room_text,
            "part" => &mut self.part,
            "part_text" => &mut self.part_text,
            "phrase" => &mut self.phrase,
            "description" => &mut self.description,
            "severity" => &mut self.severity,
            "pin_x" => &mut self.pin_x,
            "pin_y" => &mut self.pin_y,
            _ => return,
        };
        *slot = value;
    }

    /// The defect this input describes, found at `place` during `stage` (and the running
    /// `inspection`), or the first thing missing.
    fn to_new_defect(
        &self,
        place: Place,
        stage: Stage,
        inspection: Option<Uuid>,
    ) -> Result<NewDefect, AppError> {
        let trade =
            Trade::parse(&self.trade).ok_or_else(|| AppError::field("trade", "required"))?;
        let severity = match self.severity.trim() {
            "" => Severity::Minor,
            s => Severity::parse(s).ok_or_else(|| AppError::field("severity", "invalid"))?,
        };
        let description = [&self.description, &self.phrase]
            .into_iter()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        if description.is_empty() {
            return Err(AppError::field("description", "required"));
        }
        let pin = match (self.pin_x.trim(), self.pin_y.trim()) {
            ("", "") => None,
            (x, y) => match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(x), Ok(y)) => Some([x, y]),
                _ => return Err(AppError::field("pin", "invalid")),
            },
        };
        let either = |text: &str, chip: &str| {
            let t = text.trim();
            if t.is_empty() {
                chip.trim().to_owned()
            } else {
                t.to_owned()
            }
        };
        Ok(NewDefect {
            id: self.id,
            unit_id: place.unit(),
            common_area_id: place.area(),
            room: either(&self.room_text, &self.room),
            part: either(&self.part_text, &self.part),
            trade,
            description: description.to_owned(),
            severity,
            stage,
            inspection_id: inspection,
            pin,
            contractor_id: None,
            due_on: None,
        })
    }
}

/// One phrase chip.
pub struct PhraseChip {
    pub text: String,
    pub on: bool,
}

/// The phrases of one trade.
pub struct PhraseGroup {
    pub trade: &'static str,
    pub label: &'static str,
    pub chips: Vec<PhraseChip>,
}

/// The form as the template shows it.
pub struct FormView {
    pub id: Uuid,
    pub trades: Vec<Choice>,
    pub rooms: Vec<Choice>,
    pub room_text: String,
    pub parts: Vec<Choice>,
    pub part_text: String,
    pub phrases: Vec<PhraseGroup>,
    pub description: String,
    pub severities: Vec<Choice>,
    /// The floor plan image to pin on, when the unit's layout has one.
    pub plan: Option<String>,
    pub pin_x: String,
    pub pin_y: String,
    /// `left:…%;top:…%` of a pin already placed.
    pub pin_style: Option<String>,
    pub error: Option<String>,
    pub open: bool,
}

/// The form of the page in `state` (blank, prefilled, or as typed with its error). A unit's
/// form offers its rooms; a common area's offers the common-area trade (公区) instead.
pub(super) fn view(
    l: Locale,
    state: &PageState,
    place: Place,
    phrases: &[Phrase],
    layout: Option<&(Uuid, Option<String>)>,
) -> FormView {
    let input = &state.form;
    let chips = |list: &[(&str, &str)], kind: &str, chosen: &str| -> Vec<Choice> {
        list.iter()
            .map(|(value, key)| Choice {
                value: (*value).to_owned(),
                label: l.t(&format!("insp.{kind}.{key}")).to_owned(),
                on: *value == chosen,
            })
            .collect()
    };
    let offered = |t: Trade| t != Trade::Common || place.area().is_some();
    let trades = Trade::ALL
        .into_iter()
        .filter(|t| offered(*t))
        .map(|t| Choice {
            value: t.as_str().to_owned(),
            label: trade_label(l, t.as_str()).to_owned(),
            on: input.trade == t.as_str(),
        })
        .collect();
    let mut groups: Vec<PhraseGroup> = Vec::new();
    for p in phrases.iter().filter(|p| offered(p.trade)) {
        let chip = PhraseChip {
            text: p.text.clone(),
            on: input.phrase == p.text,
        };
        match groups.iter_mut().find(|g| g.trade == p.trade.as_str()) {
            Some(g) => g.chips.push(chip),
            None => groups.push(PhraseGroup {
                trade: p.trade.as_str(),
                label: trade_label(l, p.trade.as_str()),
                chips: vec![chip],
            }),
        }
    }
    let severity = if input.severity.is_empty() {
        "minor"
    } else {
        input.severity.as_str()
    };
    let pin_style = match (input.pin_x.parse::<f64>(), input.pin_y.parse::<f64>()) {
        (Ok(x), Ok(y)) if crate::defects::valid_pin(x, y) => {
            Some(format!("left:{:.2}%;top:{:.2}%", x * 100.0, y * 100.0))
        }
        _ => None,
    };
    FormView {
        id: input.id.unwrap_or_else(Uuid::new_v4),
        trades,
        rooms: match place {
            Place::Unit(_) => chips(&ROOMS, "room", &input.room),
            Place::Area(_) => Vec::new(),
        },
        room_text: input.room_text.clone(),
        parts: chips(&PARTS, "part", &input.part),
        part_text: input.part_text.clone(),
        phrases: groups,
        description: input.description.clone(),
        severities: Severity::ALL
            .into_iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: l.t(&format!("defect.severity.{}", s.as_str())).to_owned(),
                on: s.as_str() == severity,
            })
            .collect(),
        plan: layout.and_then(|(id, sha)| sha.as_deref().map(|sha| super::plan_url(*id, sha))),
        pin_x: input.pin_x.clone(),
        pin_y: input.pin_y.clone(),
        pin_style,
        error: state.form_error.clone(),
        open: state.form_open,
    }
}

/// Records a defect on a unit from the form.
pub async fn add_unit(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    headers: HeaderMap,
    ApiPath(unit): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StageQuery>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let at = (Place::Unit(unit), q.stage());
    add(&app, &user, l, &headers, at, multipart).await
}

/// Records a defect in a common area from the form.
pub async fn add_area(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    headers: HeaderMap,
    ApiPath(area): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StageQuery>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let at = (Place::Area(area), q.stage());
    add(&app, &user, l, &headers, at, multipart).await
}

/// Records a defect from the form: JSON for `inspect.js`, else back to the page.
async fn add(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    headers: &HeaderMap,
    (place, stage): (Place, Option<Stage>),
    multipart: Multipart,
) -> Result<Response, AppError> {
    let json = wants_json(headers);
    let (input, files) = read_form(user, multipart).await?;
    let saved = match files {
        Ok(files) => save(app, user, (place, stage), &input, files).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok((row, stage)) => {
            let to = place.page_with(stage, &format!("added={}", row.id), "#defects");
            if json {
                Ok(json_answer(json!({
                    "ok": true, "id": row.id, "number": row.number, "redirect": to,
                    "message": l.fmt1("insp.added", "n", &row.number.to_string()),
                })))
            } else {
                Ok(see_other(&to))
            }
        }
        Err(e) if json => Ok(json_failure(l, &e)),
        Err(e) => {
            let Some(message) = user_message(l, &e) else {
                return Err(e);
            };
            let state = PageState {
                form: input,
                form_error: Some(format!("{message} {}", l.t("insp.photos_again"))),
                form_open: true,
                ..PageState::default()
            };
            render(app, user, l, place, stage, state).await
        }
    }
}

/// Checks, stores and records: nothing is recorded unless every photo is good. Answers the
/// defect and the stage it was recorded at.
async fn save(
    app: &AppState,
    user: &CurrentUser,
    (place, stage): (Place, Option<Stage>),
    input: &FormInput,
    files: Vec<Bytes>,
) -> Result<(DefectRow, Stage), AppError> {
    let (site, inspection) = {
        let mut conn = app.db.read().await?;
        let site = Site::load(&mut conn, user, place, stage).await?;
        let running = place.running(&mut conn, site.stage).await?;
        (site, running)
    };
    let body = input.to_new_defect(place, site.stage, inspection)?;
    let mut stored = Vec::with_capacity(files.len());
    for f in files {
        stored.push(app.photos.ingest(f).await?);
    }
    let row = commands::create(app, user, site.project_id, body).await?;
    if !stored.is_empty() {
        commands::attach_photos(app, user, row.id, "before", &stored).await?;
    }
    Ok((row, site.stage))
}

/// Reads the form: the CSRF token first (refused otherwise), then the fields and photos. A
/// failure after the token keeps what was read so far, to show it again.
async fn read_form(
    user: &CurrentUser,
    mut multipart: Multipart,
) -> Result<(FormInput, Result<Vec<Bytes>, AppError>), AppError> {
    let first = multipart.next_field().await.map_err(multipart_error)?;
    let token = match first {
        Some(f) if f.name() == Some("_csrf") => read_text(f, MAX_TEXT).await?,
        _ => return Err(AppError::CsrfRejected),
    };
    check_csrf(user, Some(token.as_str()))?;
    let mut input = FormInput::default();
    let files = read_rest(&mut multipart, &mut input).await;
    Ok((input, files))
}

async fn read_rest(
    multipart: &mut Multipart,
    input: &mut FormInput,
) -> Result<Vec<Bytes>, AppError> {
    let mut files = Vec::new();
    let mut parts = 1;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(AppError::MalformedBody("too many parts".into()));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() || name == "file" {
            let bytes = read_photo(field).await?;
            if bytes.is_empty() {
                continue;
            }
            if files.len() == MAX_PHOTOS_PER_UPLOAD {
                return Err(AppError::field("file", "too_many"));
            }
            files.push(bytes);
        } else {
            input.set(&name, read_text(field, MAX_TEXT).await?);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_wins_over_the_chip_and_a_phrase_fills_the_description() {
        let input = FormInput {
            trade: "civil".into(),
            room: "客厅".into(),
            room_text: "  衣帽间 ".into(),
            part: "墙面".into(),
            phrase: "墙面空鼓".into(),
            ..FormInput::default()
        };
        let d = input
            .to_new_defect(Place::Unit(Uuid::nil()), Stage::SelfInspection, None)
            .unwrap();
        assert_eq!((d.room.as_str(), d.part.as_str()), ("衣帽间", "墙面"));
        assert_eq!(d.description, "墙面空鼓");
        assert_eq!(d.severity, Severity::Minor);
        assert!(d.pin.is_none());
    }

    #[test]
    fn missing_trade_description_or_a_half_pin_are_refused() {
        let mut input = FormInput {
            description: "x".into(),
            ..FormInput::default()
        };
        let code = |i: &FormInput| match i.to_new_defect(
            Place::Unit(Uuid::nil()),
            Stage::SelfInspection,
            None,
        ) {
            Err(AppError::Invalid(f)) => (f[0].field.clone(), f[0].code),
            other => panic!("{other:?}"),
        };
        assert_eq!(code(&input), ("trade".into(), "required"));
        input.trade = "plumbing".into();
        input.pin_x = "0.5".into();
        assert_eq!(code(&input), ("pin".into(), "invalid"));
        input.pin_x.clear();
        input.description = "  ".into();
        assert_eq!(code(&input), ("description".into(), "required"));
    }
}
