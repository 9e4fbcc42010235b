//! Defects through the JSON API: recording with fix presets, the lifecycle and its permission
//! rules over HTTP, photos and their bounds, filters, bulk assignment, export and "my work".

use crate::common;

use common::{TestApp, assert_error, client, jpeg, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

async fn contractor_named(app: &TestApp, token: &str, name: &str) -> Uuid {
    let list: Value = app
        .get(
            &format!("/api/v1/projects/{}/contractors", app.demo.project_id),
            token,
        )
        .await
        .json()
        .await
        .unwrap();
    let c = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with(name))
        .unwrap_or_else(|| panic!("no contractor {name}"));
    c["id"].as_str().unwrap().parse().unwrap()
}

/// Uploads one after photo (as `token`) and marks the defect fixed.
async fn fix(app: &TestApp, token: &str, id: &str, seed: u8) -> Value {
    let resp = app
        .upload(
            &format!("/api/v1/defects/{id}/photos?phase=after"),
            token,
            vec![jpeg(64, 48, seed)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "after photo");
    let resp = app
        .post(
            &format!("/api/v1/defects/{id}/fixed"),
            token,
            &json!({"note": "已修补"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "mark fixed");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn a_new_defect_is_assigned_and_dated_by_the_fix_preset() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let d = app.a_defect(&inspector, unit, "civil").await;
    assert_eq!(d["status"], "assigned");
    assert!(
        d["contractor_name"]
            .as_str()
            .unwrap()
            .starts_with("中建八局")
    );
    let today = handover::clock::local_date(handover::clock::now());
    let due: chrono::NaiveDate = d["due_on"].as_str().unwrap().parse().unwrap();
    assert_eq!((due - today).num_days(), 7, "civil preset is 7 days");
    assert_eq!(d["overdue"], false);
    let windows = app.a_defect(&inspector, unit, "doors_windows").await;
    assert!(
        windows["contractor_name"]
            .as_str()
            .unwrap()
            .starts_with("江苏华艺")
    );
    let detail: Value = app
        .get(
            &format!("/api/v1/defects/{}", d["id"].as_str().unwrap()),
            &inspector,
        )
        .await
        .json()
        .await
        .unwrap();
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["to"], "open");
    assert_eq!(history[1]["from"], "open");
    assert_eq!(history[1]["to"], "assigned");
    // The unit now shows open defects on the status map.
    let map: Value = app
        .get(
            &format!("/api/v1/projects/{}/status-map", app.demo.project_id),
            &inspector,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(map.to_string().contains("defects_open"), "{map}");
}

#[tokio::test]
async fn a_preset_for_one_building_beats_the_project_wide_one() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let project = app.demo.project_id;
    let buildings: Value = app
        .get(&format!("/api/v1/projects/{project}/buildings"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let b2 = buildings[1]["id"].as_str().unwrap().to_owned();
    let install = contractor_named(&app, &admin, "上海安装").await;
    let resp = client()
        .put(app.url(&format!("/api/v1/projects/{project}/fix-presets")))
        .bearer_auth(&admin)
        .json(&json!({"trade": "civil", "building_id": b2, "contractor_id": install, "days": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cells = handover::org::repo::status_map(&mut app.db.read().await.unwrap(), project)
        .await
        .unwrap();
    let in_b2 = cells
        .iter()
        .find(|c| c.building == buildings[1]["name"].as_str().unwrap())
        .unwrap()
        .id;
    let in_b1 = cells
        .iter()
        .find(|c| c.building == buildings[0]["name"].as_str().unwrap())
        .unwrap()
        .id;
    let inspector = app.token("inspector").await;
    let d2 = app.a_defect(&inspector, in_b2, "civil").await;
    assert!(
        d2["contractor_name"]
            .as_str()
            .unwrap()
            .starts_with("上海安装")
    );
    let d1 = app.a_defect(&inspector, in_b1, "civil").await;
    assert!(
        d1["contractor_name"]
            .as_str()
            .unwrap()
            .starts_with("中建八局")
    );

    // Presets are the administrator's, and days are bounded.
    let inspector_put = client()
        .put(app.url(&format!("/api/v1/projects/{project}/fix-presets")))
        .bearer_auth(&inspector)
        .json(&json!({"trade": "civil", "contractor_id": install, "days": 3}))
        .send()
        .await
        .unwrap();
    assert_error(inspector_put, StatusCode::FORBIDDEN, "auth.forbidden").await;
    let bad = client()
        .put(app.url(&format!("/api/v1/projects/{project}/fix-presets")))
        .bearer_auth(&admin)
        .json(&json!({"trade": "civil", "contractor_id": install, "days": 0}))
        .send()
        .await
        .unwrap();
    let body = assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "days");
}

#[tokio::test]
async fn sending_the_same_defect_twice_records_it_once() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let id = Uuid::new_v4();
    let body = json!({"id": id, "unit_id": unit, "trade": "electrical", "description": "插座无电"});
    let path = format!("/api/v1/projects/{}/defects", app.demo.project_id);
    let first: Value = app
        .post(&path, &inspector, &body)
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .post(&path, &inspector, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["number"], second["number"]);
    let list: Value = app.get(&path, &inspector).await.json().await.unwrap();
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn the_full_lifecycle_with_a_send_back() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let contractor = app.token("contractor").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let d = app.a_defect(&inspector, unit, "civil").await;
    let id = d["id"].as_str().unwrap();

    // Marking fixed needs an after photo first.
    let no_photo = app
        .post(
            &format!("/api/v1/defects/{id}/fixed"),
            &contractor,
            &json!({}),
        )
        .await;
    let body = assert_error(
        no_photo,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(body["fields"][0]["field"], "photos");

    assert_eq!(fix(&app, &contractor, id, 1).await["status"], "fixed");
    let sent_back = app
        .post(
            &format!("/api/v1/defects/{id}/send-back"),
            &inspector,
            &json!({"note": "仍有空鼓"}),
        )
        .await;
    assert_eq!(sent_back.status(), StatusCode::OK);
    let sent_back: Value = sent_back.json().await.unwrap();
    assert_eq!(sent_back["status"], "assigned");
    assert_eq!(sent_back["send_backs"], 1);

    // The old after photo does not count for the new round.
    let again = app
        .post(
            &format!("/api/v1/defects/{id}/fixed"),
            &contractor,
            &json!({}),
        )
        .await;
    assert_error(again, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    fix(&app, &contractor, id, 2).await;
    let verified = app
        .post(
            &format!("/api/v1/defects/{id}/verify"),
            &inspector,
            &json!({}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::OK);
    let detail: Value = app
        .get(&format!("/api/v1/defects/{id}"), &inspector)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["defect"]["status"], "verified");
    let moves: Vec<(String, String)> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap_or("").to_owned(),
                e["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("", "open"),
        ("open", "assigned"),
        ("assigned", "fixed"),
        ("fixed", "assigned"),
        ("assigned", "fixed"),
        ("fixed", "verified"),
    ];
    assert_eq!(
        moves,
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    let photos = detail["photos"].as_array().unwrap();
    assert_eq!(photos.iter().filter(|p| p["phase"] == "after").count(), 2);
    // Verified is terminal: nothing moves it again, and the unit has nothing pending.
    let late = app
        .post(
            &format!("/api/v1/defects/{id}/send-back"),
            &inspector,
            &json!({"note": "x"}),
        )
        .await;
    assert_error(late, StatusCode::CONFLICT, "defect.illegal_transition").await;
    assert_eq!(
        handover::defects::repo::pending_in_unit(&mut app.db.read().await.unwrap(), unit)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn illegal_transitions_are_409_with_a_message_in_each_language() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let d = app.a_defect(&inspector, unit, "civil").await;
    let id = d["id"].as_str().unwrap();
    for (action, body) in [("verify", json!({})), ("send-back", json!({"note": "x"}))] {
        let resp = app
            .post(&format!("/api/v1/defects/{id}/{action}"), &inspector, &body)
            .await;
        let zh = assert_error(resp, StatusCode::CONFLICT, "defect.illegal_transition").await;
        assert!(zh["message"].as_str().unwrap().contains("状态"));
    }
    let en = client()
        .post(app.url(&format!("/api/v1/defects/{id}/verify")))
        .bearer_auth(&inspector)
        .header("accept-language", "en")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let en = assert_error(en, StatusCode::CONFLICT, "defect.illegal_transition").await;
    assert!(en["message"].as_str().unwrap().contains("status"));

    // Cancel needs a reason; with one it is final.
    let no_reason = app
        .post(
            &format!("/api/v1/defects/{id}/cancel"),
            &inspector,
            &json!({"reason": " "}),
        )
        .await;
    assert_error(
        no_reason,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    let cancelled: Value = app
        .post(
            &format!("/api/v1/defects/{id}/cancel"),
            &inspector,
            &json!({"reason": "重复录入"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "重复录入");
    let reassign = app
        .post(
            &format!("/api/v1/defects/{id}/assign"),
            &inspector,
            &json!({"contractor_id": d["contractor_id"], "due_on": "2026-12-31"}),
        )
        .await;
    assert_error(reassign, StatusCode::CONFLICT, "defect.illegal_transition").await;
}

#[tokio::test]
async fn every_role_may_do_only_its_own_moves() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let contractor = app.token("contractor").await;
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let executive = app.token("executive").await;
    let other = app.token("other-inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let project = app.demo.project_id;

    // Recording: inspectors and admins only.
    for token in [&property, &executive, &contractor] {
        let resp = app
            .post(
                &format!("/api/v1/projects/{project}/defects"),
                token,
                &json!({"unit_id": unit, "trade": "civil", "description": "x"}),
            )
            .await;
        assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    }
    let d = app.a_defect(&inspector, unit, "civil").await;
    let id = d["id"].as_str().unwrap();
    // Another project's staff cannot even see it.
    assert_error(
        app.get(&format!("/api/v1/defects/{id}"), &other).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Only the assigned contractor marks fixed.
    let resp = app
        .upload(
            &format!("/api/v1/defects/{id}/photos?phase=after"),
            &inspector,
            vec![jpeg(32, 32, 3)],
        )
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    for token in [&inspector, &admin] {
        let resp = app
            .post(&format!("/api/v1/defects/{id}/fixed"), token, &json!({}))
            .await;
        assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    }
    // A contractor of another company does not see the defect.
    let windows = contractor_named(&app, &admin, "江苏华艺").await;
    let resp = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"username": "huayi", "display_name": "钱坤", "password": "handover-demo"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .post(
            &format!("/api/v1/projects/{project}/members"),
            &admin,
            &json!({"username": "huayi", "role": "contractor", "contractor_id": windows}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let huayi = app.token("huayi").await;
    assert_error(
        app.get(&format!("/api/v1/defects/{id}"), &huayi).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let list: Value = app
        .get(&format!("/api/v1/projects/{project}/defects"), &huayi)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "huayi sees none of 中建八局's defects");
    // ... nor their photos, even with the photo's address.
    let photos: Value = app
        .upload(
            &format!("/api/v1/defects/{id}/photos?phase=before"),
            &inspector,
            vec![jpeg(32, 32, 8)],
        )
        .await
        .json()
        .await
        .unwrap();
    let thumb = photos[0]["thumb_url"].as_str().unwrap();
    assert_error(
        app.get(thumb, &huayi).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.get(thumb, &contractor).await.status(), StatusCode::OK);

    fix(&app, &contractor, id, 4).await;
    // Only inspectors verify or send back.
    for token in [&contractor, &admin, &property, &executive] {
        for (action, body) in [("verify", json!({})), ("send-back", json!({"note": "x"}))] {
            let resp = app
                .post(&format!("/api/v1/defects/{id}/{action}"), token, &body)
                .await;
            assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
        }
    }
    // Executives and property managers neither assign nor cancel.
    for token in [&executive, &property, &contractor] {
        let resp = app
            .post(
                &format!("/api/v1/defects/{id}/cancel"),
                token,
                &json!({"reason": "x"}),
            )
            .await;
        assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    }
}

#[tokio::test]
async fn a_repeated_command_is_applied_once() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let contractor = app.token("contractor").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let d = app.a_defect(&inspector, unit, "civil").await;
    let id = d["id"].as_str().unwrap();
    fix(&app, &contractor, id, 5).await;
    let key = Uuid::new_v4();
    let body = json!({"note": "仍渗水", "event_id": key});
    for _ in 0..2 {
        let resp = app
            .post(
                &format!("/api/v1/defects/{id}/send-back"),
                &inspector,
                &body,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let d: Value = resp.json().await.unwrap();
        assert_eq!(d["send_backs"], 1, "the retry did not count twice");
    }
}

#[tokio::test]
async fn photos_are_bounded_and_served_only_to_the_project() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let d = app.a_defect(&inspector, unit, "civil").await;
    let path = format!(
        "/api/v1/defects/{}/photos?phase=before",
        d["id"].as_str().unwrap()
    );

    let original = jpeg(640, 480, 9);
    let resp = app.upload(&path, &inspector, vec![original.clone()]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let photos: Value = resp.json().await.unwrap();
    let p = &photos[0];
    assert_eq!(p["width"], 640);
    let served = app
        .get(p["original_url"].as_str().unwrap(), &inspector)
        .await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().as_ref(), original.as_slice());
    use sha2::Digest;
    assert_eq!(
        p["sha256"].as_str().unwrap(),
        handover::auth::hex_lower(&sha2::Sha256::digest(&original))
    );
    let thumb = app.get(p["thumb_url"].as_str().unwrap(), &inspector).await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 240));
    // Another project's user gets nothing.
    let other = app.token("other-inspector").await;
    assert_error(
        app.get(p["original_url"].as_str().unwrap(), &other).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Bounds, each with its own code.
    let mut huge = jpeg(16, 16, 1);
    huge.resize(26 * 1024 * 1024, 0);
    assert_error(
        app.upload(&path, &inspector, vec![huge]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "photo.too_large",
    )
    .await;
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.resize(200, 0);
    assert_error(
        app.upload(&path, &inspector, vec![heic]).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "photo.heic_unsupported",
    )
    .await;
    let truncated = jpeg(400, 300, 2)[..600].to_vec();
    assert_error(
        app.upload(&path, &inspector, vec![truncated]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "photo.corrupt",
    )
    .await;
    assert_error(
        app.upload(&path, &inspector, vec![b"not an image at all".to_vec()])
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "photo.unsupported_format",
    )
    .await;
    // Nothing half-written: still exactly one photo on the defect.
    let detail: Value = app
        .get(
            &format!("/api/v1/defects/{}", d["id"].as_str().unwrap()),
            &inspector,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["photos"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_list_filters_pages_and_exports() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let project = app.demo.project_id;
    let cells = handover::org::repo::status_map(&mut app.db.read().await.unwrap(), project)
        .await
        .unwrap();
    for (i, cell) in cells.iter().enumerate() {
        let trade = if i % 3 == 0 { "electrical" } else { "civil" };
        app.a_defect(&inspector, cell.id, trade).await;
    }
    let list = |q: &'static str| {
        let app = &app;
        let inspector = &inspector;
        async move {
            let resp = app
                .get(&format!("/api/v1/projects/{project}/defects{q}"), inspector)
                .await;
            assert_eq!(resp.status(), StatusCode::OK, "{q}");
            resp.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(list("").await["total"], 12);
    assert_eq!(list("?trade=electrical").await["total"], 4);
    let page2 = list("?per_page=5&page=3").await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 2);
    assert_eq!(list("?status=open").await["total"], 0);
    assert_eq!(list("?status=assigned,fixed").await["total"], 12);
    assert_eq!(list("?floor=1").await["total"], 4);
    assert_eq!(list("?overdue=true").await["total"], 0);
    assert_eq!(list("?q=%E7%A9%BA%E9%BC%93").await["total"], 12, "q=空鼓");
    assert_eq!(list("?q=%25").await["total"], 0, "a % is matched literally");

    // Two defects past due, assigned in bulk.
    let ids: Vec<Value> = list("?trade=electrical&per_page=2").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    let mut ids = ids;
    ids.push(ids[0].clone()); // a double tap: the same id twice
    let contractor = list("").await["items"][0]["contractor_id"].clone();
    let resp = app
        .post(
            &format!("/api/v1/projects/{project}/defects/bulk-assign"),
            &inspector,
            &json!({"ids": ids, "contractor_id": contractor, "due_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["assigned"], 2);
    let overdue = list("?overdue=true").await;
    assert_eq!(overdue["total"], 2);
    assert!(
        overdue["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["overdue"] == true)
    );
    let first_due = list("?order=due").await;
    assert_eq!(first_due["items"][0]["overdue"], true, "overdue first");
    let bad = app
        .get(
            &format!("/api/v1/projects/{project}/defects?status=nope"),
            &inspector,
        )
        .await;
    assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;

    // The .xlsx export holds the same rows, with Chinese headers.
    let resp = app
        .get(
            &format!("/api/v1/projects/{project}/defects.xlsx?trade=electrical"),
            &inspector,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), 5, "header + 4 electrical defects");
    assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "编号");
    assert_eq!(sheet.get((1, 4)).unwrap().to_string(), "电气");
}

#[tokio::test]
async fn my_work_lists_what_waits_on_each_role() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let contractor = app.token("contractor").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let a = app.a_defect(&inspector, unit, "civil").await;
    app.a_defect(&inspector, unit, "civil").await;
    app.a_defect(&inspector, unit, "plumbing").await; // 上海安装, not our contractor
    fix(&app, &contractor, a["id"].as_str().unwrap(), 7).await;

    let work: Value = app
        .get("/api/v1/me/work", &contractor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(work["counts"]["to_fix"], 1);
    assert_eq!(work["to_fix"].as_array().unwrap().len(), 1);
    assert_eq!(work["counts"]["to_verify"], 0);
    let work: Value = app
        .get("/api/v1/me/work", &inspector)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(work["counts"]["to_verify"], 1);
    assert_eq!(work["to_verify"][0]["id"], a["id"]);
    assert_eq!(work["counts"]["to_fix"], 0, "inspectors fix nothing");
}

/// The status map's units, as `(id, status)`, and its per-trade counts.
async fn map_of(app: &TestApp, token: &str, query: &str) -> (Vec<(String, String)>, Value) {
    let path = format!("/api/v1/projects/{}/status-map{query}", app.demo.project_id);
    let map: Value = app.get(&path, token).await.json().await.unwrap();
    let mut units = Vec::new();
    for b in map["buildings"].as_array().unwrap() {
        for e in b["entrances"].as_array().unwrap() {
            for f in e["floors"].as_array().unwrap() {
                for u in f["units"].as_array().unwrap() {
                    units.push((
                        u["id"].as_str().unwrap().to_owned(),
                        u["status"].to_string(),
                    ));
                }
            }
        }
    }
    (units, map["trades"].clone())
}

#[tokio::test]
async fn the_status_map_filters_units_by_the_trade_of_their_pending_defects() {
    let app = spawn_app().await;
    let inspector = app.token("inspector").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let count = |trades: &Value, trade: &str| {
        let row = trades
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["trade"] == trade);
        row.unwrap()["count"].as_i64().unwrap()
    };
    let (_, before) = map_of(&app, &inspector, "").await;
    let d = app.a_defect(&inspector, unit, "plumbing").await;
    let (units, trades) = map_of(&app, &inspector, "?trade=plumbing").await;
    assert_eq!(count(&trades, "plumbing"), count(&before, "plumbing") + 1);
    assert!(units.iter().any(|(id, _)| *id == unit.to_string()));
    assert_eq!(units.len() as i64, count(&trades, "plumbing"));
    // Cancelled, the defect no longer puts the unit under 给排水.
    let id = d["id"].as_str().unwrap();
    let resp = app
        .post(
            &format!("/api/v1/defects/{id}/cancel"),
            &inspector,
            &json!({"reason": "重复录入"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (units, trades) = map_of(&app, &inspector, "?trade=plumbing").await;
    assert_eq!(count(&trades, "plumbing"), count(&before, "plumbing"));
    assert!(!units.iter().any(|(id, _)| *id == unit.to_string()));
    // An unknown trade is a 400 with a code, not an empty map.
    let resp = app
        .get(
            &format!(
                "/api/v1/projects/{}/status-map?trade=garden",
                app.demo.project_id
            ),
            &inspector,
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_query").await;
}
