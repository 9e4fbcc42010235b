//! The inspector's tablet pages with a cookie client: the unit inspection page (start, items
//! with their standard, measured points judged on the server, finish with missing items and
//! the unit status that follows), the add-defect form (multipart with a camera JPEG, preset
//! assignment, errors that keep what was typed, CSRF), the floor plan upload and the pins on
//! the unit page, and no text of the other language on either page.

use crate::common;

use common::{TestApp, hidden, spawn_app};
use reqwest::header::{ACCEPT, LOCATION};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const WALL_FLATNESS: &str = "墙面表面平整度（普通抹灰）";
const CIVIL_CONTRACTOR: &str = "中建八局第三建设有限公司";

async fn get(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = c.get(app.url(path)).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

fn location(resp: &Response) -> String {
    resp.headers()
        .get(LOCATION)
        .expect("Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A small camera-like JPEG (a gradient), encoded with the `image` crate.
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

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The inspection page's CSRF token.
async fn csrf(c: &Client, app: &TestApp, unit: Uuid) -> String {
    let (status, html) = get(c, app, &format!("/units/{unit}/inspect")).await;
    assert_eq!(status, StatusCode::OK);
    hidden(&html, "_csrf")
}

/// Starts the unit's self inspection on the page; returns the inspection id.
async fn start(c: &Client, app: &TestApp, unit: Uuid) -> Uuid {
    let token = csrf(c, app, unit).await;
    let resp = c
        .post(app.url(&format!("/units/{unit}/inspect/start")))
        .form(&[
            ("_csrf", token.as_str()),
            ("id", &Uuid::new_v4().to_string()),
            ("supervisor", "张监理"),
            ("contractor", "赵施工"),
            ("property", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/units/{unit}/inspect"));
    running(app, unit).await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The unit's newest inspection through the API.
async fn running(app: &TestApp, unit: Uuid) -> Value {
    let token = app.token("inspector").await;
    let list: Value = app
        .get(&format!("/api/v1/units/{unit}/inspections"), &token)
        .await
        .json()
        .await
        .unwrap();
    list[0].clone()
}

async fn detail(app: &TestApp, id: Uuid) -> Value {
    let token = app.token("inspector").await;
    app.get(&format!("/api/v1/inspections/{id}"), &token)
        .await
        .json()
        .await
        .unwrap()
}

fn item<'a>(detail: &'a Value, name: &str) -> &'a Value {
    detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no item {name}"))
}

/// Saves an item as `inspect.js` does (fetch, JSON answer).
async fn save_item(
    c: &Client,
    app: &TestApp,
    csrf: &str,
    inspection: Uuid,
    item: &str,
    fields: &[(&str, &str)],
) -> Value {
    let mut form = vec![("_csrf", csrf)];
    form.extend_from_slice(fields);
    let resp = c
        .post(app.url(&format!("/inspections/{inspection}/items/{item}")))
        .header(ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// The status of a unit on the status map JSON.
async fn map_status(app: &TestApp, unit: Uuid) -> String {
    let token = app.token("inspector").await;
    let map: Value = app
        .get(
            &format!("/api/v1/projects/{}/status-map", app.demo.project_id),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    for b in map["buildings"].as_array().unwrap() {
        for e in b["entrances"].as_array().unwrap() {
            for f in e["floors"].as_array().unwrap() {
                for u in f["units"].as_array().unwrap() {
                    if u["id"] == unit.to_string() {
                        return u["status"].as_str().unwrap().to_owned();
                    }
                }
            }
        }
    }
    panic!("unit {unit} not on the map")
}

/// The add-defect form as the page sends it: `_csrf` first, then the fields, photos last.
fn defect_form(csrf: &str, fields: &[(&str, &str)], photos: &[Vec<u8>]) -> Form {
    let mut form = Form::new().text("_csrf", csrf.to_owned());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (i, p) in photos.iter().enumerate() {
        let part = Part::bytes(p.clone())
            .file_name(format!("IMG_{i}.jpg"))
            .mime_str("image/jpeg")
            .unwrap();
        form = form.part("file", part);
    }
    form
}

async fn post_defect(c: &Client, app: &TestApp, unit: Uuid, form: Form) -> Response {
    c.post(app.url(&format!("/units/{unit}/defects")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The unit's defects through the API (inspector).
async fn defects_of(app: &TestApp, unit: Uuid) -> Vec<Value> {
    let token = app.token("inspector").await;
    let page: Value = app
        .get(
            &format!(
                "/api/v1/projects/{}/defects?unit={unit}",
                app.demo.project_id
            ),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_inspect_page_starts_an_inspection_and_lists_items_with_their_standard() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let c = app.page_login("inspector").await;

    let (status, html) = get(&c, &app, &format!("/units/{unit}/inspect")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("开始验收"), "start button");
    assert!(
        !html.contains(WALL_FLATNESS),
        "no checklist before the start"
    );
    assert!(
        html.contains("还没有问题，点击 + 记录第一个"),
        "empty state"
    );

    let id = start(&c, &app, unit).await;
    let run = running(&app, unit).await;
    assert_eq!(run["supervisor"], "张监理");
    assert_eq!(run["contractor"], "赵施工");
    assert_eq!(run["stage"], "self");
    assert_eq!(map_status(&app, unit).await, "inspecting");

    let (_, html) = get(&c, &app, &format!("/units/{unit}/inspect")).await;
    assert!(html.contains("验收进行中"));
    assert!(html.contains("监理：张监理"), "participants shown");
    assert!(html.contains(WALL_FLATNESS));
    assert!(
        html.contains("GB 50210-2018 表4.2.10"),
        "the standard of the item"
    );
    assert!(
        html.contains("≤ 4 mm，4 点，≥80% 合格且无点超过 1.5 倍"),
        "the tolerance and rule of a measured item"
    );
    assert!(html.contains("inputmode=\"decimal\""));
    assert!(html.contains("capture=\"environment\""));
    let d = detail(&app, id).await;
    let total = d["items"].as_array().unwrap().len();
    assert!(html.contains(&format!("已完成 0 / {total} 项")), "progress");
    assert_eq!(
        html.matches("class=\"item out-").count(),
        total,
        "one form per item"
    );
    let wall = item(&d, WALL_FLATNESS)["item_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!("action=\"/inspections/{id}/items/{wall}\"")));
    for trade in ["土建", "门窗", "给排水", "电气", "防水"] {
        assert!(html.contains(&format!("<h2>{trade}</h2>")), "group {trade}");
    }

    // Starting again (a second tap) continues the running inspection.
    let token = csrf(&c, &app, unit).await;
    let resp = c
        .post(app.url(&format!("/units/{unit}/inspect/start")))
        .form(&[
            ("_csrf", token.as_str()),
            ("id", &Uuid::new_v4().to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let token = app.token("inspector").await;
    let list: Value = app
        .get(&format!("/api/v1/units/{unit}/inspections"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "still one inspection");

    // Only inspectors run inspections.
    let contractor = app.page_login("contractor").await;
    let (status, _) = get(&contractor, &app, &format!("/units/{unit}/inspect")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn measured_points_are_judged_on_the_server() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let c = app.page_login("inspector").await;
    let id = start(&c, &app, unit).await;
    let d = detail(&app, id).await;
    let wall = item(&d, WALL_FLATNESS);
    assert_eq!(
        (wall["upper"].as_f64(), wall["kind"].as_str()),
        (Some(4.0), Some("measured"))
    );
    let wall = wall["item_id"].as_str().unwrap().to_owned();
    let token = csrf(&c, &app, unit).await;

    // 4 of 5 within 4 mm (80 %) and none over 6 mm: pass.
    let pts = ["1", "2", "3", "4", "5"];
    let fields: Vec<_> = pts.iter().map(|p| ("p", *p)).collect();
    let a = save_item(&c, &app, &token, id, &wall, &fields).await;
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["outcome"], "pass");
    assert_eq!(a["label"], "合格");
    assert_eq!(a["summary"], "4/5 点在允许偏差内");
    assert_eq!(a["failed"], false);
    assert_eq!(a["done"], 1);

    // 7 mm is beyond 1.5 × 4 mm: fail, although 4 of 5 are within.
    let fields: Vec<_> = ["1", "2", "3", "7", "4"]
        .iter()
        .map(|p| ("p", *p))
        .collect();
    let a = save_item(&c, &app, &token, id, &wall, &fields).await;
    assert_eq!(a["outcome"], "fail");
    assert_eq!(a["label"], "不合格");
    assert_eq!(a["summary"], "4/5 点在允许偏差内，有点超过 6 mm");
    assert_eq!(a["failed"], true);
    assert_eq!(a["done"], 1, "the same item again");
    assert_eq!(
        item(&detail(&app, id).await, WALL_FLATNESS)["points"][3],
        7.0
    );

    // The page shows the stored result and offers to record the defect, prefilled.
    let (_, html) = get(&c, &app, &format!("/units/{unit}/inspect")).await;
    let row = html
        .split(&format!("id=\"item-{wall}\""))
        .nth(1)
        .unwrap()
        .split("</form>")
        .next()
        .unwrap();
    assert!(
        row.contains("不合格") && row.contains("value=\"7\""),
        "{row}"
    );
    assert!(row.contains("data-defect-trade=\"civil\""));
    assert!(
        row.contains("defect_trade=civil"),
        "a plain link works without JS"
    );
    let link = row
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (_, prefilled) = get(&c, &app, &link.replace("&#38;", "&")).await;
    assert!(
        prefilled.contains("class=\"card sheet open\""),
        "the form opens"
    );
    assert!(
        prefilled.contains("value=\"civil\" checked"),
        "trade prefilled"
    );
    assert!(
        prefilled.contains(&format!(">{WALL_FLATNESS}</textarea>")),
        "{link} {}",
        prefilled.split("<textarea").nth(1).unwrap_or_default()
    );

    // No points and no 不适用: a message saying what to do, nothing stored.
    let other = item(&d, "墙面立面垂直度（普通抹灰）")["item_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = save_item(&c, &app, &token, id, &other, &[("p", ""), ("p", " ")]).await;
    assert_eq!(a["ok"], false);
    assert_eq!(a["code"], "request.invalid");
    assert!(a["message"].as_str().unwrap().contains("不适用"), "{a}");
    let a = save_item(&c, &app, &token, id, &other, &[("outcome", "na")]).await;
    assert_eq!(
        (a["outcome"].as_str(), a["done"].as_i64()),
        (Some("na"), Some(2))
    );

    // A pass/fail item from its buttons.
    let pf = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "pass_fail")
        .unwrap()["item_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = save_item(&c, &app, &token, id, &pf, &[("outcome", "fail")]).await;
    assert_eq!(
        (a["outcome"].as_str(), a["failed"].as_bool()),
        (Some("fail"), Some(true))
    );

    // Without JS: a plain post goes back to the item; an error comes back with what was typed.
    let resp = c
        .post(app.url(&format!("/inspections/{id}/items/{wall}")))
        .form(&[
            ("_csrf", token.as_str()),
            ("p", "1"),
            ("p", "1"),
            ("p", "1"),
            ("p", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp),
        format!("/units/{unit}/inspect#item-{wall}")
    );
    assert_eq!(
        item(&detail(&app, id).await, WALL_FLATNESS)["outcome"],
        "pass"
    );
    let resp = c
        .post(app.url(&format!("/inspections/{id}/items/{wall}")))
        .form(&[("_csrf", token.as_str()), ("p", "2"), ("p", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("测量值必须是数字"));
    assert!(html.contains("value=\"abc\""), "what was typed is kept");
    assert_eq!(
        item(&detail(&app, id).await, WALL_FLATNESS)["points"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn finishing_needs_every_item_and_then_sets_the_unit_status() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let c = app.page_login("inspector").await;
    let id = start(&c, &app, unit).await;
    let token = csrf(&c, &app, unit).await;
    let d = detail(&app, id).await;
    let items = d["items"].as_array().unwrap().clone();

    let finish = || async {
        c.post(app.url(&format!("/inspections/{id}/finish")))
            .form(&[("_csrf", token.as_str())])
            .send()
            .await
            .unwrap()
    };
    let resp = finish().await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains(&format!("还有 {} 项没有结果", items.len())),
        "the incomplete message with the count"
    );
    assert!(html.contains("以下检查项还没有结果"));
    let first = items[0]["item_id"].as_str().unwrap();
    assert!(
        html.contains(&format!("href=\"#item-{first}\"")),
        "missing items link to themselves"
    );
    assert_eq!(running(&app, unit).await["finished_at"], Value::Null);

    // Every item within tolerance (or passed).
    for (n, it) in items.iter().enumerate() {
        let item_id = it["item_id"].as_str().unwrap();
        let a = if it["kind"] == "measured" {
            let v = match (it["lower"].as_f64(), it["upper"].as_f64()) {
                (Some(l), Some(u)) => (l + u) / 2.0,
                (Some(l), None) => l,
                (None, Some(u)) => u,
                (None, None) => unreachable!(),
            }
            .to_string();
            let count = it["points_expected"].as_u64().unwrap() as usize;
            let fields: Vec<_> = (0..count).map(|_| ("p", v.as_str())).collect();
            save_item(&c, &app, &token, id, item_id, &fields).await
        } else {
            save_item(&c, &app, &token, id, item_id, &[("outcome", "pass")]).await
        };
        assert_eq!(a["outcome"], "pass", "{}: {a}", it["name"]);
        assert_eq!(a["done"], n + 1);
    }
    let (_, html) = get(&c, &app, &format!("/units/{unit}/inspect")).await;
    assert!(html.contains(&format!("已完成 {0} / {0} 项", items.len())));
    assert!(html.contains("width:100.0%"));

    let resp = finish().await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/units/{unit}/inspect?finished=1"));
    let run = running(&app, unit).await;
    assert_eq!(run["verdict"], "pass");
    assert_eq!(map_status(&app, unit).await, "ready");
    let (_, html) = get(&c, &app, &format!("/units/{unit}/inspect?finished=1")).await;
    assert!(html.contains("验收已完成，结论：合格"));
    assert!(html.contains("开始验收"), "a new inspection can be started");

    // The unit page lists the inspection.
    let (_, html) = get(&c, &app, &format!("/units/{unit}")).await;
    let section = html.split("id=\"inspections\"").nth(1).unwrap();
    assert!(section.contains("项目部验收（一户一验）"));
    assert!(section.contains("李娜（验收员）"));
    assert!(section.contains("verdict-pass"));
}

#[tokio::test]
async fn adding_a_defect_stores_its_photo_and_assigns_it_by_the_preset() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let c = app.page_login("inspector").await;
    let inspection = start(&c, &app, unit).await;
    let token = csrf(&c, &app, unit).await;
    let photo = jpeg(96, 64, 7);
    let second = jpeg(64, 96, 9);
    let id = Uuid::new_v4().to_string();
    let form = defect_form(
        &token,
        &[
            ("id", &id),
            ("trade", "civil"),
            ("room", "客厅"),
            ("room_text", ""),
            ("part", "墙面"),
            ("phrase", "墙面空鼓"),
            ("description", ""),
            ("severity", "serious"),
        ],
        &[photo.clone(), second.clone()],
    );
    let resp = post_defect(&c, &app, unit, form).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp),
        format!("/units/{unit}/inspect?added={id}#defects")
    );

    let list = defects_of(&app, unit).await;
    assert_eq!(list.len(), 1);
    let d = &list[0];
    assert_eq!(d["id"], id);
    assert_eq!(
        d["description"], "墙面空鼓",
        "the phrase fills the description"
    );
    assert_eq!(
        (d["room"].as_str(), d["part"].as_str()),
        (Some("客厅"), Some("墙面"))
    );
    assert_eq!(
        (d["trade"].as_str(), d["severity"].as_str()),
        (Some("civil"), Some("serious"))
    );
    assert_eq!(d["stage"], "self");
    assert_eq!(d["status"], "assigned", "the preset assigns it");
    assert_eq!(d["contractor_name"], CIVIL_CONTRACTOR);
    let due = d["due_on"].as_str().unwrap().to_owned();
    let token_api = app.token("inspector").await;
    let full: Value = app
        .get(&format!("/api/v1/defects/{id}"), &token_api)
        .await
        .json()
        .await
        .unwrap();
    let photos = full["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0]["phase"], "before");
    // The originals are kept byte for byte (one upload's photos share a time, so compare sets).
    let mut shas: Vec<&str> = photos
        .iter()
        .map(|p| p["sha256"].as_str().unwrap())
        .collect();
    shas.sort();
    let mut sent = [sha256_hex(&photo), sha256_hex(&second)];
    sent.sort();
    assert_eq!(shas, sent);
    // It belongs to the running inspection: that inspection cannot pass while it is pending.
    let pending: i64 = {
        let mut conn = app.db.read().await.unwrap();
        handover::inspections::repo::pending_defects_of(&mut conn, inspection)
            .await
            .unwrap()
    };
    assert_eq!(pending, 1);

    // The page confirms it and lists it with its thumbnail (served to the cookie session).
    let (_, html) = get(&c, &app, &format!("/units/{unit}/inspect?added={id}")).await;
    assert!(html.contains(&format!(
        "已记录问题 #1，已分派给{CIVIL_CONTRACTOR}，{due} 前整改"
    )));
    let row = html.split("class=\"defect-list\"").nth(1).unwrap();
    assert!(row.contains(&format!("href=\"/defects/{id}\"")));
    assert!(row.contains("墙面空鼓") && row.contains("待整改"));
    let thumb = format!("/photos/{}/thumb", photos[0]["id"].as_str().unwrap());
    assert!(row.contains(&thumb), "thumbnail in the list");
    let img = c.get(app.url(&thumb)).send().await.unwrap();
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/jpeg");

    // The same form sent twice (a retry) records one defect.
    let form = defect_form(
        &token,
        &[("id", &id), ("trade", "civil"), ("phrase", "墙面空鼓")],
        std::slice::from_ref(&photo),
    );
    assert_eq!(
        post_defect(&c, &app, unit, form).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(defects_of(&app, unit).await.len(), 1);

    // As inspect.js sends it: JSON with where to go.
    let form = defect_form(
        &token,
        &[
            ("trade", "plumbing"),
            ("room_text", "衣帽间"),
            ("description", "地漏堵塞"),
        ],
        &[],
    );
    let resp = c
        .post(app.url(&format!("/units/{unit}/defects")))
        .header(ACCEPT, "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let a: Value = resp.json().await.unwrap();
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["number"], 2);
    assert!(a["redirect"].as_str().unwrap().contains("?added="));
    let list = defects_of(&app, unit).await;
    let d = list.iter().find(|d| d["number"] == 2).unwrap();
    assert_eq!(
        (d["room"].as_str(), d["severity"].as_str()),
        (Some("衣帽间"), Some("minor"))
    );
    assert_eq!(d["contractor_name"], "上海安装工程集团有限公司");
}

#[tokio::test]
async fn a_failed_defect_form_keeps_what_was_typed_and_records_nothing() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let c = app.page_login("inspector").await;
    let token = csrf(&c, &app, unit).await;

    // No description.
    let form = defect_form(
        &token,
        &[
            ("trade", "electrical"),
            ("room_text", "设备平台"),
            ("part", "插座"),
            ("description", " "),
        ],
        &[jpeg(32, 32, 1)],
    );
    let resp = post_defect(&c, &app, unit, form).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("请填写问题描述：点选常用描述，或直接输入。"),
        "message with the next step"
    );
    assert!(html.contains("已拍的照片需要重新选择"));
    assert!(html.contains("class=\"card sheet open\""));
    assert!(html.contains("value=\"electrical\" checked"), "trade kept");
    assert!(html.contains("value=\"设备平台\""), "typed room kept");
    assert!(html.contains("value=\"插座\" checked"), "part kept");

    // A corrupt photo: refused before anything is recorded.
    let mut broken = jpeg(64, 64, 3);
    broken.truncate(200);
    let form = defect_form(
        &token,
        &[("trade", "civil"), ("description", "墙面裂缝")],
        &[broken],
    );
    let resp = post_defect(&c, &app, unit, form).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("照片文件不完整或已损坏，请重新拍摄"),
        "photo message"
    );
    assert!(html.contains(">墙面裂缝</textarea>"), "description kept");

    // Too many photos.
    let seven: Vec<_> = (0..7).map(|i| jpeg(16, 16, i)).collect();
    let form = defect_form(&token, &[("trade", "civil"), ("description", "x")], &seven);
    let a: Value = c
        .post(app.url(&format!("/units/{unit}/defects")))
        .header(ACCEPT, "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["ok"], false);
    assert!(
        a["message"].as_str().unwrap().contains("最多保存 6 张"),
        "{a}"
    );

    assert!(
        defects_of(&app, unit).await.is_empty(),
        "nothing was recorded"
    );
}

#[tokio::test]
async fn a_bad_csrf_token_is_refused_everywhere() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let c = app.page_login("inspector").await;
    let id = start(&c, &app, unit).await;
    let d = detail(&app, id).await;
    let item_id = d["items"][0]["item_id"].as_str().unwrap().to_owned();
    let refused = |resp: Response| async move {
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        let html = resp.text().await.unwrap();
        assert!(html.contains("data-code=\"auth.csrf_rejected\""), "{html}");
        assert!(html.contains("页面已过期，请刷新后重试"));
    };

    let form = defect_form(
        "forged",
        &[("trade", "civil"), ("description", "墙面空鼓")],
        &[jpeg(16, 16, 0)],
    );
    refused(post_defect(&c, &app, unit, form).await).await;
    // The token must come first: a post that starts with a photo is refused unread.
    let token = csrf(&c, &app, unit).await;
    let form = Form::new()
        .part("file", Part::bytes(jpeg(16, 16, 0)).file_name("a.jpg"))
        .text("_csrf", token.clone())
        .text("trade", "civil")
        .text("description", "墙面空鼓");
    refused(post_defect(&c, &app, unit, form).await).await;
    assert!(defects_of(&app, unit).await.is_empty());

    let resp = c
        .post(app.url(&format!("/inspections/{id}/items/{item_id}")))
        .header(ACCEPT, "application/json")
        .form(&[("_csrf", "forged"), ("outcome", "pass")])
        .send()
        .await
        .unwrap();
    refused(resp).await;
    assert_eq!(detail(&app, id).await["items"][0]["outcome"], Value::Null);
    let resp = c
        .post(app.url(&format!("/inspections/{id}/finish")))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    refused(resp).await;
    let resp = c
        .post(app.url(&format!("/units/{unit}/inspect/start")))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    refused(resp).await;

    let admin = app.page_login("admin").await;
    let (_, html) = get(
        &admin,
        &app,
        &format!("/projects/{}/layouts", app.demo.project_id),
    )
    .await;
    let layout = html
        .split("id=\"layout-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = Form::new()
        .text("_csrf", "forged")
        .part("file", Part::bytes(jpeg(64, 48, 0)).file_name("plan.jpg"));
    let resp = admin
        .post(app.url(&format!(
            "/projects/{}/layouts/{layout}/plan",
            app.demo.project_id
        )))
        .multipart(form)
        .send()
        .await
        .unwrap();
    refused(resp).await;
}

/// The id of the layout section named `name` on the layouts page.
fn layout_id(html: &str, name: &str) -> String {
    html.split("id=\"layout-")
        .skip(1)
        .find(|s| s.contains(&format!("<h2>{name} ")))
        .unwrap_or_else(|| panic!("no layout {name}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_unit_page_shows_a_pin_per_defect_once_the_plan_is_uploaded() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let unit = app.a_unit_of(project).await;
    let inspector = app.page_login("inspector").await;
    let admin = app.page_login("admin").await;

    // No plan yet: said so, the admin gets the upload link, the inspector the inspect link.
    let (_, html) = get(&inspector, &app, &format!("/units/{unit}")).await;
    assert!(html.contains("该户型还没有上传户型图"));
    assert!(!html.contains("class=\"pin "));
    assert!(!html.contains(&format!("/projects/{project}/layouts")));
    assert!(html.contains(&format!(
        "href=\"/units/{unit}/inspect\" id=\"inspect-link\">开始验收"
    )));
    let (_, html) = get(&admin, &app, &format!("/units/{unit}")).await;
    assert!(html.contains(&format!("href=\"/projects/{project}/layouts\"")));
    assert!(
        !html.contains("id=\"inspect-link\""),
        "admins do not inspect"
    );

    // Only admins manage plans.
    let (status, _) = get(&inspector, &app, &format!("/projects/{project}/layouts")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let token = app.token("inspector").await;
    let unit_json: Value = app
        .get(&format!("/api/v1/units/{unit}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let layout_name = unit_json["layout"].as_str().unwrap().to_owned();
    let (status, html) = get(&admin, &app, &format!("/projects/{project}/layouts")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("尚未上传户型图"));
    let layout = layout_id(&html, &layout_name);
    let csrf_admin = hidden(&html, "_csrf");
    // A file that is not an image is refused with the photo message, on the same page.
    let form = Form::new().text("_csrf", csrf_admin.clone()).part(
        "file",
        Part::bytes(b"not an image".to_vec()).file_name("plan.txt"),
    );
    let resp = admin
        .post(app.url(&format!("/projects/{project}/layouts/{layout}/plan")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("只支持 JPEG、PNG 或 WebP 格式的照片")
    );
    let plan = jpeg(400, 300, 5);
    let form = Form::new()
        .text("_csrf", csrf_admin)
        .part("file", Part::bytes(plan).file_name("plan.jpg"));
    let resp = admin
        .post(app.url(&format!("/projects/{project}/layouts/{layout}/plan")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&admin, &app, &location(&resp)).await;
    assert!(html.contains("户型图已上传"));
    assert!(html.contains(&format!("src=\"/layouts/{layout}/plan?v=")));
    let img = inspector
        .get(app.url(&format!("/layouts/{layout}/plan")))
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), StatusCode::OK);

    // The inspect page offers the plan to pin on; a defect pinned at (0.25, 0.5).
    let (_, html) = get(&inspector, &app, &format!("/units/{unit}/inspect")).await;
    assert!(html.contains("data-plan"), "the pin picker");
    let token = hidden(&html, "_csrf");
    let pinned = |desc: &'static str, x: &'static str, y: &'static str| {
        defect_form(
            &token,
            &[
                ("trade", "civil"),
                ("description", desc),
                ("pin_x", x),
                ("pin_y", y),
            ],
            &[],
        )
    };
    assert_eq!(
        post_defect(&inspector, &app, unit, pinned("墙面空鼓", "0.25", "0.5"))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_defect(&inspector, &app, unit, pinned("重复录入", "0.75", "0.1"))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Off the plan: refused with what to do.
    let resp = post_defect(&inspector, &app, unit, pinned("墙面裂缝", "1.5", "0.5")).await;
    assert!(resp.text().await.unwrap().contains("标记位置不在户型图内"));
    let list = defects_of(&app, unit).await;
    assert_eq!(list.len(), 2);
    let first = list
        .iter()
        .find(|d| d["description"] == "墙面空鼓")
        .unwrap();
    assert_eq!(first["pin"], serde_json::json!([0.25, 0.5]));
    let dup = list
        .iter()
        .find(|d| d["description"] == "重复录入")
        .unwrap();
    let resp = app
        .post(
            &format!("/api/v1/defects/{}/cancel", dup["id"].as_str().unwrap()),
            &app.token("inspector").await,
            &serde_json::json!({"reason": "重复"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let (_, html) = get(&inspector, &app, &format!("/units/{unit}")).await;
    assert!(html.contains(&format!("src=\"/layouts/{layout}/plan?v=")));
    let pins: Vec<&str> = html.split("<a class=\"pin ").skip(1).collect();
    assert_eq!(pins.len(), 1, "the cancelled defect has no pin");
    assert!(
        pins[0].starts_with("pin-open\""),
        "assigned is orange: {}",
        pins[0]
    );
    assert!(pins[0].contains(&format!(
        "href=\"/defects/{}\"",
        first["id"].as_str().unwrap()
    )));
    assert!(pins[0].contains("style=\"left:25.00%;top:50.00%\""));
    assert!(pins[0].contains("墙面空鼓"), "the pin says what it is");
    for label in ["待处理", "已超期", "待复验", "已关闭"] {
        assert!(
            html.contains(&format!("</span>{label}</li>")),
            "legend {label}"
        );
    }
}

/// The visible text of a page, with the text of `placeholder`, `aria-label` and `data-msg-*`
/// attributes (what the user reads), without scripts.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        out.push(' ');
        let tag_end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..tag_end];
        for attr in ["placeholder=\"", "aria-label=\"", "data-msg-"] {
            for piece in tag.split(attr).skip(1) {
                let value = piece.split_once("=\"").map_or(piece, |(_, v)| v);
                let value = if attr == "data-msg-" { value } else { piece };
                out.push_str(value.split('"').next().unwrap_or_default());
                out.push(' ');
            }
        }
        rest = &rest[tag_end..];
        if tag.starts_with("<script") {
            rest = rest.split_once("</script>").map_or("", |(_, r)| r);
        }
    }
    out.push_str(rest);
    [
        ("&#38;", "&"),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&#60;", "<"),
        ("&#62;", ">"),
    ]
    .iter()
    .fold(out, |s, (from, to)| s.replace(from, to))
}

/// The fixed pieces of the catalog texts of these pages (placeholders cut out).
fn catalog_pieces(catalog: &str) -> Vec<String> {
    catalog
        .lines()
        .filter(|l| l.starts_with("insp."))
        .filter_map(|l| l.split_once(" = "))
        .flat_map(|(_, v)| {
            v.split(['{', '}'])
                .step_by(2)
                .map(|s| {
                    s.trim()
                        .trim_matches(|c: char| {
                            c.is_ascii_punctuation() || "，。：；、".contains(c)
                        })
                        .trim()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn the_pages_show_no_text_of_the_other_language() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let c = app.page_login("inspector").await;
    start(&c, &app, unit).await;
    let token = csrf(&c, &app, unit).await;
    let form = defect_form(
        &token,
        &[("trade", "civil"), ("description", "墙面空鼓")],
        &[jpeg(32, 32, 2)],
    );
    assert_eq!(
        post_defect(&c, &app, unit, form).await.status(),
        StatusCode::SEE_OTHER
    );
    let pages = [format!("/units/{unit}/inspect"), format!("/units/{unit}")];

    let en_pieces: Vec<String> = catalog_pieces(include_str!("../../src/i18n/photos.en.txt"))
        .into_iter()
        .filter(|p| p.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 4)
        .collect();
    // Chinese pieces that the shipped checklist and phrases (data, shown in both languages) do
    // not contain.
    let data = [
        include_str!("../../src/checklists/default_unit.json"),
        include_str!("../../src/checklists/phrases.json"),
    ]
    .concat()
        + &handover::org::demo::DEMO_USERS.map(|u| u.1).concat()
        + "张监理 赵施工";
    let zh_pieces: Vec<String> = catalog_pieces(include_str!("../../src/i18n/photos.zh-CN.txt"))
        .into_iter()
        .filter(|p| p.chars().filter(|c| !c.is_ascii()).count() >= 2 && !data.contains(p.as_str()))
        .collect();
    assert!(
        en_pieces.len() > 50 && zh_pieces.len() > 50,
        "{} {}",
        en_pieces.len(),
        zh_pieces.len()
    );

    for path in &pages {
        let (_, html) = get(&c, &app, path).await;
        assert!(html.contains("lang=\"zh-CN\""));
        let text = visible_text(&html);
        assert!(
            text.contains("记录问题") || text.contains("问题分布"),
            "{path}"
        );
        for p in &en_pieces {
            assert!(
                !text.contains(p.as_str()),
                "English {p:?} on the zh-CN page {path}"
            );
        }
        let (_, html) = get(&c, &app, &format!("{path}?lang=en")).await;
        assert!(html.contains("lang=\"en\""));
        let text = visible_text(&html);
        for p in &zh_pieces {
            assert!(
                !text.contains(p.as_str()),
                "Chinese {p:?} on the English page {path}"
            );
        }
        assert!(
            text.contains("Record a defect") || text.contains("Defects on the floor plan"),
            "{path}"
        );
    }
}
