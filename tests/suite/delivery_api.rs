//! Handover day through the JSON API: appointments, the desk search, check-in, the visit with
//! judged issues, meters, keys and documents, and the three outcomes — accepted (blocked by a
//! missing condition until it is ticked or waived), refused then accepted on a second visit,
//! only looked — and a delivered unit refusing a second acceptance.

use crate::common;

use common::{TestApp, assert_error, client, spawn_app};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: &Value) -> Response {
    let req = match method {
        "PATCH" => client().patch(app.url(path)),
        "PUT" => client().put(app.url(path)),
        _ => client().post(app.url(path)),
    };
    req.bearer_auth(token).json(body).send().await.unwrap()
}

async fn ok(resp: Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// A batch planning the first building of the demo project; answers the batch and three of
/// its units (id, number).
async fn batch(app: &TestApp) -> (String, Vec<(String, String)>) {
    let admin = app.token("admin").await;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    let building = cells[0].building.clone();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "交付日", "period": {"start": "2026-12-18", "end": "2026-12-20"},
        "buildings": [building]});
    let b = ok(app.post(&path, &admin, &body).await).await;
    let units = cells
        .iter()
        .filter(|c| c.building == building)
        .take(3)
        .map(|c| (c.id.to_string(), c.number.clone()))
        .collect();
    (b["id"].as_str().unwrap().to_owned(), units)
}

