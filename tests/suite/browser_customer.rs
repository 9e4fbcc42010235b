//! End to end in headless Chromium on a phone (390×844, touch): the buyer opens their link,
//! sees their issues with the fix photos, taps "已修好" on one fix and "没修好" on another, rates
//! the survey with star taps and the NPS, sends it and sees the thank-you; what was tapped is
//! what is stored.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

use crate::common;

use common::browser::{PHONE, wait_for_text, with_phone};
use common::visits::{accept, batch, fix, link, ok, visit};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// Taps the element `css` (scrolled into view first, as a thumb would).
async fn tap(b: &Client, css: &str) {
    let e = b.find(Locator::Css(css)).await.expect(css);
    b.execute(
        "arguments[0].scrollIntoView({block: 'center'}); return true;",
        vec![serde_json::to_value(&e).unwrap()],
    )
    .await
    .unwrap();
    e.click().await.expect(css);
}

/// The rendered width and height of `css`, in CSS pixels.
async fn size(b: &Client, css: &str) -> (f64, f64) {
    let v = b
        .execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect();
             return [r.width, r.height];",
            vec![json!(css)],
        )
        .await
        .unwrap();
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

#[tokio::test]
async fn the_buyer_confirms_fixes_and_answers_the_survey_on_a_phone() {
    with_phone(|app, b| async move {
        // Handover day through the API: two reasonable issues, both fixed, the unit accepted.
        let (batch, units) = batch(&app).await;
        let unit = units[0].0.clone();
        let service = app.token("service").await;
        let v = visit(&app, &service, (&batch, &unit), "客厅墙面空鼓", 3).await;
        let body = json!({"room": "主卫", "part": "地面", "trade": "waterproofing",
            "description": "主卫地面渗水", "judgement": {"judgement": "reasonable"}});
        let d = ok(app
            .post(&format!("/api/v1/visits/{}/issues", v.id), &service, &body)
            .await)
        .await;
        let drain = d["issues"][2]["id"].as_str().unwrap().to_owned();
        fix(&app, &v.defect, 4).await;
        fix(&app, d["issues"][2]["defect_id"].as_str().unwrap(), 5).await;
        accept(&app, &service, &unit, &v.id).await;
        let l = link(&app, &service, &unit).await;
        let token = l["token"].as_str().unwrap().to_owned();

        b.goto(&app.url(&format!("/c/{token}"))).await.unwrap();
        let width = b
            .execute("return window.innerWidth;", vec![])
            .await
            .unwrap();
        assert_eq!(width, json!(PHONE.0), "a phone-sized viewport");
        wait_for_text(&b, &format!("#issue-{}", v.reasonable), "客厅墙面空鼓").await;
        wait_for_text(&b, &format!("#issue-{}", v.unreasonable), "不属于整改范围").await;
        wait_for_text(&b, &format!("#issue-{drain}"), "已整改，待复验").await;
        let fixed = format!("#issue-{} button.cust-yes", v.reasonable);
        let (w, h) = size(&b, &fixed).await;
        assert!(w >= 44.0 && h >= 44.0, "a big touch target: {w}×{h}");

        tap(&b, &fixed).await;
        wait_for_text(&b, "#flash", "感谢确认").await;
        wait_for_text(&b, &format!("#issue-{}", v.reasonable), "您已确认修好").await;
        tap(&b, &format!("#issue-{drain} button.cust-no")).await;
        wait_for_text(&b, "#flash", "尽快安排复验").await;
        wait_for_text(&b, &format!("#issue-{drain}"), "您反馈没修好").await;

        // The survey: a star tap per dimension, the NPS, a comment.
        let (w, h) = size(&b, "label[for=s-quality-3]").await;
        assert!(w >= 44.0 && h >= 44.0, "a big star: {w}×{h}");
        for (code, stars) in [
            ("process", 5),
            ("quality", 4),
            ("service", 5),
            ("rectification", 3),
        ] {
            tap(&b, &format!("label[for=s-{code}-{stars}]")).await;
        }
        tap(&b, "label[for=nps-9]").await;
        b.find(Locator::Css(".cust-survey textarea[name=comment]"))
            .await
            .unwrap()
            .send_keys("交付很顺利")
            .await
            .unwrap();
        tap(&b, "#survey-submit").await;
        wait_for_text(&b, "#thanks", "感谢您的评价").await;

        let stored: (String, i32, String) =
            handover::run!(&mut app.db.read().await.unwrap(), |c| {
                sqlx::query_as("select stars, nps, comment from surveys")
                    .fetch_one(c)
                    .await
            })
            .unwrap();
        let stars: Value = serde_json::from_str(&stored.0).unwrap();
        assert_eq!(
            stars,
            json!({"process": 5, "quality": 4, "service": 5, "rectification": 3})
        );
        assert_eq!((stored.1, stored.2.as_str()), (9, "交付很顺利"));
        let links = ok(app
            .get(&format!("/api/v1/units/{unit}/links"), &service)
            .await)
        .await;
        assert_eq!(links[0]["confirmed_fixed"], 1);
        assert_eq!(links[0]["reinspection_requests"], 1);
    })
    .await;
}
