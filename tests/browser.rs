//! End to end in a real headless Chromium (driven over WebDriver by `chromedriver`) at tablet
//! size: log in on the page, read the unit status map, filter it by state, open a unit, and
//! switch the language.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use handover::org::demo::DEMO_PASSWORD;
use handover::org::repo;
use serde_json::{Value, json};
use uuid::Uuid;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any wait for the browser may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);
/// Poll interval of every wait.
const POLL: Duration = Duration::from_millis(25);

/// A `chromedriver` process, killed (with the browsers it started) when dropped.
struct Driver {
    child: Child,
    url: String,
    /// Chromium's profile (`--user-data-dir`), removed after the driver is gone.
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // End the browsers this driver started, found by their unique profile directory, so
        // that none outlives a failed test; a group kill is avoided, it reached other processes.
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", &self.profile.path().display().to_string()])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts `chromedriver` on a free port and waits until it reports ready.
async fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "{CHROMEDRIVER} and {CHROMIUM} are needed: run .ci/deps"
    );
    let port = free_port();
    let mut cmd = Command::new(CHROMEDRIVER);
    cmd.arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn().expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profile: tempfile::tempdir().expect("tempdir"),
    };
    let http = common::client();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let ready = match http.get(format!("{}/status", driver.url)).send().await {
            Ok(resp) => resp
                .json::<Value>()
                .await
                .is_ok_and(|v| v["value"]["ready"] == true),
            Err(_) => false,
        };
        if ready {
            return driver;
        }
        assert!(Instant::now() < deadline, "chromedriver did not get ready");
        tokio::time::sleep(POLL).await;
    }
}

/// A headless Chromium session at tablet size (1280×800) preferring Chinese, like the
/// inspectors' tablets.
async fn open_browser(driver: &Driver) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--lang=zh-CN",
                "--window-size=1280,800",
                format!("--user-data-dir={}", driver.profile.path().display()),
            ],
            "prefs": { "intl.accept_languages": "zh-CN,zh" },
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("start a Chromium session");
    client
        .set_window_size(1280, 800)
        .await
        .expect("window size");
    client
}

