//! Handover-day fixtures through the API: a batch, a visit with a reasonable and an
//! unreasonable issue, the acceptance, a fix by the contractor, a customer link.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use super::{TestApp, jpeg};

/// The body of a successful answer (fails the test on any other).
pub async fn ok(resp: Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// A batch planning the first building of the demo project; answers the batch and the
/// building's units (id, number).
pub async fn batch(app: &TestApp) -> (String, Vec<(String, String)>) {
    let admin = app.token("admin").await;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    let building = cells[0].building.clone();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "交付日", "period": {"start": "2026-12-18", "end": "2026-12-20"},
        "buildings": [building]});
    let b = ok(app.post(&path, &admin, &body).await).await;
    let units = cells
        .iter()
        .filter(|c| c.building == building)
        .map(|c| (c.id.to_string(), c.number.clone()))
        .collect();
    (b["id"].as_str().unwrap().to_owned(), units)
}

/// A visit of a unit and what was recorded in it.
pub struct Visit {
    /// Visit id.
    pub id: String,
    /// The reasonable issue.
    pub reasonable: String,
    /// Its rectification item.
    pub defect: String,
    /// The unreasonable issue.
    pub unreasonable: String,
}

/// Checks the customer in and walks the unit: one reasonable issue `what` (with a photo, seeded
/// by `seed`), one unreasonable (a preference). The visit stays open.
pub async fn visit(
    app: &TestApp,
    service: &str,
    (batch, unit): (&str, &str),
    what: &str,
    seed: u8,
) -> Visit {
    let body = json!({"unit_id": unit, "customer_name": "王小明", "identity_checked": true});
    let v = ok(app
        .post(&format!("/api/v1/batches/{batch}/visits"), service, &body)
        .await)
    .await;
    let id = v["id"].as_str().unwrap().to_owned();
    let path = |p: &str| format!("/api/v1/visits/{id}/{p}");
    ok(app.post(&path("walkthrough"), service, &json!({})).await).await;
    let body = json!({"room": "客厅", "part": "墙面", "trade": "civil", "description": what,
        "judgement": {"judgement": "reasonable"}});
    let v = ok(app.post(&path("issues"), service, &body).await).await;
    let reasonable = v["issues"][0]["id"].as_str().unwrap().to_owned();
    let defect = v["issues"][0]["defect_id"].as_str().unwrap().to_owned();
    let resp = app
        .upload(
            &format!("/api/v1/issues/{reasonable}/photos"),
            service,
            vec![jpeg(64, 48, seed)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "issue photo");
    let body = json!({"trade": "doors_windows", "description": "想把入户门换成木门",
        "judgement": {"judgement": "unreasonable", "reason_code": "preference"}});
    let v = ok(app.post(&path("issues"), service, &body).await).await;
    let unreasonable = v["issues"][1]["id"].as_str().unwrap().to_owned();
    Visit {
        id,
        reasonable,
        defect,
        unreasonable,
    }
}

/// Ticks the unit's handover conditions and closes the visit accepted, with a signature.
pub async fn accept(app: &TestApp, service: &str, unit: &str, visit: &str) {
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/conditions"), service)
        .await)
    .await;
    for c in list.as_array().unwrap() {
        let path = format!(
            "/api/v1/units/{unit}/conditions/{}",
            c["code"].as_str().unwrap()
        );
        let resp = super::client()
            .put(app.url(&path))
            .bearer_auth(service)
            .json(&json!({"met": true}))
            .send()
            .await
            .unwrap();
        ok(resp).await;
    }
    let body = json!({"outcome": "accepted", "signature": {"name": "王小明", "width": 720.0,
        "height": 240.0, "strokes": [[[20.0, 30.0, 0.0], [200.0, 120.0, 50.0]]]}});
    ok(app
        .post(&format!("/api/v1/visits/{visit}/outcome"), service, &body)
        .await)
    .await;
}

/// The contractor uploads an after photo and marks the rectification item fixed.
pub async fn fix(app: &TestApp, defect: &str, seed: u8) {
    let contractor = app.token("contractor").await;
    let resp = app
        .upload(
            &format!("/api/v1/defects/{defect}/photos?phase=after"),
            &contractor,
            vec![jpeg(64, 48, seed)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "after photo");
    let path = format!("/api/v1/defects/{defect}/fixed");
    ok(app
        .post(&path, &contractor, &json!({"note": "已修补"}))
        .await)
    .await;
}

/// Creates a customer link for `unit`; answers its JSON.
pub async fn link(app: &TestApp, service: &str, unit: &str) -> Value {
    let resp = app
        .post(&format!("/api/v1/units/{unit}/links"), service, &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "create link");
    resp.json().await.unwrap()
}
