//! The KPI pages over HTTP with a cookie client: the dashboard (landing, totals, the table,
//! filters in the URL), a batch's KPIs and the drill-down behind each number, on the hand-built
//! scenario of `docs/kpi.md` (集中交付率 3/6 = 50.0%, 无缺陷交付率 1/3 = 33.3%, 户均缺陷 3/4 =
//! 0.75, one scattered delivery) in zh-CN and English; contractors refused; an empty batch "—".

use crate::common;

use common::handover_day::{Scenario, batch, ok, six_units, today};
use common::{TestApp, spawn_app};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn get(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = c.get(app.url(path)).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn page(c: &Client, app: &TestApp, path: &str) -> String {
    let (status, html) = get(c, app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {html}");
    html
}

/// The text between `start` (after its first occurrence) and the next `end`.
fn after<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in page"))
        + start.len();
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The text of the first element (opened by `...>`) after `marker`.
fn text_after<'a>(html: &'a str, marker: &str) -> &'a str {
    let rest = after(html, marker, "\u{0}");
    let rest = &rest[rest.find('>').unwrap() + 1..];
    &rest[..rest.find('<').unwrap()]
}

/// A KPI tile as `(value, numerator, denominator)`.
fn tile(html: &str, kpi: &str) -> (String, String, String) {
    let t = after(
        html,
        &format!("<div class=\"kpi-tile\" data-kpi=\"{kpi}\">"),
        "</div>",
    );
    (
        text_after(t, "class=\"k-value").to_owned(),
        text_after(t, "class=\"k-n\"").to_owned(),
        text_after(t, "class=\"k-d\"").to_owned(),
    )
}

fn triple(v: &str, n: &str, d: &str) -> (String, String, String) {
    (v.to_owned(), n.to_owned(), d.to_owned())
}

/// `(unit number, share)` of the drill-down table's rows, in order.
fn listed(html: &str) -> Vec<(String, String)> {
    if !html.contains("id=\"units\"") {
        return Vec::new();
    }
    let body = after(html, "id=\"units\"", "</tbody>");
    body.split("<tr data-unit=\"")
        .skip(1)
        .map(|r| {
            let number = r[..r.find('"').unwrap()].to_owned();
            (number, text_after(r, "class=\"share\"").to_owned())
        })
        .collect()
}

fn numbers(rows: &[(String, String)]) -> Vec<&str> {
    rows.iter().map(|(n, _)| n.as_str()).collect()
}

/// The unit numbers listed on a drill-down page, sorted.
fn sorted_units(html: &str) -> Vec<String> {
    let mut v: Vec<String> = listed(html).into_iter().map(|(n, _)| n).collect();
    v.sort();
    v
}

/// Unit numbers, sorted.
fn sorted(units: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = units.iter().map(|u| (*u).clone()).collect();
    v.sort();
    v
}

/// Unit numbers of the scenario's A–F, and their building.
async fn unit_numbers(app: &TestApp, s: &Scenario) -> ([String; 6], String) {
    let exec = app.token("executive").await;
    let path = format!(
        "/api/v1/batches/{}/kpis/concentrated_delivery_rate/units",
        s.batch
    );
    let all = ok(app.get(&path, &exec).await).await;
    let units = all["units"].as_array().unwrap();
    let number = |id: &str| {
        let u = units.iter().find(|u| u["unit_id"] == id).unwrap();
        u["number"].as_str().unwrap().to_owned()
    };
    let building = units[0]["building"].as_str().unwrap().to_owned();
    (s.units.clone().map(|id| number(&id)), building)
}

