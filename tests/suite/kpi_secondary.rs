//! The secondary figures of a delivery batch through `GET /api/v1/batches/{id}/kpis`: an empty
//! batch (no values), and a hand-built scenario — self-inspections, stage-1 defects, refusals
//! then acceptance, rectification items fixed on time, late, sent back, cancelled, complaints
//! with and without response, surveys — against values derived by hand, now and as of earlier
//! moments. Times the API stamps "now" are moved into the period, as the board's scenario does.

use crate::common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::handover_day::{check_in, conditions_met, move_visit, noon, ok, put, today, walk};
use common::visits::{fix, link};
use common::{TestApp, client, spawn_app};
use handover::kpis::day_start;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn ratio(v: Option<f64>, n: i64, d: i64) -> Value {
    json!({"value": v, "numerator": n, "denominator": d})
}

fn mean(v: Option<f64>, count: i64) -> Value {
    json!({"value": v, "count": count})
}

/// The KPIs of a batch, now or as of `as_of`.
async fn kpis(app: &TestApp, token: &str, batch: &str, as_of: Option<DateTime<Utc>>) -> Value {
    let q = as_of.map_or(String::new(), |t| {
        format!("?as_of={}", t.to_rfc3339().replace('+', "%2B"))
    });
    ok(app
        .get(&format!("/api/v1/batches/{batch}/kpis{q}"), token)
        .await)
    .await
}

/// A batch over `period` planning every unit of the demo project (both buildings, 12 units);
/// answers it and the unit ids in map order (building 1's six, then building 2's).
async fn batch_of_all(app: &TestApp, period: (NaiveDate, NaiveDate)) -> (String, Vec<String>) {
    let admin = app.token("admin").await;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    let mut buildings: Vec<String> = cells.iter().map(|c| c.building.clone()).collect();
    buildings.dedup();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "全部", "period": {"start": period.0, "end": period.1},
        "buildings": buildings});
    let b = ok(app.post(&path, &admin, &body).await).await;
    let units = cells.iter().map(|c| c.id.to_string()).collect();
    (b["id"].as_str().unwrap().to_owned(), units)
}

/// Records a customer issue of `trade` judged `judgement`; answers its rectification item's id
/// (a reasonable issue's), or an empty string.
async fn raise(app: &TestApp, token: &str, visit: &str, trade: &str, judgement: &str) -> String {
    let mut j = json!({"judgement": judgement});
    if judgement == "unreasonable" {
        j["reason_code"] = json!("preference");
    }
    let body = json!({"trade": trade, "description": "墙面空鼓", "judgement": j});
    let path = format!("/api/v1/visits/{visit}/issues");
    let issues = ok(app.post(&path, token, &body).await).await["issues"].clone();
    let last = issues.as_array().unwrap().last().unwrap();
    last["defect_id"].as_str().unwrap_or_default().to_owned()
}

/// Ends a visit: refused with `reason`, or accepted with a drawn signature.
async fn end(app: &TestApp, token: &str, visit: &str, outcome: &str, reason: &str) {
    let body = match outcome {
        "accepted" => json!({"outcome": "accepted", "signature": {"name": "王小明",
            "width": 720.0, "height": 240.0,
            "strokes": [[[20.0, 30.0, 0.0], [200.0, 120.0, 50.0]]]}}),
        "refused" => json!({"outcome": "refused", "refusal_reason": reason}),
        other => json!({"outcome": other}),
    };
    let path = format!("/api/v1/visits/{visit}/outcome");
    ok(app.post(&path, token, &body).await).await;
}

/// A defect action by `token` (`verify`, `send-back`, `assign`, `cancel`).
async fn act(app: &TestApp, token: &str, defect: &str, action: &str, body: Value) -> Value {
    let path = format!("/api/v1/defects/{defect}/{action}");
    ok(app.post(&path, token, &body).await).await
}

