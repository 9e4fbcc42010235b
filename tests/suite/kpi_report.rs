//! The batch delivery report (交付评估报告), opened with the real poppler tools: the three KPIs
//! of the hand-built scenario with their numerators and denominators, the breakdowns, the open
//! rectification items, charts drawn as vectors (no images), the CJK font embedded as a
//! subset, English on request, the page door, and contractors refused.

use crate::common;

use common::handover_day::{Scenario, six_units};
use common::pdf::poppler;
use common::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn the_batch_report_prints_the_kpis_breakdowns_and_open_items() {
    let app = spawn_app().await;
    let Scenario { batch, .. } = six_units(&app).await;
    let exec = app.token("executive").await;
    let resp = app
        .get(&format!("/api/v1/batches/{batch}/report.pdf"), &exec)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let pdf = resp.bytes().await.unwrap().to_vec();

    let text = poppler("pdftotext", &[], &pdf);
    let flat: String = text.split_whitespace().collect();
    for expected in [
        "交付评估报告",
        "一期",
        // The KPIs of docs/kpi.md's worked example, with their counts.
        "集中交付率50.0%36",
        "无缺陷交付率33.3%13",
        "户均缺陷0.7534",
        "每日趋势",
        "按楼栋",
        "50.0%（3/6）",
        "问题专业分布",
        "土建",
        // A's, C's two and E's reasonable issues are open rectification items; B's was cancelled.
        "未关闭整改项",
        "墙面空鼓",
    ] {
        assert!(flat.contains(expected), "{expected} in: {text}");
    }
    assert_eq!(flat.matches("墙面空鼓").count(), 4, "{text}");
    let fonts = poppler("pdffonts", &[], &pdf);
    assert!(
        fonts.lines().skip(2).all(|l| l.contains("yes yes")),
        "embedded subsets: {fonts}"
    );
    let images = poppler("pdfimages", &["-list"], &pdf);
    assert_eq!(
        images.lines().count(),
        2,
        "charts are vectors, no images: {images}"
    );

    // English on request; the page door serves it with the session cookie.
    let en = app
        .get(
            &format!("/api/v1/batches/{batch}/report.pdf?lang=en"),
            &exec,
        )
        .await;
    let text = poppler("pdftotext", &[], &en.bytes().await.unwrap());
    assert!(text.contains("Batch delivery report"), "{text}");
    assert!(text.contains("Concentrated delivery rate"), "{text}");
    let page = app.page_login("executive").await;
    let resp = page
        .get(app.url(&format!("/batches/{batch}/report.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Contractors read no KPIs.
    let contractor = app.token("contractor").await;
    let resp = app
        .get(&format!("/api/v1/batches/{batch}/report.pdf"), &contractor)
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
