//! End to end in a real headless Chromium at tablet size: the inspector starts the inspection of
//! a unit, saves an item in place, records a defect on the tablet page (trade, phrase chip, room,
//! a camera photo previewed before saving, a pin on the floor plan), sees it listed with its
//! thumbnail; the contractor uploads an after photo and marks it fixed through the JSON API; the
//! inspector verifies it on the re-inspection page and the defect reads 已关闭, with a green pin
//! on the unit's floor plan.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

use crate::common;

use std::io::Write;
use std::time::Instant;

use common::browser::{
    PATIENCE, POLL, log_in, path_of, wait_for_path, wait_for_text, with_browser,
};
use common::{TestApp, hidden, jpeg};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

/// Waits until the element `css` is on the page and displayed.
async fn wait_shown(b: &Client, css: &str) -> Element {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(e) = b.find(Locator::Css(css)).await
            && e.is_displayed().await.unwrap_or(false)
        {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "expected {css} to be shown on {}",
            path_of(b).await
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the script `js` (returning a boolean) holds on the page.
async fn wait_until(b: &Client, what: &str, js: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if b.execute(js, vec![]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        assert!(Instant::now() < deadline, "expected {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Taps an element as a person would: scrolled to the middle of the screen first, clear of the
/// sticky header and the bottom action bar.
async fn tap(b: &Client, e: &Element) {
    b.execute(
        "arguments[0].scrollIntoView({block: 'center'}); return true;",
        vec![serde_json::to_value(e).expect("element ref")],
    )
    .await
    .expect("scroll");
    e.click().await.expect("tap");
}

/// Uploads a floor plan for the unit's layout on the administrator's layouts page.
async fn upload_plan(app: &TestApp, unit: Uuid) {
    let project = app.demo.project_id;
    let token = app.token("admin").await;
    let u: Value = app
        .get(&format!("/api/v1/units/{unit}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let name = u["layout"].as_str().expect("the unit's layout").to_owned();
    let admin = app.page_login("admin").await;
    let html = admin
        .get(app.url(&format!("/projects/{project}/layouts")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let layout = html
        .split("id=\"layout-")
        .skip(1)
        .find(|s| s.contains(&format!("<h2>{name} ")))
        .expect("the layout on the page")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = Form::new().text("_csrf", hidden(&html, "_csrf")).part(
        "file",
        Part::bytes(jpeg(800, 600, 40)).file_name("plan.jpg"),
    );
    let resp = admin
        .post(app.url(&format!("/projects/{project}/layouts/{layout}/plan")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "plan uploaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_records_a_defect_with_a_photo_and_verifies_it_after_the_fix() {
    with_browser(|app, b| async move {
        let project = app.demo.project_id;
        let unit = app.a_unit_of(project).await;
        upload_plan(&app, unit).await;
        log_in(&b, &app, "inspector").await;

        // Start the inspection of the unit.
        b.goto(&app.url(&format!("/units/{unit}/inspect")))
            .await
            .expect("open the inspect page");
        b.find(Locator::Css("#start-form input[name=supervisor]"))
            .await
            .expect("supervisor field")
            .send_keys("张监理")
            .await
            .unwrap();
        tap(&b, &b.find(Locator::Css("#start-form button[type=submit]")).await.expect("start button")).await;
        wait_for_text(&b, ".insp-head", "验收进行中").await;
        wait_for_text(&b, ".insp-head", "监理：张监理").await;

        // One item saved in place (no reload): the result and the progress change.
        let marker = "window.__same_page = true; return true;";
        b.execute(marker, vec![]).await.unwrap();
        let first = b
            .find(Locator::Css("form[data-item] button.pass"))
            .await
            .expect("a pass/fail item");
        tap(&b, &first).await;
        wait_for_text(&b, "[data-progress-text]", "已完成 1 /").await;
        wait_until(
            &b,
            "the item shows 合格 without a reload",
            "return window.__same_page === true && document.querySelector('form[data-item].out-pass [data-result]').textContent === '合格';",
        )
        .await;

        // Open the add-defect sheet from the bottom bar.
        tap(&b, &b.find(Locator::Css("#insp-bar [data-open-sheet]")).await.expect("the + button")).await;
        wait_shown(&b, "#add-defect").await;

        // Tap a trade; its phrases appear; tap one: it fills the description.
        tap(&b, &b.find(Locator::XPath(
            "//form[@id='defect-form']//input[@name='trade'][@value='civil']/parent::label",
        )).await.expect("the 土建 button")).await;
        let chip = wait_shown(&b, ".phrases.shown[data-trade=civil] label.chip").await;
        let phrase = chip.text().await.unwrap();
        assert!(!phrase.is_empty());
        tap(&b, &chip).await;
        let description = b
            .find(Locator::Css("#defect-form textarea[name=description]"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(description.as_deref(), Some(phrase.as_str()));
        tap(&b, &b.find(Locator::XPath(
            "//form[@id='defect-form']//input[@name='room'][@value='客厅']/parent::label",
        )).await.expect("the 客厅 chip")).await;

        // A photo from the "camera": previewed before saving.
        let mut file = tempfile::Builder::new()
            .suffix(".jpg")
            .tempfile()
            .expect("temp photo");
        file.write_all(&jpeg(640, 480, 90)).unwrap();
        let path = file.path().display().to_string();
        b.find(Locator::Css("#defect-form input[type=file][data-photos]"))
            .await
            .expect("the camera input")
            .send_keys(&path)
            .await
            .expect("attach the photo");
        wait_until(
            &b,
            "a thumbnail preview",
            "const i = document.querySelector('[data-thumbs] img'); return !!i && i.complete && i.naturalWidth > 0;",
        )
        .await;

        // One tap on the floor plan places the pin.
        tap(&b, &b.find(Locator::Css("#defect-form [data-plan] img")).await.expect("the floor plan")).await;
        wait_until(
            &b,
            "a pin in the middle of the plan",
            "const x = parseFloat(document.querySelector('input[name=pin_x]').value); return Math.abs(x - 0.5) < 0.05 && !document.querySelector('[data-pin-mark]').hidden;",
        )
        .await;

        tap(&b, &b.find(Locator::Css("#defect-form [data-save-defect]")).await.expect("save")).await;
        wait_for_path(&b, "the page after saving", |p| p.contains("?added=")).await;
        wait_for_text(&b, ".insp-head .ok-message", "已记录问题 #1").await;
        wait_for_text(&b, ".insp-head .ok-message", "中建八局第三建设有限公司").await;

        // Listed with its thumbnail.
        wait_for_text(&b, "#defects .defect-row", &phrase).await;
        let row = b.find(Locator::Css("#defects .defect-row")).await.unwrap();
        assert!(row.text().await.unwrap().contains("待整改"));
        let href = row.attr("href").await.unwrap().expect("link to the defect");
        let id: Uuid = href.trim_start_matches("/defects/").parse().expect("defect id");
        b.execute(
            "document.querySelector('#defects img.thumb').scrollIntoView(); return true;",
            vec![],
        )
        .await
        .unwrap();
        wait_until(
            &b,
            "the thumbnail loads",
            "const i = document.querySelector('#defects img.thumb'); return !!i && i.complete && i.naturalWidth > 0 && i.getAttribute('src').endsWith('/thumb');",
        )
        .await;

        // The contractor fixes it through the JSON API: an after photo, then "fixed".
        let token = app.token("contractor").await;
        let form = Form::new().part(
            "file",
            Part::bytes(jpeg(640, 480, 200))
                .file_name("after.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
        let resp = common::client()
            .post(app.url(&format!("/api/v1/defects/{id}/photos?phase=after")))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED, "after photo");
        let resp = app
            .post(&format!("/api/v1/defects/{id}/fixed"), &token, &json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "marked fixed");
        let fixed: Value = resp.json().await.unwrap();
        assert_eq!(fixed["status"], "fixed");

        // The inspector verifies it on the re-inspection page.
        b.goto(&app.url(&format!("/projects/{project}/reinspect")))
            .await
            .expect("open the re-inspection page");
        let card = format!("#d-{id}");
        wait_shown(&b, &card).await;
        b.execute("window.__before_verify = true; return true;", vec![])
            .await
            .unwrap();
        tap(&b, &b.find(Locator::Css(&format!("{card} .dverify button.dpass"))).await.expect("the verify button")).await;
        wait_until(
            &b,
            "the page after the verification",
            "return window.__before_verify !== true && document.readyState === 'complete';",
        )
        .await;
        b.goto(&app.url(&format!("/defects/{id}")))
            .await
            .expect("open the defect");
        wait_for_text(&b, "main h1", "已关闭").await;

        // And the unit's floor plan shows it green, with the legend.
        b.goto(&app.url(&format!("/units/{unit}")))
            .await
            .expect("open the unit");
        let pin = wait_shown(&b, &format!("a.pin.pin-verified[href='/defects/{id}']")).await;
        assert!(pin.attr("title").await.unwrap().unwrap_or_default().contains("已关闭"));
        let (_, _, w, h) = pin.rectangle().await.unwrap();
        assert!(w >= 44.0 && h >= 44.0, "a pin is a 44 px target ({w}×{h})");
        wait_for_text(&b, "#plan .legend", "已关闭").await;
    })
    .await;
}