/// The demo project's own batch: every unit, a period to come.
async fn demo_batch(app: &TestApp) -> String {
    let exec = app.token("executive").await;
    let list = ok(app.get("/api/v1/batches", &exec).await).await;
    let b = list
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "一期首批集中交付")
        .unwrap();
    b["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_batch_page_shows_the_scenarios_kpis_in_chinese_and_english() {
    let app = spawn_app().await;
    let s = six_units(&app).await;
    let c = app.page_login("executive").await;
    let html = page(&c, &app, &format!("/batches/{}/kpis", s.batch)).await;
    assert_eq!(
        tile(&html, "concentrated_delivery_rate"),
        triple("50.0%", "3", "6")
    );
    assert_eq!(
        tile(&html, "zero_defect_delivery_rate"),
        triple("33.3%", "1", "3")
    );
    assert_eq!(
        tile(&html, "avg_defects_per_unit"),
        triple("0.75", "3", "4")
    );
    assert_eq!(
        text_after(after(&html, "data-k=\"scattered\"", "</div>"), "k-value"),
        "1"
    );
    for zh in [
        "集中交付率",
        "无缺陷交付率",
        "户均缺陷",
        "分楼栋",
        "每日趋势",
        "已结束",
    ] {
        assert!(html.contains(zh), "{zh}");
    }
    for en in [
        "Concentrated",
        "Zero-defect",
        "Defects per unit",
        "By building",
    ] {
        assert!(!html.contains(en), "English {en:?} on the zh-CN page");
    }
    // Each number leads to its units; the page leads to the live board.
    let drill = format!("/batches/{}/kpis/zero_defect_delivery_rate/units", s.batch);
    assert!(html.contains(&format!("href=\"{drill}\"")));
    assert!(html.contains(&format!("href=\"{drill}?only=numerator\"")));
    assert!(html.contains(&format!("href=\"/batches/{}/board\"", s.batch)));
    // The trend has the period's three days, and its charts are drawn.
    assert_eq!(html.matches("<tr data-day=").count(), 3);
    let p1 = s.period.0.to_string();
    let first_day = after(&html, &format!("<tr data-day=\"{p1}\">"), "</tr>");
    assert!(first_day.contains("0.0%"), "nobody delivered on P1");
    assert!(html.contains("<svg") && html.contains("累计占比"));
    // The trades: the three counted issues are civil (土建), linked to their units.
    let trades = after(&html, "id=\"trade-table\"", "</table>");
    assert!(
        trades.contains("土建") && trades.contains(">3</a>"),
        "{trades}"
    );
    assert!(trades.contains("avg_defects_per_unit/units?trade=civil"));
    // The scattered delivery: unit E, linked to its unit page.
    let scattered = after(&html, "id=\"scattered-table\"", "</table>");
    assert!(scattered.contains(&format!("href=\"/units/{}\"", s.units[4])));

    let en = page(&c, &app, &format!("/batches/{}/kpis?lang=en", s.batch)).await;
    assert_eq!(
        tile(&en, "concentrated_delivery_rate"),
        triple("50.0%", "3", "6")
    );
    assert_eq!(tile(&en, "avg_defects_per_unit"), triple("0.75", "3", "4"));
    for word in [
        "Concentrated delivery rate",
        "Zero-defect delivery rate",
        "Defects per unit",
    ] {
        assert!(en.contains(word), "{word}");
    }
    for zh in ["集中交付率", "户均缺陷", "分楼栋", "土建"] {
        assert!(!en.contains(zh), "Chinese {zh:?} on the English page");
    }
}

