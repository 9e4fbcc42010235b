//! The unit inspection sheet (户验房记录) of a handover-day visit, run through HTTP and opened with
//! the real poppler tools: the unit, the issues with their judgement and thumbnails, meters,
//! keys, documents, the signature and the self-inspection summary are in the text; the font is
//! an embedded subset; the QR code scans back to the customer link; English on request; the
//! visit page links to it; contractors and other projects are refused.

use crate::common;

use std::process::Command;

use common::visits::{self, ok};
use common::{TestApp, assert_error, jpeg, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// Runs a poppler tool on `pdf` with `args` and returns its standard output.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheet.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(&path);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e} (install poppler-utils)"));
    assert!(out.status.success(), "{tool} failed on the PDF");
    String::from_utf8(out.stdout).unwrap()
}

/// The text of every QR code on the pages of `pdf` (rendered in grey at 150 dpi).
fn qr_codes(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheet.pdf");
    std::fs::write(&path, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-gray", "-png", "-r", "150"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (install poppler-utils)");
    assert!(status.success());
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let file = entry.unwrap().path();
        if file.extension().is_some_and(|e| e == "png") {
            let page = image::open(&file).unwrap().to_luma8();
            let (w, h) = page.dimensions();
            let mut prepared =
                rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
                    page.get_pixel(x as u32, y as u32)[0]
                });
            for grid in prepared.detect_grids() {
                if let Ok((_, text)) = grid.decode() {
                    found.push(text);
                }
            }
        }
    }
    found
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Value {
    let resp = common::client()
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    ok(resp).await
}

/// A finished self-inspection of `unit` with one failed item; answers the items passed.
async fn self_inspection(app: &TestApp, unit: &str) -> usize {
    let inspector = app.token("inspector").await;
    let path = format!("/api/v1/projects/{}/inspections", app.demo.project_id);
    let started = ok(app.post(&path, &inspector, &json!({"unit_id": unit})).await).await;
    let id = started["id"].as_str().unwrap().to_owned();
    let detail = ok(app
        .get(&format!("/api/v1/inspections/{id}"), &inspector)
        .await)
    .await;
    let mut passed = 0;
    let mut failed = false;
    for item in detail["items"].as_array().unwrap() {
        let outcome = if item["kind"] == "measured" {
            "na"
        } else if !failed {
            failed = true;
            "fail"
        } else {
            passed += 1;
            "pass"
        };
        let path = format!(
            "/api/v1/inspections/{id}/results/{}",
            item["item_id"].as_str().unwrap()
        );
        put(app, &path, &inspector, &json!({"outcome": outcome})).await;
    }
    let done = ok(app
        .post(
            &format!("/api/v1/inspections/{id}/finish"),
            &inspector,
            &json!({}),
        )
        .await)
    .await;
    assert_eq!(done["verdict"], "fail");
    passed
}

/// Two stage-1 defects in `unit`: one verified after its fix, one still with the contractor.
async fn stage_one_defects(app: &TestApp, unit: &str) {
    let inspector = app.token("inspector").await;
    let unit: Uuid = unit.parse().unwrap();
    let fixed = app.a_defect(&inspector, unit, "civil").await;
    let id = fixed["id"].as_str().unwrap();
    visits::fix(app, id, 11).await;
    let path = format!("/api/v1/defects/{id}/verify");
    ok(app.post(&path, &inspector, &json!({})).await).await;
    app.a_defect(&inspector, unit, "plumbing").await;
}

/// The flattened text (no whitespace) of `pdf`.
fn flat_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &[], pdf).split_whitespace().collect()
}

