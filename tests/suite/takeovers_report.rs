//! The takeover report and the rectification notice, opened with the real poppler tools: the
//! Chinese project name and the seal are in the text, the CJK font is embedded as a subset, the
//! finding's photo is a JPEG inside, English on request, and the page door serves the same file.

use crate::common;

use chrono::Days;
use common::pdf::poppler;
use common::{TestApp, client, jpeg, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ok(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// A sealed takeover with one common-area finding (with a photo) still open; returns its id.
async fn sealed_takeover(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let inspector = app.token("inspector").await;
    let project = app.demo.project_id;
    let today = handover::clock::local_date(handover::clock::now());
    let start = today.checked_add_days(Days::new(50)).unwrap();
    let batch = ok(app
        .post(
            &format!("/api/v1/projects/{project}/batches"),
            &admin,
            &json!({"name": "报告批次", "period": {"start": start, "end": start}}),
        )
        .await)
    .await;
    let areas = ok(app
        .get(
            &format!("/api/v1/projects/{project}/common-areas"),
            &property,
        )
        .await)
    .await;
    let area = areas[0]["id"].clone();
    let defect = ok(app
        .post(
            &format!("/api/v1/projects/{project}/defects"),
            &inspector,
            &json!({"common_area_id": area, "room": "大堂", "part": "墙面", "trade": "common",
                "stage": "takeover", "description": "大堂墙面涂料起皮"}),
        )
        .await)
    .await;
    let photo = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg(640, 480, 3)).file_name("a.jpg"),
    );
    let resp = client()
        .post(app.url(&format!(
            "/api/v1/defects/{}/photos?phase=before",
            defect["id"].as_str().unwrap()
        )))
        .bearer_auth(&inspector)
        .multipart(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let t = ok(app
        .post(
            &format!("/api/v1/projects/{project}/takeovers"),
            &property,
            &json!({"name": "一期承接查验", "batch_id": batch["id"]}),
        )
        .await)
    .await;
    let id = t["id"].as_str().unwrap().to_owned();
    for p in t["record"]["prerequisites"].as_array().unwrap() {
        let resp = client()
            .patch(app.url(&format!(
                "/api/v1/takeovers/{id}/prerequisites/{}",
                p["id"].as_str().unwrap()
            )))
            .bearer_auth(&property)
            .json(&json!({"status": "met", "evidence": "备案号 JS2026-118"}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
    }
    let sig = |side: &str, name: &str| {
        json!({"side": side, "name": name, "width": 600.0, "height": 200.0,
            "strokes": [[[10.0, 150.0, 0.0], [200.0, 40.0, 60.0], [400.0, 160.0, 130.0]]]})
    };
    let path = format!("/api/v1/takeovers/{id}/signatures");
    ok(app.post(&path, &inspector, &sig("developer", "张伟")).await).await;
    ok(app.post(&path, &property, &sig("property", "陈静")).await).await;
    id
}

#[tokio::test]
async fn the_takeover_report_opens_in_pdf_tools_with_the_project_the_seal_and_a_subset_font() {
    let app = spawn_app().await;
    let id = sealed_takeover(&app).await;
    let property = app.token("property").await;
    let t = ok(app.get(&format!("/api/v1/takeovers/{id}"), &property).await).await;
    let seal = t["seal_sha256"].as_str().unwrap().to_owned();
    let resp = app
        .get(&format!("/api/v1/takeovers/{id}/report.pdf"), &property)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let pdf = resp.bytes().await.unwrap().to_vec();
    let text = poppler("pdftotext", &[], &pdf);
    for want in [
        "承接查验报告",
        "滨江花园一期",
        "一期承接查验",
        "大堂墙面涂料起皮",
        "张伟",
        "陈静",
    ] {
        assert!(text.contains(want), "report text lacks {want}");
    }
    // The seal may wrap across lines in the text; it is all there in order.
    let flat: String = text.split_whitespace().collect();
    assert!(flat.contains(&seal), "the seal {seal} is printed");
    assert!(flat.contains("第1页/共"), "page numbers: {text}");
    let fonts = poppler("pdffonts", &[], &pdf);
    let font_line = fonts.lines().nth(2).expect("a font");
    assert!(font_line.contains("yes yes"), "embedded subset: {fonts}");
    assert!(
        fonts.lines().skip(2).all(|l| !l.contains(" no ")),
        "{fonts}"
    );
    let images = poppler("pdfimages", &["-list"], &pdf);
    assert!(
        images.lines().skip(2).any(|l| l.contains("jpeg")),
        "{images}"
    );
    assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());

    // English on request.
    let en = app
        .get(
            &format!("/api/v1/takeovers/{id}/report.pdf?lang=en"),
            &property,
        )
        .await
        .bytes()
        .await
        .unwrap();
    let text = poppler("pdftotext", &[], &en);
    let flat: String = text.split_whitespace().collect();
    assert!(
        flat.contains("Takeoverreport") && flat.contains("Page1of"),
        "{text}"
    );
    assert!(!text.contains("承接查验报告"));

    // The notice lists the open finding with its deadline.
    let notice = app
        .get(&format!("/api/v1/takeovers/{id}/notice.pdf"), &property)
        .await
        .bytes()
        .await
        .unwrap();
    let text = poppler("pdftotext", &[], &notice);
    assert!(text.contains("整改通知单") && text.contains("大堂墙面涂料起皮"));
    let info = poppler("pdfinfo", &[], &notice);
    assert!(info.contains("Pages:           1"), "{info}");

    // The page door serves the report to a signed-in manager; another project's admin gets 404.
    let page = app.page_login("property").await;
    let resp = page
        .get(app.url(&format!("/takeovers/{id}/report.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"%PDF-"));
    let other = app.token("other-admin").await;
    let resp = app
        .get(&format!("/api/v1/takeovers/{id}/report.pdf"), &other)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
