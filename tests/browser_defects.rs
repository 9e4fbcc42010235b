//! End to end in a real headless Chromium at tablet size: the inspector starts the inspection of
//! a unit, saves an item in place, records a defect on the tablet page (trade, phrase chip, room,
//! a camera photo previewed before saving, a pin on the floor plan), sees it listed with its
//! thumbnail; the contractor uploads an after photo and marks it fixed through the JSON API; the
//! inspector verifies it on the re-inspection page and the defect reads 已关闭, with a green pin
//! on the unit's floor plan.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`.ci/deps` installs them).

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestApp, hidden};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use handover::org::demo::DEMO_PASSWORD;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
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

/// A headless Chromium session at tablet size (1280×800) preferring Chinese.
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

/// Waits until the element `css` is on the page and displayed.
async fn wait_shown(b: &Client, css: &str) -> Element {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(e) = b.find(Locator::Css(css)).await
            && e.is_displayed().await.unwrap_or(false)
        {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "expected {css} to be shown on {}",
            path_of(b).await
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the script `js` (returning a boolean) holds on the page.
async fn wait_until(b: &Client, what: &str, js: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if b.execute(js, vec![]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        assert!(Instant::now() < deadline, "expected {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Taps an element as a person would: scrolled to the middle of the screen first, clear of the
/// sticky header and the bottom action bar.
async fn tap(b: &Client, e: &Element) {
    b.execute(
        "arguments[0].scrollIntoView({block: 'center'}); return true;",
        vec![serde_json::to_value(e).expect("element ref")],
    )
    .await
    .expect("scroll");
    e.click().await.expect("tap");
}

/// Logs in on the login page, as a person would, and waits for the landing page.
async fn log_in(b: &Client, app: &TestApp, username: &str) {
    b.goto(&app.url("/login")).await.expect("open /login");
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
    wait_for_path(b, "the landing page", |p| !p.starts_with("/login")).await;
}

/// A camera-like JPEG: a gradient of `width` × `height`.
fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, seed])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("encode jpeg");
    out
}

/// Uploads a floor plan for the unit's layout on the administrator's layouts page.
async fn upload_plan(app: &TestApp, unit: Uuid) {
    let project = app.demo.project_id;
    let token = app.token("admin").await;
    let u: Value = app
        .get(&format!("/api/v1/units/{unit}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let name = u["layout"].as_str().expect("the unit's layout").to_owned();
    let admin = app.page_login("admin").await;
    let html = admin
        .get(app.url(&format!("/projects/{project}/layouts")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let layout = html
        .split("id=\"layout-")
        .skip(1)
        .find(|s| s.contains(&format!("<h2>{name} ")))
        .expect("the layout on the page")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = Form::new().text("_csrf", hidden(&html, "_csrf")).part(
        "file",
        Part::bytes(jpeg(800, 600, 40)).file_name("plan.jpg"),
    );
    let resp = admin
        .post(app.url(&format!("/projects/{project}/layouts/{layout}/plan")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "plan uploaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_records_a_defect_with_a_photo_and_verifies_it_after_the_fix() {
    with_browser(|app, b| async move {
        let project = app.demo.project_id;
        let unit = app.a_unit_of(project).await;
        upload_plan(&app, unit).await;
        log_in(&b, &app, "inspector").await;

        // Start the inspection of the unit.
        b.goto(&app.url(&format!("/units/{unit}/inspect")))
            .await
            .expect("open the inspect page");
        b.find(Locator::Css("#start-form input[name=supervisor]"))
            .await
            .expect("supervisor field")
            .send_keys("张监理")
            .await
            .unwrap();
        tap(&b, &b.find(Locator::Css("#start-form button[type=submit]")).await.expect("start button")).await;
        wait_for_text(&b, ".insp-head", "验收进行中").await;
        wait_for_text(&b, ".insp-head", "监理：张监理").await;

        // One item saved in place (no reload): the result and the progress change.
        let marker = "window.__same_page = true; return true;";
        b.execute(marker, vec![]).await.unwrap();
        let first = b
            .find(Locator::Css("form[data-item] button.pass"))
            .await
            .expect("a pass/fail item");
        tap(&b, &first).await;
        wait_for_text(&b, "[data-progress-text]", "已完成 1 /").await;
        wait_until(
            &b,
            "the item shows 合格 without a reload",
            "return window.__same_page === true && document.querySelector('form[data-item].out-pass [data-result]').textContent === '合格';",
        )
        .await;

        // Open the add-defect sheet from the bottom bar.
        tap(&b, &b.find(Locator::Css("#insp-bar [data-open-sheet]")).await.expect("the + button")).await;
        wait_shown(&b, "#add-defect").await;

        // Tap a trade; its phrases appear; tap one: it fills the description.
        tap(&b, &b.find(Locator::XPath(
            "//form[@id='defect-form']//input[@name='trade'][@value='civil']/parent::label",
        )).await.expect("the 土建 button")).await;
        let chip = wait_shown(&b, ".phrases.shown[data-trade=civil] label.chip").await;
        let phrase = chip.text().await.unwrap();
        assert!(!phrase.is_empty());
        tap(&b, &chip).await;
        let description = b
            .find(Locator::Css("#defect-form textarea[name=description]"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(description.as_deref(), Some(phrase.as_str()));
        tap(&b, &b.find(Locator::XPath(
            "//form[@id='defect-form']//input[@name='room'][@value='客厅']/parent::label",
        )).await.expect("the 客厅 chip")).await;

        // A photo from the "camera": previewed before saving.
        let mut file = tempfile::Builder::new()
            .suffix(".jpg")
            .tempfile()
            .expect("temp photo");
        file.write_all(&jpeg(640, 480, 90)).unwrap();
        let path = file.path().display().to_string();
        b.find(Locator::Css("#defect-form input[type=file][data-photos]"))
            .await
            .expect("the camera input")
            .send_keys(&path)
            .await
            .expect("attach the photo");
        wait_until(
            &b,
            "a thumbnail preview",
            "const i = document.querySelector('[data-thumbs] img'); return !!i && i.complete && i.naturalWidth > 0;",
        )
        .await;

        // One tap on the floor plan places the pin.
        tap(&b, &b.find(Locator::Css("#defect-form [data-plan] img")).await.expect("the floor plan")).await;
        wait_until(
            &b,
            "a pin in the middle of the plan",
            "const x = parseFloat(document.querySelector('input[name=pin_x]').value); return Math.abs(x - 0.5) < 0.05 && !document.querySelector('[data-pin-mark]').hidden;",
        )
        .await;

        tap(&b, &b.find(Locator::Css("#defect-form [data-save-defect]")).await.expect("save")).await;
        wait_for_path(&b, "the page after saving", |p| p.contains("?added=")).await;
        wait_for_text(&b, ".insp-head .ok-message", "已记录问题 #1").await;
        wait_for_text(&b, ".insp-head .ok-message", "中建八局第三建设有限公司").await;

        // Listed with its thumbnail.
        wait_for_text(&b, "#defects .defect-row", &phrase).await;
        let row = b.find(Locator::Css("#defects .defect-row")).await.unwrap();
        assert!(row.text().await.unwrap().contains("待整改"));
        let href = row.attr("href").await.unwrap().expect("link to the defect");
        let id: Uuid = href.trim_start_matches("/defects/").parse().expect("defect id");
        b.execute(
            "document.querySelector('#defects img.thumb').scrollIntoView(); return true;",
            vec![],
        )
        .await
        .unwrap();
        wait_until(
            &b,
            "the thumbnail loads",
            "const i = document.querySelector('#defects img.thumb'); return !!i && i.complete && i.naturalWidth > 0 && i.getAttribute('src').endsWith('/thumb');",
        )
        .await;

        // The contractor fixes it through the JSON API: an after photo, then "fixed".
        let token = app.token("contractor").await;
        let form = Form::new().part(
            "file",
            Part::bytes(jpeg(640, 480, 200))
                .file_name("after.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
        let resp = common::client()
            .post(app.url(&format!("/api/v1/defects/{id}/photos?phase=after")))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED, "after photo");
        let resp = app
            .post(&format!("/api/v1/defects/{id}/fixed"), &token, &json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "marked fixed");
        let fixed: Value = resp.json().await.unwrap();
        assert_eq!(fixed["status"], "fixed");

        // The inspector verifies it on the re-inspection page.
        b.goto(&app.url(&format!("/projects/{project}/reinspect")))
            .await
            .expect("open the re-inspection page");
        let card = format!("#d-{id}");
        wait_shown(&b, &card).await;
        b.execute("window.__before_verify = true; return true;", vec![])
            .await
            .unwrap();
        tap(&b, &b.find(Locator::Css(&format!("{card} .dverify button.dpass"))).await.expect("the verify button")).await;
        wait_until(
            &b,
            "the page after the verification",
            "return window.__before_verify !== true && document.readyState === 'complete';",
        )
        .await;
        b.goto(&app.url(&format!("/defects/{id}")))
            .await
            .expect("open the defect");
        wait_for_text(&b, "main h1", "已关闭").await;

        // And the unit's floor plan shows it green, with the legend.
        b.goto(&app.url(&format!("/units/{unit}")))
            .await
            .expect("open the unit");
        let pin = wait_shown(&b, &format!("a.pin.pin-verified[href='/defects/{id}']")).await;
        assert!(pin.attr("title").await.unwrap().unwrap_or_default().contains("已关闭"));
        let (_, _, w, h) = pin.rectangle().await.unwrap();
        assert!(w >= 44.0 && h >= 44.0, "a pin is a 44 px target ({w}×{h})");
        wait_for_text(&b, "#plan .legend", "已关闭").await;
    })
    .await;
}
