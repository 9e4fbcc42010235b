//! Correcting a unit's area and layout: admins only, validated, visible afterwards.

mod common;

use common::{assert_error, client, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn admin_corrects_area_and_layout_others_cannot() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let path = app.url(&format!("/api/v1/units/{unit}"));
    let body = json!({"area_m2": 101.25, "layout": "E 改良户型"});

    let inspector = app.token("inspector").await;
    let resp = client()
        .patch(&path)
        .bearer_auth(&inspector)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;

    let other = app.token("other-admin").await;
    let resp = client()
        .patch(&path)
        .bearer_auth(&other)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    let admin = app.token("admin").await;
    let bad = json!({"area_m2": -3.0, "layout": null});
    let resp = client()
        .patch(&path)
        .bearer_auth(&admin)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let err = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(err["fields"][0]["field"], "area_m2");

    let resp = client()
        .patch(&path)
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let shown: Value = app
        .get(&format!("/api/v1/units/{unit}"), &inspector)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["area_m2"], 101.25);
    assert_eq!(shown["layout"], "E 改良户型");
}

#[tokio::test]
async fn unit_edit_page_needs_csrf_and_saves() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let admin = app.page_login("admin").await;
    let html = admin
        .get(app.url(&format!("/units/{unit}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::hidden(&html, "_csrf");
    let edit = app.url(&format!("/units/{unit}/edit"));
    let resp = admin
        .post(&edit)
        .form(&[("area_m2", "77.7"), ("layout", "F")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = admin
        .post(&edit)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("area_m2", "77.7"),
            ("layout", "F"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = admin
        .get(app.url(&format!("/units/{unit}?saved=1")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("77.70 m²"), "area shown");
    assert!(html.contains("已保存"));
}
