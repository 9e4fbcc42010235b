//! The handover desk (接待台): today's appointments with where each customer stands, and the
//! check-in search by unit number, buyer name or phone tail. Finding the customer, ticking a
//! missing condition and opening the visit are one screen.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{BatchHead, batch_head, failed, is_staff};
use crate::app::AppState;
use crate::auth::extract::PageForm;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::defects::pages::{Said, field, shown_on_page};
use crate::delivery::api::{self, CheckIn, ConditionBody, ConditionView, DeskHit};
use crate::delivery::mask_phone;
use crate::delivery::repo::{self, DeskAppointment};
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::{Chrome, form_urlencoded_component};

/// A unit found at the desk, with what its customer still lacks.
struct Card {
    hit: DeskHit,
    conditions: Vec<ConditionView>,
}

impl Card {
    fn missing(&self) -> impl Iterator<Item = &ConditionView> {
        self.conditions.iter().filter(|c| c.missing)
    }

    fn delivered(&self) -> bool {
        self.hit.status == "delivered"
    }
}

#[derive(Template)]
#[template(path = "delivery/desk.html")]
struct DeskPage {
    c: Chrome,
    batch: BatchHead,
    q: String,
    cards: Vec<Card>,
    /// The day listed, when it is not today.
    day: Option<NaiveDate>,
    /// The appointments of the day listed.
    booked: Vec<DeskAppointment>,
    /// Checked in or done among today's appointments.
    arrived: usize,
    staff: bool,
    said: Said,
}

impl DeskPage {
    fn status(&self, s: &str) -> &'static str {
        crate::org::UnitStatus::parse(s).map_or("", |s| s.label(self.c.l))
    }

    fn time(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&clock::shanghai())
            .format("%H:%M")
            .to_string()
    }

    fn day_title(&self) -> String {
        match self.day {
            Some(d) => self.c.l.fmt1("desk.day", "date", &d.to_string()),
            None => self.c.t("desk.today").to_owned(),
        }
    }

    fn phone(&self, p: &str) -> String {
        mask_phone(p)
    }

    fn counts(&self) -> String {
        let (arrived, total) = (self.arrived.to_string(), self.booked.len().to_string());
        self.c.l.fmt(
            "desk.today_counts",
            &[("arrived", &arrived), ("total", &total)],
        )
    }
}

/// `?q=` and `?ok=` of the desk.
#[derive(Debug, Deserialize)]
pub struct DeskQuery {
    q: Option<String>,
    ok: Option<String>,
}

/// The desk page of a batch.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DeskQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok_in(l, "desk.ok", "top", q.ok.as_deref());
    render(&app, &user, l, id, q.q.unwrap_or_default(), said).await
}

/// `[start, end)` of the Asia/Shanghai day `day`, in UTC.
fn day_span(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(clock::shanghai()).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    (start, start + Duration::days(1))
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    q: String,
    said: Said,
) -> Result<Response, AppError> {
    let batch = batch_head(app, user, id).await?;
    let hits = api::search(app, id, &q).await?;
    let mut conn = app.db.read().await?;
    let mut cards = Vec::with_capacity(hits.len());
    for hit in hits {
        let conditions = api::condition_views(&mut conn, l, batch.project_id, hit.unit_id).await?;
        cards.push(Card { hit, conditions });
    }
    let today = clock::local_date(clock::now());
    // Today's list; before the first day, the next day with appointments.
    let next = repo::next_booked_slot(&mut conn, id, day_span(today).0).await?;
    let day = next.map_or(today, clock::local_date).max(today);
    let booked = repo::desk_appointments(&mut conn, id, day_span(day)).await?;
    drop(conn);
    let arrived = booked
        .iter()
        .filter(|a| a.open_visit.is_some() || is_settled(&a.status))
        .count();
    let c = Chrome::new(
        l,
        user,
        l.fmt1("desk.title", "batch", &batch.name),
        format!("/batches/{id}/desk"),
    )
    .crumb(
        batch.project_name.clone(),
        format!("/projects/{}", batch.project_id),
    );
    page(&DeskPage {
        staff: is_staff(user, batch.project_id),
        c,
        batch,
        q,
        cards,
        day: (day != today).then_some(day),
        booked,
        arrived,
        said,
    })
}

/// Whether a unit's status says its customer has come (delivered, refused, only looked).
fn is_settled(status: &str) -> bool {
    matches!(status, "delivered" | "refused" | "only_looked")
}

/// Checks the customer in and opens the visit page.
pub async fn check_in(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let unit: Uuid = field(&form, "unit_id")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let body = CheckIn {
        id: None,
        unit_id: unit,
        customer_name: field(&form, "customer_name"),
        identity_checked: form.contains_key("identity_checked"),
        identity_note: field(&form, "identity_note"),
    };
    match api::open_visit(&app, &user, id, body).await {
        Ok(visit) => Ok(see_other(&format!("/visits/{visit}?ok=checked_in"))),
        Err(AppError::VisitOpen(visit)) => Ok(see_other(&format!("/visits/{visit}"))),
        Err(e) if shown_on_page(&e) => {
            let q = field(&form, "q");
            let said = Said::failed(l, &format!("checkin-{unit}"), &e, form);
            failed(render(&app, &user, l, id, q, said).await, &e)
        }
        Err(e) => Err(e),
    }
}

/// Ticks a missing condition of a unit found at the desk.
pub async fn tick_condition(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let unit: Uuid = field(&form, "unit_id")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let mut conn = app.db.read().await?;
    if !repo::in_batch(&mut conn, id, unit).await? {
        return Err(AppError::NotFound);
    }
    drop(conn);
    let body = ConditionBody {
        met: true,
        note: String::new(),
    };
    let code = field(&form, "code");
    let result = api::set_condition(
        State(app.clone()),
        user.clone(),
        l,
        ApiPath((unit, code)),
        ApiJson(body),
    )
    .await;
    let q = field(&form, "q");
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/batches/{id}/desk?q={}&ok=condition#unit-{unit}",
            form_urlencoded_component(&q)
        ))),
        Err(e) if shown_on_page(&e) => {
            let said = Said::failed(l, &format!("checkin-{unit}"), &e, form);
            failed(render(&app, &user, l, id, q, said).await, &e)
        }
        Err(e) => Err(e),
    }
}

/// Where customer service lands: the desk of the batch being delivered today, else of the
/// next one to come, else of the latest; `None` without the service role or a batch.
pub async fn desk_for(app: &AppState, user: &CurrentUser) -> Result<Option<String>, AppError> {
    let projects: Vec<Uuid> = user
        .project_ids()
        .into_iter()
        .filter(|p| user.roles_on(*p).any(|r| r == Role::Service))
        .collect();
    if projects.is_empty() {
        return Ok(None);
    }
    let batches = crate::org::repo::list_batches(&mut app.db.read().await?, &projects).await?;
    let today = clock::local_date(clock::now());
    let running = batches
        .iter()
        .find(|b| b.period_start <= today && today <= b.period_end);
    let next = batches
        .iter()
        .filter(|b| b.period_start > today)
        .min_by_key(|b| b.period_start);
    let latest = batches.iter().max_by_key(|b| b.period_end);
    Ok(running
        .or(next)
        .or(latest)
        .map(|b| format!("/batches/{}/desk", b.id)))
}
