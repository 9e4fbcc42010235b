//! Authentication over HTTP: tokens, wrong passwords, forged and expired tokens, rate limiting,
//! error messages in the caller's language.

use crate::common;

use common::{assert_error, client, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn token_login_and_me() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let me: serde_json::Value = app.get("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["username"], "inspector");
    assert_eq!(
        me["projects"][0]["project_id"],
        app.demo.project_id.to_string()
    );
    assert_eq!(me["projects"][0]["roles"], json!(["inspector"]));
}

#[tokio::test]
async fn wrong_password_is_401_with_code_in_both_languages() {
    let app = spawn_app().await;
    let body = json!({"username": "inspector", "password": "wrong-password"});
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let zh = assert_error(resp, StatusCode::UNAUTHORIZED, "auth.invalid_credentials").await;
    assert_eq!(zh["message"], "用户名或密码错误");
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .header("accept-language", "en-US,en;q=0.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    let en = assert_error(resp, StatusCode::UNAUTHORIZED, "auth.invalid_credentials").await;
    assert_eq!(en["message"], "Wrong username or password");
    let unknown = json!({"username": "nobody", "password": "whatever1"});
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "auth.invalid_credentials").await;
}

#[tokio::test]
async fn missing_forged_and_revoked_tokens_are_refused() {
    let app = spawn_app().await;
    let resp = client()
        .get(app.url("/api/v1/projects"))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "auth.required").await;
    let resp = app.get("/api/v1/projects", "forged-token-value").await;
    assert_error(resp, StatusCode::UNAUTHORIZED, "auth.invalid_token").await;

    let token = app.token("inspector").await;
    assert_eq!(
        app.get("/api/v1/projects", &token).await.status(),
        StatusCode::OK
    );
    let resp = client()
        .delete(app.url("/api/v1/auth/token"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.get("/api/v1/projects", &token).await,
        StatusCode::UNAUTHORIZED,
        "auth.invalid_token",
    )
    .await;
}

#[tokio::test]
async fn expired_token_is_refused() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let past = handover::clock::now() - chrono::Duration::hours(1);
    let mut tx = app.db.begin().await.unwrap();
    handover::auth::repo::expire_session(&mut tx, &handover::auth::secret_hash(&token), past)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_error(
        app.get("/api/v1/projects", &token).await,
        StatusCode::UNAUTHORIZED,
        "auth.token_expired",
    )
    .await;
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let app = spawn_app().await;
    let bad = json!({"username": "service", "password": "not-the-password"});
    for _ in 0..handover::auth::login::MAX_FAILURES_PER_USER {
        let resp = client()
            .post(app.url("/api/v1/auth/token"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the window lasts.
    let good = json!({"username": "service", "password": handover::org::demo::DEMO_PASSWORD});
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("retry-after"));
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "auth.rate_limited").await;
    // Other users are not locked out.
    app.token("inspector").await;
}

#[tokio::test]
async fn malformed_json_and_unknown_fields_are_400() {
    let app = spawn_app().await;
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_body").await;
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "a", "password": "b", "admin": true}))
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_body").await;
    assert!(body["message"].as_str().unwrap().contains("格式"));
}

#[tokio::test]
async fn oversize_body_is_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(handover::app::FORM_BODY_LIMIT + 10);
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body(format!("{{\"username\":\"{huge}\",\"password\":\"x\"}}"))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "request.too_large").await;
}

#[tokio::test]
async fn unknown_route_is_404_json() {
    let app = spawn_app().await;
    let token = app.token("admin").await;
    assert_error(
        app.get("/api/v1/nothing-here", &token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        client()
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn saved_language_preference_applies_when_the_request_names_none() {
    let app = spawn_app().await;
    let token = app.token("contractor").await;
    let resp = client()
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .json(&json!({"locale": "klingon"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    let forbidden = format!("/api/v1/projects/{}/members", app.demo.project_id);
    let zh = assert_error(
        app.get(&forbidden, &token).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    assert_eq!(zh["message"], "您没有执行此操作的权限");
    let resp = client()
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .json(&json!({"locale": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let en = assert_error(
        app.get(&forbidden, &token).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    assert_eq!(en["message"], "You are not allowed to do this");
    // An explicit request language still wins over the preference.
    let resp = client()
        .get(app.url(&format!("{forbidden}?lang=zh-CN")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let zh = assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    assert_eq!(zh["message"], "您没有执行此操作的权限");
}
