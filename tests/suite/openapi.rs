//! The tablet API contract: the served OpenAPI document equals the checked-in one.

use crate::common;

use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn served_openapi_matches_checked_in_contract() {
    let app = common::spawn_app().await;
    let resp = common::client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let served: Value = resp.json().await.unwrap();
    assert!(
        served["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );
    let file = include_str!("../../mobile-api/openapi.json");
    let checked_in: Value = serde_json::from_str(file).unwrap();
    assert!(
        served == checked_in,
        "mobile-api/openapi.json is stale: run `cargo run -- openapi > mobile-api/openapi.json`"
    );
    for path in [
        "/api/v1/auth/token",
        "/api/v1/projects/{id}/status-map",
        "/api/v1/projects/{id}/imports/units",
    ] {
        assert!(served["paths"][path].is_object(), "{path} documented");
    }
}
