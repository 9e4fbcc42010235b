//! The live board and the delivery KPIs through HTTP: the day's counts after a scripted visit
//! flow, the event stream sending a new board after a write, the page, and the three KPIs of
//! a hand-built scenario against values derived by hand.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::handover_day::{
    Scenario, batch, board_version, check_in, close, conditions_met, issue, move_visit, noon, ok,
    put, six_units, today, walk,
};
use common::{TestApp, assert_error, client, spawn_app};
use handover::org::demo;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

#[tokio::test]
async fn the_board_counts_the_day_per_building_and_hour_with_the_kpis_so_far() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app, "一期", (today(), today() + days(1)), 0).await;
    let service = app.token("service").await;
    let slot = json!({"starts_at": noon(today()), "ends_at": noon(today()) + chrono::Duration::minutes(30), "capacity": 5});
    let slot = ok(app
        .post(&format!("/api/v1/batches/{batch}/slots"), &service, &slot)
        .await)
    .await;
    let version = |b: Value| b["version"].as_i64().unwrap();
    let board = format!("/api/v1/batches/{batch}/board");
    let before = version(ok(app.get(&board, &service).await).await);
    for (unit, _) in &units[..3] {
        let body = json!({"unit_id": unit, "slot_id": slot["id"], "customer_name": "张三"});
        ok(app
            .post(
                &format!("/api/v1/batches/{batch}/appointments"),
                &service,
                &body,
            )
            .await)
        .await;
    }
    let booked = version(ok(app.get(&board, &service).await).await);
    assert_eq!(booked, before + 3, "each booking moves the board");
    let mut visits = Vec::new();
    for (unit, _) in &units[..5] {
        visits.push(check_in(&app, &service, &batch, unit).await);
    }
    conditions_met(&app, &service, &units[0].0).await;
    for (visit, outcome) in visits.iter().zip(["accepted", "refused", "only_looked"]) {
        walk(&app, &service, visit).await;
        close(&app, &service, visit, outcome).await;
    }
    walk(&app, &service, &visits[3]).await;

    let board = ok(app
        .get(&format!("/api/v1/batches/{batch}/board"), &service)
        .await)
    .await;
    let expected = json!({"appointments": 3, "checked_in": 5, "in_walkthrough": 1,
        "accepted": 1, "refused": 1, "only_looked": 1});
    assert_eq!(board["totals"], expected);
    assert_eq!(board["day"], today().to_string());
    assert_eq!(board["buildings"].as_array().unwrap().len(), 1, "{board}");
    assert_eq!(board["buildings"][0]["counts"], expected);
    let hours = board["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[12]["counts"]["appointments"], 3, "the slot's hour");
    let sum = |k: &str| {
        hours
            .iter()
            .map(|h| h["counts"][k].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(sum("checked_in"), 5);
    assert_eq!(sum("accepted"), 1);
    // The KPIs so far: 1 of 6 planned units delivered, without issue; 4 walked through.
    let k = &board["kpis"];
    assert_eq!(k["planned_units"], 6);
    assert_eq!(
        k["concentrated_delivery_rate"],
        json!({"value": 1.0 / 6.0, "numerator": 1, "denominator": 6})
    );
    assert_eq!(k["zero_defect_delivery_rate"]["value"], 1.0);
    assert_eq!(
        k["avg_defects_per_unit"],
        json!({"value": 0.0, "numerator": 0, "denominator": 4})
    );

    // Yesterday's board is empty; its KPIs stood before today's facts.
    let yesterday = today() - days(1);
    let past = ok(app
        .get(
            &format!("/api/v1/batches/{batch}/board?day={yesterday}"),
            &service,
        )
        .await)
    .await;
    assert_eq!(past["totals"]["checked_in"], 0);
    assert_eq!(past["kpis"]["concentrated_delivery_rate"]["numerator"], 0);

    // Contractors read no board; other projects do not see the batch.
    let path = format!("/api/v1/batches/{batch}/board");
    let contractor = app.token("contractor").await;
    assert_error(
        app.get(&path, &contractor).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let other = app.token("other-admin").await;
    for p in [path.clone(), format!("/api/v1/batches/{batch}/kpis")] {
        assert_error(
            app.get(&p, &other).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
}

/// Reads `event: board` events off a server-sent event stream.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    /// The next board, within 10 seconds.
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), self.read())
            .await
            .expect("a board event within 10 s")
    }

    async fn read(&mut self) -> Value {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if block.lines().any(|l| l == "event: board") {
                    let data: String = block
                        .lines()
                        .filter_map(|l| l.strip_prefix("data: "))
                        .collect();
                    return serde_json::from_str(&data).unwrap();
                }
            }
            let chunk = self.resp.chunk().await.unwrap().expect("stream open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test]
async fn the_event_stream_sends_the_board_at_once_and_again_after_a_write() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app, "一期", (today(), today()), 0).await;
    let executive = app.token("executive").await;
    let resp = client()
        .get(app.url(&format!("/api/v1/batches/{batch}/board/events")))
        .bearer_auth(&executive)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut events = Events {
        resp,
        buf: String::new(),
    };
    let first = events.next().await;
    assert_eq!(first["totals"]["checked_in"], 0);
    let service = app.token("service").await;
    check_in(&app, &service, &batch, &units[0].0).await;
    let second = events.next().await;
    assert_eq!(second["totals"]["checked_in"], 1);
    assert!(second["version"].as_i64() > first["version"].as_i64());

    // The page's stream answers the session cookie the same way.
    let c = app.page_login("executive").await;
    let resp = c
        .get(app.url(&format!("/batches/{batch}/board/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut events = Events {
        resp,
        buf: String::new(),
    };
    assert_eq!(events.next().await["totals"]["checked_in"], 1);
}

#[tokio::test]
async fn the_board_moves_with_what_it_counts_and_not_with_meters_keys_or_documents() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app, "一期", (today(), today()), 0).await;
    let service = app.token("service").await;
    let visit = check_in(&app, &service, &batch, &units[0].0).await;
    let checked_in = board_version(&app, &service, &batch).await;
    let path = |p: &str| format!("/api/v1/visits/{visit}/{p}");
    let water = json!({"reading": 3.5});
    ok(put(&app, &path("meters/water"), &service, &water).await).await;
    let keys = json!({"keys": {"door": 2}});
    ok(put(&app, &path("keys"), &service, &keys).await).await;
    let docs = json!({"codes": ["quality_guarantee"]});
    let v = ok(put(&app, &path("documents"), &service, &docs).await).await;
    assert_eq!(v["keys"]["door"], 2, "the writes were stored");
    assert_eq!(
        board_version(&app, &service, &batch).await,
        checked_in,
        "nothing the board counts changed"
    );
    walk(&app, &service, &visit).await;
    let walked = board_version(&app, &service, &batch).await;
    assert!(walked > checked_in, "the walkthrough moves the board");
    issue(&app, &service, &visit, "reasonable").await;
    assert!(
        board_version(&app, &service, &batch).await > walked,
        "an issue moves the board (it counts against zero-defect delivery)"
    );
}

#[tokio::test]
async fn the_board_page_renders_for_the_big_screen_and_is_linked_for_executives() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app, "一期", (today(), today()), 0).await;
    let service = app.token("service").await;
    let visit = check_in(&app, &service, &batch, &units[0].0).await;
    conditions_met(&app, &service, &units[0].0).await;
    close(&app, &service, &visit, "accepted").await;
    let c = app.page_login("executive").await;
    let html = c
        .get(app.url(&format!("/batches/{batch}/board")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("交付看板") && html.contains("集中交付率"));
    assert!(
        html.contains("data-k=\"kpi.concentrated\">16.7%</b>"),
        "1 of 6"
    );
    assert!(html.contains("data-k=\"totals.accepted\">1</b>"));
    assert!(html.contains(&format!("data-events=\"/batches/{batch}/board/events\"")));
    assert!(html.contains("/static/board.js"));
    for asset in ["/static/board.js", "/static/board.css"] {
        let resp = c.get(app.url(asset)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{asset}");
    }
    let en = c
        .get(app.url(&format!("/batches/{batch}/board?lang=en")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Concentrated delivery rate") && !en.contains("集中交付率"));
    let project = c
        .get(app.url(&format!("/projects/{}", app.demo.project_id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(project.contains(&format!("href=\"/batches/{batch}/board\"")));
    assert!(
        !project.contains("/complaints\""),
        "the register is for staff"
    );
    let contractor = app.page_login("contractor").await;
    let resp = contractor
        .get(app.url(&format!("/batches/{batch}/board")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

async fn kpis(app: &TestApp, token: &str, batch: &str, as_of: Option<DateTime<Utc>>) -> Value {
    let q = as_of.map_or(String::new(), |t| {
        format!("?as_of={}", t.to_rfc3339().replace('+', "%2B"))
    });
    ok(app
        .get(&format!("/api/v1/batches/{batch}/kpis{q}"), token)
        .await)
    .await
}

fn ratio(v: Option<f64>, n: i64, d: i64) -> Value {
    json!({"value": v, "numerator": n, "denominator": d})
}

/// Six planned units over a three-day period ten days ago (P1, P2, P3):
/// A refused on P1 with a reasonable issue, accepted on P3; B accepted on P2 with an
/// unreasonable issue and a reasonable one cancelled today; C only looked on P2 with two
/// reasonable issues; D accepted on P2 without issue but a complaint came in on P3; E accepted
/// five days after the period (scattered) with a reasonable issue; F never came, a complaint only.
#[tokio::test]
async fn the_three_kpis_of_a_scenario_match_the_values_derived_by_hand() {
    let app = spawn_app().await;
    let Scenario {
        batch,
        period: (p1, p3),
        ..
    } = six_units(&app).await;
    let p2 = p1 + days(1);

    // Now: delivered A, B, D = 3 of 6; zero-defect only B (A has an issue, D a complaint) = 1
    // of 3; took part A, B, C, D = 4 with A 1 + C 2 = 3 issues; scattered E.
    let executive = app.token("executive").await;
    let k = kpis(&app, &executive, &batch, None).await;
    assert_eq!(k["batch_id"], batch.as_str());
    assert_eq!(k["period"], json!({"start": p1, "end": p3}));
    assert_eq!(k["planned_units"], 6);
    assert_eq!(k["concentrated_delivery_rate"], ratio(Some(0.5), 3, 6));
    assert_eq!(k["zero_defect_delivery_rate"], ratio(Some(1.0 / 3.0), 1, 3));
    assert_eq!(k["avg_defects_per_unit"], ratio(Some(0.75), 3, 4));
    assert_eq!(k["scattered_deliveries"], 1);
    assert_eq!(
        k["secondary"]["refusal_rate"],
        ratio(Some(0.25), 1, 4),
        "A of A–D"
    );
    let keys: Vec<&String> = k.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "exactly the contract's fields: {keys:?}");

    // As of the period's last minute: E not yet delivered, B's issue not yet cancelled.
    let end = handover::kpis::day_start(p3 + days(1)) - chrono::Duration::minutes(1);
    let k = kpis(&app, &executive, &batch, Some(end)).await;
    assert_eq!(k["concentrated_delivery_rate"], ratio(Some(0.5), 3, 6));
    assert_eq!(k["zero_defect_delivery_rate"], ratio(Some(0.0), 0, 3));
    assert_eq!(k["avg_defects_per_unit"], ratio(Some(1.0), 4, 4));
    assert_eq!(k["scattered_deliveries"], 0);
    // As of the evening of P2: B and D delivered; D's complaint (P3) not yet received, B's issue
    // still standing; A (P1) and C took part too.
    let evening = noon(p2) + chrono::Duration::hours(8);
    let k = kpis(&app, &executive, &batch, Some(evening)).await;
    assert_eq!(
        k["concentrated_delivery_rate"],
        ratio(Some(2.0 / 6.0), 2, 6)
    );
    assert_eq!(k["zero_defect_delivery_rate"], ratio(Some(0.5), 1, 2));
    assert_eq!(k["avg_defects_per_unit"], ratio(Some(1.0), 4, 4));
    // Before anything happened: no delivery, so no zero-defect rate (never 0 % or NaN).
    let k = kpis(&app, &executive, &batch, Some(noon(p1) - days(1))).await;
    assert_eq!(k["concentrated_delivery_rate"], ratio(Some(0.0), 0, 6));
    assert_eq!(k["zero_defect_delivery_rate"], ratio(None, 0, 0));
    assert_eq!(k["avg_defects_per_unit"], ratio(None, 0, 0));
    // An unencoded "+" of the offset reads as a space; it still parses.
    let plus = format!("/api/v1/batches/{batch}/kpis?as_of=2026-01-01T00:00:00+08:00");
    ok(app.get(&plus, &executive).await).await;
    assert_error(
        app.get(
            &format!("/api/v1/batches/{batch}/kpis?as_of=yesterday"),
            &executive,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "request.malformed_query",
    )
    .await;
}

/// Refusals and acceptances on either side of the period's edges, over six planned units: G
/// refused on P2 with a reasonable issue and accepted two days after P3; H refused the day
/// before P1 with a reasonable issue and accepted on P2 without a walkthrough; I refused the day
/// before P1 and never came back; the three others never came.
#[tokio::test]
async fn refusals_then_acceptances_across_the_periods_edges_count_as_the_rules_say() {
    let app = spawn_app().await;
    let (p1, p3) = (today() - days(10), today() - days(8));
    let p2 = p1 + days(1);
    let (batch, units) = batch(&app, "边界", (p1, p3), 1).await;
    assert_eq!(units.len(), 6);
    let [g, h, i] = [0, 1, 2].map(|n| units[n].0.clone());
    let service = app.token("service").await;
    for u in [&g, &h, &i] {
        conditions_met(&app, &service, u).await;
    }
    let visit = |unit: &String, reasonable: bool, outcome: &'static str, at| {
        let (app, service, batch, unit) = (&app, &service, &batch, unit.clone());
        async move {
            let v = check_in(app, service, batch, &unit).await;
            if reasonable {
                walk(app, service, &v).await;
                issue(app, service, &v, "reasonable").await;
            }
            close(app, service, &v, outcome).await;
            move_visit(app, &v, at).await;
        }
    };
    visit(&g, true, "refused", noon(p2)).await;
    visit(&g, false, "accepted", noon(p3 + days(2))).await;
    visit(&h, true, "refused", noon(p1 - days(1))).await;
    visit(&h, false, "accepted", noon(p2)).await;
    visit(&i, false, "refused", noon(p1 - days(1))).await;

    let k = kpis(&app, &app.token("executive").await, &batch, None).await;
    // Delivered in the period: H only (G after the end: scattered).
    assert_eq!(
        k["concentrated_delivery_rate"],
        ratio(Some(1.0 / 6.0), 1, 6)
    );
    assert_eq!(k["scattered_deliveries"], 1);
    // H's issue was raised before the period: H delivered without defect.
    assert_eq!(k["zero_defect_delivery_rate"], ratio(Some(1.0), 1, 1));
    // Took part in the period: G (walkthrough on P2, its issue counts) and H (outcome on P2);
    // I's only visit was before the period.
    assert_eq!(k["avg_defects_per_unit"], ratio(Some(0.5), 1, 2));
    // Refused in the period: G; H's refusal came before it.
    assert_eq!(k["secondary"]["refusal_rate"], ratio(Some(0.5), 1, 2));
}

#[tokio::test]
async fn an_empty_batch_has_no_values() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let project = app.demo.project_id;
    ok(app
        .post(
            &format!("/api/v1/projects/{project}/buildings"),
            &admin,
            &json!({"name": "99栋"}),
        )
        .await)
    .await;
    let body = json!({"name": "空批次", "period": {"start": today(), "end": today()},
        "buildings": ["99栋"]});
    let b = ok(app
        .post(
            &format!("/api/v1/projects/{project}/batches"),
            &admin,
            &body,
        )
        .await)
    .await;
    let k = kpis(&app, &admin, b["id"].as_str().unwrap(), None).await;
    assert_eq!(k["planned_units"], 0);
    for kpi in [
        "concentrated_delivery_rate",
        "zero_defect_delivery_rate",
        "avg_defects_per_unit",
    ] {
        assert_eq!(k[kpi], ratio(None, 0, 0), "{kpi}");
    }
    assert_eq!(k["scattered_deliveries"], 0);
    let contractor = app.token("contractor").await;
    assert_error(
        app.get(
            &format!("/api/v1/batches/{}/kpis", b["id"].as_str().unwrap()),
            &contractor,
        )
        .await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_shutdown_ends_the_open_streams_so_the_server_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::fresh_db(dir.path()).await;
    let demo = demo::load(&db, common::SMALL).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let now = handover::clock::now();
    let batch = handover::org::repo::insert_batch(
        &mut tx,
        demo.project_id,
        "一期",
        today(),
        today(),
        &[],
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = handover::config::Config::local(port);
    config.data_dir = dir.path().join("data");
    let state = handover::app::AppState::new(db, config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(handover::app::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let base = format!("http://127.0.0.1:{port}");
    let login = json!({"username": "executive", "password": demo::DEMO_PASSWORD});
    let token = ok(client()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&login)
        .send()
        .await
        .unwrap())
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = client()
        .get(format!("{base}/api/v1/batches/{batch}/board/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let mut events = Events {
        resp,
        buf: String::new(),
    };
    assert_eq!(events.next().await["kpis"]["planned_units"], 12);
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while events.resp.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends at shutdown");
    let served = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        served.is_ok(),
        "the server stops without waiting for its streams"
    );
}
