//! A project's handover-day settings — the handover conditions, keys, documents, survey
//! dimensions and the customer link's life — through `GET`/`PUT
//! /api/v1/projects/{id}/delivery-settings` and the administration page: only the project's
//! administrators change them, a bad value changes nothing, and the desk, the customer link and
//! the survey follow what was set.

use crate::common;

use chrono::{DateTime, Utc};
use common::handover_day::{ok, put};
use common::{TestApp, assert_error, error_fields, hidden, spawn_app, text};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn settings(app: &TestApp, token: &str) -> Value {
    ok(app.get(&path(app), token).await).await
}

fn path(app: &TestApp) -> String {
    format!("/api/v1/projects/{}/delivery-settings", app.demo.project_id)
}

#[tokio::test]
async fn administrators_set_the_lists_and_the_desk_the_link_and_the_survey_follow() {
    let app = spawn_app().await;
    let (admin, service) = (app.token("admin").await, app.token("service").await);
    let defaults = settings(&app, &service).await;
    assert_eq!(
        codes(&defaults["conditions"]),
        [
            "payment",
            "maintenance_fund",
            "identity",
            "property_contract"
        ]
    );
    assert_eq!(defaults["link_days"], 180);

    // Built-in entries carry no title: the catalog names them in the reader's language.
    let custom = json!({
        "conditions": [{"code": "payment", "title": ""},
            {"code": "parking_contract", "title": "车位合同"}],
        "keys": [{"code": "door", "title": ""}, {"code": "garage_remote", "title": "车库遥控器"}],
        "documents": [{"code": "quality_guarantee", "title": ""},
            {"code": "rules", "title": "装修管理规定"}],
        "survey": [{"code": "quality", "title": ""}, {"code": "property", "title": "物业服务"}],
        "link_days": 7});
    // Customer service reads but may not change; another project's administrator sees nothing.
    let resp = put(&app, &path(&app), &service, &custom).await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    let other = app.token("other-admin").await;
    assert_error(
        app.get(&path(&app), &other).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let resp = put(&app, &path(&app), &other, &custom).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    // A bad value is named and nothing changes.
    let mut bad = custom.clone();
    bad["link_days"] = json!(0);
    bad["keys"] = json!([{"code": "door"}, {"code": "door"}]);
    let body = assert_error(
        put(&app, &path(&app), &admin, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(
        error_fields(&body),
        ["link_days out_of_range", "keys duplicate"]
    );
    assert_eq!(settings(&app, &admin).await, defaults);

    assert_eq!(
        ok(put(&app, &path(&app), &admin, &custom).await).await,
        custom
    );
    assert_eq!(settings(&app, &service).await, custom);

    // The desk checks the project's conditions, named as the project wrote them.
    let unit = app.a_unit_of(app.demo.project_id).await;
    let desk = ok(app
        .get(&format!("/api/v1/units/{unit}/conditions"), &service)
        .await)
    .await;
    assert_eq!(codes(&desk), ["payment", "parking_contract"]);
    assert_eq!(desk[0]["name"], "购房款结清");
    assert_eq!(desk[1]["name"], "车位合同");
    assert_eq!(desk[1]["missing"], true);

    // A new link lives 7 days and its survey asks the project's dimensions.
    let link = common::visits::link(&app, &service, &unit.to_string()).await;
    let expires: DateTime<Utc> = link["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (expires - Utc::now()).num_minutes() as f64 / 1440.0;
    assert!((6.99..=7.0).contains(&days), "link lives {days} days");
    let token = link["token"].as_str().unwrap();
    let page = ok(common::client()
        .get(app.url(&format!("/api/v1/customer/{token}")))
        .send()
        .await
        .unwrap())
    .await;
    let names: Vec<&str> = page["survey"]["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["房屋质量", "物业服务"]);
}

/// Posts the administration page's handover-day form; answers the response.
async fn post_form(
    c: &reqwest::Client,
    app: &TestApp,
    lists: [&str; 4],
    link_days: &str,
) -> reqwest::Response {
    let page = format!("/projects/{}/admin", app.demo.project_id);
    let (_, html) = text(c, app, &page).await;
    let csrf = hidden(&html, "_csrf");
    let [conditions, keys, documents, survey] = lists;
    c.post(app.url(&format!("{page}/delivery")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("conditions", conditions),
            ("keys", keys),
            ("documents", documents),
            ("survey", survey),
            ("link_days", link_days),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_administration_page_edits_the_lists_one_name_per_line() {
    let app = spawn_app().await;
    let c = app.page_login("admin").await;
    let page = format!("/projects/{}/admin", app.demo.project_id);
    let (_, html) = text(&c, &app, &page).await;
    assert!(html.contains("交付日设置"));
    assert!(html.contains("购房款结清\n维修基金已缴\n身份核验\n物业费/合同签署</textarea>"));
    assert!(html.contains("name=\"link_days\""));

    // Kept names keep their codes; a new line is the project's own entry; a dropped one goes.
    let lists = [
        "购房款结清\n车位合同\n\n身份核验",
        "入户门钥匙\n门禁卡",
        "住宅质量保证书\n住宅使用说明书\n装修管理规定",
        "交付流程\n房屋质量",
    ];
    let resp = post_form(&c, &app, lists, "30").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()["location"].to_str().unwrap();
    assert_eq!(to, format!("{page}?saved=delivery#delivery"));
    let admin = app.token("admin").await;
    let saved = settings(&app, &admin).await;
    let conditions = codes(&saved["conditions"]);
    assert_eq!(conditions.len(), 3);
    assert_eq!([&conditions[0], &conditions[2]], ["payment", "identity"]);
    assert!(conditions[1].starts_with("own-"), "{conditions:?}");
    assert_eq!(saved["conditions"][1]["title"], "车位合同");
    assert_eq!(codes(&saved["keys"]), ["door", "access_card"]);
    assert_eq!(saved["documents"][2]["title"], "装修管理规定");
    assert_eq!(codes(&saved["survey"]), ["process", "quality"]);
    assert_eq!(saved["link_days"], 30);
    let (_, html) = text(&c, &app, to).await;
    assert!(html.contains("已保存"));
    assert!(html.contains("购房款结清\n车位合同\n身份核验</textarea>"));

    // A bad number is explained on the page, the typed lists stay, and nothing changes.
    let lists = ["购房款结清", "入户门钥匙", "住宅质量保证书", "交付流程"];
    let resp = post_form(&c, &app, lists, "0").await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the page again, with the message"
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("业主链接有效天数：超出范围"), "{html}");
    assert!(html.contains("<textarea name=\"conditions\" rows=\"5\">购房款结清</textarea>"));
    assert_eq!(settings(&app, &admin).await, saved);

    // Customer service may not change them.
    let service = app.page_login("service").await;
    let (_, html) = text(&service, &app, "/projects").await;
    let csrf = hidden(&html, "_csrf");
    let resp = service
        .post(app.url(&format!("{page}/delivery")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("conditions", "购房款结清"),
            ("link_days", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(settings(&app, &admin).await, saved);
}
