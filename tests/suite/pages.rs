//! Page flows with a cookie client: login and its cookie, CSRF on every form post, redirects to
//! login, the project page with its status map, languages, hidden projects, the unit page, QR
//! sheets and the roster import preview/confirm flow.

use crate::common;

use common::{TestApp, browser, client, hidden, spawn_app, text};
use handover::org::demo::DEMO_PASSWORD;
use handover::org::repo;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use uuid::Uuid;

fn location(resp: &Response) -> &str {
    resp.headers()
        .get(LOCATION)
        .expect("Location header")
        .to_str()
        .unwrap()
}

fn set_cookies(resp: &Response) -> Vec<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Logs in on the login page; returns the client and the POST response.
async fn login_form(
    app: &TestApp,
    username: &str,
    password: &str,
    next: &str,
) -> (Client, Response) {
    let c = browser();
    let html = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "_csrf");
    let resp = c
        .post(app.url("/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
            ("next", next),
        ])
        .send()
        .await
        .unwrap();
    (c, resp)
}

/// Units of a project in the database.
async fn unit_count(app: &TestApp, project: Uuid) -> usize {
    repo::status_map(&mut app.db.read().await.unwrap(), project)
        .await
        .unwrap()
        .len()
}

async fn building_names(app: &TestApp, project: Uuid) -> Vec<String> {
    repo::list_buildings(&mut app.db.read().await.unwrap(), project)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect()
}

/// Asserts an HTML error page: status and the stable code in it.
async fn assert_error_page(resp: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(resp.status(), status, "status for expected {code}");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains(&format!("data-code=\"{code}\"")),
        "no {code} in {html}"
    );
    html
}

#[tokio::test]
async fn login_sets_an_httponly_samesite_lax_session_cookie() {
    let app = spawn_app().await;
    let (c, resp) = login_form(&app, "inspector", DEMO_PASSWORD, "").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/");
    let cookies = set_cookies(&resp);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("hsid="))
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
    let attrs: Vec<&str> = session.split(';').map(str::trim).collect();
    assert!(
        attrs[0].len() > "hsid=".len() + 20,
        "a real secret: {session}"
    );
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&attr), "{attr} missing in {session}");
    }
    // An inspector lands on their work queue.
    let resp = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/me/work");
    let (status, html) = text(&c, &app, "/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("滨江花园一期"));
    assert!(html.contains("李娜（验收员）"), "display name shown");
}

#[tokio::test]
async fn wrong_password_rerenders_the_login_page_in_chinese_with_401() {
    let app = spawn_app().await;
    let (c, resp) = login_form(&app, "inspector", "not-the-password", "/projects").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        set_cookies(&resp).iter().all(|c| !c.starts_with("hsid=")),
        "no session on failure"
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("用户名或密码错误"), "{html}");
    assert!(html.contains("name=\"username\" value=\"inspector\""));
    assert!(html.contains("action=\"/login\""));
    assert_eq!(hidden(&html, "next"), "/projects");
    // Still not signed in.
    let resp = c.get(app.url("/projects")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/login"));

    // A login post without the login page's CSRF cookie is refused.
    let resp = client()
        .post(app.url("/login"))
        .form(&[
            ("_csrf", "x"),
            ("username", "inspector"),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(set_cookies(&resp).iter().all(|c| !c.starts_with("hsid=")));
}

#[tokio::test]
async fn unauthenticated_pages_redirect_to_login_with_next() {
    let app = spawn_app().await;
    let resp = client().get(app.url("/projects")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login?next=%2Fprojects");
    let path = format!("/projects/{}?building=1", app.demo.project_id);
    let resp = client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp),
        format!(
            "/login?next=%2Fprojects%2F{}%3Fbuilding%3D1",
            app.demo.project_id
        )
    );
    // The login page carries `next` and goes there after login.
    let (status, html) = text(
        &client(),
        &app,
        &format!("/login?next=%2Fprojects%2F{}", app.demo.project_id),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        hidden(&html, "next"),
        format!("/projects/{}", app.demo.project_id)
    );
    let next = format!("/projects/{}", app.demo.project_id);
    let (_, resp) = login_form(&app, "inspector", DEMO_PASSWORD, &next).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), next);
    // Never to another site.
    let (_, resp) = login_form(&app, "inspector", DEMO_PASSWORD, "//evil.example/x").await;
    assert_eq!(location(&resp), "/");
}