#[tokio::test]
async fn the_sheet_of_an_accepted_visit_carries_every_fact_thumbnails_and_the_link_qr_code() {
    let app = spawn_app().await;
    let service = app.token("service").await;
    let (batch, units) = visits::batch(&app).await;
    let (unit, number) = &units[0];
    let passed = self_inspection(&app, unit).await;
    stage_one_defects(&app, unit).await;

    let v = visits::visit(&app, &service, (&batch, unit), "卫生间地漏反坡积水", 5).await;
    let id = &v.id;
    // A second photo of the reasonable issue, large enough to tell a thumbnail from the rest.
    let resp = app
        .upload(
            &format!("/api/v1/issues/{}/photos", v.reasonable),
            &service,
            vec![jpeg(800, 600, 6)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let staff = json!({"staff": "客服李娜、工程王工"});
    ok(common::handover_day::patch(&app, &format!("/api/v1/visits/{id}"), &service, &staff).await)
        .await;
    let walk_end = format!("/api/v1/visits/{id}/walkthrough");
    ok(app.post(&walk_end, &service, &json!({"end": true})).await).await;
    for (kind, reading) in [("water", 1234.5), ("power", 86.0), ("gas", 12.25)] {
        let path = format!("/api/v1/visits/{id}/meters/{kind}");
        put(&app, &path, &service, &json!({"reading": reading})).await;
    }
    let resp = app
        .upload(
            &format!("/api/v1/visits/{id}/meters/water/photo"),
            &service,
            vec![jpeg(800, 600, 7)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let keys = json!({"keys": {"door": 3, "mailbox": 1, "access_card": 2}});
    put(&app, &format!("/api/v1/visits/{id}/keys"), &service, &keys).await;
    let docs = json!({"codes": ["quality_guarantee"]});
    put(
        &app,
        &format!("/api/v1/visits/{id}/documents"),
        &service,
        &docs,
    )
    .await;
    visits::accept(&app, &service, unit, id).await;
    let link = visits::link(&app, &service, unit).await;

    let resp = app
        .get(&format!("/api/v1/visits/{id}/sheet.pdf"), &service)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let disposition = resp.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.contains(&format!("inspection-sheet-{number}.pdf")));
    let pdf = resp.bytes().await.unwrap().to_vec();

    let text = flat_text(&pdf);
    let buyers =
        handover::org::repo::buyers_of(&mut app.db.read().await.unwrap(), unit.parse().unwrap())
            .await
            .unwrap();
    let mut wanted = vec![
        "户验房记录".to_owned(),
        "滨江花园一期".to_owned(),
        "交付日".to_owned(),
        number.clone(),
        "客户验房".to_owned(),
        "王小明（身份已核验）".to_owned(),
        "客服李娜、工程王工".to_owned(),
        // The self-inspection summary and the stage-1 defects (the customer's own not counted).
        "验收结论不合格".to_owned(),
        format!("共{}项：合格{passed}项，不合格1项", passed + 1),
        "共2项：已整改1项，整改中1项".to_owned(),
        // The issues with their judgement.
        "共2项，其中合理1项（将安排整改），不合理1项。".to_owned(),
        "卫生间地漏反坡积水".to_owned(),
        "想把入户门换成木门".to_owned(),
        "不合理个人喜好".to_owned(),
        "问题1·客厅·墙面".to_owned(),
        // Meters, keys, documents.
        "水表1234.5m³".to_owned(),
        "电表86kWh".to_owned(),
        "燃气表12.25m³".to_owned(),
        "入户门钥匙3".to_owned(),
        "信报箱钥匙1".to_owned(),
        "门禁卡2".to_owned(),
        "合计6".to_owned(),
        "住宅质量保证书已交付".to_owned(),
        "住宅使用说明书未交付".to_owned(),
        // The outcome and the link.
        "收楼：业主已签字确认收楼。".to_owned(),
        "业主签字：王小明".to_owned(),
        "业主链接".to_owned(),
        "第1页/共".to_owned(),
    ];
    wanted.extend(buyers.iter().map(|b| b.name.clone()));
    for want in &wanted {
        assert!(
            text.contains(want.as_str()),
            "the sheet lacks {want}: {text}"
        );
    }
    assert!(
        text.contains(link["url"].as_str().unwrap()),
        "the link's address is printed"
    );

    let fonts = poppler("pdffonts", &[], &pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        assert!(row.contains("yes yes"), "embedded subset: {fonts}");
    }

    // Three distinct photos, each a thumbnail (320 px at most), none an original.
    let images = poppler("pdfimages", &["-list"], &pdf);
    let sizes: Vec<(u32, u32)> = images
        .lines()
        .skip(2)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f[8], "jpeg", "{images}");
            (f[3].parse().unwrap(), f[4].parse().unwrap())
        })
        .collect();
    assert!(sizes.contains(&(320, 240)), "{images}");
    assert!(sizes.contains(&(64, 48)), "{images}");
    assert!(sizes.iter().all(|&(w, h)| w <= 320 && h <= 320), "{images}");
    assert!(pdf.len() < 400 * 1024, "{} bytes", pdf.len());

    assert_eq!(
        qr_codes(&pdf),
        vec![link["url"].as_str().unwrap().to_owned()]
    );

    // English on request: English headings, no Chinese ones.
    let en = app
        .get(&format!("/api/v1/visits/{id}/sheet.pdf?lang=en"), &service)
        .await;
    assert_eq!(en.status(), StatusCode::OK);
    let text = flat_text(&en.bytes().await.unwrap());
    for want in [
        "Unitinspectionsheet",
        "Participants",
        "Issuesraised",
        "Meterreadings",
        "Watermeter1234.5m³",
        "Keyshanded",
        "Total6",
        "Documentshanded",
        "Signedby王小明",
        "Page1of",
    ] {
        assert!(
            text.contains(want),
            "the English sheet lacks {want}: {text}"
        );
    }
    for absent in ["户验房记录", "验房问题清单", "钥匙交接", "第1页"] {
        assert!(!text.contains(absent), "{absent} in the English sheet");
    }
}