/// Gives a defect's history, in lifecycle order, the times `at` (the first `at.len()` events;
/// all of them: its last change too): the API stamps now, a scenario spans days.
async fn history(app: &TestApp, defect: &str, at: &[DateTime<Utc>]) {
    let id: Uuid = defect.parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let events: Vec<Uuid> = handover::run!(&mut tx, |c| sqlx::query_scalar(
        "select id from defect_events where defect_id = $1
         order by at, case when from_status is null then 0 else 1 end"
    )
    .bind(id)
    .fetch_all(c)
    .await)
    .unwrap();
    assert!(
        events.len() >= at.len(),
        "{defect}: {} events",
        events.len()
    );
    for (event, t) in events.iter().zip(at) {
        handover::exec!(&mut tx, |c| sqlx::query(
            "update defect_events set at = $2 where id = $1"
        )
        .bind(event)
        .bind(t)
        .execute(c)
        .await)
        .unwrap();
    }
    if let (true, Some(last)) = (events.len() == at.len(), at.last()) {
        handover::exec!(&mut tx, |c| sqlx::query(
            "update defects set updated_at = $2 where id = $1"
        )
        .bind(id)
        .bind(last)
        .execute(c)
        .await)
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Runs a self-inspection of `unit` (every item passed or not applicable); finishes it or not.
async fn inspect(app: &TestApp, inspector: &str, unit: &str, finish: bool) {
    let path = format!("/api/v1/projects/{}/inspections", app.demo.project_id);
    let resp = app.post(&path, inspector, &json!({"unit_id": unit})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = ok(app
        .get(&format!("/api/v1/inspections/{id}"), inspector)
        .await)
    .await;
    for item in detail["items"].as_array().unwrap() {
        let outcome = if item["kind"] == "measured" {
            "na"
        } else {
            "pass"
        };
        let path = format!(
            "/api/v1/inspections/{id}/results/{}",
            item["item_id"].as_str().unwrap()
        );
        ok(put(app, &path, inspector, &json!({"outcome": outcome})).await).await;
    }
    if finish {
        let path = format!("/api/v1/inspections/{id}/finish");
        ok(app.post(&path, inspector, &json!({})).await).await;
    }
}

/// The customer of `unit` answers the survey: stars for process, quality, service,
/// rectification, and the NPS.
async fn survey(app: &TestApp, service: &str, unit: &str, stars: [i64; 4], nps: i64) {
    let l = link(app, service, unit).await;
    let t = l["token"].as_str().unwrap();
    let [process, quality, service_stars, rectification] = stars;
    let body = json!({"stars": {"process": process, "quality": quality, "service": service_stars,
        "rectification": rectification}, "nps": nps});
    let resp = client()
        .post(app.url(&format!("/api/v1/customer/{t}/survey")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "survey of {unit}");
}

/// A complaint about `unit` received at `at`; answers its id.
async fn complaint(app: &TestApp, service: &str, unit: &str, at: DateTime<Utc>) -> String {
    let path = format!("/api/v1/projects/{}/complaints", app.demo.project_id);
    let body = json!({"unit_id": unit, "channel": "phone", "content": "投诉", "received_at": at});
    ok(app.post(&path, service, &body).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The id of the demo contractor named `name`.
async fn contractor(app: &TestApp, token: &str, name: &str) -> String {
    let path = format!("/api/v1/projects/{}/contractors", app.demo.project_id);
    let list = ok(app.get(&path, token).await).await;
    let c = list.as_array().unwrap().iter().find(|c| c["name"] == name);
    c.unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_empty_batch_has_no_secondary_values() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let project = app.demo.project_id;
    let path = format!("/api/v1/projects/{project}/buildings");
    ok(app.post(&path, &admin, &json!({"name": "99栋"})).await).await;
    let body = json!({"name": "空批次", "period": {"start": today(), "end": today()},
        "buildings": ["99栋"]});
    let path = format!("/api/v1/projects/{project}/batches");
    let b = ok(app.post(&path, &admin, &body).await).await;
    let s = kpis(&app, &admin, b["id"].as_str().unwrap(), None).await["secondary"].clone();
    let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "complaints",
            "contractors",
            "defect_trades",
            "first_time_pass_rate",
            "mean_days_to_rectify",
            "nps",
            "on_time_rectification_rate",
            "rectification_completion_rate",
            "refusal_rate",
            "refusal_reasons",
            "satisfaction",
            "self_inspection_coverage",
            "stage1_defects_per_unit"
        ]
    );
    for rate in [
        "self_inspection_coverage",
        "stage1_defects_per_unit",
        "rectification_completion_rate",
        "on_time_rectification_rate",
        "first_time_pass_rate",
        "refusal_rate",
    ] {
        assert_eq!(s[rate], ratio(None, 0, 0), "{rate}");
    }
    assert_eq!(s["mean_days_to_rectify"], mean(None, 0));
    assert_eq!(
        s["complaints"],
        json!({"received": 0, "responded": 0, "resolved": 0,
            "mean_first_response_minutes": mean(None, 0), "mean_resolution_minutes": mean(None, 0)})
    );
    assert_eq!(
        s["nps"],
        json!({"score": null, "promoters": 0, "passives": 0, "detractors": 0, "responses": 0})
    );
    // The project's survey dimensions are listed, without values.
    let dims: Vec<&str> = s["satisfaction"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(dims, ["process", "quality", "service", "rectification"]);
    assert!(
        s["satisfaction"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["mean_stars"] == mean(None, 0))
    );
    for list in ["refusal_reasons", "defect_trades", "contractors"] {
        assert_eq!(s[list], json!([]), "{list}");
    }
}

/// Twelve planned units (both demo buildings, A–F then G–L) over a three-day period ten days ago
/// (P1, P2, P3). Rectification items (civil → 中建八局, electrical → 上海安装, by the demo's
/// fix presets) get their histories moved into days:
///
/// | unit | facts |
/// |---|---|
/// | A | self-inspection finished; 2 self defects. Refused on P1 (quality) raising a1 (civil): due moved to P3+1, fixed 23:00 on P3+1 (on time, the due day's last hour), verified noon P3+2 (4 days). Accepted on P3. Survey 10. |
/// | B | self-inspection started, not finished; 1 takeover defect, 1 self defect cancelled. Accepted on P2: an unreasonable issue, b1 (civil) cancelled today. Survey 9. |
/// | C | self-inspection finished; 1 self defect. Only looked on P2: c1 civil (fixed P3+1, sent back, fixed P3+2, verified P3+4: 5 days), c2 civil (due moved to P3, fixed 00:30 on P3+1: late, verified P3+2: 3 days), c3 electrical (open). |
/// | D | refused on P1 and again on P2 (conditions), no walkthrough pressed. Complaint on P2 answered in 30 min, resolved in 3 h. |
/// | E | never came. Complaint on P3 answered at 10:00 the next day (1,320 min). |
/// | F | accepted five days after P3 (scattered) raising f1 (civil, outside the period). Survey 8. |
/// | G, H, I | accepted six days after P3, no issue. Surveys 6, 0, 9. |
/// | B, A | B: complaint on P3, never answered. A: complaint the day after P3 (outside). |
#[tokio::test]
async fn the_secondary_figures_of_a_scenario_match_the_values_derived_by_hand() {
    let app = spawn_app().await;
    let (p1, p3) = (today() - days(10), today() - days(8));
    let p2 = p1 + days(1);
    let (batch, units) = batch_of_all(&app, (p1, p3)).await;
    assert_eq!(units.len(), 12);
    let [a, b, c, d, e, f, g, h, i] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(|n| units[n].clone());
    let service = app.token("service").await;
    let inspector = app.token("inspector").await;
    let admin = app.token("admin").await;
    let executive = app.token("executive").await;
    let builder = contractor(&app, &admin, "中建八局第三建设有限公司").await;
    let installer = contractor(&app, &admin, "上海安装工程集团有限公司").await;

    // Stage 1: A and C inspected, B's inspection unfinished; defects A 2, B 1 takeover + 1
    // cancelled, C 1.
    inspect(&app, &inspector, &a, true).await;
    inspect(&app, &inspector, &b, false).await;
    inspect(&app, &inspector, &c, true).await;
    let project = app.demo.project_id;
    let defects = format!("/api/v1/projects/{project}/defects");
    for (unit, stage) in [(&a, "self"), (&a, "self"), (&b, "takeover"), (&c, "self")] {
        let body = json!({"unit_id": unit, "trade": "plumbing", "description": "地漏倒泛水",
            "stage": stage});
        ok(app.post(&defects, &inspector, &body).await).await;
    }
    let stray = app.a_defect(&inspector, b.parse().unwrap(), "civil").await;
    let stray = stray["id"].as_str().unwrap();
    act(&app, &admin, stray, "cancel", json!({"reason": "重复录入"})).await;

    for u in [&a, &b, &f, &g, &h, &i] {
        conditions_met(&app, &service, u).await;
    }
    // A: refused on P1 raising a1, accepted on P3.
    let v = check_in(&app, &service, &batch, &a).await;
    walk(&app, &service, &v).await;
    let a1 = raise(&app, &service, &v, "civil", "reasonable").await;
    end(&app, &service, &v, "refused", "quality").await;
    move_visit(&app, &v, noon(p1)).await;
    let v = check_in(&app, &service, &batch, &a).await;
    walk(&app, &service, &v).await;
    end(&app, &service, &v, "accepted", "").await;
    move_visit(&app, &v, noon(p3)).await;
    // B: accepted on P2; b1 cancelled below.
    let v = check_in(&app, &service, &batch, &b).await;
    walk(&app, &service, &v).await;
    raise(&app, &service, &v, "civil", "unreasonable").await;
    let b1 = raise(&app, &service, &v, "civil", "reasonable").await;
    end(&app, &service, &v, "accepted", "").await;
    move_visit(&app, &v, noon(p2)).await;
    // C: only looked on P2 with three items.
    let v = check_in(&app, &service, &batch, &c).await;
    walk(&app, &service, &v).await;
    let c1 = raise(&app, &service, &v, "civil", "reasonable").await;
    let c2 = raise(&app, &service, &v, "civil", "reasonable").await;
    let c3 = raise(&app, &service, &v, "electrical", "reasonable").await;
    end(&app, &service, &v, "only_looked", "").await;
    move_visit(&app, &v, noon(p2)).await;
    // D: refused at the door on P1 and on P2.
    for day in [p1, p2] {
        let v = check_in(&app, &service, &batch, &d).await;
        end(&app, &service, &v, "refused", "conditions").await;
        move_visit(&app, &v, noon(day)).await;
    }
    // F: accepted after the period with f1; G, H, I accepted later still.
    let v = check_in(&app, &service, &batch, &f).await;
    walk(&app, &service, &v).await;
    let f1 = raise(&app, &service, &v, "civil", "reasonable").await;
    end(&app, &service, &v, "accepted", "").await;
    move_visit(&app, &v, noon(p3 + days(5))).await;
    for u in [&g, &h, &i] {
        let v = check_in(&app, &service, &batch, u).await;
        end(&app, &service, &v, "accepted", "").await;
        move_visit(&app, &v, noon(p3 + days(6))).await;
    }

    // The items' lifecycles through the API (the presets assigned them on creation).
    let item = ok(app.get(&format!("/api/v1/defects/{c3}"), &admin).await).await["defect"].clone();
    assert_eq!(item["status"], "assigned");
    assert_eq!(item["contractor_id"], installer.as_str());
    let assign = |due: NaiveDate| json!({"contractor_id": builder, "due_on": due});
    act(&app, &admin, &a1, "assign", assign(p3 + days(1))).await;
    fix(&app, &a1, 1).await;
    act(&app, &inspector, &a1, "verify", json!({})).await;
    fix(&app, &c1, 2).await;
    act(
        &app,
        &inspector,
        &c1,
        "send-back",
        json!({"note": "仍有空鼓"}),
    )
    .await;
    fix(&app, &c1, 3).await;
    act(&app, &inspector, &c1, "verify", json!({})).await;
    act(&app, &admin, &c2, "assign", assign(p3)).await;
    fix(&app, &c2, 4).await;
    act(&app, &inspector, &c2, "verify", json!({})).await;
    act(&app, &admin, &b1, "cancel", json!({"reason": "重复录入"})).await;
    fix(&app, &f1, 5).await;
    act(&app, &inspector, &f1, "verify", json!({})).await;
    // Their histories, in days (created and assigned when raised).
    let at = |day: NaiveDate, hour: i64, minute: i64| {
        day_start(day) + Duration::hours(hour) + Duration::minutes(minute)
    };
    let raised_a1 = noon(p1);
    let raised_c = noon(p2);
    #[rustfmt::skip]
    history(&app, &a1, &[raised_a1, raised_a1, noon(p3), at(p3 + days(1), 23, 0), noon(p3 + days(2))]).await;
    #[rustfmt::skip]
    history(&app, &c1, &[raised_c, raised_c, noon(p3 + days(1)), at(p3 + days(1), 13, 0), noon(p3 + days(2)), noon(p3 + days(4))]).await;
    #[rustfmt::skip]
    history(&app, &c2, &[raised_c, raised_c, noon(p3), at(p3 + days(1), 0, 30), noon(p3 + days(2))]).await;
    history(&app, &c3, &[raised_c, raised_c]).await;
    history(&app, &b1, &[raised_c, raised_c]).await; // its cancellation stays today

    // Complaints: D on P2 (answered 30 min, resolved 3 h later), E on P3 (answered 10:00 the
    // next day), B on P3 (never answered), A the day after P3 (outside the period).
    let answer = |k: String, action: &'static str, body: Value| {
        let app = &app;
        let service = &service;
        async move {
            let path = format!("/api/v1/complaints/{k}/{action}");
            ok(app.post(&path, service, &body).await).await;
        }
    };
    let k = complaint(&app, &service, &d, noon(p2)).await;
    let t = noon(p2) + Duration::minutes(30);
    answer(k.clone(), "respond", json!({"at": t})).await;
    let t = noon(p2) + Duration::hours(3);
    answer(k, "resolve", json!({"resolution": "已维修", "at": t})).await;
    let k = complaint(&app, &service, &e, noon(p3)).await;
    answer(k, "respond", json!({"at": at(p3 + days(1), 10, 0)})).await;
    complaint(&app, &service, &b, noon(p3)).await;
    let k = complaint(&app, &service, &a, noon(p3 + days(1))).await;
    answer(k, "respond", json!({"at": noon(p3 + days(1))})).await;

    // Surveys (process, quality, service, rectification; NPS).
    survey(&app, &service, &a, [5, 4, 5, 3], 10).await;
    survey(&app, &service, &b, [4, 5, 5, 2], 9).await;
    survey(&app, &service, &f, [3, 3, 4, 1], 8).await;
    survey(&app, &service, &g, [2, 3, 3, 1], 6).await;
    survey(&app, &service, &h, [1, 1, 2, 1], 0).await;
    survey(&app, &service, &i, [5, 5, 5, 4], 9).await;

    // Now.
    let k = kpis(&app, &executive, &batch, None).await;
    // Took part: A, B, C, D; their items a1, c1, c2, c3 (b1 cancelled) = 4 ÷ 4.
    assert_eq!(k["avg_defects_per_unit"], ratio(Some(1.0), 4, 4));
    let s = &k["secondary"];
    // A and C of 12 finished a self-inspection; B's is unfinished.
    assert_eq!(
        s["self_inspection_coverage"],
        ratio(Some(2.0 / 12.0), 2, 12)
    );
    let coverage = format!("/api/v1/projects/{project}/coverage?batch={batch}");
    let coverage = ok(app.get(&coverage, &executive).await).await;
    assert_eq!(
        (&coverage["inspected"], &coverage["units"]),
        (&json!(2), &json!(12))
    );
    // Stage 1: A 2 + B 1 (takeover; the cancelled one not) + C 1 = 4 over 12 planned.
    assert_eq!(s["stage1_defects_per_unit"], ratio(Some(4.0 / 12.0), 4, 12));
    // Items raised in the period: a1, c1, c2, c3 (b1 cancelled, f1 after the period); closed
    // a1, c1, c2.
    assert_eq!(s["rectification_completion_rate"], ratio(Some(0.75), 3, 4));
    // On time: a1 (23:00 on its due day), c1 (due a week after today); late: c2 (00:30 after).
    assert_eq!(
        s["on_time_rectification_rate"],
        ratio(Some(2.0 / 3.0), 2, 3)
    );
    // a1 P1 → P3+2 = 4 days, c1 P2 → P3+4 = 5, c2 P2 → P3+2 = 3: (4 + 5 + 3) / 3.
    assert_eq!(s["mean_days_to_rectify"], mean(Some(4.0), 3));
    // c1 was sent back once.
    assert_eq!(s["first_time_pass_rate"], ratio(Some(2.0 / 3.0), 2, 3));
    // Refused in the period: A (then accepted) and D (twice, counted once), of 4 that took part.
    assert_eq!(s["refusal_rate"], ratio(Some(0.5), 2, 4));
    assert_eq!(
        s["refusal_reasons"],
        json!([{"reason": "conditions", "count": 2}, {"reason": "quality", "count": 1}])
    );
    // D's, E's and B's complaints; answered D (30 min) and E (22 h = 1,320 min); resolved D (180).
    assert_eq!(
        s["complaints"],
        json!({"received": 3, "responded": 2, "resolved": 1,
            "mean_first_response_minutes": mean(Some(675.0), 2),
            "mean_resolution_minutes": mean(Some(180.0), 1)})
    );
    // Stars: process 5+4+3+2+1+5 = 20, quality 4+5+3+3+1+5 = 21, service 5+5+4+3+2+5 = 24,
    // rectification 3+2+1+1+1+4 = 12, each over 6.
    assert_eq!(
        s["satisfaction"],
        json!([{"dimension": "process", "title": "", "mean_stars": mean(Some(20.0 / 6.0), 6)},
            {"dimension": "quality", "title": "", "mean_stars": mean(Some(21.0 / 6.0), 6)},
            {"dimension": "service", "title": "", "mean_stars": mean(Some(4.0), 6)},
            {"dimension": "rectification", "title": "", "mean_stars": mean(Some(2.0), 6)}])
    );
    // Promoters A 10, B 9, I 9; passive F 8; detractors G 6, H 0: (3 − 2) / 6 × 100.
    assert_eq!(
        s["nps"],
        json!({"score": 100.0 / 6.0, "promoters": 3, "passives": 1, "detractors": 2,
            "responses": 6})
    );
    // The 4 issues of 户均缺陷: civil a1, c1, c2; electrical c3.
    assert_eq!(
        s["defect_trades"],
        json!([{"trade": "civil", "count": 3, "share": 0.75, "cumulative_share": 0.75},
            {"trade": "electrical", "count": 1, "share": 0.25, "cumulative_share": 1.0}])
    );
    // 中建八局: a1, c1, c2 all closed, 2 on time, 1 send-back (f1 outside the period, the stage-1
    // defects not rectification items); 上海安装: c3 open, no on-time rate, so last.
    assert_eq!(
        s["contractors"],
        json!([
            {"contractor_id": builder, "name": "中建八局第三建设有限公司", "assigned": 3,
                "closed": 3, "completion_rate": ratio(Some(1.0), 3, 3),
                "on_time_rate": ratio(Some(2.0 / 3.0), 2, 3), "send_backs": 1},
            {"contractor_id": installer, "name": "上海安装工程集团有限公司", "assigned": 1,
                "closed": 0, "completion_rate": ratio(Some(0.0), 0, 1),
                "on_time_rate": ratio(None, 0, 0), "send_backs": 0}
        ])
    );
    shown_on_the_page_in_the_report_and_the_workbook(&app, &batch).await;
    let scenario = Scenario {
        batch: &batch,
        units: [&a, &b, &c, &d, &e, &f, &g, &h, &i],
        contractors: [&builder, &installer],
    };
    crate::kpi_secondary_drill::each_figure_drills_down_to_its_units(&app, &scenario, s).await;

    // As of noon P3+2 plus a minute: a1 and c2 verified, c1 fixed again but not yet verified
    // (sent back once already), b1 not yet cancelled: 2 of 5 closed, 1 on time (a1), both first
    // time, (4 + 3) / 2 days; 中建八局 holds a1, b1, c1, c2.
    let mid = noon(p3 + days(2)) + Duration::minutes(1);
    let s = kpis(&app, &executive, &batch, Some(mid)).await["secondary"].clone();
    assert_eq!(s["rectification_completion_rate"], ratio(Some(0.4), 2, 5));
    assert_eq!(s["on_time_rectification_rate"], ratio(Some(0.5), 1, 2));
    assert_eq!(s["mean_days_to_rectify"], mean(Some(3.5), 2));
    assert_eq!(s["first_time_pass_rate"], ratio(Some(1.0), 2, 2));
    let first = &s["contractors"][0];
    assert_eq!(first["name"], "中建八局第三建设有限公司");
    assert_eq!(
        (&first["assigned"], &first["closed"]),
        (&json!(4), &json!(2))
    );
    assert_eq!(first["send_backs"], 1);

    // As of the period's last minute: nothing inspected, recorded, fixed or surveyed yet (all
    // that happened later); b1 still counts; E's complaint not yet answered.
    let end_of_period = day_start(p3 + days(1)) - Duration::minutes(1);
    let k = kpis(&app, &executive, &batch, Some(end_of_period)).await;
    assert_eq!(k["avg_defects_per_unit"], ratio(Some(1.25), 5, 4));
    let s = &k["secondary"];
    assert_eq!(s["self_inspection_coverage"], ratio(Some(0.0), 0, 12));
    assert_eq!(s["stage1_defects_per_unit"], ratio(Some(0.0), 0, 12));
    assert_eq!(s["rectification_completion_rate"], ratio(Some(0.0), 0, 5));
    assert_eq!(s["on_time_rectification_rate"], ratio(None, 0, 0));
    assert_eq!(s["mean_days_to_rectify"], mean(None, 0));
    assert_eq!(s["refusal_rate"], ratio(Some(0.5), 2, 4));
    assert_eq!(s["complaints"]["responded"], 1);
    assert_eq!(
        s["complaints"]["mean_first_response_minutes"],
        mean(Some(30.0), 1)
    );
    assert_eq!(s["nps"]["responses"], 0);
    assert_eq!(s["satisfaction"][0]["mean_stars"], mean(None, 0));
    // civil a1, b1, c1, c2; electrical c3.
    assert_eq!(s["defect_trades"][0]["count"], 4);
    assert_eq!(s["defect_trades"][0]["share"], 0.8);
    assert_eq!(s["defect_trades"][1]["cumulative_share"], 1.0);
    // Both contractors without a closed item: the one holding more first.
    let names: Vec<&str> = s["contractors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["中建八局第三建设有限公司", "上海安装工程集团有限公司"]
    );
}

/// The scenario's batch, units A–I and contractors (中建八局, 上海安装), for the drill-downs.
pub struct Scenario<'a> {
    /// Batch id.
    pub batch: &'a str,
    /// Unit ids A–I.
    pub units: [&'a str; 9],
    /// Contractor ids: the builder, the installer.
    pub contractors: [&'a str; 2],
}

/// The text of the table row of `#secondary-table` for figure `key`, tags stripped.
fn figure_row(html: &str, key: &str) -> String {
    let marker = format!("data-figure=\"{key}\"");
    let from = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{key} not on the page"));
    let row = &html[from..from + html[from..].find("</tr>").unwrap()];
    strip_tags(row)
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for ch in html.chars() {
        match ch {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside && !c.is_whitespace() => out.push(c),
            _ => {}
        }
    }
    out
}

/// The scenario's secondary figures as the batch page, the report PDF and the workbook show
/// them (the values asserted on the API above).
async fn shown_on_the_page_in_the_report_and_the_workbook(app: &TestApp, batch: &str) {
    let c = app.page_login("executive").await;
    let resp = c
        .get(app.url(&format!("/batches/{batch}/kpis")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    let row = |key: &str| figure_row(&html, key);
    let completion = row("rectification_completion_rate");
    assert!(completion.contains("整改完成率75.0%3/4"), "{completion}");
    assert!(row("refusal_rate").contains("拒收率50.0%2/4"));
    assert!(row("mean_days_to_rectify").contains("平均整改天数4.03"));
    assert!(row("nps").contains("净推荐值（NPS）16.76"));
    assert!(row("complaints_received").contains("投诉数3"));
    let section = |id: &str| {
        let from = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("#{id}"));
        strip_tags(&html[from..from + html[from..].find("</section>").unwrap()])
    };
    let satisfaction = section("satisfaction");
    assert!(satisfaction.contains("交付流程3.36"), "{satisfaction}");
    assert!(
        satisfaction.contains("16.73126"),
        "NPS, promoters, passives, detractors, responses: {satisfaction}"
    );
    let complaints = section("complaints-refusals");
    assert!(
        complaints.contains("321675180"),
        "received, responded, resolved, minutes: {complaints}"
    );
    assert!(
        complaints.contains("收楼条件未满足2房屋质量问题1"),
        "{complaints}"
    );
    let contractors = section("contractors");
    assert!(
        contractors.contains("中建八局第三建设有限公司33100.0%66.7%1"),
        "{contractors}"
    );
    for link in [
        format!("/batches/{batch}/report.pdf"),
        format!("/batches/{batch}/report.pdf?lang=en"),
        format!("/batches/{batch}/kpis.xlsx"),
    ] {
        assert!(
            html.contains(&format!("href=\"{link}\"")),
            "{link} on the page"
        );
        let resp = c.get(app.url(&link)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{link}");
    }

    let pdf = c
        .get(app.url(&format!("/batches/{batch}/report.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = common::pdf::poppler("pdftotext", &[], &pdf);
    let flat: String = text.split_whitespace().collect();
    for expected in [
        "服务质量指标",
        "整改完成率75.0%3/4",
        "整改及时率66.7%2/3",
        "一次验收通过率66.7%2/3",
        "拒收率50.0%2/4",
        "满意度与净推荐值",
        "16.73126",
        "收楼条件未满足2",
        "中建八局第三建设有限公司33100.0%66.7%1",
    ] {
        assert!(flat.contains(expected), "{expected} in the report: {text}");
    }

    let xlsx = c
        .get(app.url(&format!("/batches/{batch}/kpis.xlsx")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let sheet = book.worksheet_range("服务质量").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    let completion = rows
        .iter()
        .find(|r| r[0] == Data::String("整改完成率".into()))
        .expect("整改完成率 row");
    assert_eq!(
        completion[1..4],
        [Data::Float(0.75), Data::Float(3.0), Data::Float(4.0)]
    );
    let sheet = book.worksheet_range("施工单位").unwrap();
    assert_eq!(
        sheet.get((1, 0)),
        Some(&Data::String("中建八局第三建设有限公司".into()))
    );
    assert_eq!(sheet.get((1, 5)), Some(&Data::Float(1.0)));
}
