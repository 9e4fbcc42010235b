//! Complaints (投诉) through the JSON API and the register page: registered, answered and
//! resolved with their durations; times that go backwards or into the future refused; the
//! filters; roles and projects; the board's signal.

use crate::common;

use chrono::{Duration, SecondsFormat, Utc};
use common::handover_day::{batch, board_version, ok, patch, today};
use common::{TestApp, assert_error, hidden, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn rfc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn complain(app: &TestApp, token: &str, body: &Value) -> Value {
    let path = format!("/api/v1/projects/{}/complaints", app.demo.project_id);
    let resp = app.post(&path, token, body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn a_complaint_is_answered_then_resolved_with_its_durations() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app, "一期", (today(), today()), 0).await;
    let service = app.token("service").await;
    let before = board_version(&app, &service, &batch).await;
    let received = Utc::now() - Duration::minutes(150);
    let k = complain(
        &app,
        &service,
        &json!({"unit_id": units[0].0, "channel": "phone", "content": "  入户门划痕，要求更换  ",
            "received_at": rfc(received)}),
    )
    .await;
    assert_eq!(k["status"], "open");
    assert_eq!(k["number"], 1);
    assert_eq!(k["content"], "入户门划痕，要求更换");
    assert_eq!(k["unit_number"], units[0].1.as_str());
    assert_eq!(k["response_minutes"], Value::Null);
    assert!(
        board_version(&app, &service, &batch).await > before,
        "the unit's batch board hears of it"
    );
    let id = k["id"].as_str().unwrap().to_owned();

    // Answered 30 minutes after it came in; a second answer keeps the first.
    let respond = format!("/api/v1/complaints/{id}/respond");
    let at = received + Duration::minutes(30);
    let k = ok(app.post(&respond, &service, &json!({"at": rfc(at)})).await).await;
    assert_eq!(k["status"], "responded");
    assert_eq!(k["response_minutes"], 30);
    let me = ok(app.get("/api/v1/me", &service).await).await;
    assert_eq!(k["handler_id"], me["id"], "the responder handles it");
    let k = ok(app.post(&respond, &service, &json!({})).await).await;
    assert_eq!(k["response_minutes"], 30);

    // Resolved 2 h 5 min after it came in.
    let resolve = format!("/api/v1/complaints/{id}/resolve");
    let body = json!({"resolution": "已更换门扇", "at": rfc(received + Duration::minutes(125))});
    let k = ok(app.post(&resolve, &service, &body).await).await;
    assert_eq!(k["status"], "resolved");
    assert_eq!(k["resolution_minutes"], 125);
    assert_eq!(k["resolution"], "已更换门扇");
    assert_error(
        app.post(&resolve, &service, &body).await,
        StatusCode::CONFLICT,
        "complaint.already_resolved",
    )
    .await;
    let shown = ok(app.get(&format!("/api/v1/complaints/{id}"), &service).await).await;
    assert_eq!(shown["status"], "resolved");

    // Resolved without a response: answered by its resolution.
    let k = complain(
        &app,
        &service,
        &json!({"unit_id": units[1].0, "channel": "on_site", "content": "窗户漏风"}),
    )
    .await;
    assert_eq!(k["number"], 2);
    let path = format!("/api/v1/complaints/{}/resolve", k["id"].as_str().unwrap());
    let k = ok(app
        .post(&path, &service, &json!({"resolution": "已调整窗扇"}))
        .await)
    .await;
    assert_eq!(k["first_response_at"], k["resolved_at"]);
}

#[tokio::test]
async fn times_that_go_backwards_or_into_the_future_are_refused() {
    let app = spawn_app().await;
    let service = app.token("service").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let path = format!("/api/v1/projects/{}/complaints", app.demo.project_id);
    let future = json!({"unit_id": unit, "channel": "online", "content": "x",
        "received_at": rfc(Utc::now() + Duration::hours(1))});
    let body = assert_error(
        app.post(&path, &service, &future).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(body["fields"][0]["code"], "in_future");
    let blank = json!({"unit_id": unit, "channel": "online", "content": "  "});
    let body = assert_error(
        app.post(&path, &service, &blank).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(body["fields"][0]["field"], "content");

    let received = Utc::now() - Duration::hours(2);
    let k = complain(
        &app,
        &service,
        &json!({"unit_id": unit, "channel": "online", "content": "物业费有疑问",
            "received_at": rfc(received)}),
    )
    .await;
    let id = k["id"].as_str().unwrap();
    let respond = format!("/api/v1/complaints/{id}/respond");
    let early = json!({"at": rfc(received - Duration::minutes(1))});
    let body = assert_error(
        app.post(&respond, &service, &early).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(body["fields"][0]["code"], "before_received");
    assert!(
        body["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("接收")
    );
    ok(app
        .post(
            &respond,
            &service,
            &json!({"at": rfc(received + Duration::minutes(60))}),
        )
        .await)
    .await;
    let resolve = format!("/api/v1/complaints/{id}/resolve");
    for (at, code) in [
        (received - Duration::minutes(5), "before_received"),
        (received + Duration::minutes(30), "before_response"),
    ] {
        let body = json!({"resolution": "已解释", "at": rfc(at)});
        let err = assert_error(
            app.post(&resolve, &service, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid",
        )
        .await;
        assert_eq!(err["fields"][0]["code"], code);
    }
    let k = ok(app.get(&format!("/api/v1/complaints/{id}"), &service).await).await;
    assert_eq!(k["status"], "responded", "nothing was written");
    // English messages for the English caller.
    let resp = common::client()
        .post(app.url(&resolve))
        .bearer_auth(&service)
        .header("Accept-Language", "en")
        .json(&json!({"resolution": "x", "at": rfc(received - Duration::minutes(5))}))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["fields"][0]["message"],
        "is before the complaint was received"
    );
}

#[tokio::test]
async fn the_list_filters_by_status_unit_and_batch_and_the_handler_changes() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app, "一期", (today(), today()), 0).await;
    let service = app.token("service").await;
    let outside = app.a_unit_of(app.other_project).await;
    let other_building =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| !units.iter().any(|(id, _)| *id == c.id.to_string()))
            .unwrap()
            .id;
    let a = complain(
        &app,
        &service,
        &json!({"unit_id": units[0].0, "channel": "phone", "content": "a"}),
    )
    .await;
    complain(
        &app,
        &service,
        &json!({"unit_id": other_building, "channel": "phone", "content": "b"}),
    )
    .await;
    let path = format!("/api/v1/projects/{}/complaints", app.demo.project_id);
    assert_error(
        app.post(
            &path,
            &service,
            &json!({"unit_id": outside, "channel": "phone", "content": "c"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    ok(app
        .post(
            &format!("/api/v1/complaints/{}/respond", a["id"].as_str().unwrap()),
            &service,
            &json!({}),
        )
        .await)
    .await;

    let all = ok(app.get(&path, &service).await).await;
    assert_eq!(all["total"], 2);
    assert_eq!(
        all["counts"],
        json!({"open": 1, "responded": 1, "resolved": 0})
    );
    let open = ok(app.get(&format!("{path}?status=open"), &service).await).await;
    assert_eq!(open["total"], 1);
    assert_eq!(open["items"][0]["content"], "b");
    let in_batch = ok(app.get(&format!("{path}?batch={batch}"), &service).await).await;
    assert_eq!(in_batch["items"].as_array().unwrap().len(), 1);
    assert_eq!(in_batch["items"][0]["content"], "a");
    let of_unit = ok(app
        .get(&format!("{path}?unit={other_building}"), &service)
        .await)
    .await;
    assert_eq!(of_unit["items"][0]["content"], "b");
    assert_error(
        app.get(&format!("{path}?status=lost"), &service).await,
        StatusCode::BAD_REQUEST,
        "request.malformed_query",
    )
    .await;

    // The handler: customer service or an administrator of the project.
    let admin = app.token("admin").await;
    let admin_id = ok(app.get("/api/v1/me", &admin).await).await["id"].clone();
    let contractor = app.token("contractor").await;
    let contractor_id = ok(app.get("/api/v1/me", &contractor).await).await["id"].clone();
    let one = format!("/api/v1/complaints/{}", a["id"].as_str().unwrap());
    let k = ok(patch(&app, &one, &service, &json!({"handler_id": admin_id})).await).await;
    assert_eq!(k["handler_id"], admin_id);
    assert_eq!(k["handler_name"], "王磊（管理员）");
    let err = assert_error(
        patch(&app, &one, &service, &json!({"handler_id": contractor_id})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(err["fields"][0]["field"], "handler_id");
}

#[tokio::test]
async fn contractors_may_not_register_and_other_projects_see_nothing() {
    let app = spawn_app().await;
    let service = app.token("service").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let path = format!("/api/v1/projects/{}/complaints", app.demo.project_id);
    let body = json!({"unit_id": unit, "channel": "phone", "content": "噪音"});
    let contractor = app.token("contractor").await;
    assert_error(
        app.post(&path, &contractor, &body).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let executive = app.token("executive").await;
    assert_error(
        app.post(&path, &executive, &body).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let k = complain(&app, &service, &body).await;
    let id = k["id"].as_str().unwrap();
    assert_error(
        app.post(
            &format!("/api/v1/complaints/{id}/resolve"),
            &contractor,
            &json!({"resolution": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    // Everyone on the project reads.
    ok(app.get(&path, &executive).await).await;
    let other = app.token("other-admin").await;
    for resp in [
        app.get(&path, &other).await,
        app.post(&path, &other, &body).await,
        app.get(&format!("/api/v1/complaints/{id}"), &other).await,
        app.post(
            &format!("/api/v1/complaints/{id}/respond"),
            &other,
            &json!({}),
        )
        .await,
    ] {
        assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    }
    // A retry with the same client id registers once.
    let again = json!({"id": id, "unit_id": unit, "channel": "phone", "content": "噪音"});
    let k = complain(&app, &service, &again).await;
    assert_eq!(k["number"], 1);
    let list = ok(app.get(&path, &service).await).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn the_register_page_renders_and_its_forms_post() {
    let app = spawn_app().await;
    let (_, units) = batch(&app, "一期", (today(), today()), 0).await;
    let number = units[0].1.clone();
    let c = app.page_login("service").await;
    let page = format!("/projects/{}/complaints", app.demo.project_id);
    let html = c
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("投诉登记"), "zh-CN title");
    assert!(html.contains("还没有投诉记录"), "the empty state");
    assert!(html.contains(&format!("<option value=\"{number}\">")));
    let csrf = hidden(&html, "_csrf");

    // An unknown unit comes back with the form as typed and what to do.
    let resp = c
        .post(app.url(&page))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("unit_number", "99-9-999"),
            ("channel", "phone"),
            ("content", "电梯噪音大"),
            ("received_at", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("请填写本项目中存在的房号"), "{html}");
    assert!(html.contains("电梯噪音大"), "kept");

    let resp = c
        .post(app.url(&page))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("unit_number", number.as_str()),
            ("channel", "phone"),
            ("content", "电梯噪音大"),
            ("received_at", "2026-01-05T09:30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("电梯噪音大") && html.contains("2026-01-05 09:30"));
    assert!(html.contains("待响应"));
    let token = app.token("service").await;
    let list = ok(app.get(&format!("/api/v1{page}"), &token).await).await;
    let k = &list["items"][0];
    assert_eq!(
        k["received_at"], "2026-01-05T01:30:00Z",
        "Asia/Shanghai typed"
    );
    let id = k["id"].as_str().unwrap();

    // Respond, then resolve: an empty resolution is sent back with what to do.
    let back = format!("{page}?status=open");
    let resp = c
        .post(app.url(&format!("/complaints/{id}/respond")))
        .form(&[("_csrf", csrf.as_str()), ("back", back.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("{back}&ok=responded")), "{to}");
    let resolve = format!("/complaints/{id}/resolve");
    let html = c
        .post(app.url(&resolve))
        .form(&[("_csrf", csrf.as_str()), ("resolution", " ")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("请先填写处理结果"), "{html}");
    let resp = c
        .post(app.url(&resolve))
        .form(&[("_csrf", csrf.as_str()), ("resolution", "已调整电梯")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(app.url(&format!("{page}?status=resolved")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已调整电梯") && html.contains("已解决"));
    // The project page links the register for staff.
    let html = c
        .get(app.url(&format!("/projects/{}", app.demo.project_id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"{page}\"")));
    // A contractor sees the page without the form, and cannot post it.
    let contractor = app.page_login("contractor").await;
    let html = contractor
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已调整电梯") && !html.contains("name=\"unit_number\""));
    let csrf = hidden(&html, "_csrf");
    let resp = contractor
        .post(app.url(&page))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("unit_number", number.as_str()),
            ("channel", "phone"),
            ("content", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
