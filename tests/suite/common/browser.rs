//! A headless Chromium harness for the page tests: a `chromedriver` per test, a tablet-sized
//! session preferring Chinese, and waits that poll instead of sleeping.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::{TestApp, spawn_app};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any wait for the browser may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// Poll interval of every wait.
pub const POLL: Duration = Duration::from_millis(25);

/// A `chromedriver` process, killed (with the browsers it started) when dropped.
pub struct Driver {
    child: Child,
    /// WebDriver URL.
    pub url: String,
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
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts `chromedriver` on a free port and waits until it reports ready.
pub async fn start_driver() -> Driver {
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
    let http = super::client();
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
pub async fn open_browser(driver: &Driver) -> Client {
    open_session(driver, false).await
}

/// The phone buyers open their link on: 390×844 CSS pixels, touch, a phone's user agent.
pub const PHONE: (u32, u32) = (390, 844);

/// A headless Chromium session preferring Chinese, at tablet size or emulating a phone.
pub async fn open_session(driver: &Driver, phone: bool) -> Client {
    let (width, height) = if phone { PHONE } else { (1280, 800) };
    let mut options = json!({
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
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", driver.profile.path().display()),
        ],
        "prefs": { "intl.accept_languages": "zh-CN,zh" },
    });
    if phone {
        options["mobileEmulation"] = json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true },
            "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0",
        });
    }
    let caps = json!({ "browserName": "chrome", "goog:chromeOptions": options });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("start a Chromium session");
    if !phone {
        client
            .set_window_size(width, height)
            .await
            .expect("window size");
    }
    client
}

/// Runs `body` against a fresh server and a fresh browser, and always ends the browser session,
/// also when `body` fails.
pub async fn with_browser<F, Fut>(body: F)
where
    F: FnOnce(TestApp, Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_session(false, body).await
}

/// [`with_browser`] on a phone ([`PHONE`]).
pub async fn with_phone<F, Fut>(body: F)
where
    F: FnOnce(TestApp, Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_session(true, body).await
}

async fn with_session<F, Fut>(phone: bool, body: F)
where
    F: FnOnce(TestApp, Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let app = spawn_app().await;
    let driver = start_driver().await;
    let client = open_session(&driver, phone).await;
    let outcome = tokio::spawn(body(app, client.clone())).await;
    let _ = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The path (and query) of the page the browser shows.
pub async fn path_of(b: &Client) -> String {
    let url = b.current_url().await.expect("current url");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Waits until the browser shows a page whose path and query satisfy `ok`.
pub async fn wait_for_path(b: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
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
pub async fn wait_for_text(b: &Client, css: &str, text: &str) {
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

/// Logs in on the login page, as a person would, and waits for the landing page.
pub async fn log_in(b: &Client, app: &TestApp, username: &str) {
    b.goto(&app.url("/login")).await.expect("open /login");
    let fields = [
        ("input[name=username]", username),
        ("input[name=password]", handover::org::demo::DEMO_PASSWORD),
    ];
    for (css, value) in fields {
        b.find(Locator::Css(css))
            .await
            .expect(css)
            .send_keys(value)
            .await
            .expect("type");
    }
    b.find(Locator::Css("form[action='/login'] button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("submit");
    wait_for_path(b, "the landing page", |p| !p.starts_with("/login")).await;
}

/// Draws a zigzag across the pad with the mouse: real pointer events.
pub async fn draw(b: &Client) {
    let pad = b.find(Locator::Css("#pad")).await.expect("the pad");
    b.execute(
        "arguments[0].scrollIntoView({block: 'center'}); return true;",
        vec![serde_json::to_value(&pad).unwrap()],
    )
    .await
    .unwrap();
    let step = |x: i64, y: i64| PointerAction::MoveToElement {
        element: pad.clone(),
        duration: Some(Duration::from_millis(30)),
        x,
        y,
    };
    let mut mouse = MouseActions::new("pen".into())
        .then(step(-200, 0))
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for (x, y) in [(-120, -50), (-40, 40), (40, -50), (120, 40), (200, -20)] {
        mouse = mouse.then(step(x, y));
    }
    mouse = mouse.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    b.perform_actions(mouse).await.expect("draw on the pad");
}
