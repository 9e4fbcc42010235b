//! Inspections through the JSON API: start on a unit, measured items judged on the server at
//! the 80 % / 1.5 × boundaries, finishing with a verdict, coverage and the unit's status.

use crate::common;

use common::{TestApp, assert_error, client, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

async fn start(app: &TestApp, token: &str, unit: Uuid) -> Value {
    let resp = app
        .post(
            &format!("/api/v1/projects/{}/inspections", app.demo.project_id),
            token,
            &json!({"unit_id": unit, "supervisor": "李明", "contractor": "赵强", "property": "王芳"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let started: Value = resp.json().await.unwrap();
    app.get(
        &format!("/api/v1/inspections/{}", started["id"].as_str().unwrap()),
        token,
    )
    .await
    .json()
    .await
    .unwrap()
}

async fn put(
    app: &TestApp,
    token: &str,
    inspection: &str,
    item: &Value,
    body: Value,
) -> reqwest::Response {
    client()
        .put(app.url(&format!(
            "/api/v1/inspections/{inspection}/results/{}",
            item["item_id"].as_str().unwrap()
        )))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn unit_status(app: &TestApp, unit: Uuid) -> String {
    handover::org::repo::get_unit(&mut app.db.read().await.unwrap(), unit)
        .await
        .unwrap()
        .status
}

#[tokio::test]
async fn measured_items_are_judged_at_the_boundaries() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let detail = start(&app, &inspector, unit).await;
    let id = detail["inspection"]["id"].as_str().unwrap().to_owned();
    let items = detail["items"].as_array().unwrap();
    assert!(items.len() > 40, "the shipped template has real items");
    assert!(
        items
            .iter()
            .any(|i| i["standard"].as_str().unwrap().contains("GB 50210"))
    );
    // 墙面表面平整度: ≤ 4 mm, 80 % of points, none beyond 1.5 × (6 mm).
    let flat = items
        .iter()
        .find(|i| {
            i["kind"] == "measured"
                && i["upper"] == 4.0
                && i["name"].as_str().unwrap().contains("平整度")
        })
        .expect("a ≤ 4 mm flatness item");
    let cases = [
        (json!([1, 2, 3, 4, 5]), "pass"),    // exactly 80 % within
        (json!([1, 2, 3, 4, 6]), "pass"),    // a point at exactly 1.5 ×
        (json!([1, 2, 3, 4, 6.01]), "fail"), // just beyond 1.5 ×
        (json!([1, 2, 3, 5, 5]), "fail"),    // 60 % within
        (json!([4, 4, 4, 4, 4]), "pass"),    // on the bound
    ];
    for (points, expected) in cases {
        let resp = put(&app, &inspector, &id, flat, json!({"points": points})).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let r: Value = resp.json().await.unwrap();
        assert_eq!(r["outcome"], expected, "{points}");
    }
    // Points are required for a measured item; an outcome for a pass/fail one.
    let resp = put(&app, &inspector, &id, flat, json!({})).await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    let pf = items.iter().find(|i| i["kind"] == "pass_fail").unwrap();
    let resp = put(&app, &inspector, &id, pf, json!({})).await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    let resp = put(
        &app,
        &inspector,
        &id,
        pf,
        json!({"outcome": "fail", "note": "空鼓"}),
    )
    .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["outcome"], "fail");
}

#[tokio::test]
async fn finishing_needs_every_item_and_sets_verdict_status_and_coverage() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let project = app.demo.project_id;
    let unit = app.a_unit_of(project).await;
    assert_eq!(unit_status(&app, unit).await, "not_inspected");
    let detail = start(&app, &inspector, unit).await;
    assert_eq!(unit_status(&app, unit).await, "inspecting");
    let id = detail["inspection"]["id"].as_str().unwrap().to_owned();
    let items = detail["items"].as_array().unwrap();

    let early = app
        .post(
            &format!("/api/v1/inspections/{id}/finish"),
            &inspector,
            &json!({}),
        )
        .await;
    assert_error(early, StatusCode::CONFLICT, "inspection.incomplete").await;

    for item in items {
        let body = if item["kind"] == "measured" {
            json!({"outcome": "na"})
        } else {
            json!({"outcome": "pass"})
        };
        assert_eq!(
            put(&app, &inspector, &id, item, body).await.status(),
            StatusCode::OK
        );
    }
    let coverage: Value = app
        .get(&format!("/api/v1/projects/{project}/coverage"), &inspector)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(coverage["inspected"], 0);

    let done = app
        .post(
            &format!("/api/v1/inspections/{id}/finish"),
            &inspector,
            &json!({}),
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["verdict"], "pass");
    assert_eq!(unit_status(&app, unit).await, "ready");
    let coverage: Value = app
        .get(&format!("/api/v1/projects/{project}/coverage"), &inspector)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(coverage["inspected"], 1);
    assert_eq!(coverage["units"], 12);
    assert!((coverage["rate"].as_f64().unwrap() - 100.0 / 12.0).abs() < 1e-9);
    // The project page (with the status map) shows it too.
    let page = app
        .page_login("inspector")
        .await
        .get(app.url(&format!("/projects/{project}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let tile = &page[page.find("id=\"coverage\"").expect("coverage tile")..];
    assert!(tile[..200].contains("8.3%"), "{}", &tile[..200]);

    // A finished inspection is frozen.
    let late = put(&app, &inspector, &id, &items[0], json!({"outcome": "fail"})).await;
    assert_error(late, StatusCode::CONFLICT, "inspection.finished").await;
    let again = app
        .post(
            &format!("/api/v1/inspections/{id}/finish"),
            &inspector,
            &json!({}),
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "inspection.finished").await;

    // A new defect on a ready unit turns it orange again.
    app.a_defect(&inspector, unit, "civil").await;
    assert_eq!(unit_status(&app, unit).await, "defects_open");
}

#[tokio::test]
async fn a_defect_raised_in_the_inspection_fails_its_verdict() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let detail = start(&app, &inspector, unit).await;
    let id = detail["inspection"]["id"].as_str().unwrap().to_owned();
    let resp = app
        .post(
            &format!("/api/v1/projects/{}/defects", app.demo.project_id),
            &inspector,
            &json!({"unit_id": unit, "trade": "waterproofing", "description": "卫生间蓄水试验渗漏",
                    "severity": "serious", "inspection_id": id}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    for item in detail["items"].as_array().unwrap() {
        put(&app, &inspector, &id, item, json!({"outcome": "na"})).await;
    }
    let done: Value = app
        .post(
            &format!("/api/v1/inspections/{id}/finish"),
            &inspector,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["verdict"], "fail");
    assert_eq!(unit_status(&app, unit).await, "defects_open");
}

#[tokio::test]
async fn who_may_inspect_and_the_same_start_twice() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let unit = app.a_unit_of(project).await;
    let property = app.token("property").await;
    let contractor = app.token("contractor").await;
    for token in [&property, &contractor] {
        let resp = app
            .post(
                &format!("/api/v1/projects/{project}/inspections"),
                token,
                &json!({"unit_id": unit}),
            )
            .await;
        assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    }
    // Property managers run takeover inspections of common areas.
    let areas: Value = app
        .get(
            &format!("/api/v1/projects/{project}/common-areas"),
            &property,
        )
        .await
        .json()
        .await
        .unwrap();
    let area = areas[0]["id"].clone();
    let key = Uuid::new_v4();
    let body = json!({"id": key, "common_area_id": area, "stage": "takeover"});
    let path = format!("/api/v1/projects/{project}/inspections");
    let a: Value = app
        .post(&path, &property, &body)
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .post(&path, &property, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["id"], key.to_string());
    assert_eq!(a["id"], b["id"]);
    let detail: Value = app
        .get(&format!("/api/v1/inspections/{key}"), &property)
        .await
        .json()
        .await
        .unwrap();
    let items = detail["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().any(|i| i["trade"] == "common") && items.len() < 40,
        "common areas run the 公区 checklist"
    );
    // Another project's inspector cannot read it.
    let other = app.token("other-inspector").await;
    assert_error(
        app.get(&format!("/api/v1/inspections/{key}"), &other).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn failed_items_keep_a_unit_from_ready_and_starting_again_continues() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let detail = start(&app, &inspector, unit).await;
    let id = detail["inspection"]["id"].as_str().unwrap().to_owned();
    // Starting again while it runs gives the same inspection.
    let again = start(&app, &inspector, unit).await;
    assert_eq!(again["inspection"]["id"], detail["inspection"]["id"]);
    let items = detail["items"].as_array().unwrap();
    let failing = items.iter().position(|i| i["kind"] == "pass_fail").unwrap();
    for (i, item) in items.iter().enumerate() {
        let outcome = if i == failing { "fail" } else { "na" };
        put(&app, &inspector, &id, item, json!({"outcome": outcome})).await;
    }
    let done: Value = app
        .post(
            &format!("/api/v1/inspections/{id}/finish"),
            &inspector,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["verdict"], "fail");
    assert_eq!(
        unit_status(&app, unit).await,
        "inspecting",
        "a re-inspection is due"
    );
    // The re-inspection passes: the unit is ready.
    let second = start(&app, &inspector, unit).await;
    let second_id = second["inspection"]["id"].as_str().unwrap().to_owned();
    assert_ne!(second_id, id);
    for item in second["items"].as_array().unwrap() {
        put(&app, &inspector, &second_id, item, json!({"outcome": "na"})).await;
    }
    app.post(
        &format!("/api/v1/inspections/{second_id}/finish"),
        &inspector,
        &json!({}),
    )
    .await;
    assert_eq!(unit_status(&app, unit).await, "ready");
}
