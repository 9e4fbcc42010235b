//! The defect pages with a cookie client: the list (filters kept in the URL, overdue, paging,
//! bulk assignment, the Excel download), the defect page (history, actions by role, the
//! contractor's mark-fixed upload), "my work", the contractor's list, the re-inspection page,
//! the fix presets (administrators only), and no language mixing.

use crate::common;

use std::io::Cursor;

use common::{TestApp, client, hidden, spawn_app, text};
use handover::org::repo;
use reqwest::header::LOCATION;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const CIVIL_CO: &str = "中建八局第三建设有限公司";
const MEP_CO: &str = "上海安装工程集团有限公司";

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .expect("Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// HTML with the entities askama writes turned back into characters.
fn unescape(html: &str) -> String {
    html.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

async fn contractor_id(app: &TestApp, name: &str) -> Uuid {
    repo::list_contractors(&mut app.db.read().await.unwrap(), app.demo.project_id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("contractor {name}"))
        .id
}

async fn units(app: &TestApp) -> Vec<repo::MapCell> {
    repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
        .await
        .unwrap()
}

/// Records a defect through the API as the inspector; returns its JSON.
async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = app
        .post(
            &format!("/api/v1/projects/{}/defects", app.demo.project_id),
            token,
            &body,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "create defect");
    resp.json().await.unwrap()
}

fn id_of(d: &Value) -> Uuid {
    d["id"].as_str().unwrap().parse().unwrap()
}

async fn defect(app: &TestApp, token: &str, id: Uuid) -> Value {
    let resp = app.get(&format!("/api/v1/defects/{id}"), token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<Value>().await.unwrap()["defect"].clone()
}

/// Removes the project's fix preset of `trade`, so new defects of it stay open.
async fn drop_preset(app: &TestApp, trade: &str) {
    let admin = app.token("admin").await;
    let path = format!("/api/v1/projects/{}/fix-presets", app.demo.project_id);
    let presets: Vec<Value> = app.get(&path, &admin).await.json().await.unwrap();
    let preset = presets
        .iter()
        .find(|p| p["trade"] == trade)
        .expect("demo preset");
    let resp = client()
        .delete(app.url(&format!("{path}/{}", preset["id"].as_str().unwrap())))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}

/// A small JPEG made in code.
fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, seed])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn upload(app: &TestApp, token: &str, id: Uuid, phase: &str, seed: u8) {
    let form = Form::new().part(
        "file",
        Part::bytes(jpeg(seed))
            .file_name("p.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let resp = client()
        .post(app.url(&format!("/api/v1/defects/{id}/photos?phase={phase}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "upload {phase} photo");
}

/// The contractor uploads an after photo and marks the defect fixed, through the API.
async fn make_fixed(app: &TestApp, contractor: &str, id: Uuid, seed: u8) {
    upload(app, contractor, id, "after", seed).await;
    let resp = app
        .post(
            &format!("/api/v1/defects/{id}/fixed"),
            contractor,
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "mark fixed");
}

fn civil(unit: Uuid, description: &str) -> Value {
    json!({"unit_id": unit, "trade": "civil", "description": description, "room": "客厅", "part": "墙面"})
}

#[tokio::test]
async fn the_list_filters_by_status_and_overdue_and_keeps_filters_in_links() {
    let app = spawn_app().await;
    drop_preset(&app, "plumbing").await;
    let token = app.token("inspector").await;
    let cells = units(&app).await;
    let civil_co = contractor_id(&app, CIVIL_CO).await;
    let assigned = id_of(&create(&app, &token, civil(cells[0].id, "墙面空鼓")).await);
    let open = id_of(
        &create(
            &app,
            &token,
            json!({"unit_id": cells[1].id, "trade": "plumbing", "description": "地漏堵塞", "severity": "serious"}),
        )
        .await,
    );
    let late = id_of(
        &create(
            &app,
            &token,
            json!({"unit_id": cells[2].id, "trade": "civil", "description": "踢脚线脱落",
                   "contractor_id": civil_co, "due_on": "2020-01-02"}),
        )
        .await,
    );
    let c = app.page_login("inspector").await;
    let p = app.demo.project_id;
    let row = |id: Uuid| format!("id=\"defect-{id}\"");

    let (status, html) = text(&c, &app, &format!("/projects/{p}/defects")).await;
    assert_eq!(status, StatusCode::OK);
    for id in [assigned, open, late] {
        assert!(html.contains(&row(id)), "every defect listed");
    }
    assert!(html.contains("dbadge dst-open\">待分派"), "an open badge");
    assert!(
        html.contains("dbadge dst-assigned\">待整改"),
        "an assigned badge"
    );
    assert!(html.contains("dst-overdue"), "an overdue badge is red");
    assert!(html.contains("超期"), "the overdue flag");

    let (_, html) = text(&c, &app, &format!("/projects/{p}/defects?status=open")).await;
    assert!(html.contains(&row(open)));
    assert!(!html.contains(&row(assigned)) && !html.contains(&row(late)));

    // What the filter form sends: every field, most of them empty.
    let form_query = "building=&floor=&trade=&severity=&status=&contractor=&q=&order=&overdue=1";
    let (status, html) = text(&c, &app, &format!("/projects/{p}/defects?{form_query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&row(late)), "the overdue one");
    assert!(!html.contains(&row(open)) && !html.contains(&row(assigned)));

    let (_, html) = text(
        &c,
        &app,
        &format!("/projects/{p}/defects?status=assigned&overdue=1&q=%E8%B8%A2"),
    )
    .await;
    assert!(html.contains(&row(late)));
    assert!(!html.contains(&row(assigned)));
    let html = unescape(&html);
    assert!(
        html.contains(&format!(
            "href=\"/projects/{p}/defects.xlsx?status=assigned&overdue=1&q=%E8%B8%A2\""
        )),
        "the Excel link keeps the filters"
    );
    assert!(
        html.contains(&format!(
            "href=\"/projects/{p}/defects?overdue=1&q=%E8%B8%A2&status=open\""
        )),
        "a status chip keeps the other filters"
    );
    assert!(
        html.contains("name=\"overdue\" value=\"1\" checked"),
        "the form shows them"
    );

    let (_, html) = text(&c, &app, &format!("/projects/{p}/defects?severity=serious")).await;
    assert!(html.contains(&row(open)) && !html.contains(&row(late)));
    let (_, html) = text(
        &c,
        &app,
        &format!("/projects/{p}/defects?q=nothing-like-this"),
    )
    .await;
    assert!(
        html.contains("没有符合条件的问题"),
        "the empty state says what to do"
    );
}

#[tokio::test]
async fn the_list_pages_past_fifty_rows_and_keeps_the_filter() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let cells = units(&app).await;
    for i in 0..52 {
        create(
            &app,
            &token,
            civil(cells[i % cells.len()].id, &format!("墙面裂缝{i}")),
        )
        .await;
    }
    let c = app.page_login("inspector").await;
    let p = app.demo.project_id;
    let (_, html) = text(&c, &app, &format!("/projects/{p}/defects?trade=civil")).await;
    assert_eq!(html.matches("id=\"defect-").count(), 50);
    assert_eq!(html.matches("loading=\"lazy\"").count(), 0, "no photos yet");
    let html = unescape(&html);
    let next = format!("/projects/{p}/defects?trade=civil&page=2");
    assert!(
        html.contains(&format!("href=\"{next}\"")),
        "next keeps the filter"
    );
    let (_, html) = text(&c, &app, &next).await;
    assert_eq!(html.matches("id=\"defect-").count(), 2);
}

/// Text a reader sees: tags removed, plus the attributes read out or shown.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    // Scripts and styles are not text.
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        out.push(' ');
        let tag_end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..tag_end];
        for attr in ["aria-label=\"", "alt=\"", "title=\"", "placeholder=\""] {
            if let Some(i) = tag.find(attr) {
                let v = &tag[i + attr.len()..];
                out.push_str(&v[..v.find('"').unwrap_or(v.len())]);
                out.push(' ');
            }
        }
        rest = &rest[tag_end..];
        if tag.starts_with("<script") || tag.starts_with("<style") {
            let close = if tag.starts_with("<script") {
                "</script>"
            } else {
                "</style>"
            };
            rest = &rest[rest.find(close).unwrap_or(rest.len())..];
        }
    }
    out.push_str(rest);
    unescape(&out)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
}

/// Catalog values of one language (keys of the defect pages), as fragments without placeholders.
fn catalog_fragments(catalog: &str) -> Vec<String> {
    catalog
        .lines()
        .filter(|l| l.starts_with("defects.") || l.starts_with("defect."))
        .filter_map(|l| l.split_once(" = "))
        .flat_map(|(_, v)| {
            v.split(['{', '}'])
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, s)| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn pages_do_not_mix_chinese_and_english() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let contractor = app.token("contractor").await;
    let cells = units(&app).await;
    let a = id_of(&create(&app, &token, civil(cells[0].id, "墙面空鼓")).await);
    let b = id_of(&create(&app, &token, civil(cells[1].id, "顶棚开裂")).await);
    upload(&app, &token, b, "before", 1).await;
    make_fixed(&app, &contractor, b, 2).await;
    let late = json!({"unit_id": cells[2].id, "trade": "civil", "description": "门框变形",
        "contractor_id": contractor_id(&app, CIVIL_CO).await, "due_on": "2020-01-02"});
    create(&app, &token, late).await;
    let p = app.demo.project_id;
    let inspector = app.page_login("inspector").await;
    let admin = app.page_login("admin").await;
    let fixer = app.page_login("contractor").await;
    let pages: Vec<(&Client, String)> = vec![
        (&inspector, format!("/projects/{p}/defects")),
        (
            &inspector,
            format!("/projects/{p}/defects?status=nope&floor=x"),
        ),
        (&inspector, format!("/defects/{a}")),
        (&inspector, format!("/defects/{b}")),
        (&inspector, "/me/work".to_owned()),
        (&inspector, format!("/projects/{p}/reinspect")),
        (&admin, format!("/projects/{p}/fix-presets")),
        (&fixer, "/me/defects".to_owned()),
        (&fixer, format!("/defects/{a}")),
    ];
    let zh_catalog = include_str!("../../src/i18n/defects.zh-CN.txt");
    let en_catalog = include_str!("../../src/i18n/defects.en.txt");
    let english: Vec<String> = catalog_fragments(en_catalog)
        .into_iter()
        .filter(|f| f.chars().filter(char::is_ascii_alphabetic).count() >= 4)
        .collect();
    let chinese: Vec<String> = catalog_fragments(zh_catalog)
        .into_iter()
        .filter(|f| f.chars().any(is_cjk))
        .collect();
    // Data, not chrome: names and what the test recorded.
    let data = [
        "滨江花园一期",
        "李娜（验收员）",
        "王磊（管理员）",
        "赵强（中建八局）",
        CIVIL_CO,
        MEP_CO,
        "江苏华艺门窗工程有限公司",
        "墙面空鼓",
        "顶棚开裂",
        "门框变形",
        "客厅",
        "墙面",
        "上海建科工程咨询有限公司",
        "中文",
    ];
    for (c, path) in &pages {
        let (status, zh) = text(c, &app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let zh_text = visible(&zh);
        for f in &english {
            assert!(
                !zh_text.contains(f.as_str()),
                "English {f:?} on the zh-CN page {path}"
            );
        }
        let words: Vec<&str> = zh_text
            .split(|ch: char| !ch.is_ascii_alphabetic())
            // "English" is the language switch, "breadcrumb" the shared frame's aria-label.
            .filter(|w| w.len() >= 3 && !["Excel", "English", "breadcrumb"].contains(w))
            .collect();
        assert!(
            words.is_empty(),
            "English words {words:?} on the zh-CN page {path}"
        );

        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, en) = text(c, &app, &format!("{path}{sep}lang=en")).await;
        assert_eq!(status, StatusCode::OK, "{path} in English");
        let mut en_text = visible(&en);
        for d in data {
            en_text = en_text.replace(d, " ");
        }
        for f in &chinese {
            assert!(
                !en_text.contains(f.as_str()),
                "Chinese {f:?} on the English page {path}"
            );
        }
        let cjk: String = en_text.chars().filter(|ch| is_cjk(*ch)).collect();
        assert!(cjk.is_empty(), "Chinese {cjk:?} on the English page {path}");
        assert!(en.contains("<html lang=\"en\">"));
    }
}

#[tokio::test]
async fn the_defect_page_shows_the_history_and_the_actions_of_the_viewer() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let cells = units(&app).await;
    let id = id_of(&create(&app, &token, civil(cells[0].id, "墙面空鼓")).await);
    upload(&app, &token, id, "before", 3).await;
    let c = app.page_login("inspector").await;
    let (status, html) = text(&c, &app, &format!("/defects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let history = &html[html.find("id=\"history\"").expect("history section")..];
    assert!(history.contains("录入"), "the creation");
    assert!(history.contains("待分派"), "open → assigned by the preset");
    assert!(history.contains("李娜（验收员）"), "who");
    assert!(history.contains(CIVIL_CO), "to whom");
    assert!(html.contains(&format!("action=\"/defects/{id}/assign\"")));
    assert!(html.contains(&format!("action=\"/defects/{id}/cancel\"")));
    assert!(
        !html.contains(&format!("action=\"/defects/{id}/fixed\"")),
        "not the inspector's"
    );
    assert!(
        !html.contains(&format!("action=\"/defects/{id}/verify\"")),
        "not fixed yet"
    );
    assert!(html.contains("src=\"/photos/") && html.contains("/thumb\" loading=\"lazy\""));
    assert!(html.contains("/preview\""), "a thumbnail opens the preview");

    // A cancellation without a reason is refused on the page, in Chinese, with what to do.
    let csrf = hidden(&html, "_csrf");
    let resp = c
        .post(app.url(&format!("/defects/{id}/cancel")))
        .form(&[("_csrf", csrf.as_str()), ("reason", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("请填写作废原因"), "says what to do");
    assert_eq!(defect(&app, &token, id).await["status"], "assigned");

    let resp = c
        .post(app.url(&format!("/defects/{id}/cancel")))
        .form(&[("_csrf", csrf.as_str()), ("reason", "重复录入")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/defects/{id}?ok=cancelled"));
    let (_, html) = text(&c, &app, &location(&resp)).await;
    assert!(html.contains("问题已作废"), "the write says it worked");
    let history = &html[html.find("id=\"history\"").unwrap()..];
    assert!(history.contains("重复录入") && history.contains("已作废"));
    assert!(
        !html.contains(&format!("action=\"/defects/{id}/cancel\"")),
        "no more actions"
    );
    assert_eq!(defect(&app, &token, id).await["status"], "cancelled");

    // Without the page's token nothing happens.
    let other = id_of(&create(&app, &token, civil(cells[1].id, "墙面裂缝")).await);
    let resp = c
        .post(app.url(&format!("/defects/{other}/cancel")))
        .form(&[("_csrf", "forged"), ("reason", "重复")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(defect(&app, &token, other).await["status"], "assigned");
}

#[tokio::test]
async fn a_contractor_sees_only_their_companys_defects() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let cells = units(&app).await;
    let ours = id_of(&create(&app, &token, civil(cells[0].id, "墙面空鼓")).await);
    let theirs = json!({"unit_id": cells[1].id, "trade": "plumbing", "description": "地漏堵塞",
        "contractor_id": contractor_id(&app, MEP_CO).await, "due_on": "2030-01-01"});
    let theirs = id_of(&create(&app, &token, theirs).await);
    let c = app.page_login("contractor").await;

    let resp = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        location(&resp),
        "/me/defects",
        "contractors land on their defects"
    );
    let (status, html) = text(&c, &app, "/me/defects").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"m-{ours}\"")));
    assert!(
        !html.contains(&theirs.to_string()),
        "another company's defect"
    );
    assert!(
        html.contains(&format!("href=\"/defects/{ours}#fixed\"")),
        "the big button"
    );
    assert!(html.contains("整改完成"));

    let (_, html) = text(
        &c,
        &app,
        &format!("/projects/{}/defects", app.demo.project_id),
    )
    .await;
    assert!(html.contains(&format!("id=\"defect-{ours}\"")));
    assert!(!html.contains(&theirs.to_string()));
    assert!(!html.contains("bulk-assign"), "contractors do not assign");
    let (status, _) = text(&c, &app, &format!("/defects/{theirs}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = text(&c, &app, &format!("/defects/{ours}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("action=\"/defects/{ours}/fixed\"")));
    assert!(!html.contains(&format!("action=\"/defects/{ours}/cancel\"")));

    let inspector = app.page_login("inspector").await;
    let resp = inspector.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&resp), "/me/work", "inspectors land on their work");
}

#[tokio::test]
async fn the_contractor_marks_fixed_with_photos_from_the_defect_page() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let cells = units(&app).await;
    let id = id_of(&create(&app, &token, civil(cells[0].id, "墙面空鼓")).await);
    let c = app.page_login("contractor").await;
    let (_, html) = text(&c, &app, &format!("/defects/{id}")).await;
    let form_at = html
        .find(&format!("action=\"/defects/{id}/fixed\""))
        .unwrap();
    let form = &html[form_at..];
    assert!(form.contains("enctype=\"multipart/form-data\""));
    assert!(
        form.find("name=\"_csrf\"").unwrap() < form.find("name=\"file\"").unwrap(),
        "the token comes first"
    );
    assert!(form.contains("capture=\"environment\"") && form.contains("multiple"));
    let csrf = hidden(&html, "_csrf");
    let post = |csrf: String, with_photo: bool| {
        let mut f = Form::new()
            .text("_csrf", csrf)
            .text("event_id", Uuid::new_v4().to_string())
            .text("note", "已重新抹灰");
        if with_photo {
            f = f.part(
                "file",
                Part::bytes(jpeg(9))
                    .file_name("after.jpg")
                    .mime_str("image/jpeg")
                    .unwrap(),
            );
        }
        c.post(app.url(&format!("/defects/{id}/fixed")))
            .multipart(f)
            .send()
    };
    let resp = post("forged".into(), true).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post(csrf.clone(), false).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("请先拍摄或选择至少一张整改后的照片"));
    assert!(html.contains("已重新抹灰"), "the note is kept");
    assert_eq!(defect(&app, &token, id).await["status"], "assigned");

    let resp = post(csrf, true).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/defects/{id}?ok=fixed"));
    assert_eq!(defect(&app, &token, id).await["status"], "fixed");
    let (_, html) = text(&c, &app, &location(&resp)).await;
    assert!(html.contains("已提交整改完成"));
    assert!(html.contains("已重新抹灰"), "the note in the history");
}

