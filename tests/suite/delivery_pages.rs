//! The handover-day pages through HTTP with a cookie session, as customer service uses them on
//! a tablet: the landing on today's desk, the search, ticking a condition, check-in, then the
//! visit page's forms in order — walkthrough, issues judged on the spot and later (with a
//! photo), meters, keys, documents — ending accepted with a signature (blocked first by the
//! missing conditions), refused with a reason, and only looked. Errors come back on the page
//! with what was typed.

use crate::common;

use chrono::{Days, Duration, TimeZone, Utc};
use common::{TestApp, client, hidden, jpeg, spawn_app, text};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn post(c: &Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

fn location(resp: &reqwest::Response) -> String {
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "a redirect");
    resp.headers()["location"].to_str().unwrap().to_owned()
}

/// A batch delivering the demo's first building from today, with a slot today and three of
/// its units booked in it; answers the batch id and the units (id, number).
async fn todays_batch(app: &TestApp) -> (String, Vec<(String, String)>) {
    let admin = app.token("admin").await;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    let building = cells[0].building.clone();
    let today = handover::clock::local_date(handover::clock::now());
    let end = today.checked_add_days(Days::new(2)).unwrap();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "今日交付", "period": {"start": today, "end": end},
        "buildings": [building]});
    let b: Value = app.post(&path, &admin, &body).await.json().await.unwrap();
    let batch = b["id"].as_str().unwrap().to_owned();
    let nine = handover::clock::shanghai()
        .from_local_datetime(&today.and_hms_opt(9, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let slot: Value = app
        .post(
            &format!("/api/v1/batches/{batch}/slots"),
            &admin,
            &json!({"starts_at": nine, "ends_at": nine + Duration::hours(1), "capacity": 10}),
        )
        .await
        .json()
        .await
        .unwrap();
    let units: Vec<(String, String)> = cells
        .iter()
        .filter(|c| c.building == building)
        .take(3)
        .map(|c| (c.id.to_string(), c.number.clone()))
        .collect();
    for (unit, _) in &units {
        let body = json!({"unit_id": unit, "slot_id": slot["id"], "customer_name": "王小明",
            "phone": "13812345678"});
        let resp = app
            .post(
                &format!("/api/v1/batches/{batch}/appointments"),
                &admin,
                &body,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    (batch, units)
}

/// Checks the customer of `unit` in from the desk; answers the visit page's path.
async fn check_in(
    c: &Client,
    app: &TestApp,
    batch: &str,
    (unit, number): &(String, String),
) -> String {
    let (status, html) = text(c, app, &format!("/batches/{batch}/desk?q={number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("签到并开始验房"), "the check-in form");
    let csrf = hidden(&html, "_csrf");
    let resp = post(
        c,
        app,
        &format!("/batches/{batch}/desk/check-in"),
        &[
            ("_csrf", &csrf),
            ("unit_id", unit),
            ("customer_name", "王小明"),
            ("identity_checked", "on"),
            ("q", number),
        ],
    )
    .await;
    let to = location(&resp);
    assert!(
        to.starts_with("/visits/") && to.ends_with("?ok=checked_in"),
        "{to}"
    );
    to.split('?').next().unwrap().to_owned()
}

/// Posts a visit form and expects to come back to the visit page at `anchor`.
async fn step(c: &Client, app: &TestApp, path: &str, form: &[(&str, &str)], anchor: &str) {
    let resp = post(c, app, path, form).await;
    let to = location(&resp);
    assert!(
        to.ends_with(&format!("?ok=saved#{anchor}")),
        "{path} → {to}"
    );
}

const STROKES: &str =
    r#"{"width":720,"height":240,"strokes":[[[20,30,0],[200,120,50],[380,60,90]]]}"#;

#[tokio::test]
async fn customer_service_runs_a_visit_from_the_desk_to_the_signed_acceptance() {
    let app = spawn_app().await;
    let (batch, units) = todays_batch(&app).await;
    let c = app.page_login("service").await;

    // Customer service lands on a handover desk.
    let resp = c.get(app.url("/")).send().await.unwrap();
    let landing = location(&resp);
    assert!(
        landing.starts_with("/batches/") && landing.ends_with("/desk"),
        "{landing}"
    );

    // The project page links each batch's desk.
    let (_, html) = text(&c, &app, &format!("/projects/{}", app.demo.project_id)).await;
    assert!(
        html.contains(&format!("/batches/{batch}/desk")),
        "the desk link"
    );

    // Today's appointments list the booked units; the search finds a unit by number, by the
    // buyer's phone tail, and says so when nothing matches.
    let (_, html) = text(&c, &app, &format!("/batches/{batch}/desk")).await;
    assert!(
        html.contains("今日预约") && html.contains(&units[0].1),
        "today's list"
    );
    assert!(html.contains("已到 0 / 共 3"), "nobody arrived yet");
    let (_, html) = text(&c, &app, &format!("/batches/{batch}/desk?q=zzzz")).await;
    assert!(html.contains("没有找到"), "no match says what to try");

    // The four default conditions are missing; one is ticked at the desk.
    let (_, html) = text(&c, &app, &format!("/batches/{batch}/desk?q={}", units[0].1)).await;
    assert!(html.contains("收楼条件未满足") && html.contains("购房款结清"));
    let csrf = hidden(&html, "_csrf");
    let resp = post(
        &c,
        &app,
        &format!("/batches/{batch}/desk/conditions"),
        &[
            ("_csrf", &csrf),
            ("unit_id", &units[0].0),
            ("code", "payment"),
            ("q", &units[0].1),
        ],
    )
    .await;
    assert!(location(&resp).contains("ok=condition"));
    let (_, html) = text(&c, &app, &format!("/batches/{batch}/desk?q={}", units[0].1)).await;
    assert!(
        !html.contains("购房款结清"),
        "the ticked condition is no longer missing"
    );

    let visit = check_in(&c, &app, &batch, &units[0]).await;
    let (_, html) = text(&c, &app, &visit).await;
    assert!(html.contains("王小明") && html.contains("身份已核验"));
    assert!(html.contains("已完成 0/6 步") && html.contains("开始验房"));
    let csrf = hidden(&html, "_csrf");
    // Checking in again goes to the open visit.
    let resp = post(
        &c,
        &app,
        &format!("/batches/{batch}/desk/check-in"),
        &[
            ("_csrf", &csrf),
            ("unit_id", &units[0].0),
            ("customer_name", "王小明"),
        ],
    )
    .await;
    assert_eq!(location(&resp), visit);

    step(
        &c,
        &app,
        &format!("{visit}/staff"),
        &[("_csrf", &csrf), ("staff", "客服李娜")],
        "walkthrough",
    )
    .await;
    step(
        &c,
        &app,
        &format!("{visit}/walkthrough"),
        &[("_csrf", &csrf)],
        "issues",
    )
    .await;

    // An issue judged reasonable on the spot becomes a rectification item.
    step(
        &c,
        &app,
        &format!("{visit}/issues"),
        &[
            ("_csrf", &csrf),
            ("trade", "civil"),
            ("room", "客厅"),
            ("description", "墙面空鼓"),
            ("judgement", "reasonable"),
        ],
        "issues",
    )
    .await;
    // Without a trade the form comes back with the message and what was typed.
    let resp = post(
        &c,
        &app,
        &format!("{visit}/issues"),
        &[
            ("_csrf", &csrf),
            ("description", "窗框划痕"),
            ("judgement", ""),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("error-message") && html.contains("value=\"窗框划痕\""),
        "kept: {html}"
    );
    // An issue left to judge later, then judged not reasonable: the reason is required.
    step(
        &c,
        &app,
        &format!("{visit}/issues"),
        &[
            ("_csrf", &csrf),
            ("trade", "doors_windows"),
            ("description", "想换成木门"),
        ],
        "issues",
    )
    .await;
    let token = app.token("service").await;
    let v: Value = app
        .get(&format!("/api/v1{visit}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let later = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["judgement"].is_null())
        .unwrap();
    let later_id = later["id"].as_str().unwrap();
    let judge = format!("{visit}/issues/{later_id}/judge");
    let resp = post(
        &c,
        &app,
        &judge,
        &[("_csrf", &csrf), ("judgement", "unreasonable")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    step(
        &c,
        &app,
        &judge,
        &[
            ("_csrf", &csrf),
            ("judgement", "unreasonable"),
            ("reason_code", "preference"),
        ],
        "issues",
    )
    .await;

    // A photo of the reasonable issue, through the page's multipart form.
    let reasonable = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["judgement"] == "reasonable")
        .unwrap();
    let rid = reasonable["id"].as_str().unwrap();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(jpeg(640, 480, 7))
                .file_name("a.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let resp = c
        .post(app.url(&format!("{visit}/issues/{rid}/photos")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(location(&resp).ends_with("#issues"));

    step(
        &c,
        &app,
        &format!("{visit}/walkthrough"),
        &[("_csrf", &csrf), ("end", "1")],
        "meters",
    )
    .await;
    let resp = post(
        &c,
        &app,
        &format!("{visit}/meters"),
        &[("_csrf", &csrf), ("water", "abc")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    step(
        &c,
        &app,
        &format!("{visit}/meters"),
        &[
            ("_csrf", &csrf),
            ("water", "12.5"),
            ("power", "3"),
            ("gas", ""),
        ],
        "keys",
    )
    .await;
    step(
        &c,
        &app,
        &format!("{visit}/keys"),
        &[
            ("_csrf", &csrf),
            ("key-door", "2"),
            ("key-mailbox", "1"),
            ("key-access_card", "2"),
        ],
        "documents",
    )
    .await;
    step(
        &c,
        &app,
        &format!("{visit}/documents"),
        &[
            ("_csrf", &csrf),
            ("doc-quality_guarantee", "on"),
            ("doc-user_manual", "on"),
        ],
        "outcome",
    )
    .await;

    // The page shows each step done, the judged issues and the photo.
    let (_, html) = text(&c, &app, &visit).await;
    assert!(html.contains("已完成 5/6 步"), "five steps done");
    assert!(html.contains("整改单") && html.contains("个人喜好"));
    let thumb = html
        .split("src=\"")
        .find(|s| s.contains("/photos/"))
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let resp = c.get(app.url(thumb)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert!(
        html.contains("收楼条件未满足，暂不能收楼"),
        "the missing conditions show before signing"
    );

    // Acceptance is refused while conditions are missing, then signed once they are ticked.
    let accept = [
        ("_csrf", csrf.as_str()),
        ("outcome", "accepted"),
        ("name", "王小明"),
        ("strokes", STROKES),
        ("image_png", ""),
    ];
    let resp = post(&c, &app, &format!("{visit}/outcome"), &accept).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("收楼条件"));
    for code in ["maintenance_fund", "identity", "property_contract"] {
        let resp = post(
            &c,
            &app,
            &format!("/batches/{batch}/desk/conditions"),
            &[
                ("_csrf", &csrf),
                ("unit_id", &units[0].0),
                ("code", code),
                ("q", ""),
            ],
        )
        .await;
        assert!(location(&resp).contains("ok=condition"));
    }
    step(&c, &app, &format!("{visit}/outcome"), &accept, "outcome").await;
    let (_, html) = text(&c, &app, &visit).await;
    assert!(
        html.contains("收楼") && html.contains("签字人 王小明") && html.contains("已完成 6/6 步")
    );
    assert!(
        !html.contains("id=\"sign-form\""),
        "a closed visit has no forms"
    );
    let to_link = format!("/units/{}#links", units[0].0);
    assert!(html.contains(&to_link), "on to the customer link");
    let v: Value = app
        .get(&format!("/api/v1{visit}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["outcome"], "accepted");
    assert_eq!(v["staff"], "客服李娜");
    assert_eq!(v["keys"]["door"], 2);
    assert_eq!(v["meters"].as_array().unwrap().len(), 2);
    assert!(
        v["progress"]
            .as_object()
            .unwrap()
            .values()
            .all(|d| d == true),
        "{v}"
    );

    // The desk now says the unit is delivered, and counts the arrival.
    let (_, html) = text(&c, &app, &format!("/batches/{batch}/desk?q={}", units[0].1)).await;
    assert!(html.contains("该户已收楼"));
    assert!(html.contains("已到 1 / 共 3"));

    // Refused with a reason; the reason is required.
    let visit = check_in(&c, &app, &batch, &units[1]).await;
    let resp = post(
        &c,
        &app,
        &format!("{visit}/outcome"),
        &[("_csrf", &csrf), ("outcome", "refused")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    step(
        &c,
        &app,
        &format!("{visit}/outcome"),
        &[
            ("_csrf", &csrf),
            ("outcome", "refused"),
            ("refusal_reason", "quality"),
            ("note", "渗水"),
        ],
        "outcome",
    )
    .await;
    let (_, html) = text(&c, &app, &visit).await;
    assert!(html.contains("拒收原因：房屋质量问题") && html.contains("渗水"));

    // Only looked.
    let visit = check_in(&c, &app, &batch, &units[2]).await;
    step(
        &c,
        &app,
        &format!("{visit}/outcome"),
        &[("_csrf", &csrf), ("outcome", "only_looked")],
        "outcome",
    )
    .await;
    let (_, html) = text(&c, &app, &visit).await;
    assert!(html.contains("只看房不收楼"));
}

#[tokio::test]
async fn only_staff_write_and_other_projects_see_nothing() {
    let app = spawn_app().await;
    let (batch, units) = todays_batch(&app).await;
    let service = app.page_login("service").await;
    let visit = check_in(&service, &app, &batch, &units[0]).await;

    // A contractor of the project reads the visit page without forms, and cannot write.
    let contractor = app.page_login("contractor").await;
    let (status, html) = text(&contractor, &app, &visit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("开始验房</button>"),
        "no forms for a contractor"
    );
    let csrf = hidden(&html, "_csrf");
    let resp = post(
        &contractor,
        &app,
        &format!("{visit}/walkthrough"),
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (_, html) = text(
        &contractor,
        &app,
        &format!("/batches/{batch}/desk?q={}", units[1].1),
    )
    .await;
    assert!(
        !html.contains("签到并开始验房"),
        "no check-in for a contractor"
    );

    // A form without the session's CSRF token is refused.
    let resp = post(
        &service,
        &app,
        &format!("{visit}/walkthrough"),
        &[("_csrf", "forged")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Without a session the pages send to the login; a visit's photo needs a session too.
    let resp = client().get(app.url(&visit)).send().await.unwrap();
    assert!(location(&resp).starts_with("/login"));
    let fake = format!("/api/v1{visit}/photos/{}/thumb", "0".repeat(64));
    let token = app.token("service").await;
    assert_eq!(app.get(&fake, &token).await.status(), StatusCode::NOT_FOUND);

    // The other project's administrator sees neither the desk nor the visit.
    let other = app.page_login("other-admin").await;
    assert_eq!(text(&other, &app, &visit).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        text(&other, &app, &format!("/batches/{batch}/desk"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_appointment_book_adds_slots_books_by_unit_number_moves_and_cancels() {
    let app = spawn_app().await;
    let (batch, units) = todays_batch(&app).await;
    let c = app.page_login("service").await;
    let book = format!("/batches/{batch}/appointments");
    let (status, html) = text(&c, &app, &book).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("3/10"),
        "the slot of the fixture with its three bookings"
    );
    let csrf = hidden(&html, "_csrf");

    // A one-place slot tomorrow.
    let tomorrow = handover::clock::local_date(handover::clock::now())
        .checked_add_days(Days::new(1))
        .unwrap()
        .to_string();
    let resp = post(
        &c,
        &app,
        &format!("{book}/slots"),
        &[
            ("_csrf", &csrf),
            ("day", &tomorrow),
            ("from", "14:00"),
            ("to", "15:00"),
            ("capacity", "1"),
        ],
    )
    .await;
    let to = location(&resp);
    assert!(to.contains("ok=saved&slot="), "{to}");
    let slot = to.split("slot=").nth(1).unwrap().to_owned();
    // An end before the start is refused on the page, the form kept.
    let resp = post(
        &c,
        &app,
        &format!("{book}/slots"),
        &[
            ("_csrf", &csrf),
            ("day", &tomorrow),
            ("from", "15:00"),
            ("to", "14:00"),
            ("capacity", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Booked by unit number; a second booking finds the slot full; an unknown number is refused.
    let mut fourth = None;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    for cell in &cells {
        if cell.building == cells[0].building
            && !units.iter().any(|(id, _)| *id == cell.id.to_string())
        {
            fourth = Some(cell.number.clone());
            break;
        }
    }
    let fourth = fourth.unwrap();
    let resp = post(
        &c,
        &app,
        &book,
        &[
            ("_csrf", &csrf),
            ("slot_id", &slot),
            ("unit", &fourth),
            ("customer_name", "李雷"),
            ("phone", "13900001111"),
        ],
    )
    .await;
    assert!(location(&resp).contains("ok=saved"));
    let (_, html) = text(&c, &app, &format!("{book}?slot={slot}")).await;
    assert!(
        html.contains(&fourth) && html.contains("139****1111"),
        "the list masks the phone"
    );
    let resp = post(
        &c,
        &app,
        &book,
        &[("_csrf", &csrf), ("slot_id", &slot), ("unit", &units[0].1)],
    )
    .await;
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "the one place is taken"
    );
    let resp = post(
        &c,
        &app,
        &book,
        &[("_csrf", &csrf), ("slot_id", &slot), ("unit", "9-9-9999")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Moved back to the first slot, then cancelled: the places follow.
    let token = app.token("service").await;
    let list: Value = app
        .get(
            &format!("/api/v1/batches/{batch}/appointments?slot={slot}"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let slots: Value = app
        .get(&format!("/api/v1/batches/{batch}/slots"), &token)
        .await
        .json()
        .await
        .unwrap();
    let first = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] != slot.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = post(
        &c,
        &app,
        &format!("{book}/{id}/move"),
        &[("_csrf", &csrf), ("slot_id", &first)],
    )
    .await;
    assert!(location(&resp).contains("ok=saved"));
    let (_, html) = text(&c, &app, &book).await;
    assert!(html.contains("4/10") && html.contains("0/1"), "moved");
    let resp = post(
        &c,
        &app,
        &format!("{book}/{id}/cancel"),
        &[("_csrf", &csrf)],
    )
    .await;
    assert!(location(&resp).contains("ok=saved"));
    let (_, html) = text(&c, &app, &book).await;
    assert!(html.contains("3/10"), "cancelled frees the place");

    // A contractor reads the book without its forms and cannot book.
    let contractor = app.page_login("contractor").await;
    let (_, html) = text(&contractor, &app, &book).await;
    assert!(!html.contains("添加时段"));
    let resp = post(
        &contractor,
        &app,
        &book,
        &[
            ("_csrf", &hidden(&html, "_csrf")),
            ("slot_id", &slot),
            ("unit", &fourth),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