#[tokio::test]
async fn executives_land_on_the_dashboard_with_the_rollup_of_their_batches() {
    let app = spawn_app().await;
    let s = six_units(&app).await;
    let c = app.page_login("executive").await;
    let resp = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.headers()[LOCATION], "/dashboard");
    // Other roles land where they did.
    let inspector = app.page_login("inspector").await;
    let resp = inspector.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.headers()[LOCATION], "/me/work");

    let html = page(&c, &app, "/dashboard").await;
    // Everything in range: the scenario's batch (3 of 6 delivered) and the demo's coming
    // batch of all 12 units, none delivered: numerators and denominators summed.
    assert_eq!(
        tile(&html, "concentrated_delivery_rate"),
        triple("16.7%", "3", "18")
    );
    assert_eq!(
        tile(&html, "zero_defect_delivery_rate"),
        triple("33.3%", "1", "3")
    );
    assert_eq!(
        tile(&html, "avg_defects_per_unit"),
        triple("0.75", "3", "4")
    );
    assert!(html.contains("交付指标总览") && html.contains("2 个批次"));
    // The table: region, project, then each batch with its KPIs, each number a link.
    let table = after(&html, "id=\"rollup-table\"", "</table>");
    let levels: Vec<&str> = table
        .split("data-level=\"")
        .skip(1)
        .map(|r| &r[..r.find('"').unwrap()])
        .collect();
    assert_eq!(levels, ["region", "project", "batch", "batch"]);
    let row = after(
        table,
        &format!("href=\"/batches/{}/kpis\"", s.batch),
        "</tr>",
    );
    assert!(row.contains(&format!(
        "href=\"/batches/{}/kpis/concentrated_delivery_rate/units\">50.0%</a>",
        s.batch
    )));
    assert!(row.contains(">33.3%</a>") && row.contains(">0.75</a>"));
    let demo = demo_batch(&app).await;
    let coming = after(table, &format!("href=\"/batches/{demo}/kpis\""), "</tr>");
    assert!(coming.contains(">0.0%</a>"), "{coming}");
    assert_eq!(
        coming.matches(">—</a>").count(),
        2,
        "no value without a delivery"
    );
    let project_view = format!("/dashboard?project_id={}", app.demo.project_id);
    assert!(table.contains(&format!("href=\"{project_view}\"")));
    assert!(table.contains(&format!(
        "href=\"/dashboard?region_id={}\"",
        app.demo.region_id
    )));
    assert!(
        !html.contains("id=\"running\""),
        "no batch is running today"
    );

    let en = page(&c, &app, "/dashboard?lang=en").await;
    assert!(en.contains("Delivery KPI dashboard") && en.contains("Concentrated delivery rate"));
    assert_eq!(
        tile(&en, "zero_defect_delivery_rate"),
        triple("33.3%", "1", "3")
    );
    assert!(!en.contains("集中交付率") && !en.contains("交付指标总览"));
}