#[tokio::test]
async fn the_reinspection_page_verifies_and_sends_back() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let contractor = app.token("contractor").await;
    let cells = units(&app).await;
    let pass = id_of(&create(&app, &token, civil(cells[0].id, "墙面空鼓")).await);
    let fail = id_of(&create(&app, &token, civil(cells[1].id, "顶棚开裂")).await);
    upload(&app, &token, pass, "before", 4).await;
    make_fixed(&app, &contractor, pass, 5).await;
    make_fixed(&app, &contractor, fail, 6).await;
    let p = app.demo.project_id;
    let c = app.page_login("inspector").await;

    let (_, html) = text(&c, &app, "/me/work").await;
    let verify = &html[html.find("id=\"to_verify\"").expect("to verify section")..];
    assert!(
        unescape(verify).contains(&format!(
            "/projects/{p}/reinspect?unit={}#d-{pass}",
            cells[0].id
        )),
        "to-verify rows open the re-inspection page"
    );

    let (status, html) = text(&c, &app, &format!("/projects/{p}/reinspect")).await;
    assert_eq!(status, StatusCode::OK);
    let card = &html[html.find(&format!("id=\"d-{pass}\"")).unwrap()..];
    let card = &card[..card.find("</section>").unwrap()];
    assert!(
        card.contains("整改前") && card.contains("整改后"),
        "side by side"
    );
    assert_eq!(
        card.matches("loading=\"lazy\"").count(),
        2,
        "before and after"
    );
    let csrf = hidden(&html, "_csrf");

    let (_, html) = text(
        &c,
        &app,
        &format!("/projects/{p}/reinspect?unit={}", cells[0].id),
    )
    .await;
    assert!(
        html.contains(&format!("id=\"d-{pass}\"")) && !html.contains(&format!("id=\"d-{fail}\""))
    );

    // Sending back needs a note; the page says so and keeps the date.
    let resp = c
        .post(app.url(&format!("/projects/{p}/reinspect/{fail}/send-back")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("note", ""),
            ("due_on", "2030-02-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("请填写退回原因"));
    assert!(html.contains("value=\"2030-02-01\""));
    assert_eq!(defect(&app, &token, fail).await["status"], "fixed");
    let resp = c
        .post(app.url(&format!("/projects/{p}/reinspect/{fail}/send-back")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("note", "仍有裂缝"),
            ("due_on", "2030-02-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let d = defect(&app, &token, fail).await;
    assert_eq!(
        (d["status"].as_str(), d["send_backs"].as_i64()),
        (Some("assigned"), Some(1))
    );
    assert_eq!(d["due_on"], "2030-02-01");

    let resp = c
        .post(app.url(&format!("/projects/{p}/reinspect/{pass}/verify")))
        .form(&[("_csrf", csrf.as_str()), ("unit", ""), ("page", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp),
        format!("/projects/{p}/reinspect?ok=verified")
    );
    assert_eq!(defect(&app, &token, pass).await["status"], "verified");
    let (_, html) = text(&c, &app, &location(&resp)).await;
    assert!(html.contains("复验通过，问题已关闭"));
    assert!(html.contains("没有待复验的问题"), "the empty state");

    // Only inspectors re-inspect.
    let admin = app.page_login("admin").await;
    let (status, _) = text(&admin, &app, &format!("/projects/{p}/reinspect")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn fix_presets_are_for_administrators() {
    let app = spawn_app().await;
    let p = app.demo.project_id;
    let path = format!("/projects/{p}/fix-presets");
    for who in ["inspector", "contractor", "property"] {
        let c = app.page_login(who).await;
        let (status, html) = text(&c, &app, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        assert!(html.contains("您没有执行此操作的权限"));
    }
    let inspector = app.page_login("inspector").await;
    let (_, html) = text(&inspector, &app, &format!("/projects/{p}/defects")).await;
    let csrf = hidden(&html, "_csrf");
    let resp = inspector
        .post(app.url(&path))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("trade", "civil"),
            (
                "contractor_id",
                &contractor_id(&app, MEP_CO).await.to_string(),
            ),
            ("days", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let c = app.page_login("admin").await;
    let (status, html) = text(&c, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("id=\"preset-").count(),
        6,
        "one per trade in the demo"
    );
    assert!(html.contains("全部楼栋") && html.contains("10 天"));
    let csrf = hidden(&html, "_csrf");
    let mep = contractor_id(&app, MEP_CO).await.to_string();
    let resp = c
        .post(app.url(&path))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("trade", "civil"),
            ("building_id", ""),
            ("contractor_id", &mep),
            ("days", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("整改天数应为 1 到 365 之间的整数"));
    assert!(
        html.contains(&format!("value=\"{mep}\" selected")),
        "the form keeps the choice"
    );

    let resp = c
        .post(app.url(&path))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("trade", "civil"),
            ("building_id", ""),
            ("contractor_id", &mep),
            ("days", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let admin = app.token("admin").await;
    let presets: Vec<Value> = app
        .get(&format!("/api/v1/projects/{p}/fix-presets"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let civil = presets.iter().find(|x| x["trade"] == "civil").unwrap();
    assert_eq!(civil["contractor_name"], MEP_CO);
    assert_eq!(civil["days"], 3);
    assert_eq!(presets.len(), 6, "replaced, not added");

    let (_, html) = text(&c, &app, &location(&resp)).await;
    assert!(html.contains("整改预设已保存"));
    let preset = civil["id"].as_str().unwrap();
    let resp = c
        .post(app.url(&format!("{path}/{preset}/delete")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let presets: Vec<Value> = app
        .get(&format!("/api/v1/projects/{p}/fix-presets"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(presets.len(), 5);
}

#[tokio::test]
async fn bulk_assign_from_the_list_changes_the_contractor_of_the_ticked_defects() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let cells = units(&app).await;
    let a = id_of(&create(&app, &token, civil(cells[0].id, "墙面空鼓")).await);
    let b = id_of(&create(&app, &token, civil(cells[1].id, "顶棚开裂")).await);
    let untouched = id_of(&create(&app, &token, civil(cells[2].id, "踢脚线脱落")).await);
    let p = app.demo.project_id;
    let c = app.page_login("inspector").await;
    let (_, html) = text(&c, &app, &format!("/projects/{p}/defects?trade=civil")).await;
    assert!(html.contains("name=\"ids\""));
    let csrf = hidden(&html, "_csrf");
    let mep = contractor_id(&app, MEP_CO).await.to_string();
    let action = format!("/projects/{p}/defects/bulk-assign?trade=civil");
    assert!(unescape(&html).contains(&format!("action=\"{action}\"")));

    // Nothing ticked: the page says what to do, keeps the date.
    let resp = c
        .post(app.url(&action))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("contractor_id", mep.as_str()),
            ("due_on", "2030-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("请先在列表中勾选要分派的问题"));
    assert!(html.contains("value=\"2030-01-01\""));

    let (a_s, b_s) = (a.to_string(), b.to_string());
    let resp = c
        .post(app.url(&action))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("ids", a_s.as_str()),
            ("ids", b_s.as_str()),
            ("contractor_id", mep.as_str()),
            ("due_on", "2030-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    assert!(
        to.starts_with(&format!("/projects/{p}/defects?trade=civil&ok=bulk&n=2")),
        "{to}"
    );
    for id in [a, b] {
        let d = defect(&app, &token, id).await;
        assert_eq!(d["contractor_name"], MEP_CO);
        assert_eq!(d["due_on"], "2030-01-01");
    }
    assert_eq!(
        defect(&app, &token, untouched).await["contractor_name"],
        CIVIL_CO
    );
    let (_, html) = text(&c, &app, &to).await;
    assert!(html.contains("已分派 2 条问题"));

    // The contractor may not.
    let fixer = app.page_login("contractor").await;
    let (_, html) = text(&fixer, &app, "/me/defects").await;
    let csrf = hidden(&html, "_csrf");
    let resp = fixer
        .post(app.url(&action))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("ids", b_s.as_str()),
            ("contractor_id", mep.as_str()),
            ("due_on", "2030-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_excel_page_route_answers_a_workbook() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let cells = units(&app).await;
    create(&app, &token, civil(cells[0].id, "墙面空鼓")).await;
    let p = app.demo.project_id;
    let path = format!("/projects/{p}/defects.xlsx?status=assigned&building=&floor=");
    let c = app.page_login("inspector").await;
    let resp = c.get(app.url(&path)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.bytes().await.unwrap();
    assert!(body.starts_with(b"PK"), "a zip");
    let resp = client().get(app.url(&path)).send().await.unwrap();
    assert!(
        location(&resp).starts_with("/login"),
        "pages need the session"
    );
}

#[tokio::test]
async fn the_project_page_filters_the_status_map_by_trade_with_counts() {
    let app = spawn_app().await;
    let c = app.page_login("inspector").await;
    let token = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    app.a_defect(&token, unit, "electrical").await;
    let project = app.demo.project_id;
    let (status, html) = text(&c, &app, &format!("/projects/{project}?trade=electrical")).await;
    assert_eq!(status, StatusCode::OK);
    let filter = &html[html.find("id=\"trade-filter\"").expect("trade chips")..];
    let filter = &filter[..filter.find("</div>").unwrap()];
    assert!(filter.contains("全部专业"), "{filter}");
    assert!(
        filter.contains("class=\"on\" data-count=\"1\">电气 <b>1</b>"),
        "{filter}"
    );
    // Each chip keeps the other filters: the state chips keep the trade.
    let chip = format!("/projects/{project}?status=defects_open&#38;trade=electrical");
    assert!(html.contains(&chip), "{html}");
    assert!(html.contains(&format!("href=\"/units/{unit}\"")));
    let cells = html.matches("class=\"cell ").count();
    assert_eq!(cells, 1);
}
