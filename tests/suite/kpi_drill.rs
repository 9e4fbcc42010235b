//! The units behind each KPI, the breakdowns per building, day and trade, and the rollup per
//! project, region and group — through HTTP, on the hand-built scenario of `docs/kpi.md`, with
//! every expected value derived by hand below.

use crate::common;

use common::handover_day::{Scenario, ok, six_units};
use common::{TestApp, assert_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn drill(app: &TestApp, token: &str, batch: &str, kpi: &str, query: &str) -> Value {
    let path = format!("/api/v1/batches/{batch}/kpis/{kpi}/units{query}");
    ok(app.get(&path, token).await).await
}

/// `(unit number, in_numerator)` of a drill-down, in list order.
fn shares(d: &Value) -> Vec<(String, i64)> {
    d["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let n = u["number"].as_str().unwrap().to_owned();
            (n, u["in_numerator"].as_i64().unwrap())
        })
        .collect()
}

fn numbers(units: &[&str], scenario_numbers: &[(String, String)]) -> Vec<String> {
    units
        .iter()
        .map(|id| {
            let (_, n) = scenario_numbers.iter().find(|(u, _)| u == id).unwrap();
            n.clone()
        })
        .collect()
}

/// Unit ids to numbers, through the drill-down of the concentrated rate (all planned units).
fn id_to_number(all: &Value) -> Vec<(String, String)> {
    all["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit_id"].as_str().unwrap().to_owned(),
                u["number"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_kpi_lists_the_units_behind_its_numerator_and_denominator() {
    let app = spawn_app().await;
    let Scenario {
        batch,
        units: [a, b, c, d, e, f],
        period: (p1, p3),
    } = six_units(&app).await;
    let exec = app.token("executive").await;

    // 集中交付率 3/6: every planned unit is in the denominator; A, B, D delivered.
    let all = drill(&app, &exec, &batch, "concentrated_delivery_rate", "").await;
    assert_eq!(
        (all["numerator"].as_i64(), all["denominator"].as_i64()),
        (Some(3), Some(6))
    );
    assert_eq!(all["value"], json!(0.5));
    let names = id_to_number(&all);
    let n = |ids: &[&str]| numbers(ids, &names);
    let mut delivered: Vec<String> = shares(&all)
        .into_iter()
        .filter(|(_, s)| *s == 1)
        .map(|(n, _)| n)
        .collect();
    let mut want = n(&[&a, &b, &d]);
    delivered.sort();
    want.sort();
    assert_eq!(delivered, want);
    // The facts that put them there: A's signature on P3 after taking part on P1; E's after the
    // period is a scattered delivery; D's complaint; F only complained.
    let unit = |id: &str| {
        all["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_id"] == id)
            .unwrap()
            .clone()
    };
    let day = |v: &Value| {
        v.as_str()
            .map(|t| handover::clock::local_date(t.parse().unwrap()))
    };
    assert_eq!(day(&unit(&a)["delivered_at"]), Some(p3));
    assert_eq!(day(&unit(&a)["took_part_at"]), Some(p1));
    assert_eq!(unit(&a)["issues"], 1);
    assert_eq!(unit(&e)["delivered_at"], Value::Null);
    assert_eq!(
        day(&unit(&e)["scattered_at"]),
        Some(p3 + chrono::Duration::days(5))
    );
    assert_eq!(unit(&d)["complaints"], 1);
    assert_eq!(
        (
            unit(&f)["complaints"].as_i64(),
            unit(&f)["took_part_at"].clone()
        ),
        (Some(1), Value::Null)
    );

    // 无缺陷交付率 1/3: the delivered units; only B is clean (its reasonable issue was cancelled).
    let zd = drill(&app, &exec, &batch, "zero_defect_delivery_rate", "").await;
    let mut got = shares(&zd);
    got.sort();
    let mut want: Vec<(String, i64)> = n(&[&a, &b, &d]).into_iter().zip([0, 1, 0]).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        (zd["numerator"].as_i64(), zd["denominator"].as_i64()),
        (Some(1), Some(3))
    );

    // 户均缺陷 3/4: A, B, C, D took part; A brings 1 issue, C 2.
    let avg = drill(&app, &exec, &batch, "avg_defects_per_unit", "").await;
    let mut got = shares(&avg);
    got.sort();
    let mut want: Vec<(String, i64)> = n(&[&a, &b, &c, &d]).into_iter().zip([1, 0, 2, 0]).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(avg["value"], json!(0.75));
    // Only the units that add to the numerator; the sums stay the KPI's.
    let only = drill(
        &app,
        &exec,
        &batch,
        "avg_defects_per_unit",
        "?only=numerator",
    )
    .await;
    assert_eq!(only["units"].as_array().unwrap().len(), 2);
    assert_eq!(
        (only["numerator"].as_i64(), only["denominator"].as_i64()),
        (Some(3), Some(4))
    );
    // Each drill-down adds up to the number the KPI endpoint gives.
    let k = ok(app
        .get(&format!("/api/v1/batches/{batch}/kpis"), &exec)
        .await)
    .await;
    for kpi in [
        "concentrated_delivery_rate",
        "zero_defect_delivery_rate",
        "avg_defects_per_unit",
    ] {
        let d = drill(&app, &exec, &batch, kpi, "").await;
        assert_eq!(d["numerator"], k[kpi]["numerator"], "{kpi}");
        assert_eq!(d["denominator"], k[kpi]["denominator"], "{kpi}");
    }
    // As of the evening of P2 (the live number then): B and D delivered and clean so far.
    let evening = handover::kpis::day_start(p1) + chrono::Duration::hours(24 + 20);
    let q = format!("?as_of={}", evening.to_rfc3339().replace('+', "%2B"));
    let zd = drill(&app, &exec, &batch, "zero_defect_delivery_rate", &q).await;
    assert_eq!(
        (zd["numerator"].as_i64(), zd["denominator"].as_i64()),
        (Some(1), Some(2))
    );

    // Bad input and other roles.
    let unknown = format!("/api/v1/batches/{batch}/kpis/nps/units");
    assert_error(
        app.get(&unknown, &exec).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let bad = format!("/api/v1/batches/{batch}/kpis/avg_defects_per_unit/units?only=some");
    assert_error(
        app.get(&bad, &exec).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    let contractor = app.token("contractor").await;
    let path = format!("/api/v1/batches/{batch}/kpis/avg_defects_per_unit/units");
    assert_error(
        app.get(&path, &contractor).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
}

#[tokio::test]
async fn breakdowns_per_building_day_and_trade_follow_the_same_facts() {
    let app = spawn_app().await;
    let Scenario {
        batch,
        period: (p1, p3),
        ..
    } = six_units(&app).await;
    let exec = app.token("executive").await;
    let path = format!("/api/v1/batches/{batch}/kpis/breakdowns");
    let br = ok(app.get(&path, &exec).await).await;

    // One building planned: its row is the batch's.
    let buildings = br["buildings"].as_array().unwrap();
    assert_eq!(buildings.len(), 1);
    let k = ok(app
        .get(&format!("/api/v1/batches/{batch}/kpis"), &exec)
        .await)
    .await;
    for kpi in [
        "concentrated_delivery_rate",
        "zero_defect_delivery_rate",
        "avg_defects_per_unit",
    ] {
        assert_eq!(buildings[0][kpi], k[kpi], "{kpi}");
    }

    // Days: P1 A took part with 1 issue; P2 B, C, D took part (C's 2 issues count, B's was
    // cancelled), B and D delivered; P3 A delivered (it took part on P1 already).
    let days = br["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(days[0]["day"], json!(p1));
    assert_eq!(days[2]["day"], json!(p3));
    let row = |d: &Value| {
        (
            d["delivered"].as_i64().unwrap(),
            d["took_part"].as_i64().unwrap(),
            d["issues"].as_i64().unwrap(),
        )
    };
    assert_eq!(
        days.iter().map(row).collect::<Vec<_>>(),
        vec![(0, 1, 1), (2, 3, 2), (1, 0, 0)]
    );
    // At the end of P2: 2/6 delivered, both clean so far (D's complaint comes on P3), 3 issues
    // over 4 units; at the end of P3: the batch's numbers.
    assert_eq!(days[1]["concentrated_delivery_rate"]["numerator"], 2);
    assert_eq!(days[1]["zero_defect_delivery_rate"]["numerator"], 2);
    assert_eq!(days[1]["zero_defect_delivery_rate"]["denominator"], 2);
    assert_eq!(days[1]["avg_defects_per_unit"]["numerator"], 3);
    assert_eq!(days[0]["zero_defect_delivery_rate"]["value"], Value::Null);
    for kpi in [
        "concentrated_delivery_rate",
        "zero_defect_delivery_rate",
        "avg_defects_per_unit",
    ] {
        assert_eq!(days[2][kpi], k[kpi], "{kpi}");
    }

    // Trades: the 3 counted issues are all civil (墙面空鼓), 3 over 4 units.
    let trades = br["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0]["trade"], "civil");
    assert_eq!(trades[0]["issues"], 3);
    assert_eq!(trades[0]["per_unit"]["value"], json!(0.75));
    assert_eq!(trades[0]["share"]["value"], json!(1.0));
}

/// The rollup's counts of a batch as another server reads them.
async fn rollup_counts(base: &str, token: &str, range: &str) -> (Value, Value) {
    let r: Value = common::client()
        .get(format!("{base}{range}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let k = &r["groups"][0]["children"][0]["children"][0]["children"][0];
    (
        k["concentrated_delivery_rate"]["numerator"].clone(),
        k["avg_defects_per_unit"]["numerator"].clone(),
    )
}

/// A rollup stores each batch's counts with their key in `kpi_counts`; another server (or this
/// one restarted) reads them instead of recomputing, until the batch changes.
#[tokio::test]
async fn the_rollup_keeps_each_batchs_counts_for_the_next_server() {
    let app = spawn_app().await;
    let Scenario {
        batch,
        period: (p1, p3),
        units,
    } = six_units(&app).await;
    let exec = app.token("executive").await;
    let range = format!("/api/v1/kpis/rollup?from={p1}&to={p3}");
    assert_eq!(
        rollup_counts(&app.base, &exec, &range).await,
        (json!(3), json!(3))
    );
    let batch_id: uuid::Uuid = batch.parse().unwrap();
    let stored: (i64, i64, i64, i64) = handover::run!(&mut app.db.read().await.unwrap(), |c| {
        sqlx::query_as(
            "select planned, delivered, took_part, issues from kpi_counts where batch_id = $1",
        )
        .bind(batch_id)
        .fetch_one(c)
        .await
    })
    .unwrap();
    assert_eq!(stored, (6, 3, 4, 3), "the scenario's counts, stored");

    // A mark on the stored row shows the next server reads it rather than recomputing.
    let mut tx = app.db.begin().await.unwrap();
    handover::exec!(&mut tx, |c| {
        sqlx::query("update kpi_counts set delivered = 5 where batch_id = $1")
            .bind(batch_id)
            .execute(c)
            .await
    })
    .unwrap();
    tx.commit().await.unwrap();
    let next = app.another_server().await;
    assert_eq!(
        rollup_counts(&next, &exec, &range).await,
        (json!(5), json!(3))
    );
    // A write to the batch changes its key: recomputed from the facts and stored again.
    let service = app.token("service").await;
    let path = format!("/api/v1/projects/{}/complaints", app.demo.project_id);
    let body = json!({"unit_id": units[5], "channel": "phone", "content": "投诉"});
    ok(app.post(&path, &service, &body).await).await;
    let later = app.another_server().await;
    assert_eq!(
        rollup_counts(&later, &exec, &range).await,
        (json!(3), json!(3))
    );
}

#[tokio::test]
async fn the_rollup_sums_batches_per_project_region_and_group() {
    let app = spawn_app().await;
    let Scenario {
        batch,
        period: (p1, p3),
        ..
    } = six_units(&app).await;
    let exec = app.token("executive").await;
    let k = ok(app
        .get(&format!("/api/v1/batches/{batch}/kpis"), &exec)
        .await)
    .await;

    // The demo's own batch is elsewhere in time: the scenario's period alone.
    let range = format!("/api/v1/kpis/rollup?from={p1}&to={p3}");
    let r = ok(app.get(&range, &exec).await).await;
    assert_eq!(r["batches"], 1, "{r:#}");
    let group = &r["groups"][0];
    let region = &group["children"][0];
    let project = &region["children"][0];
    let leaf = &project["children"][0];
    assert_eq!(
        [
            &group["level"],
            &region["level"],
            &project["level"],
            &leaf["level"]
        ],
        ["group", "region", "project", "batch"]
    );
    assert_eq!(project["id"], app.demo.project_id.to_string());
    assert_eq!(leaf["id"], batch.as_str());
    assert_eq!(leaf["period"], json!({"start": p1, "end": p3}));
    for kpi in [
        "concentrated_delivery_rate",
        "zero_defect_delivery_rate",
        "avg_defects_per_unit",
    ] {
        for level in [&r, group, region, project, leaf] {
            assert_eq!(level[kpi], k[kpi], "{kpi}");
        }
    }
    assert_eq!(r["planned_units"], 6);
    assert_eq!(r["scattered_deliveries"], 1);

    // A range that misses the period has nothing; a region filter keeps its own.
    let before = p1 - chrono::Duration::days(30);
    let path = format!(
        "/api/v1/kpis/rollup?from={before}&to={}",
        p1 - chrono::Duration::days(1)
    );
    let empty = ok(app.get(&path, &exec).await).await;
    assert_eq!(empty["batches"], 0);
    assert_eq!(empty["concentrated_delivery_rate"]["value"], Value::Null);
    let region_id = region["id"].as_str().unwrap();
    let path = format!("{range}&region_id={region_id}");
    assert_eq!(ok(app.get(&path, &exec).await).await["batches"], 1);
    let path = format!("{range}&region_id={}", uuid::Uuid::new_v4());
    assert_eq!(ok(app.get(&path, &exec).await).await["batches"], 0);
    // A contractor reads no KPIs: the rollup is empty for them, not an error.
    let contractor = app.token("contractor").await;
    assert_eq!(
        ok(app.get("/api/v1/kpis/rollup", &contractor).await).await["batches"],
        0
    );
    // The end before the start is refused.
    let bad = format!("/api/v1/kpis/rollup?from={p3}&to={p1}");
    assert_error(
        app.get(&bad, &exec).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
}

/// The sheets of a workbook, each as rows of cell texts.
async fn sheets(resp: reqwest::Response) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::Reader;
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

#[tokio::test]
async fn the_kpi_table_and_each_drill_down_export_to_excel() {
    let app = spawn_app().await;
    let Scenario { batch, .. } = six_units(&app).await;
    let exec = app.token("executive").await;

    let book = sheets(
        app.get(&format!("/api/v1/batches/{batch}/kpis.xlsx"), &exec)
            .await,
    )
    .await;
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "交付指标",
            "按楼栋",
            "按日",
            "按专业",
            "服务质量",
            "满意度",
            "拒收原因",
            "施工单位"
        ]
    );
    // The KPI sheet: value (a number, formatted as a percent in Excel), numerator, denominator.
    let kpis = &book[0].1;
    let row = |name: &str| kpis.iter().find(|r| r[0] == name).unwrap().clone();
    assert_eq!(row("集中交付率")[1..4], ["0.5", "3", "6"]);
    assert_eq!(row("无缺陷交付率")[2..4], ["1", "3"]);
    assert_eq!(row("户均缺陷")[1..4], ["0.75", "3", "4"]);
    assert_eq!(row("零星交付")[1], "1");
    // One building, three days, one trade (plus the header rows).
    assert_eq!(book[1].1.len(), 2);
    assert_eq!(book[2].1.len(), 4);
    assert_eq!(book[3].1[1][..2], ["土建", "3"]);

    // In English on request.
    let en = format!("/api/v1/batches/{batch}/kpis.xlsx?lang=en");
    let book = sheets(app.get(&en, &exec).await).await;
    assert_eq!(book[0].0, "KPIs");
    assert!(
        book[0]
            .1
            .iter()
            .any(|r| r[0] == "Concentrated delivery rate")
    );

    // The drill-down of 户均缺陷: the four units that took part, 3 issues between them.
    let path = format!("/api/v1/batches/{batch}/kpis/avg_defects_per_unit/units.xlsx");
    let units = &sheets(app.get(&path, &exec).await).await[0].1;
    assert_eq!(units.len(), 5, "header + 4 units");
    let total: i64 = units[1..]
        .iter()
        .map(|r| r[2].parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 3);

    // From the pages, with the session cookie; contractors are refused.
    let page = app.page_login("executive").await;
    let resp = page
        .get(app.url(&format!("/batches/{batch}/kpis.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let contractor = app.token("contractor").await;
    let resp = app
        .get(&format!("/api/v1/batches/{batch}/kpis.xlsx"), &contractor)
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
