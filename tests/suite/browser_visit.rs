//! End to end in a real headless Chromium on a tablet-sized window: customer service lands on
//! the handover desk, finds the customer by the phone tail, checks them in, and walks the
//! visit page in order — walkthrough, an issue judged reasonable, meters, keys, documents —
//! then the customer draws their signature and the unit is delivered.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

use crate::common;

use chrono::Days;
use common::TestApp;
use std::time::Instant;

use common::browser::{PATIENCE, POLL, draw, log_in, wait_for_path, wait_for_text, with_browser};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// A batch delivering the demo's first building from today with every handover condition of
/// one unit met; answers the batch, the unit and its buyer's phone tail.
async fn ready_unit(app: &TestApp) -> (String, String, String) {
    let admin = app.token("admin").await;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    let building = cells[0].building.clone();
    let today = handover::clock::local_date(handover::clock::now());
    let end = today.checked_add_days(Days::new(2)).unwrap();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "平板交付", "period": {"start": today, "end": end},
        "buildings": [building]});
    let b: Value = app.post(&path, &admin, &body).await.json().await.unwrap();
    let batch = b["id"].as_str().unwrap().to_owned();
    let unit = cells.iter().find(|c| c.building == building).unwrap().id;
    let buyers = handover::org::repo::buyers_of_units(&mut app.db.read().await.unwrap(), &[unit])
        .await
        .unwrap();
    let phone = buyers[&unit][0].phone.clone();
    let tail = phone[phone.len() - 4..].to_owned();
    let list: Value = app
        .get(&format!("/api/v1/units/{unit}/conditions"), &admin)
        .await
        .json()
        .await
        .unwrap();
    for c in list.as_array().unwrap() {
        let path = format!(
            "/api/v1/units/{unit}/conditions/{}",
            c["code"].as_str().unwrap()
        );
        let resp = common::client()
            .put(app.url(&path))
            .bearer_auth(&admin)
            .json(&json!({"met": true}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
    }
    (batch, unit.to_string(), tail)
}

async fn click(b: &Client, css: &str) {
    let e = b.find(Locator::Css(css)).await.expect(css);
    b.execute(
        "arguments[0].scrollIntoView({block: 'center'}); return true;",
        vec![serde_json::to_value(&e).unwrap()],
    )
    .await
    .unwrap();
    e.click().await.expect(css);
}

async fn type_into(b: &Client, css: &str, text: &str) {
    let e = b.find(Locator::Css(css)).await.expect(css);
    e.clear().await.unwrap();
    e.send_keys(text).await.expect(css);
}

/// Submits a visit form and waits for the page to come back saved, opened at `anchor` (the
/// fragment tells the new page from the one the form was on).
async fn save(b: &Client, css: &str, anchor: &str) {
    click(b, css).await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let url = b.current_url().await.unwrap();
        let saved = url.query().is_some_and(|q| q.contains("ok=saved"));
        if saved && url.fragment() == Some(anchor) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the page opens at {anchor}: {url}"
        );
        tokio::time::sleep(POLL).await;
    }
    wait_for_text(b, ".ok-message", "已保存").await;
}

#[tokio::test]
async fn customer_service_runs_the_visit_on_the_tablet_and_the_customer_signs() {
    with_browser(|app, b| async move {
        b.set_window_size(1024, 1366)
            .await
            .expect("a portrait tablet");
        let (batch, unit, tail) = ready_unit(&app).await;
        log_in(&b, &app, "service").await;
        wait_for_path(&b, "a handover desk", |p| p.ends_with("/desk")).await;
        b.goto(&app.url(&format!("/batches/{batch}/desk")))
            .await
            .unwrap();

        // Found by the phone tail; checked in with the identity ticked.
        type_into(&b, "#desk-q", &tail).await;
        click(&b, ".desk-search button[type=submit]").await;
        wait_for_text(&b, ".desk-results", "签到并开始验房").await;
        let card = format!("#unit-{unit}");
        click(&b, &format!("{card} input[name=identity_checked]")).await;
        click(&b, &format!("{card} .desk-checkin button[type=submit]")).await;
        let visit = wait_for_path(&b, "the visit page", |p| p.contains("ok=checked_in")).await;
        let visit = visit.split('?').next().unwrap().to_owned();
        wait_for_text(&b, ".visit-steps li.current", "验房").await;

        save(&b, "#walk-start", "issues").await;
        click(&b, "#new-issue label.chip:has(input[value=civil])").await;
        type_into(&b, "#new-issue input[name=room]", "客厅").await;
        type_into(&b, "#new-issue input[name=description]", "墙面空鼓").await;
        click(&b, "#new-issue label.chip:has(input[value=reasonable])").await;
        save(&b, "#new-issue button[type=submit]", "issues").await;
        wait_for_text(&b, ".visit-issues", "墙面空鼓").await;
        wait_for_text(&b, ".visit-issues", "整改单").await;
        save(&b, "#walk-end", "meters").await;

        type_into(&b, ".meters-form input[name=water]", "12.5").await;
        type_into(&b, ".meters-form input[name=power]", "3").await;
        save(&b, ".meters-form button[type=submit]", "keys").await;
        type_into(&b, ".keys-form input[name=key-door]", "2").await;
        save(&b, ".keys-form button[type=submit]", "documents").await;
        for doc in ["quality_guarantee", "user_manual"] {
            click(&b, &format!(".docs-form input[name=doc-{doc}]")).await;
        }
        save(&b, ".docs-form button[type=submit]", "outcome").await;
        wait_for_text(&b, ".visit-steps li.current", "签字").await;

        // An empty pad is refused on the page; the drawn one is accepted.
        click(&b, "#accept").await;
        let warning = b.find(Locator::Css("#pad-empty")).await.unwrap();
        assert!(warning.is_displayed().await.unwrap(), "empty pad refused");
        draw(&b).await;
        click(&b, "#accept").await;
        wait_for_text(&b, ".visit-result", "收楼").await;
        wait_for_text(&b, ".visit-steps", "已完成 6/6 步").await;

        let token = app.token("service").await;
        let v: Value = app
            .get(&format!("/api/v1{visit}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["outcome"], "accepted");
        assert_eq!(v["identity_checked"], true);
        assert_eq!(v["issues"][0]["judgement"], "reasonable");
        assert_eq!(v["keys"]["door"], 2);
        assert_eq!(v["documents"].as_array().unwrap().len(), 2);
        let strokes: String = sqlx_strokes(&app, &visit).await;
        let drawing: Value = serde_json::from_str(&strokes).unwrap();
        assert!(
            drawing["strokes"][0].as_array().unwrap().len() >= 5,
            "the strokes drawn"
        );
    })
    .await;
}

/// The stored vector signature of a visit (`/visits/{id}`).
async fn sqlx_strokes(app: &TestApp, visit: &str) -> String {
    let id: uuid::Uuid = visit.trim_start_matches("/visits/").parse().unwrap();
    handover::delivery::repo::visit(&mut app.db.read().await.unwrap(), id)
        .await
        .unwrap()
        .signature_strokes
        .expect("a signature")
}
