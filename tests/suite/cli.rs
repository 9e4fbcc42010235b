//! The command line on a real database of the backend under test: `migrate`, `user add`.

use crate::common;

use handover::org::demo::{self, Size};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn handover(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(args)
        .env_remove("HANDOVER_DATABASE_URL")
        .env_remove("HANDOVER_PASSWORD")
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn migrate_is_idempotent_and_user_add_grants_a_role_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_db_url(dir.path()).await;
    let out = handover(&["--database-url", &url, "migrate"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));

    let db = handover::db::Db::connect(&url).await.unwrap();
    let loaded = demo::load(
        &db,
        Size {
            buildings: 1,
            entrances: 1,
            floors: 1,
            units_per_floor: 2,
        },
    )
    .await
    .unwrap();

    // An unknown role and a short password are refused, and create nobody.
    let out = handover(&[
        "--database-url",
        &url,
        "user",
        "add",
        "--username",
        "wang.wu",
        "--password",
        "longenough1",
        "--role",
        "boss",
        "--project",
        demo::DEMO_PROJECT,
    ])
    .await;
    assert!(!out.status.success());
    let out = handover(&[
        "--database-url",
        &url,
        "user",
        "add",
        "--username",
        "wang.wu",
        "--password",
        "short",
        "--role",
        "inspector",
        "--project",
        demo::DEMO_PROJECT,
    ])
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("request.invalid"));

    let out = handover(&[
        "--database-url",
        &url,
        "user",
        "add",
        "--username",
        "wang.wu",
        "--password",
        "longenough1",
        "--role",
        "inspector",
        "--project",
        demo::DEMO_PROJECT,
        "--display-name",
        "王五",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The new account logs in through the API of a server on the same database.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = handover::app::AppState::new(db, handover::config::Config::local(port));
    tokio::spawn(handover::app::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let base = format!("http://127.0.0.1:{port}");
    let resp = common::client()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": "wang.wu", "password": "longenough1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let token = resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: Value = common::client()
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "王五");
    assert_eq!(
        me["projects"][0]["project_id"],
        loaded.project_id.to_string()
    );
    assert_eq!(me["projects"][0]["roles"], json!(["inspector"]));

    // Running it again for the same user adds a role without creating a second account.
    let out = handover(&[
        "--database-url",
        &url,
        "user",
        "add",
        "--username",
        "wang.wu",
        "--password",
        "whatever12",
        "--role",
        "property",
        "--project",
        &loaded.project_id.to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another process changed the grants: this server trusts its checked session for at most
    // SESSION_CACHE_TTL, so the new role shows within it.
    let ttl = handover::auth::SESSION_CACHE_TTL;
    let deadline = std::time::Instant::now() + ttl + std::time::Duration::from_secs(1);
    let roles = loop {
        let me: Value = common::client()
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut roles: Vec<String> =
            serde_json::from_value(me["projects"][0]["roles"].clone()).unwrap();
        roles.sort();
        if roles.len() == 2 || std::time::Instant::now() > deadline {
            break roles;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(roles, ["inspector", "property"]);
}

#[tokio::test]
async fn serve_names_the_address_it_cannot_listen_on() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_db_url(dir.path()).await;
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let args = ["--database-url", &url, "serve", "--data-dir", data];
    let out = handover(&[&args[..], &["--bind", "127.0.0.1:8080", "--port", "0"]].concat()).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot listen on 127.0.0.1:8080:0 (--bind takes an address"),
        "{stderr}"
    );
}

/// Starts `handover serve --demo` on a free port; answers the process and its address.
async fn serve_demo(url: &str, data: &str) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(["--database-url", url, "--data-dir", data, "serve", "--demo"])
        .args(["--bind", "127.0.0.1", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(rest) = line.split("listening on ").nth(1) {
            let base = rest.split_whitespace().next().unwrap().to_owned();
            return (child, base);
        }
        said.push(line);
    }
    panic!("serve --demo stopped: {said:?}");
}

#[tokio::test]
async fn serve_demo_books_the_demo_batch_in_its_buyers_names() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_db_url(dir.path()).await;
    let data = dir.path().join("data");
    let (_server, base) = serve_demo(&url, data.to_str().unwrap()).await;
    let c = common::client();
    let login = json!({"username": "service", "password": demo::DEMO_PASSWORD});
    let resp = c
        .post(format!("{base}/api/v1/auth/token"))
        .json(&login)
        .send()
        .await
        .unwrap();
    let token: Value = resp.json().await.unwrap();
    let token = token["token"].as_str().unwrap();
    let get = async |path: String| -> Value {
        let resp = c.get(format!("{base}{path}")).bearer_auth(token).send();
        resp.await.unwrap().json().await.unwrap()
    };
    let projects = get("/api/v1/projects".into()).await;
    let project = projects[0]["id"].as_str().unwrap();
    let batches = get(format!("/api/v1/projects/{project}/batches")).await;
    let batch = batches[0]["id"].as_str().unwrap();
    let planned = batches[0]["planned_units"].as_i64().unwrap();
    assert_eq!(planned, 1440);

    let slots = get(format!("/api/v1/batches/{batch}/slots")).await;
    let slots = slots.as_array().unwrap();
    assert_eq!(slots.len(), 48, "half-hour slots, 09:00–17:00, three days");
    let booked: i64 = slots.iter().map(|s| s["booked"].as_i64().unwrap()).sum();
    assert_eq!(booked, planned);
    assert!(
        slots
            .iter()
            .all(|s| s["booked"].as_i64() <= s["capacity"].as_i64())
    );

    let first = slots[0]["id"].as_str().unwrap();
    let list = get(format!("/api/v1/batches/{batch}/appointments?slot={first}")).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len() as i64, slots[0]["booked"].as_i64().unwrap());
    let number = list[0]["unit_number"].as_str().unwrap();
    let hit = get(format!("/api/v1/batches/{batch}/desk?q={number}")).await;
    assert_eq!(list[0]["customer_name"], hit[0]["buyers"][0]["name"]);
    assert!(
        list[0]["phone"].as_str().unwrap().contains("****"),
        "masked"
    );
}