/// Runs `body` against a fresh server and a fresh browser, and always ends the browser session,
/// also when `body` fails.
async fn with_browser<F, Fut>(body: F)
where
    F: FnOnce(TestApp, Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let app = common::spawn_app().await;
    let driver = start_driver().await;
    let client = open_browser(&driver).await;
    let outcome = tokio::spawn(body(app, client.clone())).await;
    let _ = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The path (and query) of the page the browser shows.
async fn path_of(b: &Client) -> String {
    let url = b.current_url().await.expect("current url");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Waits until the browser shows a page whose path and query satisfy `ok`.
async fn wait_for_path(b: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let path = path_of(b).await;
        if ok(&path) {
            return path;
        }
        assert!(
            Instant::now() < deadline,
            "expected {what}, the browser is on {path}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the element `css` is on the page and its text contains `text`.
async fn wait_for_text(b: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let seen = match b.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if seen.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {text:?} in {css}, found {seen:?} on {}",
            path_of(b).await
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The unit cells the status map shows.
async fn cells(b: &Client) -> Vec<fantoccini::elements::Element> {
    b.find_all(Locator::Css("#status-map a.cell"))
        .await
        .expect("find cells")
}

/// The state filter chip whose label contains `label`.
async fn state_chip(b: &Client, label: &str) -> fantoccini::elements::Element {
    let chips = b
        .find_all(Locator::Css("#status-map .filters a"))
        .await
        .expect("chips");
    for chip in chips {
        if chip.text().await.expect("chip text").contains(label) {
            return chip;
        }
    }
    panic!("no filter chip {label:?}");
}

/// Logs in on the login page, as a person would, and waits for the landing page.
async fn log_in(b: &Client, app: &TestApp, username: &str) {
    b.goto(&app.url("/login")).await.expect("open /login");
    let lang = b
        .find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("lang attr");
    assert_eq!(
        lang.as_deref(),
        Some("zh-CN"),
        "a Chinese tablet gets Chinese"
    );
    b.find(Locator::Css("input[name=username]"))
        .await
        .expect("username field")
        .send_keys(username)
        .await
        .expect("type username");
    b.find(Locator::Css("input[name=password]"))
        .await
        .expect("password field")
        .send_keys(DEMO_PASSWORD)
        .await
        .expect("type password");
    b.find(Locator::Css("form[action='/login'] button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("submit");
    wait_for_path(b, "the inspector's work queue", |p| p == "/me/work").await;
    let project = format!("/projects/{}", app.demo.project_id);
    b.goto(&app.url(&project)).await.expect("open the project");
    wait_for_path(b, "the inspector's project page", |p| p == project).await;
}

/// A unit of the demo project with at least one buyer, and that buyer's full phone.
async fn unit_with_buyer(app: &TestApp) -> (Uuid, String, String) {
    let mut conn = app.db.read().await.expect("db");
    for cell in repo::status_map(&mut conn, app.demo.project_id)
        .await
        .expect("cells")
    {
        let buyers = repo::buyers_of(&mut conn, cell.id).await.expect("buyers");
        if let Some(b) = buyers.first() {
            return (cell.id, cell.number, b.phone.clone());
        }
    }
    panic!("the demo project has no unit with a buyer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_logs_in_filters_the_map_and_opens_a_unit() {
    with_browser(|app, b| async move {
        log_in(&b, &app, "inspector").await;

        // The status map of the SMALL demo: 2 buildings × 1 entrance × 3 floors × 2 units.
        b.find(Locator::Css("#status-map"))
            .await
            .expect("the status map");
        wait_for_text(&b, "#status-map h2", "房态图").await;
        let all = cells(&b).await;
        assert_eq!(all.len(), 12, "every unit of the project is a cell");
        for cell in &all {
            assert!(
                cell.is_displayed().await.expect("displayed"),
                "cell visible"
            );
        }
        let (_, _, width, _) = b
            .find(Locator::Css("#status-map"))
            .await
            .expect("map")
            .rectangle()
            .await
            .expect("rect");
        assert!(width <= 1280.0, "the map fits the tablet's width ({width})");

        // Filtering by a state nobody is in yet empties the map…
        state_chip(&b, "可交付")
            .await
            .click()
            .await
            .expect("click 可交付");
        wait_for_path(&b, "the ready filter", |p| p.ends_with("?status=ready")).await;
        assert_eq!(cells(&b).await.len(), 0, "no unit is ready yet");

        // …and by 未验收 (every unit of a fresh project) shows them all again.
        state_chip(&b, "未验收")
            .await
            .click()
            .await
            .expect("click 未验收");
        wait_for_path(&b, "the not-inspected filter", |p| {
            p.ends_with("?status=not_inspected")
        })
        .await;
        let chip = state_chip(&b, "未验收").await;
        assert_eq!(
            chip.attr("class").await.expect("class").as_deref(),
            Some("on"),
            "the active chip is marked"
        );
        assert_eq!(
            chip.attr("data-count").await.unwrap().as_deref(),
            Some("12")
        );
        let shown = cells(&b).await;
        assert_eq!(shown.len(), 12, "every unit is still 未验收");
        for cell in &shown {
            let class = cell.attr("class").await.unwrap().unwrap_or_default();
            assert!(class.contains("st-not_inspected"), "cell class {class}");
        }

        // Open a unit with a buyer from its cell.
        let (unit, number, phone) = unit_with_buyer(&app).await;
        let cell = b
            .find(Locator::Css(&format!(
                "#status-map a.cell[href='/units/{unit}']"
            )))
            .await
            .expect("the unit's cell");
        assert_eq!(
            cell.attr("data-number").await.unwrap().as_deref(),
            Some(number.as_str())
        );
        cell.click().await.expect("click the cell");
        let page = format!("/units/{unit}");
        wait_for_path(&b, "the unit page", |p| p == page).await;
        wait_for_text(&b, "main h1", &number).await;
        let phones = b
            .find_all(Locator::Css(".buyer .phone"))
            .await
            .expect("phones");
        assert!(!phones.is_empty(), "the buyers are listed");
        let shown = phones[0].text().await.expect("phone text");
        assert!(shown.contains("****"), "phone masked: {shown}");
        assert!(
            shown.ends_with(&phone[phone.len() - 4..]),
            "the last four digits stay: {shown} vs {phone}"
        );
        let source = b.source().await.expect("source");
        assert!(
            !source.contains(&phone),
            "the full phone {phone} never reaches the page"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_turns_the_pages_english_and_back() {
    with_browser(|app, b| async move {
        log_in(&b, &app, "inspector").await;
        let project = format!("/projects/{}", app.demo.project_id);
        wait_for_text(&b, "#status-map h2", "房态图").await;

        let switch = b.find(Locator::Css("a.lang")).await.expect("switch");
        assert_eq!(switch.text().await.unwrap(), "English");
        switch.click().await.expect("click English");
        wait_for_text(&b, "#status-map h2", "Unit status map").await;
        assert_eq!(
            path_of(&b).await,
            project,
            "the switch comes back to the same page"
        );
        let lang = b
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap();
        assert_eq!(lang.as_deref(), Some("en"));
        let chip = state_chip(&b, "Not inspected").await;
        assert_eq!(
            chip.attr("data-count").await.unwrap().as_deref(),
            Some("12")
        );
        assert_eq!(cells(&b).await.len(), 12);

        // The choice sticks on the next page, although the browser still prefers Chinese.
        cells(&b).await[0].click().await.expect("open a unit");
        wait_for_path(&b, "a unit page", |p| p.starts_with("/units/")).await;
        wait_for_text(&b, "main", "Buyers").await;

        // And back to Chinese.
        b.find(Locator::Css("a.lang"))
            .await
            .unwrap()
            .click()
            .await
            .expect("click 中文");
        wait_for_text(&b, "main", "业主").await;
        assert!(path_of(&b).await.starts_with("/units/"));
    })
    .await;
}
