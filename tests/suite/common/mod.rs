//! Test harness: the real server on a random port, on a fresh database of the backend chosen by
//! `HANDOVER_TEST_PG` (a PostgreSQL server URL; unset means SQLite in a temp dir).
#![allow(dead_code)]

pub mod browser;
pub mod handover_day;
pub mod pdf;
pub mod visits;

use handover::app::{AppState, serve};
use handover::auth::Role;
use handover::auth::repo::{MemberScope, grant, insert_user};
use handover::config::Config;
use handover::db::Db;
use handover::org::demo::{self, Loaded, Size};
use handover::org::repo;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use sqlx::Connection;
use uuid::Uuid;

/// A small project: 2 buildings × 1 entrance × 3 floors × 2 units = 12 units.
pub const SMALL: Size = Size {
    buildings: 2,
    entrances: 1,
    floors: 3,
    units_per_floor: 2,
};

/// A running server with its database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database the server uses.
    pub db: Db,
    /// The demo project of `SMALL` size and its ids.
    pub demo: Loaded,
    /// A second project (other region) with its own admin `other-admin` and inspector `other-inspector`.
    pub other_project: Uuid,
    _dir: tempfile::TempDir,
}

/// A fresh, migrated database of the backend under test.
pub async fn fresh_db(dir: &std::path::Path) -> Db {
    Db::connect(&fresh_db_url(dir).await)
        .await
        .expect("connect")
}

/// The URL of a fresh, migrated database of the backend under test (for the CLI, too).
pub async fn fresh_db_url(dir: &std::path::Path) -> String {
    let url = match std::env::var("HANDOVER_TEST_PG") {
        Ok(server) => {
            let name = format!("t_{}", Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("connect to test PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                .execute(&mut admin)
                .await
                .expect("create database");
            format!("{server}/{name}")
        }
        Err(_) => format!("sqlite://{}", dir.join("test.db").display()),
    };
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    handover::checklists::repo::ensure_defaults(&db)
        .await
        .expect("shipped checklists");
    url
}

/// Starts the server on `127.0.0.1:0` with a small demo project and a second project.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_db(dir.path()).await;
    let demo = demo::load(&db, SMALL).await.expect("demo");
    let other_project = other_project(&db).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut config = Config::local(port);
    config.data_dir = dir.path().join("data");
    let state = AppState::new(db.clone(), config);
    tokio::spawn(serve(listener, state, std::future::pending()));
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        db,
        demo,
        other_project,
        _dir: dir,
    }
}

async fn other_project(db: &Db) -> Uuid {
    let now = handover::clock::now();
    let mut tx = db.begin().await.unwrap();
    let group = repo::insert_group(&mut tx, "另一集团", now).await.unwrap();
    let region = repo::insert_region(&mut tx, group, "华南地区公司", now)
        .await
        .unwrap();
    let project = repo::insert_project(&mut tx, region, "另一项目", "广州", "", now)
        .await
        .unwrap();
    let rows = demo::roster(
        Size {
            buildings: 1,
            entrances: 1,
            floors: 2,
            units_per_floor: 2,
        },
        7,
    );
    repo::apply_roster(&mut tx, project, None, &rows, now)
        .await
        .unwrap();
    let hash = handover::auth::hash_password(demo::DEMO_PASSWORD).unwrap();
    for (name, role) in [
        ("other-admin", Role::Admin),
        ("other-inspector", Role::Inspector),
    ] {
        let user = insert_user(&mut tx, name, name, &hash, now).await.unwrap();
        grant(&mut tx, user, role, MemberScope::Project(project), now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    project
}

/// A client without cookies.
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client that keeps cookies (for pages).
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// Starts another app server on the same database (a second server of a deployment, or
    /// this one restarted: nothing in memory); answers its base URL.
    pub async fn another_server(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut config = Config::local(port);
        config.data_dir = self._dir.path().join("data");
        let state = AppState::new(self.db.clone(), config);
        tokio::spawn(serve(listener, state, std::future::pending()));
        format!("http://127.0.0.1:{port}")
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A bearer token for a demo (or other) account.
    pub async fn token(&self, username: &str) -> String {
        let resp = client()
            .post(self.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"username": username, "password": demo::DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "login {username}");
        resp.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// GET with a bearer token.
    pub async fn get(&self, path: &str, token: &str) -> Response {
        client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// POST JSON with a bearer token.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        client()
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A cookie client logged in on the login page as `username`.
    pub async fn page_login(&self, username: &str) -> Client {
        let c = browser();
        let html = c
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "_csrf");
        let resp = c
            .post(self.url("/login"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("username", username),
                ("password", demo::DEMO_PASSWORD),
                ("next", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::SEE_OTHER,
            "page login {username}"
        );
        c
    }

    /// Some unit id of a project.
    pub async fn a_unit_of(&self, project: Uuid) -> Uuid {
        let cells = repo::status_map(&mut self.db.read().await.unwrap(), project)
            .await
            .unwrap();
        cells[0].id
    }
}

/// A page read by a browser session: its status and its HTML.
pub async fn text(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = c.get(app.url(path)).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// The value of a hidden input `name` in an HTML page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The `fields` of a `request.invalid` answer, each as `"field code"`.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["field"].as_str().unwrap(),
                f["code"].as_str().unwrap()
            )
        })
        .collect()
}

/// Asserts an API error: status and stable code; returns the body.
pub async fn assert_error(resp: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(resp.status(), status, "status for expected {code}");
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["code"], code, "body {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    body
}

impl TestApp {
    /// The `sqlite://` URL of the test database (for running the CLI on it), or `None` on
    /// PostgreSQL.
    pub fn sqlite_url(&self) -> Option<String> {
        match self.db.backend() {
            handover::db::Backend::Sqlite => Some(format!(
                "sqlite://{}",
                self._dir.path().join("test.db").display()
            )),
            handover::db::Backend::Postgres => None,
        }
    }
}

/// A small JPEG of `w`×`h` whose pixels depend on `seed` (different seeds, different bytes).
pub fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x as u8).wrapping_add(seed),
            (y as u8).wrapping_mul(3),
            seed.wrapping_mul(7),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode jpeg");
    out.into_inner()
}

impl TestApp {
    /// POST multipart `file` parts with a bearer token.
    pub async fn upload(&self, path: &str, token: &str, files: Vec<Vec<u8>>) -> Response {
        let mut form = reqwest::multipart::Form::new();
        for (i, f) in files.into_iter().enumerate() {
            let part = reqwest::multipart::Part::bytes(f)
                .file_name(format!("photo{i}.jpg"))
                .mime_str("image/jpeg")
                .unwrap();
            form = form.part("file", part);
        }
        client()
            .post(self.url(path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Records a defect in a unit through the API and returns its JSON.
    pub async fn a_defect(&self, token: &str, unit: Uuid, trade: &str) -> Value {
        let resp = self
            .post(
                &format!("/api/v1/projects/{}/defects", self.demo.project_id),
                token,
                &serde_json::json!({"unit_id": unit, "room": "客厅", "part": "墙面",
                    "trade": trade, "description": "墙面空鼓"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "create defect");
        resp.json().await.unwrap()
    }
}
