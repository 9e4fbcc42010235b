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

/// The parameters of an operation named `method path` in the checked-in document.
fn parameters<'a>(doc: &'a Value, method: &str, path: &str) -> Vec<&'a Value> {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

#[test]
fn parameters_sit_where_clients_send_them() {
    let doc: Value = serde_json::from_str(include_str!("../../mobile-api/openapi.json")).unwrap();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let mut placeholders: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .collect();
        placeholders.sort_unstable();
        for method in ops.as_object().unwrap().keys() {
            let params = parameters(&doc, method, path);
            let mut in_path: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            in_path.sort_unstable();
            assert_eq!(in_path, placeholders, "{method} {path}: path parameters");
            for p in params.iter().filter(|p| p["in"] != "path") {
                assert_eq!(p["in"], "query", "{method} {path} {}", p["name"]);
            }
        }
    }
    let query = |method, path, name| {
        parameters(&doc, method, path)
            .into_iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} {name}"))
            .clone()
    };
    let q = query("get", "/api/v1/batches/{id}/desk", "q");
    assert_eq!((&q["in"], &q["required"]), (&"query".into(), &true.into()));
    let slot = query("get", "/api/v1/batches/{id}/appointments", "slot");
    assert_eq!(slot["in"], "query");
    assert_ne!(slot["required"], true, "the slot filter is optional");
}