#[tokio::test]
async fn the_dashboards_filters_live_in_the_url_and_running_batches_come_first() {
    let app = spawn_app().await;
    let s = six_units(&app).await;
    let (running, _) = batch(&app, "二期", (today(), today()), 1).await;
    let c = app.page_login("executive").await;

    // A running batch is on top and first among its project's batches.
    let html = page(&c, &app, "/dashboard").await;
    let top = after(&html, "id=\"running\"", "</section>");
    assert!(top.contains(&format!("href=\"/batches/{running}/kpis\"")));
    assert!(top.contains(&format!("href=\"/batches/{running}/board\"")));
    assert!(!top.contains(&s.batch));
    let table = after(&html, "id=\"rollup-table\"", "</table>");
    let first_batch = after(table, "data-level=\"batch\"", "</tr>");
    assert!(first_batch.contains(&running) && first_batch.contains("进行中"));

    // A range that ends before the scenario's period: only the batches in it.
    let before = (s.period.0 - chrono::Duration::days(30)).to_string();
    let end = (s.period.0 - chrono::Duration::days(1)).to_string();
    let html = page(&c, &app, &format!("/dashboard?from={before}&to={end}")).await;
    assert!(
        html.contains("所选范围内没有交付批次"),
        "filtered empty state"
    );
    assert!(html.contains(&format!("name=\"from\" value=\"{before}\"")));
    assert!(html.contains(&format!("name=\"to\" value=\"{end}\"")));
    assert_eq!(
        tile(&html, "concentrated_delivery_rate"),
        triple("—", "0", "0")
    );
    // The scenario's period alone: its batch only.
    let (p1, p3) = (s.period.0.to_string(), s.period.1.to_string());
    let html = page(&c, &app, &format!("/dashboard?from={p1}&to={p3}")).await;
    assert!(html.contains(&format!("{p1} – {p3}")));
    assert!(html.contains(&format!("href=\"/batches/{}/kpis\"", s.batch)));
    assert!(!html.contains(&format!("href=\"/batches/{running}/kpis\"")));
    assert_eq!(
        tile(&html, "concentrated_delivery_rate"),
        triple("50.0%", "3", "6")
    );
    // With one batch in view, the big numbers lead to its units; the row links keep the range.
    assert!(html.contains(&format!(
        "href=\"/batches/{}/kpis/concentrated_delivery_rate/units\"",
        s.batch
    )));
    let table = after(&html, "id=\"rollup-table\"", "</table>");
    assert!(
        table.contains(&format!(
            "href=\"/dashboard?from={p1}&#38;to={p3}&#38;project_id={}\"",
            app.demo.project_id
        )),
        "{table}"
    );
    // Region and project filters.
    let region = page(
        &c,
        &app,
        &format!("/dashboard?region_id={}", app.demo.region_id),
    )
    .await;
    assert!(region.contains(&format!("value=\"{}\" selected", app.demo.region_id)));
    assert_eq!(
        tile(&region, "concentrated_delivery_rate"),
        triple("12.5%", "3", "24"),
        "the region's three batches: 3 of 6, none of the demo's 12 and of the running 6"
    );
    let elsewhere = page(
        &c,
        &app,
        &format!("/dashboard?project_id={}", app.other_project),
    )
    .await;
    assert!(elsewhere.contains("所选范围内没有交付批次"));
    // Dates that do not read are kept as typed, with what to do.
    let html = page(&c, &app, "/dashboard?from=2026-13-01&to=").await;
    assert!(html.contains("日期格式不正确"));
    assert!(html.contains("name=\"from\" value=\"2026-13-01\""));
    let html = page(&c, &app, &format!("/dashboard?from={p3}&to={p1}")).await;
    assert!(html.contains("结束日期早于开始日期"));
    let (status, _) = get(&c, &app, "/dashboard?region_id=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_drill_down_lists_the_units_behind_each_number_with_filters_in_the_url() {
    let app = spawn_app().await;
    let s = six_units(&app).await;
    let ([a, b, c_, d, e, f], building) = unit_numbers(&app, &s).await;
    let c = app.page_login("executive").await;
    let base = format!("/batches/{}/kpis", s.batch);

    // 集中交付率: every planned unit, A, B and D delivered.
    let html = page(
        &c,
        &app,
        &format!("{base}/concentrated_delivery_rate/units"),
    )
    .await;
    let rows = listed(&html);
    let mut all = numbers(&rows);
    all.sort();
    let mut want = vec![&a, &b, &c_, &d, &e, &f];
    want.sort();
    assert_eq!(all, want);
    let yes: Vec<&str> = rows
        .iter()
        .filter(|(_, s)| s == "是")
        .map(|(n, _)| n.as_str())
        .collect();
    let mut yes = yes;
    yes.sort();
    let mut delivered = vec![a.as_str(), b.as_str(), d.as_str()];
    delivered.sort();
    assert_eq!(yes, delivered);
    assert_eq!(
        tile(&html, "concentrated_delivery_rate"),
        triple("50.0%", "3", "6")
    );
    for id in &s.units {
        assert!(html.contains(&format!("href=\"/units/{id}\"")), "unit link");
    }
    assert!(html.contains("筛选结果：6 户，计入分子 3"));
    let (status, _) = get(&c, &app, &format!("/units/{}", s.units[0])).await;
    assert_eq!(status, StatusCode::OK, "the unit page behind the link");

    // Numerator only.
    let html = page(
        &c,
        &app,
        &format!("{base}/concentrated_delivery_rate/units?only=numerator"),
    )
    .await;
    assert_eq!(sorted_units(&html), sorted(&[&a, &b, &d]));
    assert!(html.contains("aria-current=\"true\">仅计入分子 <b>3</b>"));

    // 无缺陷交付率: A (issue), B (clean), D (complaint).
    let html = page(&c, &app, &format!("{base}/zero_defect_delivery_rate/units")).await;
    let rows = listed(&html);
    assert_eq!(rows.len(), 3);
    let clean: Vec<&str> = rows
        .iter()
        .filter(|(_, s)| s == "是")
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(clean, [b.as_str()]);

    // 户均缺陷: the four units that took part, with their counted issues.
    let html = page(&c, &app, &format!("{base}/avg_defects_per_unit/units")).await;
    let mut shares = listed(&html);
    shares.sort();
    let mut want = vec![
        (a.clone(), "1".to_owned()),
        (b.clone(), "0".to_owned()),
        (c_.clone(), "2".to_owned()),
        (d.clone(), "0".to_owned()),
    ];
    want.sort();
    assert_eq!(shares, want);
    // By trade (the Pareto's link): the units with civil issues.
    let html = page(
        &c,
        &app,
        &format!("{base}/avg_defects_per_unit/units?trade=civil"),
    )
    .await;
    assert_eq!(sorted_units(&html), sorted(&[&a, &c_]));
    assert!(html.contains("只看有土建问题的房屋"));
    // By day (the trend table's link): delivered on P2 are B and D.
    let p2 = s.period.0 + chrono::Duration::days(1);
    let html = page(
        &c,
        &app,
        &format!("{base}/concentrated_delivery_rate/units?only=numerator&day={p2}"),
    )
    .await;
    assert_eq!(sorted_units(&html), sorted(&[&b, &d]));

    // By building: the scenario's building holds all six; another lists none and says so.
    let by_building = format!(
        "{base}/concentrated_delivery_rate/units?building={}",
        building
    );
    assert_eq!(listed(&page(&c, &app, &by_building).await).len(), 6);
    let html = page(
        &c,
        &app,
        &format!("{base}/concentrated_delivery_rate/units?building=99"),
    )
    .await;
    assert!(listed(&html).is_empty());
    assert!(html.contains("没有符合筛选条件的房屋"));
    assert!(html.contains("aria-current=\"true\">99号楼 <b>0</b>"));

    // English.
    let html = page(
        &c,
        &app,
        &format!("{base}/zero_defect_delivery_rate/units?lang=en"),
    )
    .await;
    assert!(html.contains("Zero-defect delivery rate") && html.contains(">Yes<"));
    assert!(!html.contains("无缺陷交付率"));

    // Not a KPI, not a toggle.
    let (status, _) = get(&c, &app, &format!("{base}/nps/units")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(
        &c,
        &app,
        &format!("{base}/avg_defects_per_unit/units?only=all"),
    )
    .await;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn the_drill_down_pages_past_a_hundred_units() {
    let app = spawn_app().await;
    // A building of 26 floors × 4 units (104) added to the demo project, planned in a batch.
    let rows = handover::org::demo::roster(
        handover::org::demo::Size {
            buildings: 1,
            entrances: 1,
            floors: 26,
            units_per_floor: 4,
        },
        3,
    )
    .into_iter()
    .map(|mut r| {
        r.building = "9".into();
        r
    })
    .collect::<Vec<_>>();
    let mut tx = app.db.begin().await.unwrap();
    handover::org::repo::apply_roster(
        &mut tx,
        app.demo.project_id,
        None,
        &rows,
        handover::clock::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let admin = app.token("admin").await;
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "九号楼", "period": {"start": today(), "end": today()},
        "buildings": ["9"]});
    let batch: Value = ok(app.post(&path, &admin, &body).await).await;
    let batch = batch["id"].as_str().unwrap();

    let c = app.page_login("executive").await;
    let first = format!("/batches/{batch}/kpis/concentrated_delivery_rate/units");
    let html = page(&c, &app, &first).await;
    let one = listed(&html);
    assert_eq!(one.len(), 100);
    assert!(html.contains("第 1 页，共 2 页"));
    assert!(html.contains(&format!("href=\"{first}?page=2\"")));
    let html = page(&c, &app, &format!("{first}?page=2")).await;
    let two = listed(&html);
    assert_eq!(two.len(), 4);
    assert!(
        two.iter().all(|u| !one.contains(u)),
        "no unit on both pages"
    );
    assert!(html.contains(&format!("href=\"{first}\" rel=\"prev\"")));
    assert!(html.contains("筛选结果：104 户，计入分子 0"));
    // The batch is running: a percentage of none delivered yet, not "—".
    let html = page(&c, &app, &format!("/batches/{batch}/kpis")).await;
    assert_eq!(
        tile(&html, "concentrated_delivery_rate"),
        triple("0.0%", "0", "104")
    );
    assert_eq!(tile(&html, "zero_defect_delivery_rate").0, "—");
    assert!(html.contains("进行中"));
}

#[tokio::test]
async fn an_empty_batch_shows_no_value_and_says_what_to_do() {
    let app = spawn_app().await;
    // A batch over a building without units.
    let admin = app.token("admin").await;
    let project = app.demo.project_id;
    let path = format!("/api/v1/projects/{project}/buildings");
    ok(app.post(&path, &admin, &json!({"name": "8"})).await).await;
    let start = today() + chrono::Duration::days(30);
    let body = json!({"name": "空批次", "period": {"start": start, "end": start},
        "buildings": ["8"]});
    let path = format!("/api/v1/projects/{project}/batches");
    let created = ok(app.post(&path, &admin, &body).await).await;
    assert_eq!(created["planned_units"], 0);
    let empty = created["id"].as_str().unwrap().to_owned();
    let c = app.page_login("executive").await;
    let html = page(&c, &app, &format!("/batches/{empty}/kpis")).await;
    for kpi in [
        "concentrated_delivery_rate",
        "zero_defect_delivery_rate",
        "avg_defects_per_unit",
    ] {
        assert_eq!(tile(&html, kpi), triple("—", "0", "0"), "{kpi}");
    }
    assert!(!html.contains("NaN") && !html.contains(">0.0%<"));
    assert!(html.contains("本批次还没有计划交付户，请管理员在批次中添加楼栋"));
    assert!(html.contains("交付周期还没有开始"));
    assert!(html.contains("未开始"));
    let drill = page(
        &c,
        &app,
        &format!("/batches/{empty}/kpis/avg_defects_per_unit/units"),
    )
    .await;
    assert!(listed(&drill).is_empty());
    assert!(drill.contains("周期内还没有房屋参加交付"));
    assert_eq!(tile(&drill, "avg_defects_per_unit").0, "—");
}

#[tokio::test]
async fn contractors_are_refused_every_kpi_page() {
    let app = spawn_app().await;
    let s = six_units(&app).await;
    let c = app.page_login("contractor").await;
    for path in [
        "/dashboard".to_owned(),
        format!("/batches/{}/kpis", s.batch),
        format!("/batches/{}/kpis/concentrated_delivery_rate/units", s.batch),
    ] {
        let (status, html) = get(&c, &app, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(!html.contains("50.0%"), "{path}");
        assert!(html.contains("auth.forbidden"), "{path}: the 403 page");
    }
    // Another project's people do not learn the batch exists; the signed-out go to login.
    let other = app.page_login("other-admin").await;
    let (status, _) = get(&other, &app, &format!("/batches/{}/kpis", s.batch)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = common::client()
        .get(app.url(&format!("/batches/{}/kpis", s.batch)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    // Customer service reads them.
    let service = app.page_login("service").await;
    let html = page(&service, &app, &format!("/batches/{}/kpis", s.batch)).await;
    assert_eq!(
        tile(&html, "avg_defects_per_unit"),
        triple("0.75", "3", "4")
    );
}
