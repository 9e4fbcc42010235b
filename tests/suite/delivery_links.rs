//! The customer link (业主链接) through HTTP: staff create, list and revoke links; the customer's
//! page and API show their unit only (another unit's issue or photo is 404); a "not fixed" is a
//! re-inspection request staff see and count; the survey opens on delivery, checks its values
//! and is answered once; revoked and expired links are 410; the public routes are rate-limited.

use crate::common;

use common::visits::{Visit, accept, batch, fix, link, ok, visit};
use common::{TestApp, assert_error, client, error_fields, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A batch planning a building (its id and units), a visit of the first unit (a reasonable and
/// an unreasonable issue) and a link to that unit.
struct Linked {
    batch: String,
    units: Vec<(String, String)>,
    visit: Visit,
    link: Value,
}

async fn linked(app: &TestApp) -> Linked {
    let (batch, units) = batch(app).await;
    let service = app.token("service").await;
    let visit = visit(app, &service, (&batch, &units[0].0), "客厅墙面空鼓", 1).await;
    let link = link(app, &service, &units[0].0).await;
    Linked {
        batch,
        units,
        visit,
        link,
    }
}

fn token(link: &Value) -> String {
    link["token"].as_str().unwrap().to_owned()
}

async fn customer(app: &TestApp, token: &str) -> Value {
    ok(client()
        .get(app.url(&format!("/api/v1/customer/{token}")))
        .send()
        .await
        .unwrap())
    .await
}

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    client().get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn the_link_shows_its_unit_only_and_other_units_ids_are_not_found() {
    let app = spawn_app().await;
    let Linked {
        batch,
        units,
        visit: a,
        link: l,
    } = linked(&app).await;
    let ((unit_a, number_a), (unit_b, number_b)) = (&units[0], &units[1]);
    let t = token(&l);
    assert_eq!(t.len(), 43, "256 bits, URL-safe");
    assert!(l["url"].as_str().unwrap().ends_with(&format!("/c/{t}")));
    assert_eq!(l["state"], "active");
    let service = app.token("service").await;
    // Another unit of the batch, with its own issue and photo.
    let b = visit(&app, &service, (&batch, unit_b), "厨房水管渗漏", 2).await;

    let v = customer(&app, &t).await;
    assert_eq!(v["unit_number"], number_a.as_str());
    let issues = v["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2);
    let reasonable = &issues[0];
    assert_eq!(reasonable["id"], a.reasonable.as_str());
    assert_eq!(reasonable["judgement"], "reasonable");
    assert_eq!(reasonable["rectification"]["status"], "assigned");
    assert_eq!(reasonable["rectification"]["feedback_open"], false);
    let before = reasonable["rectification"]["before"].as_array().unwrap();
    assert_eq!(
        before.len(),
        1,
        "the issue's photo is the item's before photo"
    );
    assert_eq!(issues[1]["judgement"], "unreasonable");
    assert_eq!(issues[1]["reason"], "个人喜好");
    assert!(issues[1]["rectification"].is_null());
    assert_eq!(v["visits"][0]["outcome"], Value::Null);
    assert_eq!(v["survey"]["open"], false);
    assert!(!v.to_string().contains("厨房水管渗漏"));

    // The page: zh-CN by default, this unit only; English on request.
    let page = get(&app, &format!("/c/{t}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("客厅墙面空鼓") && html.contains(number_a.as_str()));
    assert!(html.contains("合理，我们将为您整改") && html.contains("不属于整改范围"));
    assert!(!html.contains("厨房水管渗漏") && !html.contains(&format!(">{number_b}<")));
    let html = get(&app, &format!("/c/{t}?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Your issues") && !html.contains("您提出的问题"));

    // The photo of this unit's item, as thumbnail and preview; never the original.
    let thumb = before[0]["thumb_url"].as_str().unwrap();
    let resp = get(&app, thumb).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(
        get(&app, &thumb.replace("/thumb", "/preview"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_error(
        get(&app, &thumb.replace("/thumb", "/original")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Another unit's photo and issue through this token: not found.
    let admin = app.token("admin").await;
    let d = ok(app
        .get(&format!("/api/v1/defects/{}", b.defect), &admin)
        .await)
    .await;
    let b_photo = d["photos"][0]["id"].as_str().unwrap();
    assert_error(
        get(
            &app,
            &format!("/api/v1/customer/{t}/photos/{b_photo}/thumb"),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let other_issue = format!("/api/v1/customer/{t}/issues/{}/feedback", b.reasonable);
    assert_error(
        post(&app, &other_issue, &json!({"fixed": true})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // This unit's issues: nothing to confirm before the fix, nor on an unreasonable issue.
    for issue in [&a.reasonable, &a.unreasonable] {
        let path = format!("/api/v1/customer/{t}/issues/{issue}/feedback");
        assert_error(
            post(&app, &path, &json!({"fixed": true})).await,
            StatusCode::CONFLICT,
            "feedback.not_open",
        )
        .await;
    }
    // An unknown token is not found, on the API and the page.
    let unknown = "A".repeat(43);
    assert_error(
        get(&app, &format!("/api/v1/customer/{unknown}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        get(&app, &format!("/c/{unknown}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Staff: only customer service and administrators of the project.
    let list = ok(app
        .get(&format!("/api/v1/units/{unit_a}/links"), &service)
        .await)
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let contractor = app.token("contractor").await;
    assert_error(
        app.post(
            &format!("/api/v1/units/{unit_a}/links"),
            &contractor,
            &json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let other = app.token("other-admin").await;
    assert_error(
        app.get(&format!("/api/v1/units/{unit_a}/links"), &other)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let qr = app
        .get(
            &format!("/api/v1/links/{}/qr.svg", l["id"].as_str().unwrap()),
            &service,
        )
        .await;
    assert_eq!(qr.status(), StatusCode::OK);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().contains("<svg"));
}

#[tokio::test]
async fn not_fixed_is_a_reinspection_request_staff_see_and_count() {
    let app = spawn_app().await;
    let Linked {
        units,
        visit: a,
        link: l,
        ..
    } = linked(&app).await;
    let t = token(&l);
    fix(&app, &a.defect, 9).await;
    let v = customer(&app, &t).await;
    let r = &v["issues"][0]["rectification"];
    assert_eq!(r["status"], "fixed");
    assert_eq!(r["feedback_open"], true);
    assert_eq!(r["after"].as_array().unwrap().len(), 1);

    let path = format!("/api/v1/customer/{t}/issues/{}/feedback", a.reasonable);
    let long = json!({"fixed": false, "comment": "长".repeat(501)});
    let body = assert_error(
        post(&app, &path, &long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(body["fields"][0]["field"], "comment");
    let resp = post(
        &app,
        &path,
        &json!({"fixed": false, "comment": "墙角还是空鼓"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let v: Value = resp.json().await.unwrap();
    let r = &v["issues"][0]["rectification"];
    assert_eq!(r["feedback_open"], false);
    assert_eq!(r["feedback"]["fixed"], false);
    assert_error(
        post(&app, &path, &json!({"fixed": true})).await,
        StatusCode::CONFLICT,
        "feedback.already_given",
    )
    .await;

    // Staff see the request: counted on the link, flagged on the defect's page.
    let service = app.token("service").await;
    let unit = &units[0].0;
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/links"), &service)
        .await)
    .await;
    assert_eq!(list[0]["reinspection_requests"], 1);
    assert_eq!(list[0]["confirmed_fixed"], 0);
    let inspector = app.page_login("inspector").await;
    let html = inspector
        .get(app.url(&format!("/defects/{}", a.defect)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"reinspection-request\""),
        "flag on the defect page"
    );
    assert!(html.contains("墙角还是空鼓") && html.contains("要求复验 1 次"));

    // The inspector sends it back, the contractor fixes it again: the customer's word is asked
    // again, and a "fixed" on the page's form is counted.
    let inspector_token = app.token("inspector").await;
    ok(app
        .post(
            &format!("/api/v1/defects/{}/send-back", a.defect),
            &inspector_token,
            &json!({"note": "业主反馈墙角仍空鼓"}),
        )
        .await)
    .await;
    let html = inspector
        .get(app.url(&format!("/defects/{}", a.defect)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"reinspection-request\""), "acted on");
    fix(&app, &a.defect, 10).await;
    assert_eq!(
        customer(&app, &t).await["issues"][0]["rectification"]["feedback_open"],
        true
    );
    let resp = client()
        .post(app.url(&format!("/c/{t}/issues/{}/feedback", a.reasonable)))
        .form(&[("fixed", "1"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("/c/{t}?ok=fixed")), "{to}");
    let html = get(&app, &to).await.text().await.unwrap();
    assert!(html.contains("感谢确认") && html.contains("您已确认修好"));
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/links"), &service)
        .await)
    .await;
    assert_eq!(list[0]["confirmed_fixed"], 1);
    assert_eq!(list[0]["reinspection_requests"], 1);
}

#[tokio::test]
async fn the_survey_opens_on_delivery_checks_its_values_and_is_answered_once() {
    let app = spawn_app().await;
    let Linked {
        units,
        visit: a,
        link: l,
        ..
    } = linked(&app).await;
    let t = token(&l);
    let path = format!("/api/v1/customer/{t}/survey");
    let valid = json!({"stars": {"process": 5, "quality": 4, "service": 5, "rectification": 3},
        "nps": 9, "comment": "交付很顺利"});
    assert_error(
        post(&app, &path, &valid).await,
        StatusCode::CONFLICT,
        "survey.not_delivered",
    )
    .await;
    let service = app.token("service").await;
    accept(&app, &service, &units[0].0, &a.id).await;
    let v = customer(&app, &t).await;
    assert_eq!(v["survey"]["open"], true);
    assert_eq!(v["visits"][0]["outcome"], "accepted");
    assert_eq!(v["survey"]["dimensions"][0]["name"], "交付流程");

    let mut bad = valid.clone();
    bad["stars"]["quality"] = json!(6);
    bad["stars"]["service"] = json!(0);
    let body = assert_error(
        post(&app, &path, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(
        error_fields(&body),
        ["stars.quality out_of_range", "stars.service out_of_range"]
    );
    let mut bad = valid.clone();
    bad["nps"] = json!(11);
    bad["stars"].as_object_mut().unwrap().remove("process");
    let body = assert_error(
        post(&app, &path, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(
        error_fields(&body),
        ["stars.process required", "nps out_of_range"]
    );

    let resp = post(&app, &path, &valid).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["survey"]["open"], false);
    assert!(v["survey"]["answered_at"].is_string());
    assert_error(
        post(&app, &path, &valid).await,
        StatusCode::CONFLICT,
        "survey.already_answered",
    )
    .await;
    let stored: (i32, String) = handover::run!(&mut app.db.read().await.unwrap(), |c| {
        sqlx::query_as("select nps, stars from surveys")
            .fetch_one(c)
            .await
    })
    .unwrap();
    assert_eq!(stored.0, 9);
    assert!(stored.1.contains("\"rectification\":3"), "{}", stored.1);
    let html = get(&app, &format!("/c/{t}")).await.text().await.unwrap();
    assert!(html.contains("id=\"thanks\"") && !html.contains("survey-submit"));
}

#[tokio::test]
async fn revoked_and_expired_links_are_gone_with_a_friendly_page() {
    let app = spawn_app().await;
    let Linked {
        units,
        visit: a,
        link: revoked,
        ..
    } = linked(&app).await;
    let service = app.token("service").await;
    let id = revoked["id"].as_str().unwrap();
    let r = ok(app
        .post(&format!("/api/v1/links/{id}/revoke"), &service, &json!({}))
        .await)
    .await;
    assert_eq!(r["state"], "revoked");
    let again = ok(app
        .post(&format!("/api/v1/links/{id}/revoke"), &service, &json!({}))
        .await)
    .await;
    assert_eq!(again["revoked_at"], r["revoked_at"], "revoked once");
    let t = token(&revoked);
    assert_error(
        get(&app, &format!("/api/v1/customer/{t}")).await,
        StatusCode::GONE,
        "link.revoked",
    )
    .await;
    let feedback = format!("/api/v1/customer/{t}/issues/{}/feedback", a.reasonable);
    assert_error(
        post(&app, &feedback, &json!({"fixed": true})).await,
        StatusCode::GONE,
        "link.revoked",
    )
    .await;
    let page = get(&app, &format!("/c/{t}")).await;
    assert_eq!(page.status(), StatusCode::GONE);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-code=\"link.revoked\"") && html.contains("请联系项目客服"));
    assert!(!html.contains("客厅墙面空鼓"));

    // Expiry, set in the past in the database.
    let expired = link(&app, &service, &units[0].0).await;
    let t = token(&expired);
    assert_eq!(customer(&app, &t).await["unit_number"], units[0].1.as_str());
    let id: uuid::Uuid = expired["id"].as_str().unwrap().parse().unwrap();
    let past = handover::clock::now() - chrono::Duration::minutes(1);
    let mut tx = app.db.begin().await.unwrap();
    handover::exec!(&mut tx, |c| sqlx::query(
        "update customer_links set expires_at = $1 where id = $2"
    )
    .bind(past)
    .bind(id)
    .execute(c)
    .await)
    .unwrap();
    tx.commit().await.unwrap();
    let body = assert_error(
        client()
            .get(app.url(&format!("/api/v1/customer/{t}")))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
        StatusCode::GONE,
        "link.expired",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("expired"));
    let page = get(&app, &format!("/c/{t}")).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("data-code=\"link.expired\"")
    );
    let list = ok(app
        .get(&format!("/api/v1/units/{}/links", units[0].0), &service)
        .await)
    .await;
    let states: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["expired", "revoked"]);
}

#[tokio::test]
async fn the_unit_page_creates_shows_and_revokes_links_for_customer_service_only() {
    let app = spawn_app().await;
    let Linked { units, .. } = linked(&app).await;
    let unit = &units[0].0;
    let page = app.page_login("service").await;
    let html = page
        .get(app.url(&format!("/units/{unit}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("客户链接") && html.contains("id=\"link-create\""));
    let csrf = common::hidden(&html, "_csrf");
    let resp = page
        .post(app.url(&format!("/units/{unit}/links")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = page
        .get(app.url(&format!("/units/{unit}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("class=\"link-qr\"").count(),
        2,
        "two active links"
    );
    let service = app.token("service").await;
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/links"), &service)
        .await)
    .await;
    let newest = &list[0];
    assert!(html.contains(newest["url"].as_str().unwrap()));
    let qr = page
        .get(app.url(&format!("/links/{}/qr.svg", newest["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), StatusCode::OK);
    let resp = page
        .post(app.url(&format!("/links/{}/revoke", newest["id"].as_str().unwrap())))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/links"), &service)
        .await)
    .await;
    assert_eq!(list[0]["state"], "revoked");
    // Without the CSRF token nothing happens.
    let resp = page
        .post(app.url(&format!("/units/{unit}/links")))
        .form(&[("_csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // An inspector sees the unit, not its customer links.
    let html = app
        .page_login("inspector")
        .await
        .get(app.url(&format!("/units/{unit}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"link-create\"") && !html.contains("/c/"));
}

#[tokio::test]
async fn the_public_routes_are_limited_per_token_and_per_address() {
    let app = spawn_app().await;
    let Linked {
        units, link: first, ..
    } = linked(&app).await;
    let service = app.token("service").await;
    let t = token(&first);
    let mut served = 0;
    let limited = loop {
        let resp = get(&app, &format!("/api/v1/customer/{t}")).await;
        if resp.status() != StatusCode::OK {
            break resp;
        }
        served += 1;
        assert!(served <= 31, "no limit after {served} calls");
    };
    assert!(served >= 30, "only {served} calls served");
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "link.rate_limited").await;
    // The page shares the token's budget.
    assert_eq!(
        get(&app, &format!("/c/{t}")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Other tokens go on, until the address has used its own budget (twice a token's).
    let others = [
        link(&app, &service, &units[0].0).await,
        link(&app, &service, &units[0].0).await,
    ];
    let mut counts = [0, 0];
    'calls: loop {
        for (i, l) in others.iter().enumerate() {
            let resp = get(&app, &format!("/api/v1/customer/{}", token(l))).await;
            if resp.status() == StatusCode::TOO_MANY_REQUESTS {
                break 'calls;
            }
            assert_eq!(resp.status(), StatusCode::OK);
            counts[i] += 1;
            assert!(counts[i] < 30, "the address was never limited: {counts:?}");
        }
    }
    assert!(counts.iter().sum::<i32>() >= 20, "{counts:?}");
}
