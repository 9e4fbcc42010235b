//! End to end in a real headless Chromium: the property manager opens the signing page of a
//! takeover whose prerequisites are checked, tries to sign with an empty pad (refused on the
//! page), draws a signature with the pointer, signs, and sees the drawn signature on the
//! takeover page; the stored strokes are the ones drawn.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

use crate::common;

use std::time::Instant;

use chrono::Days;
use common::TestApp;
use common::browser::{PATIENCE, POLL, draw, log_in, path_of, wait_for_path, with_browser};
use fantoccini::Locator;
use serde_json::{Value, json};

/// A takeover of the demo project with every prerequisite met; returns its id.
async fn ready_takeover(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let today = handover::clock::local_date(handover::clock::now());
    let start = today.checked_add_days(Days::new(40)).unwrap();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "浏览器批次", "period": {"start": start, "end": start}});
    let batch: Value = app.post(&path, &admin, &body).await.json().await.unwrap();
    let path = format!("/api/v1/projects/{}/takeovers", app.demo.project_id);
    let body = json!({"name": "签字测试", "batch_id": batch["id"]});
    let t: Value = app
        .post(&path, &property, &body)
        .await
        .json()
        .await
        .unwrap();
    let id = t["id"].as_str().unwrap().to_owned();
    for p in t["record"]["prerequisites"].as_array().unwrap() {
        let line = p["id"].as_str().unwrap();
        let resp = common::client()
            .patch(app.url(&format!("/api/v1/takeovers/{id}/prerequisites/{line}")))
            .bearer_auth(&property)
            .json(&json!({"status": "met"}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
    }
    id
}

#[tokio::test]
async fn the_property_manager_signs_with_a_drawn_signature() {
    with_browser(|app, b| async move {
        let id = ready_takeover(&app).await;
        log_in(&b, &app, "property").await;
        b.goto(&app.url(&format!("/takeovers/{id}"))).await.unwrap();
        b.find(Locator::Css("#sign-property"))
            .await
            .expect("the sign button")
            .click()
            .await
            .unwrap();
        wait_for_path(&b, "the signing page", |p| p.contains("/sign")).await;
        // An empty pad is refused before anything is sent.
        b.find(Locator::Css("#submit-signature"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let warning = b.find(Locator::Css("#pad-empty")).await.unwrap();
        assert!(warning.is_displayed().await.unwrap(), "empty pad refused");
        assert!(path_of(&b).await.contains("/sign"));
        draw(&b).await;
        b.find(Locator::Css("#submit-signature"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_path(&b, "the takeover page", |p| p.contains("ok=signed")).await;
        // The drawn signature is shown from its strokes.
        let deadline = Instant::now() + PATIENCE;
        loop {
            let shown = b
                .execute(
                    "const i = document.querySelector('[data-side=property] img');\
                     return !!i && i.complete && i.naturalWidth > 0;",
                    vec![],
                )
                .await
                .ok();
            if shown == Some(Value::Bool(true)) {
                break;
            }
            assert!(Instant::now() < deadline, "the signature image shows");
            tokio::time::sleep(POLL).await;
        }
        let token = app.token("property").await;
        let t: Value = app
            .get(&format!("/api/v1/takeovers/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        let sig = &t["record"]["signatures"][0];
        assert_eq!(sig["side"], "property");
        let drawing: Value = serde_json::from_str(sig["strokes"].as_str().unwrap()).unwrap();
        let points = drawing["strokes"][0].as_array().unwrap();
        assert!(points.len() >= 5, "the strokes drawn: {drawing}");
        let xs: Vec<f64> = points.iter().map(|p| p[0].as_f64().unwrap()).collect();
        assert!(xs.first() < xs.last(), "drawn left to right");
        assert_eq!(t["sealed"], false, "one side has signed");
    })
    .await;
}
