//! Handover-day helpers: a batch over one building, a visit driven through the API to its
//! outcome, and moving a visit's recorded times (the API stamps now; a scenario needs days).

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{TestApp, client};

/// The body of a successful response (panics with the body otherwise).
pub async fn ok(resp: Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// PUT JSON with a bearer token.
pub async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    client()
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// PATCH JSON with a bearer token.
pub async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    client()
        .patch(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A batch named `name` over `period` planning the units of the demo's building number
/// `building` (0-based); answers its id and the planned units `(id, number)` in map order.
pub async fn batch(
    app: &TestApp,
    name: &str,
    (start, end): (NaiveDate, NaiveDate),
    building: usize,
) -> (String, Vec<(String, String)>) {
    let admin = app.token("admin").await;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    let mut buildings: Vec<String> = cells.iter().map(|c| c.building.clone()).collect();
    buildings.dedup();
    let building = buildings[building].clone();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": name, "period": {"start": start, "end": end},
        "buildings": [building]});
    let b = ok(app.post(&path, &admin, &body).await).await;
    let units = cells
        .iter()
        .filter(|c| c.building == building)
        .map(|c| (c.id.to_string(), c.number.clone()))
        .collect();
    (b["id"].as_str().unwrap().to_owned(), units)
}

/// Checks a unit in; answers the visit id.
pub async fn check_in(app: &TestApp, token: &str, batch: &str, unit: &str) -> String {
    let body = json!({"unit_id": unit, "customer_name": "王小明", "identity_checked": true});
    let resp = app
        .post(&format!("/api/v1/batches/{batch}/visits"), token, &body)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    ok(resp).await["id"].as_str().unwrap().to_owned()
}

/// Starts a visit's walkthrough.
pub async fn walk(app: &TestApp, token: &str, visit: &str) {
    let path = format!("/api/v1/visits/{visit}/walkthrough");
    ok(app.post(&path, token, &json!({})).await).await;
}

/// Records an issue judged `reasonable` or `unreasonable`; answers the visit's issues.
pub async fn issue(app: &TestApp, token: &str, visit: &str, judgement: &str) -> Value {
    let mut j = json!({"judgement": judgement});
    if judgement == "unreasonable" {
        j["reason_code"] = json!("preference");
    }
    let body = json!({"trade": "civil", "description": "墙面空鼓", "judgement": j});
    let path = format!("/api/v1/visits/{visit}/issues");
    ok(app.post(&path, token, &body).await).await["issues"].clone()
}

/// Ticks every handover condition of a unit (so it can be accepted).
pub async fn conditions_met(app: &TestApp, token: &str, unit: &str) {
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/conditions"), token)
        .await)
    .await;
    for c in list.as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let path = format!("/api/v1/units/{unit}/conditions/{code}");
        ok(put(app, &path, token, &json!({"met": true})).await).await;
    }
}

/// Ends a visit: `accepted` (with a drawn signature), `refused` or `only_looked`.
pub async fn close(app: &TestApp, token: &str, visit: &str, outcome: &str) {
    let body = match outcome {
        "accepted" => json!({"outcome": "accepted", "signature": {"name": "王小明",
            "width": 720.0, "height": 240.0,
            "strokes": [[[20.0, 30.0, 0.0], [200.0, 120.0, 50.0], [380.0, 60.0, 90.0]]]}}),
        "refused" => json!({"outcome": "refused", "refusal_reason": "quality"}),
        other => json!({"outcome": other}),
    };
    let path = format!("/api/v1/visits/{visit}/outcome");
    ok(app.post(&path, token, &body).await).await;
}

/// Moves every recorded time of a visit and of its issues to `at` (times not recorded stay
/// unrecorded): the API stamps now, a KPI scenario spans days.
pub async fn move_visit(app: &TestApp, visit: &str, at: DateTime<Utc>) {
    let id: Uuid = visit.parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    handover::exec!(&mut tx, |c| sqlx::query(
        "update visits set checked_in_at = $2,
            walk_started_at = case when walk_started_at is null then null else $2 end,
            walk_ended_at = case when walk_ended_at is null then null else $2 end,
            outcome_at = case when outcome_at is null then null else $2 end
         where id = $1"
    )
    .bind(id)
    .bind(at)
    .execute(c)
    .await)
    .unwrap();
    handover::exec!(&mut tx, |c| sqlx::query(
        "update visit_issues set created_at = $2,
            judged_at = case when judged_at is null then null else $2 end where visit_id = $1"
    )
    .bind(id)
    .bind(at)
    .execute(c)
    .await)
    .unwrap();
    tx.commit().await.unwrap();
}

/// 12:00 Asia/Shanghai on `day`.
pub fn noon(day: NaiveDate) -> DateTime<Utc> {
    handover::kpis::day_start(day) + chrono::Duration::hours(12)
}

/// Today in Asia/Shanghai.
pub fn today() -> NaiveDate {
    handover::clock::local_date(handover::clock::now())
}
