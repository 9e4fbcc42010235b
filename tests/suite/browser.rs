//! End to end in a real headless Chromium (driven over WebDriver by `chromedriver`) at tablet
//! size: log in on the page, read the unit status map, filter it by state, open a unit, and
//! switch the language.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

use crate::common;

use common::TestApp;
use common::browser::{path_of, wait_for_path, wait_for_text, with_browser};
use fantoccini::{Client, Locator};
use handover::org::demo::DEMO_PASSWORD;
use handover::org::repo;
use uuid::Uuid;

/// The unit cells the status map shows.
async fn cells(b: &Client) -> Vec<fantoccini::elements::Element> {
    b.find_all(Locator::Css("#status-map a.cell"))
        .await
        .expect("find cells")
}

/// The state filter chip whose label contains `label`.
async fn state_chip(b: &Client, label: &str) -> fantoccini::elements::Element {
    let chips = b
        .find_all(Locator::Css("#status-map .filters a"))
        .await
        .expect("chips");
    for chip in chips {
        if chip.text().await.expect("chip text").contains(label) {
            return chip;
        }
    }
    panic!("no filter chip {label:?}");
}

/// Logs in on the login page, as a person would, and waits for the landing page.
async fn log_in(b: &Client, app: &TestApp, username: &str) {
    b.goto(&app.url("/login")).await.expect("open /login");
    let lang = b
        .find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("lang attr");
    assert_eq!(
        lang.as_deref(),
        Some("zh-CN"),
        "a Chinese tablet gets Chinese"
    );
    b.find(Locator::Css("input[name=username]"))
        .await
        .expect("username field")
        .send_keys(username)
        .await
        .expect("type username");
    b.find(Locator::Css("input[name=password]"))
        .await
        .expect("password field")
        .send_keys(DEMO_PASSWORD)
        .await
        .expect("type password");
    b.find(Locator::Css("form[action='/login'] button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("submit");
    wait_for_path(b, "the inspector's work queue", |p| p == "/me/work").await;
    let project = format!("/projects/{}", app.demo.project_id);
    b.goto(&app.url(&project)).await.expect("open the project");
    wait_for_path(b, "the inspector's project page", |p| p == project).await;
}

/// A unit of the demo project with at least one buyer, and that buyer's full phone.
async fn unit_with_buyer(app: &TestApp) -> (Uuid, String, String) {
    let mut conn = app.db.read().await.expect("db");
    for cell in repo::status_map(&mut conn, app.demo.project_id)
        .await
        .expect("cells")
    {
        let buyers = repo::buyers_of(&mut conn, cell.id).await.expect("buyers");
        if let Some(b) = buyers.first() {
            return (cell.id, cell.number, b.phone.clone());
        }
    }
    panic!("the demo project has no unit with a buyer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_logs_in_filters_the_map_and_opens_a_unit() {
    with_browser(|app, b| async move {
        log_in(&b, &app, "inspector").await;

        // The status map of the SMALL demo: 2 buildings × 1 entrance × 3 floors × 2 units.
        b.find(Locator::Css("#status-map"))
            .await
            .expect("the status map");
        wait_for_text(&b, "#status-map h2", "房态图").await;
        let all = cells(&b).await;
        assert_eq!(all.len(), 12, "every unit of the project is a cell");
        for cell in &all {
            assert!(
                cell.is_displayed().await.expect("displayed"),
                "cell visible"
            );
        }
        let (_, _, width, _) = b
            .find(Locator::Css("#status-map"))
            .await
            .expect("map")
            .rectangle()
            .await
            .expect("rect");
        assert!(width <= 1280.0, "the map fits the tablet's width ({width})");

        // Filtering by a state nobody is in yet empties the map…
        state_chip(&b, "可交付")
            .await
            .click()
            .await
            .expect("click 可交付");
        wait_for_path(&b, "the ready filter", |p| p.ends_with("?status=ready")).await;
        assert_eq!(cells(&b).await.len(), 0, "no unit is ready yet");

        // …and by 未验收 (every unit of a fresh project) shows them all again.
        state_chip(&b, "未验收")
            .await
            .click()
            .await
            .expect("click 未验收");
        wait_for_path(&b, "the not-inspected filter", |p| {
            p.ends_with("?status=not_inspected")
        })
        .await;
        let chip = state_chip(&b, "未验收").await;
        assert_eq!(
            chip.attr("class").await.expect("class").as_deref(),
            Some("on"),
            "the active chip is marked"
        );
        assert_eq!(
            chip.attr("data-count").await.unwrap().as_deref(),
            Some("12")
        );
        let shown = cells(&b).await;
        assert_eq!(shown.len(), 12, "every unit is still 未验收");
        for cell in &shown {
            let class = cell.attr("class").await.unwrap().unwrap_or_default();
            assert!(class.contains("st-not_inspected"), "cell class {class}");
        }

        // Open a unit with a buyer from its cell.
        let (unit, number, phone) = unit_with_buyer(&app).await;
        let cell = b
            .find(Locator::Css(&format!(
                "#status-map a.cell[href='/units/{unit}']"
            )))
            .await
            .expect("the unit's cell");
        assert_eq!(
            cell.attr("data-number").await.unwrap().as_deref(),
            Some(number.as_str())
        );
        cell.click().await.expect("click the cell");
        let page = format!("/units/{unit}");
        wait_for_path(&b, "the unit page", |p| p == page).await;
        wait_for_text(&b, "main h1", &number).await;
        let phones = b
            .find_all(Locator::Css(".buyer .phone"))
            .await
            .expect("phones");
        assert!(!phones.is_empty(), "the buyers are listed");
        let shown = phones[0].text().await.expect("phone text");
        assert!(shown.contains("****"), "phone masked: {shown}");
        assert!(
            shown.ends_with(&phone[phone.len() - 4..]),
            "the last four digits stay: {shown} vs {phone}"
        );
        let source = b.source().await.expect("source");
        assert!(
            !source.contains(&phone),
            "the full phone {phone} never reaches the page"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_turns_the_pages_english_and_back() {
    with_browser(|app, b| async move {
        log_in(&b, &app, "inspector").await;
        let project = format!("/projects/{}", app.demo.project_id);
        wait_for_text(&b, "#status-map h2", "房态图").await;

        let switch = b.find(Locator::Css("a.lang")).await.expect("switch");
        assert_eq!(switch.text().await.unwrap(), "English");
        switch.click().await.expect("click English");
        wait_for_text(&b, "#status-map h2", "Unit status map").await;
        assert_eq!(
            path_of(&b).await,
            project,
            "the switch comes back to the same page"
        );
        let lang = b
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap();
        assert_eq!(lang.as_deref(), Some("en"));
        let chip = state_chip(&b, "Not inspected").await;
        assert_eq!(
            chip.attr("data-count").await.unwrap().as_deref(),
            Some("12")
        );
        assert_eq!(cells(&b).await.len(), 12);

        // The choice sticks on the next page, although the browser still prefers Chinese.
        cells(&b).await[0].click().await.expect("open a unit");
        wait_for_path(&b, "a unit page", |p| p.starts_with("/units/")).await;
        wait_for_text(&b, "main", "Buyers").await;

        // And back to Chinese.
        b.find(Locator::Css("a.lang"))
            .await
            .unwrap()
            .click()
            .await
            .expect("click 中文");
        wait_for_text(&b, "main", "业主").await;
        assert!(path_of(&b).await.starts_with("/units/"));
    })
    .await;
}