async fn check_in(app: &TestApp, token: &str, batch: &str, unit: &str) -> Value {
    let body = json!({"unit_id": unit, "customer_name": "王小明", "identity_checked": true});
    let path = format!("/api/v1/batches/{batch}/visits");
    let resp = app.post(&path, token, &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

const STROKES: [[[f64; 3]; 3]; 1] =
    [[[20.0, 30.0, 0.0], [200.0, 120.0, 50.0], [380.0, 60.0, 90.0]]];

fn accepted() -> Value {
    json!({"outcome": "accepted", "signature": {"name": "王小明", "width": 720.0,
        "height": 240.0, "strokes": STROKES}})
}

/// Ticks every handover condition of a unit.
async fn all_conditions_met(app: &TestApp, token: &str, unit: &str) {
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/conditions"), token)
        .await)
    .await;
    for c in list.as_array().unwrap() {
        let path = format!(
            "/api/v1/units/{unit}/conditions/{}",
            c["code"].as_str().unwrap()
        );
        ok(send(app, "PUT", &path, token, &json!({"met": true})).await).await;
    }
}

#[tokio::test]
async fn an_accepted_visit_records_judged_issues_meters_keys_documents_and_the_signature() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app).await;
    let (unit, number) = &units[0];
    let service = app.token("service").await;
    let admin = app.token("admin").await;

    // The desk finds the unit by its number; the visit opens.
    let hits = ok(app
        .get(
            &format!("/api/v1/batches/{batch}/desk?q={number}"),
            &service,
        )
        .await)
    .await;
    assert_eq!(hits[0]["unit_id"], unit.as_str());
    let v = check_in(&app, &service, &batch, unit).await;
    let visit = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["progress"]["walkthrough"], false);
    let again = json!({"unit_id": unit, "customer_name": "王小明", "identity_checked": true});
    let resp = app
        .post(&format!("/api/v1/batches/{batch}/visits"), &service, &again)
        .await;
    let body = assert_error(resp, StatusCode::CONFLICT, "visit.already_open").await;
    assert_eq!(body["visit_id"], visit.as_str());
    let hits = ok(app
        .get(
            &format!("/api/v1/batches/{batch}/desk?q={number}"),
            &service,
        )
        .await)
    .await;
    assert_eq!(hits[0]["open_visit"], visit.as_str());

    let path = |p: &str| format!("/api/v1/visits/{visit}/{p}");
    ok(app.post(&path("walkthrough"), &service, &json!({})).await).await;
    // A reasonable issue becomes a rectification item assigned by the fix preset.
    let body = json!({"room": "主卧", "part": "墙面", "trade": "civil", "description": "墙面空鼓",
        "judgement": {"judgement": "reasonable"}});
    let v = ok(app.post(&path("issues"), &service, &body).await).await;
    let issue = &v["issues"][0];
    assert_eq!(issue["judgement"], "reasonable");
    assert_eq!(issue["defect_status"], "assigned");
    let defect = ok(app
        .get(
            &format!("/api/v1/defects/{}", issue["defect_id"].as_str().unwrap()),
            &admin,
        )
        .await)
    .await;
    assert_eq!(defect["defect"]["stage"], "customer");
    // An unreasonable one needs its reason, and creates nothing to fix.
    let body = json!({"trade": "doors_windows", "description": "想换成木门",
        "judgement": {"judgement": "unreasonable"}});
    assert_error(
        app.post(&path("issues"), &service, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    let body = json!({"trade": "doors_windows", "description": "想换成木门"});
    let v = ok(app.post(&path("issues"), &service, &body).await).await;
    assert_eq!(v["progress"]["issues"], false, "an unjudged issue");
    let second = v["issues"][1]["id"].as_str().unwrap().to_owned();
    let judge = format!("/api/v1/issues/{second}/judge");
    let body = json!({"judgement": "unreasonable", "reason_code": "preference"});
    let v = ok(app.post(&judge, &service, &body).await).await;
    assert_eq!(v["issues"][1]["defect_id"], Value::Null);
    assert_eq!(v["issues"][1]["reason_code"], "preference");
    assert_eq!(v["progress"]["issues"], true);
    assert_error(
        app.post(&judge, &service, &json!({"judgement": "reasonable"}))
            .await,
        StatusCode::CONFLICT,
        "issue.already_judged",
    )
    .await;

    // Meters, keys, documents.
    for (kind, reading) in [("water", 0.5), ("power", 12.0)] {
        ok(send(
            &app,
            "PUT",
            &path(&format!("meters/{kind}")),
            &service,
            &json!({"reading": reading}),
        )
        .await)
        .await;
    }
    assert_error(
        send(
            &app,
            "PUT",
            &path("meters/gas"),
            &service,
            &json!({"reading": -1}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    let keys = json!({"keys": {"door": 2, "mailbox": 1, "access_card": 2}});
    ok(send(&app, "PUT", &path("keys"), &service, &keys).await).await;
    let docs = json!({"codes": ["quality_guarantee", "user_manual"]});
    let v = ok(send(&app, "PUT", &path("documents"), &service, &docs).await).await;
    assert_eq!(v["keys"]["door"], 2);
    let p = &v["progress"];
    assert!(
        p["meters"] == true && p["keys"] == true && p["documents"] == true,
        "{p}"
    );

    // Acceptance waits for the handover conditions: ticked at the desk, or waived by an admin.
    let body = assert_error(
        app.post(&path("outcome"), &service, &accepted()).await,
        StatusCode::CONFLICT,
        "visit.conditions_missing",
    )
    .await;
    assert_eq!(body["conditions"].as_array().unwrap().len(), 4);
    for code in ["payment", "maintenance_fund", "identity"] {
        let p = format!("/api/v1/units/{unit}/conditions/{code}");
        ok(send(&app, "PUT", &p, &service, &json!({"met": true})).await).await;
    }
    let waive = format!("/api/v1/units/{unit}/conditions/property_contract/waive");
    let reason = json!({"reason": "物业合同次日补签，经理批准"});
    assert_error(
        app.post(&waive, &service, &reason).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let list = ok(app.post(&waive, &admin, &reason).await).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|c| c["missing"] == false)
    );
    // An empty signature is refused; a drawn one closes the visit.
    let empty = json!({"outcome": "accepted", "signature": {"name": "王小明", "width": 720.0,
        "height": 240.0, "strokes": []}});
    assert_error(
        app.post(&path("outcome"), &service, &empty).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    let v = ok(app.post(&path("outcome"), &service, &accepted()).await).await;
    assert_eq!(v["outcome"], "accepted");
    assert_eq!(v["signature_name"], "王小明");
    assert!(
        v["walk_ended_at"].is_string(),
        "the walkthrough ends with the outcome"
    );
    let hits = ok(app
        .get(
            &format!("/api/v1/batches/{batch}/desk?q={number}"),
            &service,
        )
        .await)
    .await;
    assert_eq!(hits[0]["status"], "delivered");
    // Closed: every write is refused.
    assert_error(
        app.post(
            &path("issues"),
            &service,
            &json!({"trade": "civil", "description": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "visit.closed",
    )
    .await;
    assert_error(
        send(&app, "PUT", &path("keys"), &service, &keys).await,
        StatusCode::CONFLICT,
        "visit.closed",
    )
    .await;
}

#[tokio::test]
async fn refused_then_accepted_and_a_delivered_unit_refuses_a_second_acceptance() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app).await;
    let unit = &units[1].0;
    let service = app.token("service").await;
    all_conditions_met(&app, &service, unit).await;
    let v = check_in(&app, &service, &batch, unit).await;
    let close = format!("/api/v1/visits/{}/outcome", v["id"].as_str().unwrap());
    assert_error(
        app.post(&close, &service, &json!({"outcome": "refused"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    let refusal = json!({"outcome": "refused", "refusal_reason": "quality", "note": "卫生间渗水"});
    let v = ok(app.post(&close, &service, &refusal).await).await;
    assert_eq!(v["refusal_reason"], "quality");
    // Day 3: a new visit, accepted.
    let v = check_in(&app, &service, &batch, unit).await;
    let close = format!("/api/v1/visits/{}/outcome", v["id"].as_str().unwrap());
    ok(app.post(&close, &service, &accepted()).await).await;
    // Someone checks the unit in once more: it cannot be accepted again.
    let v = check_in(&app, &service, &batch, unit).await;
    let close = format!("/api/v1/visits/{}/outcome", v["id"].as_str().unwrap());
    assert_error(
        app.post(&close, &service, &accepted()).await,
        StatusCode::CONFLICT,
        "visit.already_delivered",
    )
    .await;
    let v = ok(app
        .post(&close, &service, &json!({"outcome": "only_looked"}))
        .await)
    .await;
    assert_eq!(v["outcome"], "only_looked");
}

#[tokio::test]
async fn only_looked_slots_fill_up_and_other_roles_and_projects_are_refused() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app).await;
    let service = app.token("service").await;
    let slot = json!({"starts_at": "2026-12-18T01:00:00Z", "ends_at": "2026-12-18T01:30:00Z", "capacity": 1});
    let s = ok(app
        .post(&format!("/api/v1/batches/{batch}/slots"), &service, &slot)
        .await)
    .await;
    let book = |unit: &str| json!({"unit_id": unit, "slot_id": s["id"], "customer_name": "李四", "phone": "13812345678"});
    let path = format!("/api/v1/batches/{batch}/appointments");
    let a = ok(app.post(&path, &service, &book(&units[0].0)).await).await;
    assert_eq!(a["phone"], "138****5678");
    assert_error(
        app.post(&path, &service, &book(&units[1].0)).await,
        StatusCode::CONFLICT,
        "appointment.slot_full",
    )
    .await;
    ok(app
        .post(
            &format!("/api/v1/appointments/{}/cancel", a["id"].as_str().unwrap()),
            &service,
            &json!({}),
        )
        .await)
    .await;
    ok(app.post(&path, &service, &book(&units[1].0)).await).await;
    let list = ok(app.get(&path, &service).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // The desk finds the booked customer by the phone's last four digits.
    let hits = ok(app
        .get(&format!("/api/v1/batches/{batch}/desk?q=5678"), &service)
        .await)
    .await;
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .all(|h| h["unit_id"].is_string())
    );

    let v = check_in(&app, &service, &batch, &units[2].0).await;
    let close = format!("/api/v1/visits/{}/outcome", v["id"].as_str().unwrap());
    let v = ok(app
        .post(&close, &service, &json!({"outcome": "only_looked"}))
        .await)
    .await;
    assert_eq!(v["outcome"], "only_looked");

    let body = json!({"unit_id": units[0].0, "customer_name": "x", "identity_checked": true});
    let visits = format!("/api/v1/batches/{batch}/visits");
    let contractor = app.token("contractor").await;
    assert_error(
        app.post(&visits, &contractor, &body).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let other = app.token("other-admin").await;
    assert_error(
        app.post(&visits, &other, &body).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