#[tokio::test]
async fn page_posts_need_the_sessions_csrf_token() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("admin").await;
    let (status, html) = text(&c, &app, &format!("/projects/{project}/admin")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&html, "_csrf");
    let other_session = app.page_login("admin").await;
    let (_, other_html) = text(&other_session, &app, &format!("/projects/{project}/admin")).await;
    let other_csrf = hidden(&other_html, "_csrf");
    assert_ne!(csrf, other_csrf, "one token per session");

    let post = format!("/projects/{project}/admin/building");
    for form in [
        vec![("name", "9")],
        vec![("_csrf", "wrong-token"), ("name", "9")],
        vec![("_csrf", ""), ("name", "9")],
        vec![("_csrf", other_csrf.as_str()), ("name", "9")],
    ] {
        let resp = c.post(app.url(&post)).form(&form).send().await.unwrap();
        let html = assert_error_page(resp, StatusCode::FORBIDDEN, "auth.csrf_rejected").await;
        assert!(html.contains("页面已过期"), "{html}");
    }
    assert_eq!(
        building_names(&app, project).await,
        ["1", "2"],
        "nothing written"
    );

    let resp = c
        .post(app.url(&post))
        .form(&[("_csrf", csrf.as_str()), ("name", "9")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp),
        format!("/projects/{project}/admin?saved=building#building")
    );
    assert_eq!(building_names(&app, project).await, ["1", "2", "9"]);

    // A rejected form re-renders the admin page with the message and the typed value.
    let resp = c
        .post(app.url(&post))
        .form(&[("_csrf", csrf.as_str()), ("name", "9")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("该名称已存在"), "{html}");
    assert_eq!(building_names(&app, project).await, ["1", "2", "9"]);

    // Logging out needs the token too.
    for form in [vec![], vec![("_csrf", "wrong-token")]] {
        let resp = c.post(app.url("/logout")).form(&form).send().await.unwrap();
        assert_error_page(resp, StatusCode::FORBIDDEN, "auth.csrf_rejected").await;
    }
    let (status, _) = text(&c, &app, "/projects").await;
    assert_eq!(status, StatusCode::OK, "still signed in");
}

