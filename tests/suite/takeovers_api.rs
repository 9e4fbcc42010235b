//! The property takeover through `/api/v1`: deadlines at their boundaries, signing blocked by
//! unchecked and unmet prerequisites, reservations, the seal, and every write path refused once
//! both sides have signed.

use crate::common;

use chrono::{Days, NaiveDate};
use common::{TestApp, assert_error, client, jpeg, spawn_app};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn today() -> NaiveDate {
    handover::clock::local_date(handover::clock::now())
}

async fn ok(resp: Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: &Value) -> Response {
    let req = match method {
        "PATCH" => client().patch(app.url(path)),
        "PUT" => client().put(app.url(path)),
        "DELETE" => client().delete(app.url(path)),
        _ => client().post(app.url(path)),
    };
    req.bearer_auth(token).json(body).send().await.unwrap()
}

/// A batch of the demo project whose delivery starts `days` from today; returns its id.
async fn batch_in(app: &TestApp, admin: &str, days: u64) -> String {
    let start = today().checked_add_days(Days::new(days)).unwrap();
    let end = start.checked_add_days(Days::new(2)).unwrap();
    let body = json!({"name": format!("批次{days}"), "period": {"start": start, "end": end}});
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    ok(app.post(&path, admin, &body).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create(app: &TestApp, token: &str, name: &str, batch: &str) -> Value {
    let path = format!("/api/v1/projects/{}/takeovers", app.demo.project_id);
    let resp = app
        .post(&path, token, &json!({"name": name, "batch_id": batch}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn settings(app: &TestApp, admin: &str, inspection_days: i32, window_days: i32) {
    let path = format!("/api/v1/projects/{}/takeover-settings", app.demo.project_id);
    let body = json!({"inspection_days": inspection_days, "window_days": window_days});
    ok(send(app, "PUT", &path, admin, &body).await).await;
}

fn kinds(view: &Value) -> Vec<String> {
    view["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn signature(side: &str, reservations: Value) -> Value {
    json!({"side": side, "name": "张伟", "title": "工程经理", "width": 600.0, "height": 200.0,
        "strokes": [[[10.0, 10.0, 0.0], [120.0, 80.0, 40.0], [200.0, 30.0, 90.0]]],
        "reservations": reservations})
}

#[tokio::test]
async fn deadlines_count_back_from_the_batch_start_and_turn_overdue_the_day_after() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let batch = batch_in(&app, &admin, 30).await;
    let t = create(&app, &property, "一期承接查验", &batch).await;
    let start = today().checked_add_days(Days::new(30)).unwrap();
    assert_eq!(t["deadlines"]["delivery_start"], start.to_string());
    // Seed: inspection and rectification 30 days before delivery — today, the last day in time.
    assert_eq!(t["deadlines"]["inspection_due"], today().to_string());
    assert_eq!(t["inspection_days_left"], 0);
    assert_eq!(t["formalities_days_left"], 29);
    assert!(kinds(&t).is_empty(), "{}", t["overdue"]);
    // One more day before delivery and the inspection deadline was yesterday.
    settings(&app, &admin, 31, 30).await;
    let id = t["id"].as_str().unwrap();
    let t = ok(app.get(&format!("/api/v1/takeovers/{id}"), &property).await).await;
    assert_eq!(t["inspection_days_left"], -1);
    assert!(kinds(&t).contains(&"areas_not_inspected".to_owned()), "{t}");
    // Formalities: due the day before delivery; a delivery starting tomorrow is due today.
    let soon = batch_in(&app, &admin, 1).await;
    let s = create(&app, &property, "二期承接查验", &soon).await;
    assert_eq!(s["formalities_days_left"], 0);
    assert!(!kinds(&s).contains(&"signatures_missing".to_owned()));
    let started = batch_in(&app, &admin, 0).await;
    let late = create(&app, &property, "三期承接查验", &started).await;
    assert_eq!(late["formalities_days_left"], -1);
    let k = kinds(&late);
    for want in [
        "signatures_missing",
        "prerequisites_open",
        "documents_missing",
    ] {
        assert!(k.contains(&want.to_owned()), "{want} in {k:?}");
    }
    // The cross-project list carries the same countdowns for executives.
    let exec = app.token("executive").await;
    let all = ok(app.get("/api/v1/takeovers", &exec).await).await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    // Day counts are bounded.
    let path = format!("/api/v1/projects/{}/takeover-settings", app.demo.project_id);
    let bad = json!({"inspection_days": 0, "window_days": 30});
    assert_error(
        send(&app, "PUT", &path, &admin, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    let not_admin = send(
        &app,
        "PUT",
        &path,
        &property,
        &json!({"inspection_days": 15, "window_days": 30}),
    )
    .await;
    assert_error(not_admin, StatusCode::FORBIDDEN, "auth.forbidden").await;
}

#[tokio::test]
async fn signing_is_blocked_by_unchecked_and_unmet_lines_then_seals_the_record() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let inspector = app.token("inspector").await;
    let batch = batch_in(&app, &admin, 45).await;
    let t = create(&app, &property, "承接查验", &batch).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let lines: Vec<String> = t["record"]["prerequisites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lines.len(), 5, "seed 4.2.2.1 a–e");
    assert!(t["record"]["documents"].as_array().unwrap().len() >= 4);
    let sign = format!("/api/v1/takeovers/{id}/signatures");
    // Nothing checked yet.
    let body = assert_error(
        app.post(&sign, &inspector, &signature("developer", json!({})))
            .await,
        StatusCode::CONFLICT,
        "takeover.prerequisites_unchecked",
    )
    .await;
    assert_eq!(body["prerequisites"].as_array().unwrap().len(), 5);
    // All met but (e): not met — signing needs a reservation on (e).
    for (i, line) in lines.iter().enumerate() {
        let status = if i == 4 { "not_met" } else { "met" };
        let patch = json!({"status": status, "evidence": format!("证书编号 {i}")});
        let path = format!("/api/v1/takeovers/{id}/prerequisites/{line}");
        ok(send(&app, "PATCH", &path, &property, &patch).await).await;
    }
    let body = assert_error(
        app.post(&sign, &inspector, &signature("developer", json!({})))
            .await,
        StatusCode::CONFLICT,
        "takeover.prerequisites_unmet",
    )
    .await;
    assert_eq!(body["prerequisites"], json!([lines[4]]));
    // The wrong side, and an empty drawing, are refused.
    assert_error(
        app.post(&sign, &property, &signature("developer", json!({})))
            .await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let mut empty = signature("developer", json!({ lines[4].clone(): "电梯合格证待补" }));
    empty["strokes"] = json!([[[5.0, 5.0, 0.0]]]);
    let body = assert_error(
        app.post(&sign, &inspector, &empty).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(body["fields"][0]["field"], "strokes");
    assert_eq!(body["fields"][0]["code"], "empty");
    // With the reservation the project department signs; the record is not sealed yet.
    let reserved = json!({ lines[4].clone(): "电梯使用合格证待补，交付前提供" });
    let after = ok(app
        .post(&sign, &inspector, &signature("developer", reserved.clone()))
        .await)
    .await;
    assert_eq!(after["sealed"], false);
    assert_error(
        app.post(&sign, &inspector, &signature("developer", reserved.clone()))
            .await,
        StatusCode::CONFLICT,
        "takeover.already_signed",
    )
    .await;
    // The property company signs second: sealed, with the SHA-256 of the stored content.
    let sealed = ok(app
        .post(&sign, &property, &signature("property", reserved))
        .await)
    .await;
    assert_eq!(sealed["sealed"], true);
    let seal = sealed["seal_sha256"].as_str().unwrap().to_owned();
    assert_eq!(seal.len(), 64);
    let content: String = sqlx_content(&app, &id).await;
    assert_eq!(format!("{:x}", Sha256::digest(content.as_bytes())), seal);
    assert!(content.contains("电梯使用合格证待补"));
    let line_e = &sealed["record"]["prerequisites"][4];
    assert_eq!(line_e["reservations"].as_array().unwrap().len(), 2);
    assert_eq!(sealed["record"]["signatures"].as_array().unwrap().len(), 2);
}

/// The sealed content of a takeover as stored.
async fn sqlx_content(app: &TestApp, id: &str) -> String {
    let id: Uuid = id.parse().unwrap();
    let t = handover::takeovers::repo::get(&mut app.db.read().await.unwrap(), id)
        .await
        .unwrap();
    t.sealed_content.unwrap()
}

#[tokio::test]
async fn after_both_signatures_every_write_is_refused_as_sealed() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let inspector = app.token("inspector").await;
    let batch = batch_in(&app, &admin, 60).await;
    let t = create(&app, &property, "封存测试", &batch).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let line = t["record"]["prerequisites"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = t["record"]["documents"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let added = ok(app
        .post(
            &format!("/api/v1/takeovers/{id}/members"),
            &property,
            &json!({"side": "property", "name": "陈静", "title": "物业经理"}),
        )
        .await)
    .await;
    let member = added["record"]["team"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for p in t["record"]["prerequisites"].as_array().unwrap() {
        let path = format!(
            "/api/v1/takeovers/{id}/prerequisites/{}",
            p["id"].as_str().unwrap()
        );
        ok(send(&app, "PATCH", &path, &property, &json!({"status": "met"})).await).await;
    }
    let sign = format!("/api/v1/takeovers/{id}/signatures");
    ok(app
        .post(&sign, &inspector, &signature("developer", json!({})))
        .await)
    .await;
    ok(app
        .post(&sign, &property, &signature("property", json!({})))
        .await)
    .await;

    let writes: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            format!("/api/v1/takeovers/{id}/members"),
            json!({"side": "developer", "name": "李四"}),
        ),
        (
            "DELETE",
            format!("/api/v1/takeovers/{id}/members/{member}"),
            json!({}),
        ),
        (
            "POST",
            format!("/api/v1/takeovers/{id}/prerequisites"),
            json!({"title": "燃气验收"}),
        ),
        (
            "PATCH",
            format!("/api/v1/takeovers/{id}/prerequisites/{line}"),
            json!({"status": "not_met"}),
        ),
        (
            "POST",
            format!("/api/v1/takeovers/{id}/documents"),
            json!({"category": "technical", "title": "电梯图纸"}),
        ),
        (
            "PATCH",
            format!("/api/v1/takeovers/{id}/documents/{doc}"),
            json!({"copies": 2, "form": "paper"}),
        ),
        ("POST", sign.clone(), signature("property", json!({}))),
    ];
    for (method, path, body) in writes {
        // The property manager may make every one of these writes on an open takeover.
        let token = if path.ends_with("/prerequisites") {
            &admin
        } else {
            &property
        };
        let resp = send(&app, method, &path, token, &body).await;
        assert_error(resp, StatusCode::CONFLICT, "takeover.sealed").await;
    }
    let photo = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg(64, 48, 7)).file_name("cert.jpg"),
    );
    let resp = client()
        .post(app.url(&format!(
            "/api/v1/takeovers/{id}/prerequisites/{line}/evidence"
        )))
        .bearer_auth(&property)
        .multipart(photo)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::CONFLICT, "takeover.sealed").await;
    // Nothing changed.
    let after = ok(app.get(&format!("/api/v1/takeovers/{id}"), &property).await).await;
    assert_eq!(after["record"]["team"].as_array().unwrap().len(), 1);
    assert_eq!(
        after["record"]["prerequisites"].as_array().unwrap().len(),
        5
    );
}

#[tokio::test]
async fn roles_and_projects_are_enforced_and_documents_are_recorded() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let batch = batch_in(&app, &admin, 40).await;
    let contractor = app.token("contractor").await;
    let path = format!("/api/v1/projects/{}/takeovers", app.demo.project_id);
    let resp = app
        .post(&path, &contractor, &json!({"name": "x", "batch_id": batch}))
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    let resp = app
        .post(
            &path,
            &property,
            &json!({"name": "x", "batch_id": Uuid::new_v4()}),
        )
        .await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    let t = create(&app, &property, "资料移交", &batch).await;
    let id = t["id"].as_str().unwrap();
    let other = app.token("other-admin").await;
    let resp = app.get(&format!("/api/v1/takeovers/{id}"), &other).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // Documents: a receipt, then a line of the project's own; missing ones are counted.
    let doc = t["record"]["documents"][0]["id"].as_str().unwrap();
    let receipt =
        json!({"copies": 2, "form": "both", "received_by": "陈静", "received_on": "2026-11-20"});
    let v = ok(send(
        &app,
        "PATCH",
        &format!("/api/v1/takeovers/{id}/documents/{doc}"),
        &property,
        &receipt,
    )
    .await)
    .await;
    assert_eq!(v["record"]["documents"][0]["copies"], 2);
    assert_eq!(v["record"]["documents"][0]["received_on"], "2026-11-20");
    let v = ok(app
        .post(
            &format!("/api/v1/takeovers/{id}/documents"),
            &property,
            &json!({"category": "technical", "title": "二次供水设备说明书"}),
        )
        .await)
    .await;
    let last = v["record"]["documents"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["title"], "二次供水设备说明书");
    assert_eq!(last["copies"], 0);
    // Only admins add prerequisite lines.
    let line = json!({"title": "燃气工程验收合格"});
    let resp = app
        .post(
            &format!("/api/v1/takeovers/{id}/prerequisites"),
            &property,
            &line,
        )
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    let v = ok(app
        .post(
            &format!("/api/v1/takeovers/{id}/prerequisites"),
            &admin,
            &line,
        )
        .await)
    .await;
    assert_eq!(v["record"]["prerequisites"].as_array().unwrap().len(), 6);
    // Evidence photo on a line.
    let line = v["record"]["prerequisites"][0]["id"].as_str().unwrap();
    let photo = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg(64, 48, 7)).file_name("cert.jpg"),
    );
    let v = ok(client()
        .post(app.url(&format!(
            "/api/v1/takeovers/{id}/prerequisites/{line}/evidence"
        )))
        .bearer_auth(&property)
        .multipart(photo)
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(
        v["record"]["prerequisites"][0]["evidence_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    // A PDF scan is kept byte for byte and served back to staff of the project only.
    let scan = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let second = v["record"]["prerequisites"][1]["id"].as_str().unwrap();
    let evidence = format!("/api/v1/takeovers/{id}/prerequisites/{second}/evidence");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(scan.clone()).file_name("消防验收意见书.pdf"),
    );
    ok(client()
        .post(app.url(&evidence))
        .bearer_auth(&property)
        .multipart(form)
        .send()
        .await
        .unwrap())
    .await;
    let back = app.get(&evidence, &property).await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(back.headers()["content-type"], "application/pdf");
    assert_eq!(back.bytes().await.unwrap().to_vec(), scan);
    let resp = app.get(&evidence, &other).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}
