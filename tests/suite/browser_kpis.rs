//! End to end in a real headless Chromium: an executive logs in, lands on the KPI dashboard,
//! clicks through to a batch and on a KPI number, and sees the units behind it — on a desktop
//! and on a phone, where the tiles stack, wide tables scroll inside their card and the charts
//! shrink to the screen.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

use crate::common;

use common::TestApp;
use common::browser::{log_in, wait_for_path, wait_for_text, with_browser, with_phone};
use common::handover_day::{ok, six_units};
use fantoccini::{Client, Locator};
use serde_json::Value;

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"))
        .click()
        .await
        .unwrap_or_else(|_| panic!("click {css}"));
}

async fn js(b: &Client, script: &str) -> Value {
    b.execute(script, vec![]).await.expect(script)
}

/// The number of a planned unit of `batch`.
async fn number_of(app: &TestApp, batch: &str, unit: &str) -> String {
    let exec = app.token("executive").await;
    let path = format!("/api/v1/batches/{batch}/kpis/concentrated_delivery_rate/units");
    let all = ok(app.get(&path, &exec).await).await;
    let u = all["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == unit)
        .unwrap()
        .clone();
    u["number"].as_str().unwrap().to_owned()
}

/// Dashboard → batch → the zero-defect rate's units; answers the scenario's batch.
async fn click_through(app: &TestApp, b: &Client) -> String {
    let s = six_units(app).await;
    let clean = number_of(app, &s.batch, &s.units[1]).await;
    log_in(b, app, "executive").await;
    wait_for_path(b, "the dashboard", |p| p == "/dashboard").await;
    wait_for_text(b, "h1", "交付指标总览").await;
    wait_for_text(
        b,
        ".kpi-tile[data-kpi='zero_defect_delivery_rate'] .k-value",
        "33.3%",
    )
    .await;

    click(
        b,
        &format!("#rollup-table a[href='/batches/{}/kpis']", s.batch),
    )
    .await;
    let page = format!("/batches/{}/kpis", s.batch);
    wait_for_path(b, "the batch's KPIs", |p| p == page).await;
    wait_for_text(
        b,
        ".kpi-tile[data-kpi='concentrated_delivery_rate'] .k-value",
        "50.0%",
    )
    .await;
    wait_for_text(
        b,
        ".kpi-tile[data-kpi='avg_defects_per_unit'] .k-value",
        "0.75",
    )
    .await;

    click(
        b,
        ".kpi-tile[data-kpi='zero_defect_delivery_rate'] .k-value",
    )
    .await;
    let drill = format!("/batches/{}/kpis/zero_defect_delivery_rate/units", s.batch);
    wait_for_path(b, "the drill-down", |p| p == drill).await;
    wait_for_text(b, "#units", &clean).await;
    let rows = js(
        b,
        "return document.querySelectorAll('#units tbody tr').length;",
    )
    .await;
    assert_eq!(rows, 3, "the three units delivered in the period");
    let counted = js(
        b,
        "return [...document.querySelectorAll('#units tr.in-numerator')]\
         .map(r => r.dataset.unit);",
    )
    .await;
    assert_eq!(counted, serde_json::json!([clean]));
    // The numerator-only toggle keeps just that unit.
    click(b, "#only-filter a:not(.on)").await;
    wait_for_path(b, "numerator only", |p| p.ends_with("?only=numerator")).await;
    wait_for_text(b, "#summary", "1").await;
    let rows = js(
        b,
        "return document.querySelectorAll('#units tbody tr').length;",
    )
    .await;
    assert_eq!(rows, 1);
    s.batch
}

#[tokio::test]
async fn an_executive_clicks_from_the_dashboard_to_the_units_behind_a_kpi() {
    with_browser(|app, b| async move {
        click_through(&app, &b).await;
    })
    .await;
}

#[tokio::test]
async fn the_kpi_pages_fit_a_phone() {
    with_phone(|app, b| async move {
        let batch = click_through(&app, &b).await;
        let fits = "return document.documentElement.scrollWidth <= window.innerWidth;";
        assert_eq!(
            js(&b, fits).await,
            true,
            "the drill-down fits the phone's width"
        );

        b.goto(&app.url("/dashboard")).await.unwrap();
        wait_for_text(&b, "h1", "交付指标总览").await;
        assert_eq!(
            js(&b, fits).await,
            true,
            "the dashboard fits the phone's width"
        );
        // The three KPI tiles stack: one above the other, each as wide as the screen allows.
        let tiles = js(
            &b,
            "return [...document.querySelectorAll('.kpi-tiles .kpi-tile[data-kpi]')]\
             .map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.width]; });",
        )
        .await;
        let tiles: Vec<Vec<f64>> = serde_json::from_value(tiles).unwrap();
        assert_eq!(tiles.len(), 3);
        for pair in tiles.windows(2) {
            assert_eq!(pair[0][0], pair[1][0], "same left edge: {tiles:?}");
            assert!(pair[1][1] > pair[0][1], "each below the last: {tiles:?}");
        }
        assert!(tiles[0][2] > 300.0, "full width: {tiles:?}");
        // The table is wider than the phone and scrolls inside its card.
        let table = js(
            &b,
            "const w = document.querySelector('#rollup .table-wrap');\
             return [w.scrollWidth, w.clientWidth, getComputedStyle(w).overflowX];",
        )
        .await;
        let (scroll, client) = (table[0].as_f64().unwrap(), table[1].as_f64().unwrap());
        assert!(scroll > client, "the table scrolls sideways: {table}");
        assert_eq!(table[2], "auto");

        // The batch page's charts shrink to the screen.
        b.goto(&app.url(&format!("/batches/{batch}/kpis")))
            .await
            .unwrap();
        wait_for_text(&b, "#trend h2", "每日趋势").await;
        assert_eq!(
            js(&b, fits).await,
            true,
            "the batch page fits the phone's width"
        );
        let charts = js(
            &b,
            "return [...document.querySelectorAll('.kpi-chart svg')]\
             .map(s => s.getBoundingClientRect().right);",
        )
        .await;
        let rights: Vec<f64> = serde_json::from_value(charts).unwrap();
        assert!(rights.len() >= 3, "trend, buildings and trades: {rights:?}");
        let width = js(&b, "return window.innerWidth;").await.as_f64().unwrap();
        assert!(
            rights.iter().all(|r| *r <= width),
            "{rights:?} within {width}"
        );

        // A service-quality number leads to its units, and that list fits too.
        let tap = "document.querySelector('#secondary-table tr[data-figure=refusal_rate] a').click();\
             return true;";
        js(&b, tap).await;
        wait_for_text(&b, "h1", "拒收率").await;
        let url = b.current_url().await.unwrap().to_string();
        assert!(url.ends_with("/secondary/refusal_rate/units"), "{url}");
        assert_eq!(
            js(&b, fits).await,
            true,
            "the secondary drill-down fits the phone's width"
        );
    })
    .await;
}
