//! Correcting a unit's area and layout: admins only, validated, visible afterwards.

use crate::common;

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

#[tokio::test]
async fn status_map_and_overview_follow_changes_despite_caching() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let map_path = format!("/api/v1/projects/{}/status-map", app.demo.project_id);
    let before: Value = app.get(&map_path, &admin).await.json().await.unwrap();
    assert_eq!(before["total"], 12);
    let page = app.page_login("admin").await;
    let overview = app.url(&format!("/projects/{}", app.demo.project_id));
    let html = page
        .get(&overview)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("二期加推"));

    // A new building's units and a new batch must show at once on both.
    let csv = "楼栋,单元,楼层,房号,建筑面积\n9,1,1,101,90\n9,1,1,102,91\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("r.csv"),
    );
    let resp = client()
        .post(app.url(&format!(
            "/api/v1/projects/{}/imports/units",
            app.demo.project_id
        )))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let batch = json!({"name": "二期加推", "period": {"start": "2027-01-10", "end": "2027-01-12"}, "buildings": ["9"]});
    let resp = app
        .post(
            &format!("/api/v1/projects/{}/batches", app.demo.project_id),
            &admin,
            &batch,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let after: Value = app.get(&map_path, &admin).await.json().await.unwrap();
    assert_eq!(after["total"], 14);
    let html = page
        .get(&overview)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("二期加推"), "new batch on the overview");
    assert!(
        html.contains("data-number=\"9-1-102\""),
        "new unit on the map"
    );
}