#[tokio::test]
async fn the_sheet_is_refused_to_contractors_and_other_projects_and_linked_from_the_visit_page() {
    let app = spawn_app().await;
    let service = app.token("service").await;
    let (batch, units) = visits::batch(&app).await;
    let v = visits::visit(&app, &service, (&batch, &units[1].0), "门框变形", 9).await;
    let path = format!("/api/v1/visits/{}/sheet.pdf", v.id);

    let contractor = app.token("contractor").await;
    assert_error(
        app.get(&path, &contractor).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let other = app.token("other-admin").await;
    assert_error(
        app.get(&path, &other).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let unknown = format!("/api/v1/visits/{}/sheet.pdf", Uuid::new_v4());
    assert_error(
        app.get(&unknown, &service).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let anonymous = common::client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let executive = app.token("executive").await;
    assert_eq!(app.get(&path, &executive).await.status(), StatusCode::OK);

    // The visit page links to the sheet in the page's language; the page door serves it.
    let page = app.page_login("service").await;
    let visit_page = format!("/visits/{}", v.id);
    let html = page
        .get(app.url(&visit_page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let href = format!("href=\"/visits/{}/sheet.pdf?lang=zh-CN\"", v.id);
    assert!(html.contains(&href), "the visit page links to the sheet");
    assert!(html.contains("户验房记录（PDF）"));
    let resp = page
        .get(app.url(&format!("/visits/{}/sheet.pdf?lang=zh-CN", v.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"%PDF-"));
    // A contractor sees the visit page, without the link.
    let html = app
        .page_login("contractor")
        .await
        .get(app.url(&visit_page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("门框变形"), "the contractor sees the visit");
    assert!(!html.contains("sheet.pdf"), "but no sheet link");
}

#[tokio::test]
async fn an_open_or_refused_visit_says_so_and_a_unit_without_a_link_has_no_qr_code() {
    let app = spawn_app().await;
    let service = app.token("service").await;
    let (batch, units) = visits::batch(&app).await;
    let unit = &units[2].0;
    // A stage-1 defect without a finished self-inspection is still counted.
    let inspector = app.token("inspector").await;
    app.a_defect(&inspector, unit.parse().unwrap(), "civil")
        .await;
    let id = common::handover_day::check_in(&app, &service, &batch, unit).await;
    let path = format!("/api/v1/visits/{id}/sheet.pdf");
    let pdf = app.get(&path, &service).await.bytes().await.unwrap();
    let text = flat_text(&pdf);
    for want in [
        "本户尚无已完成的一户一验记录。",
        "验收发现问题共1项：已整改0项，整改中1项",
        "本次验房未提出问题。",
        "未抄表。",
        "验房尚未结束。",
    ] {
        assert!(
            text.contains(want),
            "the open visit's sheet lacks {want}: {text}"
        );
    }
    assert!(!text.contains("业主链接"), "no link, no QR section");
    assert!(qr_codes(&pdf).is_empty());

    common::handover_day::walk(&app, &service, &id).await;
    let refusal =
        json!({"outcome": "refused", "refusal_reason": "quality", "note": "地面空鼓较多"});
    ok(app
        .post(&format!("/api/v1/visits/{id}/outcome"), &service, &refusal)
        .await)
    .await;
    // A revoked link is not printed either.
    let link = visits::link(&app, &service, unit).await;
    let revoke = format!("/api/v1/links/{}/revoke", link["id"].as_str().unwrap());
    ok(app.post(&revoke, &service, &json!({})).await).await;
    let pdf = app.get(&path, &service).await.bytes().await.unwrap();
    let text = flat_text(&pdf);
    assert!(
        text.contains("拒收：业主拒收，原因：房屋质量问题。"),
        "{text}"
    );
    assert!(text.contains("备注：地面空鼓较多"), "{text}");
    assert!(!text.contains("业主签字"), "{text}");
    assert!(qr_codes(&pdf).is_empty());
}
