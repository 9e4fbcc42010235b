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

/// A batch's board version, as its API answers it.
pub async fn board_version(app: &TestApp, token: &str, batch: &str) -> i64 {
    ok(app
        .get(&format!("/api/v1/batches/{batch}/board"), token)
        .await)
    .await["version"]
        .as_i64()
        .unwrap()
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
    // What the KPI caches key on: a write behind the API's back must move it too.
    handover::exec!(&mut tx, |c| sqlx::query(
        "update batches set board_version = board_version + 1
         where id = (select batch_id from visits where id = $1)"
    )
    .bind(id)
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

/// The hand-built KPI scenario of `docs/kpi.md` ("Worked example"): six planned units over a
/// three-day period that ended a week ago.
pub struct Scenario {
    /// Batch id.
    pub batch: String,
    /// Units A–F.
    pub units: [String; 6],
    /// First and last day.
    pub period: (NaiveDate, NaiveDate),
}

/// Builds the scenario: A refused on P1 with a reasonable issue, accepted on P3; B accepted on
/// P2 with an unreasonable issue and a reasonable one cancelled later; C only looked on P2
/// with two reasonable issues; D accepted on P2 without issue, a complaint on P3; E accepted
/// five days after P3 with a reasonable issue; F never came, a complaint on P2 (and one of A
/// after the period).
pub async fn six_units(app: &TestApp) -> Scenario {
    let days = chrono::Duration::days;
    let (p1, p3) = (today() - days(10), today() - days(8));
    let p2 = p1 + days(1);
    let (batch, units) = batch(app, "一期", (p1, p3), 0).await;
    assert_eq!(units.len(), 6);
    let [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(|i| units[i].0.clone());
    let service = app.token("service").await;
    let admin = app.token("admin").await;
    for u in [&a, &b, &d, &e] {
        conditions_met(app, &service, u).await;
    }
    // A: refused on P1 with a reasonable issue, accepted on P3 (two visits, counted once).
    let v = check_in(app, &service, &batch, &a).await;
    walk(app, &service, &v).await;
    issue(app, &service, &v, "reasonable").await;
    close(app, &service, &v, "refused").await;
    move_visit(app, &v, noon(p1)).await;
    let v = check_in(app, &service, &batch, &a).await;
    walk(app, &service, &v).await;
    close(app, &service, &v, "accepted").await;
    move_visit(app, &v, noon(p3)).await;
    // B: accepted on P2; an unreasonable issue, and a reasonable one cancelled (today).
    let v = check_in(app, &service, &batch, &b).await;
    walk(app, &service, &v).await;
    issue(app, &service, &v, "unreasonable").await;
    let issues = issue(app, &service, &v, "reasonable").await;
    close(app, &service, &v, "accepted").await;
    move_visit(app, &v, noon(p2)).await;
    let defect = issues[1]["defect_id"].as_str().unwrap();
    let board = format!("/api/v1/batches/{batch}/board");
    let before = ok(app.get(&board, &service).await).await["version"].clone();
    ok(app
        .post(
            &format!("/api/v1/defects/{defect}/cancel"),
            &admin,
            &json!({"reason": "重复录入"}),
        )
        .await)
    .await;
    let after = ok(app.get(&board, &service).await).await["version"].clone();
    assert!(
        after.as_i64() > before.as_i64(),
        "a cancelled issue moves the board"
    );
    // C: only looked on P2, two reasonable issues.
    let v = check_in(app, &service, &batch, &c).await;
    walk(app, &service, &v).await;
    issue(app, &service, &v, "reasonable").await;
    issue(app, &service, &v, "reasonable").await;
    close(app, &service, &v, "only_looked").await;
    move_visit(app, &v, noon(p2)).await;
    // D: accepted on P2 without issue (no walkthrough pressed: the outcome shows it happened).
    let v = check_in(app, &service, &batch, &d).await;
    close(app, &service, &v, "accepted").await;
    move_visit(app, &v, noon(p2)).await;
    // E: accepted five days after the period, with a reasonable issue.
    let v = check_in(app, &service, &batch, &e).await;
    walk(app, &service, &v).await;
    issue(app, &service, &v, "reasonable").await;
    close(app, &service, &v, "accepted").await;
    move_visit(app, &v, noon(p3 + days(5))).await;
    // Complaints: D on P3; F (never came) on P2; A after the period (does not count).
    let path = format!("/api/v1/projects/{}/complaints", app.demo.project_id);
    for (unit, at) in [(&d, noon(p3)), (&f, noon(p2)), (&a, noon(p3 + days(1)))] {
        let body =
            json!({"unit_id": unit, "channel": "phone", "content": "投诉", "received_at": at});
        ok(app.post(&path, &service, &body).await).await;
    }
    Scenario {
        batch,
        units: [a, b, c, d, e, f],
        period: (p1, p3),
    }
}
