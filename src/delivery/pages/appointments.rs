//! The appointment book (预约): the batch's slots day by day with their places taken, one
//! slot's list, and the forms to add a slot, book a customer by unit number, move or cancel.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{BatchHead, batch_head, failed, is_staff};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::clock;
use crate::defects::pages::{Said, field, shown_on_page};
use crate::delivery::api::{self, AppointmentView, MoveAppointment, NewAppointment, NewSlot};
use crate::delivery::repo::{self, SlotRow};
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::Chrome;

#[derive(Template)]
#[template(path = "delivery/appointments.html")]
struct BookPage {
    c: Chrome,
    batch: BatchHead,
    /// Slots by day.
    days: Vec<(NaiveDate, Vec<SlotRow>)>,
    /// The slot whose list is shown.
    slot: Option<SlotRow>,
    list: Vec<AppointmentView>,
    staff: bool,
    said: Said,
}

impl BookPage {
    fn hm(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&clock::shanghai())
            .format("%H:%M")
            .to_string()
    }

    fn full(&self, s: &SlotRow) -> bool {
        s.booked >= i64::from(s.capacity)
    }

    /// Slots with room, other than the one shown: where an appointment can move.
    fn targets(&self) -> Vec<&SlotRow> {
        let shown = self.slot.as_ref().map(|s| s.id);
        self.days
            .iter()
            .flat_map(|(_, slots)| slots)
            .filter(|s| Some(s.id) != shown && !self.full(s))
            .collect()
    }

    fn slot_label(&self, s: &SlotRow) -> String {
        let day = clock::local_date(s.starts_at);
        format!("{day} {}–{}", self.hm(&s.starts_at), self.hm(&s.ends_at))
    }

    fn kept(&self, name: &str) -> &str {
        self.said.kept(name)
    }
}

/// `?slot=` and `?ok=` of the appointment book.
#[derive(Debug, Deserialize)]
pub struct BookQuery {
    slot: Option<Uuid>,
    ok: Option<String>,
}

/// The appointment book of a batch.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<BookQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok_in(l, "book.ok", "top", q.ok.as_deref());
    render(&app, &user, l, (id, q.slot), said).await
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    (id, slot): (Uuid, Option<Uuid>),
    said: Said,
) -> Result<Response, AppError> {
    let batch = batch_head(app, user, id).await?;
    let mut conn = app.db.read().await?;
    let slots = repo::slots(&mut conn, id).await?;
    let shown = slot
        .and_then(|s| slots.iter().find(|x| x.id == s))
        .or_else(|| slots.first())
        .cloned();
    let list = match &shown {
        Some(s) => repo::appointments(&mut conn, id, Some(s.id)).await?,
        None => Vec::new(),
    };
    drop(conn);
    let mut days: Vec<(NaiveDate, Vec<SlotRow>)> = Vec::new();
    for s in slots {
        let day = clock::local_date(s.starts_at);
        match days.last_mut() {
            Some((d, v)) if *d == day => v.push(s),
            _ => days.push((day, vec![s])),
        }
    }
    let c = Chrome::new(
        l,
        user,
        l.fmt1("book.title", "batch", &batch.name),
        format!("/batches/{id}/appointments"),
    )
    .crumb(
        batch.project_name.clone(),
        format!("/projects/{}", batch.project_id),
    )
    .crumb(
        l.fmt1("desk.title", "batch", &batch.name),
        format!("/batches/{id}/desk"),
    );
    page(&BookPage {
        staff: is_staff(user, batch.project_id),
        c,
        batch,
        days,
        slot: shown,
        list: list.into_iter().map(Into::into).collect(),
        said,
    })
}

/// Comes back to the book at `slot` after a post.
async fn answer<T>(
    (app, user, l): (&AppState, &CurrentUser, Locale),
    (id, slot): (Uuid, Option<Uuid>),
    form: HashMap<String, String>,
    result: Result<T, AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => {
            let at = slot.map(|s| format!("&slot={s}")).unwrap_or_default();
            Ok(see_other(&format!(
                "/batches/{id}/appointments?ok=saved{at}"
            )))
        }
        Err(e) if shown_on_page(&e) => {
            let page = render(app, user, l, (id, slot), Said::failed(l, "top", &e, form)).await;
            failed(page, &e)
        }
        Err(e) => Err(e),
    }
}

/// A local time of day on `day` (Asia/Shanghai), in UTC.
fn at(day: NaiveDate, time: &str, name: &str) -> Result<DateTime<Utc>, AppError> {
    let t =
        NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| AppError::field(name, "invalid"))?;
    clock::shanghai()
        .from_local_datetime(&day.and_time(t))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::field(name, "invalid"))
}

/// Adds a slot: `day`, `from`, `to` (24 h), `capacity`.
pub async fn add_slot(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let day: NaiveDate = field(&form, "day")
            .parse()
            .map_err(|_| AppError::field("day", "invalid_date"))?;
        let capacity = field(&form, "capacity")
            .parse()
            .map_err(|_| AppError::field("capacity", "out_of_range"))?;
        let body = NewSlot {
            starts_at: at(day, &field(&form, "from"), "from")?,
            ends_at: at(day, &field(&form, "to"), "to")?,
            capacity,
        };
        api::add_slot(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body)).await
    }
    .await;
    let slot = result.as_ref().ok().map(|(_, s)| s.id);
    answer((&app, &user, l), (id, slot), form, result).await
}

/// Books a customer: `unit` (the unit's number), `slot_id`, `customer_name`, `phone`.
pub async fn book(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let slot = field(&form, "slot_id").parse().ok();
    let result = async {
        let number = field(&form, "unit");
        let unit = repo::desk_search(&mut app.db.read().await?, id, &number)
            .await?
            .into_iter()
            .find(|u| u.number.eq_ignore_ascii_case(&number))
            .ok_or_else(|| AppError::field("unit", "unknown"))?;
        let body = NewAppointment {
            id: None,
            unit_id: unit.unit_id,
            slot_id: slot.ok_or_else(|| AppError::field("slot_id", "required"))?,
            customer_name: field(&form, "customer_name"),
            phone: field(&form, "phone"),
        };
        api::book(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body)).await
    }
    .await;
    answer((&app, &user, l), (id, slot), form, result).await
}

/// Moves an appointment to `slot_id`.
pub async fn move_to(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, appointment)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let from = repo::appointment(&mut app.db.read().await?, appointment).await?;
    if from.batch_id != id {
        return Err(AppError::NotFound);
    }
    let result = async {
        let slot_id = field(&form, "slot_id")
            .parse()
            .map_err(|_| AppError::field("slot_id", "required"))?;
        let body = MoveAppointment { slot_id };
        let path = ApiPath(appointment);
        api::move_appointment(State(app.clone()), user.clone(), path, ApiJson(body)).await
    }
    .await;
    answer((&app, &user, l), (id, Some(from.slot_id)), form, result).await
}

/// Cancels an appointment.
pub async fn cancel(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, appointment)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let from = repo::appointment(&mut app.db.read().await?, appointment).await?;
    if from.batch_id != id {
        return Err(AppError::NotFound);
    }
    let result =
        api::cancel_appointment(State(app.clone()), user.clone(), ApiPath(appointment)).await;
    answer((&app, &user, l), (id, Some(from.slot_id)), form, result).await
}