#[tokio::test]
async fn logout_with_the_token_ends_the_session() {
    let app = spawn_app().await;
    let (c, resp) = login_form(&app, "service", DEMO_PASSWORD, "").await;
    let secret = set_cookies(&resp)
        .into_iter()
        .find_map(|c| {
            c.strip_prefix("hsid=")
                .map(|v| v.split(';').next().unwrap().to_owned())
        })
        .expect("session cookie");
    let (_, html) = text(&c, &app, "/projects").await;
    let csrf = hidden(&html, "_csrf");
    let resp = c
        .post(app.url("/logout"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login");
    assert!(
        set_cookies(&resp)
            .iter()
            .any(|c| c.starts_with("hsid=;") && c.contains("Max-Age=0")),
        "cookie cleared"
    );
    let resp = c.get(app.url("/projects")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // The old cookie no longer works anywhere (the session is gone on the server).
    let resp = client()
        .get(app.url("/projects"))
        .header("cookie", format!("hsid={secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login?next=%2Fprojects");
}

/// Sets a unit's state directly in the database (no page changes states yet).
async fn set_status(app: &TestApp, unit: Uuid, status: &str) {
    let status = handover::org::UnitStatus::parse(status).unwrap();
    let mut tx = app.db.begin().await.unwrap();
    handover::org::repo::set_unit_status(&mut tx, unit, status)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

const ZH_STATES: [&str; 7] = [
    "未验收",
    "验收中",
    "有未整改问题",
    "可交付",
    "已交付",
    "拒收",
    "只看房",
];

#[tokio::test]
async fn project_page_shows_the_status_map_and_legend() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("inspector").await;
    let (status, html) = text(&c, &app, &format!("/projects/{project}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("class=\"cell ").count(), 12);
    assert!(html.contains("房态图"));
    for label in ZH_STATES {
        assert!(html.contains(label), "legend lacks {label}");
    }
    for state in [
        "not_inspected",
        "inspecting",
        "defects_open",
        "ready",
        "delivered",
        "refused",
        "only_looked",
    ] {
        assert!(
            html.contains(&format!("swatch st-{state}")),
            "legend lacks {state}"
        );
    }
    assert!(
        html.contains("data-count=\"12\""),
        "the 全部 chip counts 12"
    );
    assert!(html.contains("data-number=\"1-1-101\""));
    assert!(html.contains("data-number=\"2-1-302\""));
    assert!(html.contains("一期首批集中交付"));

    let (_, html) = text(&c, &app, &format!("/projects/{project}?building=2")).await;
    assert_eq!(html.matches("class=\"cell ").count(), 6);
    assert!(!html.contains("data-number=\"1-1-101\""));

    let unit = app.a_unit_of(project).await;
    set_status(&app, unit, "ready").await;
    let (_, html) = text(&c, &app, &format!("/projects/{project}?status=ready")).await;
    assert_eq!(html.matches("class=\"cell ").count(), 1);
    assert!(html.contains(&format!("href=\"/units/{unit}\"")));
    assert!(html.contains("class=\"cell st-ready\""));
}

#[tokio::test]
async fn lang_en_gives_english_pages() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("inspector").await;
    let (status, html) = text(&c, &app, &format!("/projects/{project}?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Unit status map"));
    assert!(html.contains("Not inspected"));
    assert!(html.contains("Only looked"));
    assert_eq!(html.matches("class=\"cell ").count(), 12);
    // Data stays Chinese; UI labels do not.
    assert!(html.contains("滨江花园一期"));
    for label in ZH_STATES.iter().chain(&[
        "房态图",
        "我的项目",
        "退出",
        "户数",
        "楼栋数",
        "号楼",
        "单元",
        "打印二维码",
    ]) {
        assert!(
            !html.contains(label),
            "Chinese label {label} in English page"
        );
    }
    let (_, html) = text(&c, &app, &format!("/projects/{project}")).await;
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("房态图"));

    // The login page too.
    let (_, html) = text(&client(), &app, "/login?lang=en").await;
    assert!(html.contains("Log in to Handover"));
    assert!(!html.contains("用户名"));
}

#[tokio::test]
async fn another_projects_pages_are_404_and_show_nothing_of_it() {
    let app = spawn_app().await;
    let other = app.other_project;
    let other_unit = app.a_unit_of(other).await;
    let c = app.page_login("inspector").await;
    for path in [
        format!("/projects/{other}"),
        format!("/units/{other_unit}"),
        format!("/projects/{other}/qr"),
        format!("/projects/{other}/units"),
        format!("/projects/{other}/import"),
        format!("/projects/{other}/admin"),
    ] {
        let resp = c.get(app.url(&path)).send().await.unwrap();
        let html = assert_error_page(resp, StatusCode::NOT_FOUND, "not_found").await;
        assert!(html.contains("找不到该内容"), "{path}");
        assert!(!html.contains("另一项目"), "{path} leaks the project");
        assert!(!html.contains(&format!("/units/{other_unit}\"")), "{path}");
    }
    // Nor can the demo admin post to its forms.
    let admin = app.page_login("admin").await;
    let (_, html) = text(&admin, &app, "/projects").await;
    let csrf = hidden(&html, "_csrf");
    let resp = admin
        .post(app.url(&format!("/projects/{other}/admin/building")))
        .form(&[("_csrf", csrf.as_str()), ("name", "9")])
        .send()
        .await
        .unwrap();
    assert_error_page(resp, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(building_names(&app, other).await, ["1"]);
    let (status, html) = text(&admin, &app, &format!("/projects/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("另一项目"));
}

#[tokio::test]
async fn unit_page_shows_masked_phones() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let mut conn = app.db.read().await.unwrap();
    let cells = repo::status_map(&mut conn, project).await.unwrap();
    let mut found = None;
    for cell in &cells {
        let buyers = repo::buyers_of(&mut conn, cell.id).await.unwrap();
        if !buyers.is_empty() {
            found = Some((cell.clone(), buyers));
            break;
        }
    }
    drop(conn);
    let (cell, buyers) = found.expect("a unit with buyers");
    let c = app.page_login("service").await;
    let (status, html) = text(&c, &app, &format!("/units/{}", cell.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&cell.number));
    for b in &buyers {
        let masked = format!("{}****{}", &b.phone[..3], &b.phone[7..]);
        assert!(
            html.contains(&format!("<span class=\"phone\">{masked}</span>")),
            "{masked} not shown"
        );
        assert!(!html.contains(&b.phone), "raw phone {} in page", b.phone);
        assert!(html.contains(&b.name));
    }
    assert!(html.contains("<svg"), "the unit's QR code");
}

#[tokio::test]
async fn qr_sheet_has_one_code_per_unit_of_the_building() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("property").await;
    for (query, building) in [("?building=1", "1"), ("?building=2", "2"), ("", "1")] {
        let (status, html) = text(&c, &app, &format!("/projects/{project}/qr{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(html.matches("<svg").count(), 6, "{query}");
        for room in ["101", "102", "201", "202", "301", "302"] {
            assert!(
                html.contains(&format!("<b>{building}-1-{room}</b>")),
                "{query}: {building}-1-{room}"
            );
        }
        let other = if building == "1" { "2" } else { "1" };
        assert!(!html.contains(&format!("<b>{other}-1-101</b>")), "{query}");
    }
    let (status, html) = text(&c, &app, &format!("/projects/{project}/qr?building=9")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<svg").count(), 0);
}

/// A roster `.xlsx` for building 8 (numbers written as numbers, like Excel).
fn roster_xlsx(rows: &[[&str; 8]]) -> Vec<u8> {
    let header = [
        "楼栋",
        "单元",
        "楼层",
        "房号",
        "建筑面积",
        "户型",
        "业主姓名",
        "联系电话",
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match v.parse::<f64>() {
                Ok(n) => ws.write_number(r, c, n).unwrap(),
                Err(_) => ws.write_string(r, c, *v).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

const GOOD_ROWS: [[&str; 8]; 4] = [
    ["8", "1", "1", "101", "89.5", "A", "张三", "13812345678"],
    ["8", "1", "1", "102", "115.5", "B", "李四", "13987654321"],
    ["8", "1", "2", "201", "89.5", "A", "", ""],
    ["8", "1", "2", "202", "115.5", "B", "赵六", "13612345678"],
];

async fn upload_page(c: &Client, app: &TestApp, csrf: Option<&str>, file: Vec<u8>) -> Response {
    let mut form = reqwest::multipart::Form::new();
    if let Some(csrf) = csrf {
        form = form.text("_csrf", csrf.to_owned());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(file).file_name("花名册.xlsx"),
    );
    c.post(app.url(&format!("/projects/{}/import", app.demo.project_id)))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The confirm form's action in an import preview page.
fn confirm_action(html: &str, project: Uuid) -> String {
    let marker = format!("action=\"/projects/{project}/import/");
    let start = html.find(&marker).expect("confirm form") + "action=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn import_page_previews_then_writes_only_on_confirm() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let inspector = app.page_login("inspector").await;
    let resp = inspector
        .get(app.url(&format!("/projects/{project}/import")))
        .send()
        .await
        .unwrap();
    assert_error_page(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;

    let c = app.page_login("admin").await;
    let (status, html) = text(&c, &app, &format!("/projects/{project}/import")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("enctype=\"multipart/form-data\""));
    let csrf = hidden(&html, "_csrf");

    // Without or with a wrong token: refused, nothing stored.
    for token in [None, Some("wrong-token")] {
        let resp = upload_page(&c, &app, token, roster_xlsx(&GOOD_ROWS)).await;
        assert_error_page(resp, StatusCode::FORBIDDEN, "auth.csrf_rejected").await;
    }

    let resp = upload_page(&c, &app, Some(&csrf), roster_xlsx(&GOOD_ROWS)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("data-k=\"rows\">4<"), "{html}");
    assert!(html.contains("data-k=\"created\">4<"));
    assert!(html.contains("data-k=\"updated\">0<"));
    assert!(html.contains("data-k=\"unchanged\">0<"));
    assert!(html.contains("以下为预览"));
    assert!(html.contains("8-1-101"));
    assert!(html.contains("张三 138****5678"));
    assert!(!html.contains("13812345678"), "raw phone in preview");
    assert!(html.contains("id=\"confirm-import\""));
    let action = confirm_action(&html, project);
    assert_eq!(
        unit_count(&app, project).await,
        12,
        "preview writes nothing"
    );
    assert_eq!(building_names(&app, project).await, ["1", "2"]);

    // Confirming needs the token.
    let resp = c
        .post(app.url(&action))
        .form(&[("_csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_error_page(resp, StatusCode::FORBIDDEN, "auth.csrf_rejected").await;
    assert_eq!(unit_count(&app, project).await, 12);

    let resp = c
        .post(app.url(&action))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("导入完成"), "{html}");
    assert!(html.contains("data-k=\"created\">4<"));
    assert!(!html.contains("id=\"confirm-import\""));
    assert_eq!(unit_count(&app, project).await, 16);
    assert_eq!(building_names(&app, project).await, ["1", "2", "8"]);

    // Confirming the same upload again creates no duplicates.
    c.post(app.url(&action))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unit_count(&app, project).await, 16);

    // The other project's admin cannot confirm it.
    let other_admin = app.page_login("other-admin").await;
    let (_, html) = text(&other_admin, &app, "/projects").await;
    let other_csrf = hidden(&html, "_csrf");
    let resp = other_admin
        .post(app.url(&action))
        .form(&[("_csrf", other_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_error_page(resp, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn import_page_lists_every_bad_row() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("admin").await;
    let (_, html) = text(&c, &app, &format!("/projects/{project}/import")).await;
    let csrf = hidden(&html, "_csrf");
    let bad = roster_xlsx(&[
        ["8", "1", "1", "101", "89.5", "A", "张三", "13812345678"],
        ["8", "1", "1", "101", "90", "A", "李四", "13912345678"],
        ["8", "1", "1", "102", "abc", "A", "王五", "13712345678"],
        ["8", "1", "2", "201", "90", "A", "赵六", "12345"],
    ]);
    let resp = upload_page(&c, &app, Some(&csrf), bad).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("花名册有错误，未导入任何数据"), "{html}");
    for row in [3, 4, 5] {
        assert!(
            html.contains(&format!("data-row=\"{row}\"><td class=\"num\">{row}</td>")),
            "row {row} missing"
        );
    }
    assert!(!html.contains("data-row=\"2\""));
    assert!(html.contains("不是数字（abc）"));
    assert!(
        !html.contains("id=\"confirm-import\""),
        "nothing to confirm"
    );
    assert_eq!(unit_count(&app, project).await, 12);
    assert_eq!(building_names(&app, project).await, ["1", "2"]);
}

#[tokio::test]
async fn login_and_language_redirects_never_leave_the_site() {
    let app = spawn_app().await;
    let mut offsite = Vec::new();
    // Browsers read `/\host` as `//host`, another site.
    for next in [
        "//evil.example/x",
        "/\\evil.example/x",
        "https://evil.example/",
    ] {
        let (_, resp) = login_form(&app, "inspector", DEMO_PASSWORD, next).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        if location(&resp) != "/" {
            offsite.push(format!("login next={next} -> {}", location(&resp)));
        }
    }
    for back in [
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
    ] {
        let resp = client()
            .get(app.url(&format!("/lang/en?back={back}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        if location(&resp) != "/" {
            offsite.push(format!("lang back={back} -> {}", location(&resp)));
        }
    }
    assert!(offsite.is_empty(), "redirects off the site: {offsite:#?}");
}
