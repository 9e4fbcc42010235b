//! End to end in a real headless Chromium: an executive keeps the live board open while the
//! desk checks a customer in and the customer signs; the board's figures change in place,
//! without a reload.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

use crate::common;

use common::browser::{log_in, wait_for_text, with_browser};
use common::handover_day::{batch, check_in, close, conditions_met, today};
use fantoccini::Locator;

#[tokio::test]
async fn the_board_updates_in_place_after_a_check_in_and_a_signature() {
    with_browser(|app, b| async move {
        let (batch, units) = batch(&app, "一期", (today(), today()), 0).await;
        log_in(&b, &app, "executive").await;
        b.goto(&app.url(&format!("/batches/{batch}/board")))
            .await
            .unwrap();
        wait_for_text(&b, "[data-k='totals.checked_in']", "0").await;
        wait_for_text(&b, "[data-k='kpi.zero_defect']", "—").await;
        // Mark the page: a reload would lose the mark.
        b.execute("document.body.dataset.kept = 'yes'; return true;", vec![])
            .await
            .unwrap();

        let service = app.token("service").await;
        let visit = check_in(&app, &service, &batch, &units[0].0).await;
        wait_for_text(&b, "[data-k='totals.checked_in']", "1").await;
        conditions_met(&app, &service, &units[0].0).await;
        close(&app, &service, &visit, "accepted").await;
        wait_for_text(&b, "[data-k='totals.accepted']", "1").await;
        wait_for_text(&b, "[data-k='kpi.concentrated']", "16.7%").await;
        wait_for_text(&b, "[data-k='kpi.zero_defect']", "100.0%").await;
        wait_for_text(&b, "#board-buildings", "1").await;
        let live = b.find(Locator::Css(".board-live")).await.unwrap();
        assert_eq!(live.text().await.unwrap(), "实时");
        let kept = b
            .execute("return document.body.dataset.kept || '';", vec![])
            .await
            .unwrap();
        assert_eq!(kept, "yes", "updated without a reload");
        let bars = b
            .execute(
                "return [...document.querySelectorAll('#board-hours .bar.accepted')]\
                 .filter(e => e.style.height !== '0%').length;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(bars, 1, "one hour has an acceptance bar");
    })
    .await;
}
