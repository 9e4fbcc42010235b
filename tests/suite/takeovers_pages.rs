//! The takeover pages: the property manager lands on the list, opens a takeover, checks the
//! prerequisites and records documents with the page forms, signs on the signing page (the
//! browser test draws; here the strokes are posted as `sign.js` sends them), and once sealed
//! every page form is refused too.

use crate::common;

use chrono::Days;
use common::{TestApp, hidden, spawn_app, text};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use serde_json::json;

async fn post(c: &Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .expect("Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A batch delivering `days` from today, made through the API; returns its id.
async fn batch_in(app: &TestApp, days: u64) -> String {
    let admin = app.token("admin").await;
    let today = handover::clock::local_date(handover::clock::now());
    let start = today.checked_add_days(Days::new(days)).unwrap();
    let body = json!({"name": "二批", "period": {"start": start, "end": start}});
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let v: serde_json::Value = app.post(&path, &admin, &body).await.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

const STROKES: &str =
    r#"{"width":720,"height":240,"strokes":[[[20,30,0],[200,120,50],[380,60,120]]]}"#;

#[tokio::test]
async fn the_property_manager_checks_signs_and_the_sealed_takeover_refuses_page_forms() {
    let app = spawn_app().await;
    let batch = batch_in(&app, 20).await;
    let property = app.page_login("property").await;
    let landing = property.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&landing), "/takeovers");
    let (status, html) = text(&property, &app, "/takeovers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("还没有承接查验"), "empty state");
    let csrf = hidden(&html, "_csrf");
    // A blank name keeps the form and says what is wrong.
    let resp = post(
        &property,
        &app,
        "/takeovers",
        &[("_csrf", &csrf), ("batch_id", &batch), ("name", " ")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("error-message"));
    let resp = post(
        &property,
        &app,
        "/takeovers",
        &[
            ("_csrf", &csrf),
            ("batch_id", &batch),
            ("name", "二批承接查验"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = location(&resp);
    let page = page.split('?').next().unwrap().to_owned();
    let (_, html) = text(&property, &app, &page).await;
    for want in [
        "二批承接查验",
        "查验整改截止",
        "交接手续截止",
        "接管条件（4.2.2.1）",
        "竣工验收备案表",
        "未核查",
    ] {
        assert!(html.contains(want), "takeover page lacks {want}");
    }
    // 20 days before delivery is past the 30-day inspection deadline: shown in red.
    assert!(html.contains("已逾期 10 天"), "countdown");
    assert!(html.contains("id=\"overdue\""));
    // The project page shows the same countdown and overdue items.
    let project = format!("/projects/{}", app.demo.project_id);
    let (_, overview) = text(&property, &app, &project).await;
    let tile = &overview[overview.find("id=\"takeovers\"").expect("takeover tile")..];
    assert!(
        tile.contains("二批承接查验") && tile.contains("已逾期 10 天"),
        "{tile}"
    );
    assert!(tile.contains("class=\"late\""));
    // The property manager can sign for the property company only.
    assert!(html.contains("id=\"sign-property\""));
    assert!(!html.contains("id=\"sign-developer\""));

    // A team member through the page form.
    let csrf_form = [
        ("_csrf", csrf.as_str()),
        ("side", "property"),
        ("name", "陈静"),
        ("title", "物业经理"),
    ];
    let resp = post(&property, &app, &format!("{page}/members"), &csrf_form).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Check every line with the status buttons; the last one not met.
    let id = page.trim_start_matches("/takeovers/").to_owned();
    let takeover =
        handover::takeovers::repo::get(&mut app.db.read().await.unwrap(), id.parse().unwrap())
            .await
            .unwrap();
    let lines =
        handover::takeovers::repo::prerequisites(&mut app.db.read().await.unwrap(), takeover.id)
            .await
            .unwrap();
    for (i, line) in lines.iter().enumerate() {
        let status = if i == 4 { "not_met" } else { "met" };
        let path = format!("{page}/prerequisites/{}", line.id);
        let resp = post(
            &property,
            &app,
            &path,
            &[
                ("_csrf", &csrf),
                ("evidence", "备案编号 2026-001"),
                ("status", status),
            ],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "line {i}");
    }
    // A document receipt; a bad date is said on the page.
    let docs = handover::takeovers::repo::documents(&mut app.db.read().await.unwrap(), takeover.id)
        .await
        .unwrap();
    let path = format!("{page}/documents/{}", docs[0].id);
    let resp = post(
        &property,
        &app,
        &path,
        &[
            ("_csrf", &csrf),
            ("copies", "2"),
            ("form", "paper"),
            ("received_by", "陈静"),
            ("received_on", "2026-13-40"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = post(
        &property,
        &app,
        &path,
        &[
            ("_csrf", &csrf),
            ("copies", "2"),
            ("form", "paper"),
            ("received_by", "陈静"),
            ("received_on", "2026-11-20"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    // Signing without the reservation the unmet line needs stays on the page with the message.
    let sign = format!("{page}/sign");
    let (status, html) = text(&property, &app, &format!("{sign}?side=property")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("以下接管条件“不满足”"));
    let reservation = format!("reservation-{}", lines[4].id);
    let resp = post(
        &property,
        &app,
        &sign,
        &[
            ("_csrf", &csrf),
            ("side", "property"),
            ("name", "陈静"),
            ("strokes", STROKES),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("请在每一条上填写保留意见")
    );
    let resp = post(
        &property,
        &app,
        &sign,
        &[
            ("_csrf", &csrf),
            ("side", "property"),
            ("name", "陈静"),
            ("strokes", STROKES),
            (&reservation, "电梯合格证交付前补齐"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    // The project department signs: sealed.
    let inspector = app.page_login("inspector").await;
    let (_, html) = text(&inspector, &app, &page).await;
    let icsrf = hidden(&html, "_csrf");
    let resp = post(
        &inspector,
        &app,
        &sign,
        &[
            ("_csrf", &icsrf),
            ("side", "developer"),
            ("name", "张伟"),
            ("title", "工程经理"),
            ("strokes", STROKES),
            (&reservation, "同意物业意见"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&property, &app, &page).await;
    assert!(html.contains("双方已签字封存"));
    let seal = handover::takeovers::repo::get(&mut app.db.read().await.unwrap(), takeover.id)
        .await
        .unwrap()
        .seal_sha256
        .unwrap();
    assert!(html.contains(&seal), "the seal is shown");
    assert!(
        !html.contains("status-buttons"),
        "no edit controls once sealed"
    );
    let (status, svg) = text(&property, &app, &format!("{page}/signatures/property")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(svg.starts_with("<svg") && svg.contains("M20.0 30.0"));

    // Every page form is refused now, with the sealed message.
    let posts = [
        (
            format!("{page}/members"),
            vec![("side", "property"), ("name", "王五")],
        ),
        (
            format!("{page}/prerequisites/{}", lines[0].id),
            vec![("status", "not_met")],
        ),
        (
            format!("{page}/documents/{}", docs[0].id),
            vec![("copies", "0"), ("form", "paper")],
        ),
        (
            format!("{page}/documents"),
            vec![("category", "technical"), ("title", "图纸")],
        ),
    ];
    for (path, fields) in posts {
        let mut form = vec![("_csrf", csrf.as_str())];
        form.extend(fields);
        let resp = post(&property, &app, &path, &form).await;
        let body = resp.text().await.unwrap();
        assert!(body.contains("已由双方签字并封存"), "{path}: {body}");
    }
    let resp = post(
        &property,
        &app,
        &sign,
        &[
            ("_csrf", &csrf),
            ("side", "property"),
            ("name", "陈静"),
            ("strokes", STROKES),
        ],
    )
    .await;
    assert!(resp.text().await.unwrap().contains("已由双方签字并封存"));
    // Removing the member, adding a line (an admin's form) and uploading evidence: refused too.
    let member = handover::takeovers::repo::members(&mut app.db.read().await.unwrap(), takeover.id)
        .await
        .unwrap()[0]
        .id;
    let resp = post(
        &property,
        &app,
        &format!("{page}/members/{member}/delete"),
        &[("_csrf", &csrf)],
    )
    .await;
    assert!(resp.text().await.unwrap().contains("已由双方签字并封存"));
    let admin = app.page_login("admin").await;
    let (_, html) = text(&admin, &app, &page).await;
    let acsrf = hidden(&html, "_csrf");
    let resp = post(
        &admin,
        &app,
        &format!("{page}/prerequisites"),
        &[("_csrf", &acsrf), ("title", "燃气验收")],
    )
    .await;
    assert!(resp.text().await.unwrap().contains("已由双方签字并封存"));
    let upload = reqwest::multipart::Form::new()
        .text("_csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(common::jpeg(64, 48, 9)).file_name("c.jpg"),
        );
    let resp = property
        .post(app.url(&format!("{page}/prerequisites/{}/evidence", lines[0].id)))
        .multipart(upload)
        .send()
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().contains("已由双方签字并封存"));
    let team = handover::takeovers::repo::members(&mut app.db.read().await.unwrap(), takeover.id)
        .await
        .unwrap();
    assert_eq!(team.len(), 1, "nothing changed");
}

#[tokio::test]
async fn the_takeover_list_is_in_english_on_request_and_other_projects_are_hidden() {
    let app = spawn_app().await;
    let batch = batch_in(&app, 60).await;
    let property = app.page_login("property").await;
    let (_, html) = text(&property, &app, "/takeovers").await;
    let csrf = hidden(&html, "_csrf");
    let resp = post(
        &property,
        &app,
        "/takeovers",
        &[("_csrf", &csrf), ("batch_id", &batch), ("name", "T1")],
    )
    .await;
    let page = location(&resp);
    let page = page.split('?').next().unwrap();
    let (_, en) = text(&property, &app, "/takeovers?lang=en").await;
    assert!(en.contains("Takeovers") && en.contains("days left"), "{en}");
    assert!(
        !en.contains("承接查验"),
        "no Chinese label on the English page"
    );
    // Executives reach the cross-project list from their projects page.
    let exec = app.page_login("executive").await;
    let (_, projects) = text(&exec, &app, "/projects").await;
    assert!(projects.contains("href=\"/takeovers\""));
    let (_, list) = text(&exec, &app, "/takeovers").await;
    assert!(list.contains("T1") && list.contains("还有"), "{list}");
    let other = app.page_login("other-admin").await;
    let (status, _) = text(&other, &app, page).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The inspection id in an inspection page (its finish form).
fn running_inspection(html: &str) -> String {
    let at = html.find("/finish\"").expect("a running inspection");
    let start = html[..at].rfind("/inspections/").unwrap() + "/inspections/".len();
    html[start..at].to_owned()
}

/// A point inside an item's tolerance (or `pass`), as the item form sends it.
fn passing(item: &serde_json::Value) -> Vec<(&'static str, String)> {
    if item["kind"] != "measured" {
        return vec![("outcome", "pass".to_owned())];
    }
    let v = match (item["lower"].as_f64(), item["upper"].as_f64()) {
        (Some(l), Some(u)) => (l + u) / 2.0,
        (Some(l), None) => l,
        (None, Some(u)) => u,
        (None, None) => unreachable!("a measured item has a bound"),
    };
    let n = item["points_expected"].as_u64().unwrap() as usize;
    vec![("p", v.to_string()); n]
}

#[tokio::test]
async fn the_property_manager_inspects_a_common_area_at_takeover_on_the_tablet_page() {
    let app = spawn_app().await;
    let batch = batch_in(&app, 40).await;
    let token = app.token("property").await;
    let project = app.demo.project_id;
    let path = format!("/api/v1/projects/{project}/takeovers");
    let body = json!({"name": "公区承接", "batch_id": batch});
    let t: serde_json::Value = app.post(&path, &token, &body).await.json().await.unwrap();
    let takeover = t["id"].as_str().unwrap();
    let area = t["areas"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(t["areas"][0]["inspected"], false);

    // The takeover page links each common area to its inspection page at this stage.
    let property = app.page_login("property").await;
    let (_, html) = text(&property, &app, &format!("/takeovers/{takeover}")).await;
    let page = format!("/areas/{area}/inspect?stage=takeover");
    assert!(html.contains(&format!("href=\"{page}\"")), "area link");
    let (status, html) = text(&property, &app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("物业接管查验"), "the stage is named");
    let start = format!("/areas/{area}/inspect/start?stage=takeover");
    assert!(html.contains(&format!("action=\"{start}\"")));
    let csrf = hidden(&html, "_csrf");
    let resp = post(
        &property,
        &app,
        &start,
        &[("_csrf", &csrf), ("supervisor", "张监理")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), page);
    let (_, html) = text(&property, &app, &page).await;
    let id = running_inspection(&html);
    let detail: serde_json::Value = app
        .get(&format!("/api/v1/inspections/{id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["inspection"]["stage"], "takeover");
    assert_eq!(detail["inspection"]["common_area_id"], area.as_str());
    assert_eq!(detail["inspection"]["unit_id"], serde_json::Value::Null);
    let items = detail["items"].as_array().unwrap().clone();
    assert!(
        items.iter().any(|i| i["trade"] == "common"),
        "the common-area checklist"
    );

    // A failed item offers a defect prefilled on this page, at this stage.
    let first = items.iter().find(|i| i["kind"] == "pass_fail").unwrap();
    let item_path = format!(
        "/inspections/{id}/items/{}",
        first["item_id"].as_str().unwrap()
    );
    let resp = post(
        &property,
        &app,
        &item_path,
        &[("_csrf", &csrf), ("outcome", "fail")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = location(&resp);
    assert!(back.starts_with(&format!("{page}#item-")), "{back}");
    let (_, html) = text(&property, &app, &page).await;
    assert!(
        html.contains(&format!("href=\"{page}&#38;defect_trade=")),
        "prefill link"
    );

    // The property manager records the finding with a photo: stage takeover, this area, and
    // the project's fix preset assigns it.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf.clone())
        .text("trade", "common")
        .text("room_text", "一层大堂")
        .text("description", "大堂墙面涂料起皮")
        .part(
            "file",
            reqwest::multipart::Part::bytes(common::jpeg(800, 600, 7))
                .file_name("IMG_1.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let resp = property
        .post(app.url(&format!("/areas/{area}/defects?stage=takeover")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    assert!(to.starts_with(&format!("{page}&added=")), "{to}");
    let list: serde_json::Value = app
        .get(
            &format!("/api/v1/projects/{project}/defects?common_area={area}"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let d = &list["items"][0];
    assert_eq!(list["total"], 1);
    assert_eq!(d["stage"], "takeover");
    assert_eq!(d["status"], "assigned", "the preset assigned it");
    assert_eq!(d["description"], "大堂墙面涂料起皮");
    let (_, html) = text(&property, &app, &to).await;
    assert!(
        html.contains("大堂墙面涂料起皮") && html.contains("/photos/"),
        "listed with its photo"
    );

    // Every item recorded, the area is inspected on the takeover.
    for it in &items {
        let path = format!(
            "/inspections/{id}/items/{}",
            it["item_id"].as_str().unwrap()
        );
        let mut form = vec![("_csrf", csrf.clone())];
        form.extend(passing(it));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = post(&property, &app, &path, &form).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", it["name"]);
    }
    let resp = post(
        &property,
        &app,
        &format!("/inspections/{id}/finish"),
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("{page}&finished=1"));
    let t: serde_json::Value = app
        .get(&format!("/api/v1/takeovers/{takeover}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let a = t["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == area.as_str())
        .unwrap();
    assert_eq!(a["inspected"], true);
    assert_eq!(a["open_defects"], 1);
    let (_, html) = text(&property, &app, &format!("/takeovers/{takeover}")).await;
    assert!(
        html.contains("大堂墙面涂料起皮"),
        "a finding of the takeover"
    );

    // The self inspection is the inspectors'; a unit page offers the property manager the
    // takeover inspection instead.
    let (status, _) = text(
        &property,
        &app,
        &format!("/areas/{area}/inspect?stage=self"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unit = app.a_unit_of(project).await;
    let (_, html) = text(&property, &app, &format!("/units/{unit}")).await;
    assert!(html.contains(&format!("href=\"/units/{unit}/inspect?stage=takeover\"")));
    assert!(html.contains("开始承接查验"));
    let inspector = app.page_login("inspector").await;
    let (status, html) = text(&inspector, &app, &format!("/areas/{area}/inspect")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("物业接管查验"),
        "inspectors open the self inspection"
    );
    let (status, _) = text(&app.page_login("contractor").await, &app, &page).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
