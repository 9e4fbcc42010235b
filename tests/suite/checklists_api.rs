//! Checklist templates and the phrase library through `/api/v1`: the shipped defaults carry their
//! standards, editing writes a new version and leaves the old one alone, validation names each
//! bad item field, shipped templates are read-only, roles and projects are enforced.

use crate::common;

use common::{TestApp, assert_error, client, spawn_app};
use handover::checklists::Scope;
use handover::checklists::repo::{self, COMMON_TEMPLATE_ID, UNIT_TEMPLATE_ID};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn ok(resp: Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    client()
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Response {
    client()
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn items(version: &Value) -> &Vec<Value> {
    version["items"].as_array().unwrap()
}

fn find<'a>(version: &'a Value, name: &str) -> &'a Value {
    items(version)
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no item {name}"))
}

/// The demo admin copies the shipped unit template into the demo project; returns the copy.
async fn copy_unit_template(app: &TestApp, admin: &str, name: &str) -> Value {
    let path = format!("/api/v1/projects/{}/checklists", app.demo.project_id);
    ok(app
        .post(
            &path,
            admin,
            &json!({"template_id": UNIT_TEMPLATE_ID, "name": name}),
        )
        .await)
    .await
}

/// The items of a version as a new-version body would send them (ids and positions included:
/// the API ignores them).
fn as_body(version: &Value) -> Vec<Value> {
    items(version).clone()
}

#[tokio::test]
async fn shipped_templates_are_present_with_their_standards_for_every_role() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    for user in ["inspector", "contractor", "executive", "admin"] {
        let token = app.token(user).await;
        let list = ok(app
            .get(&format!("/api/v1/projects/{project}/checklists"), &token)
            .await)
        .await;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2, "{user}: {list:?}");
        assert_eq!(list[0]["id"], UNIT_TEMPLATE_ID.to_string());
        assert_eq!(list[0]["name"], "分户验收（毛坯）默认检查表");
        assert_eq!(list[0]["shipped"], true);
        assert_eq!(list[0]["used_for"], json!(["unit"]));
        assert_eq!(list[0]["latest_version"], 1);
        assert_eq!(list[1]["id"], COMMON_TEMPLATE_ID.to_string());
        assert_eq!(list[1]["used_for"], json!(["common_area"]));
        assert!(list[0]["item_count"].as_i64().unwrap() >= 60);
    }

    let token = app.token("contractor").await;
    let list = ok(app
        .get(&format!("/api/v1/projects/{project}/checklists"), &token)
        .await)
    .await;
    let vid = list[0]["latest_version_id"].as_str().unwrap();
    let unit = ok(app
        .get(&format!("/api/v1/checklists/versions/{vid}"), &token)
        .await)
    .await;
    assert_eq!(unit["version"], 1);
    assert_eq!(unit["shipped"], true);
    assert_eq!(unit["note"], "随产品提供的默认版本");
    let plaster = find(&unit, "墙面表面平整度（普通抹灰）");
    assert_eq!(plaster["trade"], "civil");
    assert_eq!(plaster["kind"], "measured");
    assert_eq!(plaster["unit"], "mm");
    assert_eq!(plaster["upper"], 4.0);
    assert_eq!(plaster["lower"], Value::Null);
    assert_eq!(plaster["pass_rate"], 0.8);
    assert_eq!(plaster["max_factor"], 1.5);
    assert_eq!(plaster["standard"], "GB 50210-2018 表4.2.10");
    assert_eq!(plaster["confidence"], "high");
    assert_eq!(plaster["tolerance"], "≤ 4 mm");
    let rail = find(&unit, "阳台栏杆（栏板）净高（临空高度 < 24 m）");
    assert_eq!(
        (
            rail["lower"].as_f64(),
            rail["pass_rate"].as_f64(),
            rail["max_factor"].as_f64()
        ),
        (Some(1.05), Some(1.0), Some(1.0))
    );
    assert_eq!(
        rail["standard"],
        "GB 50352-2019 §6.7.3；GB 50096-2011 §5.6.3"
    );
    let slab = find(&unit, "楼板厚度偏差");
    assert_eq!(slab["tolerance"], "−5 ~ +10 mm");
    assert_eq!(
        find(&unit, "地漏水封高度")["standard"],
        "GB 50242-2002 §7.2.1"
    );
    // Every high or medium item cites its standard; low ones are marked 待核实.
    for item in items(&unit) {
        match item["confidence"].as_str() {
            Some("high" | "medium") => assert_ne!(item["standard"], "", "{item}"),
            Some("low") => assert!(item["name"].as_str().unwrap().contains("待核实"), "{item}"),
            _ => assert_eq!(item["kind"], "pass_fail", "{item}"),
        }
    }
    let trades: std::collections::BTreeSet<&str> = items(&unit)
        .iter()
        .map(|i| i["trade"].as_str().unwrap())
        .collect();
    assert_eq!(
        trades,
        [
            "civil",
            "doors_windows",
            "electrical",
            "plumbing",
            "waterproofing"
        ]
        .into()
    );
    let positions: Vec<i64> = items(&unit)
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (1..=positions.len() as i64).collect::<Vec<_>>());

    // The common-area template carries the takeover prerequisites of the seed standard.
    let common = ok(app
        .get(
            &format!(
                "/api/v1/checklists/versions/{}",
                list[1]["latest_version_id"].as_str().unwrap()
            ),
            &token,
        )
        .await)
    .await;
    let lift = find(&common, "电梯取得使用合格证书");
    assert_eq!(
        lift["standard"],
        "项目交付客户体验评判标准（毛坯）4.2.2.1 e)"
    );
    assert_eq!(lift["trade"], "common");

    // What new inspections run.
    let chosen = ok(app
        .get(&format!("/api/v1/projects/{project}/checklist"), &token)
        .await)
    .await;
    assert_eq!(chosen["self_inspection"]["version_id"], vid);
    assert_eq!(
        chosen["common_area"]["template_id"],
        COMMON_TEMPLATE_ID.to_string()
    );

    // English callers get English notes; data stays as written.
    let en = client()
        .get(app.url(&format!("/api/v1/checklists/versions/{vid}")))
        .bearer_auth(&token)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    let en = ok(en).await;
    assert_eq!(en["note"], "Default version shipped with the product");
}

#[tokio::test]
async fn copy_and_edit_creates_version_2_while_version_1_stays_unchanged() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let admin = app.token("admin").await;
    let copy = copy_unit_template(&app, &admin, "滨江花园分户验收表").await;
    assert_eq!(copy["project_id"], project.to_string());
    assert_eq!(copy["shipped"], false);
    assert_eq!(copy["latest_version"], 1);
    let tid = copy["id"].as_str().unwrap().to_owned();
    let v1_id = copy["latest_version_id"].as_str().unwrap().to_owned();
    let v1 = ok(app
        .get(&format!("/api/v1/checklists/versions/{v1_id}"), &admin)
        .await)
    .await;
    assert_eq!(v1["note"], "复制自《分户验收（毛坯）默认检查表》第 1 版");
    let shipped = ok(app
        .get(
            &format!(
                "/api/v1/checklists/versions/{}",
                repo::latest_version_id(&mut app.db.read().await.unwrap(), UNIT_TEMPLATE_ID)
                    .await
                    .unwrap()
            ),
            &admin,
        )
        .await)
    .await;
    assert_eq!(items(&v1).len(), items(&shipped).len());

    // The same name again is taken.
    let again = app
        .post(
            &format!("/api/v1/projects/{project}/checklists"),
            &admin,
            &json!({"template_id": UNIT_TEMPLATE_ID, "name": "滨江花园分户验收表"}),
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "request.already_exists").await;

    // Tighten the plaster flatness to 3 mm, drop the first item, add one.
    let mut body = as_body(&v1);
    let plaster = body
        .iter_mut()
        .find(|i| i["name"] == "墙面表面平整度（普通抹灰）")
        .unwrap();
    plaster["upper"] = json!(3.0);
    plaster["name"] = json!("墙面表面平整度（高级抹灰）");
    let dropped = body.remove(0);
    body.push(
        json!({"trade": "civil", "room": "每个房间", "name": "墙面阴阳角顺直度", "kind": "measured",
        "unit": "mm", "upper": 4, "points": 4, "pass_rate": 0.8, "max_factor": 1.5,
        "standard": "企业标准", "confidence": "low"}),
    );
    let resp = app
        .post(
            &format!("/api/v1/checklists/{tid}/versions"),
            &admin,
            &json!({"items": body, "note": "按高级抹灰验收", "base_version_id": v1_id}),
        )
        .await;
    let v2 = ok(resp).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["note"], "按高级抹灰验收");
    assert_eq!(items(&v2).len(), items(&v1).len());
    assert_eq!(find(&v2, "墙面表面平整度（高级抹灰）")["upper"], 3.0);
    assert_eq!(
        find(&v2, "墙面表面平整度（高级抹灰）")["tolerance"],
        "≤ 3 mm"
    );
    assert!(
        items(&v2)
            .iter()
            .all(|i| i["name"] != dropped["name"] || i["room"] != dropped["room"])
    );
    // New ids: version 2 shares no item row with version 1.
    let v1_ids: Vec<&Value> = items(&v1).iter().map(|i| &i["id"]).collect();
    assert!(items(&v2).iter().all(|i| !v1_ids.contains(&&i["id"])));

    // Version 1 reads back exactly as before.
    let v1_again = ok(app
        .get(&format!("/api/v1/checklists/versions/{v1_id}"), &admin)
        .await)
    .await;
    assert_eq!(v1_again, v1);
    assert_eq!(find(&v1_again, "墙面表面平整度（普通抹灰）")["upper"], 4.0);

    // History, newest first.
    let detail = ok(app.get(&format!("/api/v1/checklists/{tid}"), &admin).await).await;
    let versions: Vec<i64> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    assert_eq!(detail["versions"][0]["created_by"], "王磊（管理员）");
    assert_eq!(detail["template"]["latest_version_id"], v2["id"]);

    // An edit based on version 1 is now stale and writes nothing.
    let stale = app
        .post(
            &format!("/api/v1/checklists/{tid}/versions"),
            &admin,
            &json!({"items": as_body(&v1), "base_version_id": v1_id}),
        )
        .await;
    let body = assert_error(stale, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "base_version_id");
    assert_eq!(body["fields"][0]["code"], "stale");

    // Choosing the copy for self-inspection: new inspections get its latest version.
    let chosen = ok(put(
        &app,
        &format!("/api/v1/projects/{project}/checklist"),
        &admin,
        &json!({"template_id": tid}),
    )
    .await)
    .await;
    assert_eq!(chosen["self_inspection"]["version_id"], v2["id"]);
    let default = |scope: Scope| {
        let db = app.db.clone();
        async move {
            repo::default_version_for(&mut db.read().await.unwrap(), project, scope)
                .await
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(default(Scope::Unit).await, v2["id"].as_str().unwrap());
    let list = ok(app
        .get(&format!("/api/v1/projects/{project}/checklists"), &admin)
        .await)
    .await;
    let used_for = |id: &str| {
        let t = list.as_array().unwrap().iter().find(|t| t["id"] == id);
        t.unwrap()["used_for"].clone()
    };
    assert_eq!(used_for(&tid), json!(["unit"]));
    assert_eq!(
        used_for(&COMMON_TEMPLATE_ID.to_string()),
        json!(["common_area"])
    );
    assert_eq!(used_for(&UNIT_TEMPLATE_ID.to_string()), json!([]));
    // A third version moves the default on; the common-area default is untouched.
    let v3 = ok(app
        .post(
            &format!("/api/v1/checklists/{tid}/versions"),
            &admin,
            &json!({"items": as_body(&v2)}),
        )
        .await)
    .await;
    assert_eq!(v3["version"], 3);
    assert_eq!(default(Scope::Unit).await, v3["id"].as_str().unwrap());
    let common = repo::latest_version_id(&mut app.db.read().await.unwrap(), COMMON_TEMPLATE_ID)
        .await
        .unwrap();
    assert_eq!(default(Scope::CommonArea).await, common.to_string());
    // Back to the shipped default.
    let chosen = ok(put(
        &app,
        &format!("/api/v1/projects/{project}/checklist"),
        &admin,
        &json!({"template_id": null}),
    )
    .await)
    .await;
    assert_eq!(
        chosen["self_inspection"]["template_id"],
        UNIT_TEMPLATE_ID.to_string()
    );
    // Version 2 is still intact after all that.
    let v2_again = ok(app
        .get(
            &format!("/api/v1/checklists/versions/{}", v2["id"].as_str().unwrap()),
            &admin,
        )
        .await)
    .await;
    assert_eq!(v2_again, v2);
}

#[tokio::test]
async fn a_project_chooses_its_common_area_checklist_and_new_area_inspections_run_it() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let property = app.token("property").await;
    let project = app.demo.project_id;
    let copy = ok(app
        .post(
            &format!("/api/v1/projects/{project}/checklists"),
            &admin,
            &json!({"template_id": COMMON_TEMPLATE_ID, "name": "滨江花园公区查验表"}),
        )
        .await)
    .await;
    let tid = copy["id"].as_str().unwrap();
    let path = format!("/api/v1/projects/{project}/checklist");
    let choose = json!({"template_id": tid, "scope": "common_area"});
    let refused = put(&app, &path, &property, &choose).await;
    assert_error(refused, StatusCode::FORBIDDEN, "auth.forbidden").await;
    let bad_scope = json!({"template_id": tid, "scope": "garage"});
    let refused = put(&app, &path, &admin, &bad_scope).await;
    assert_error(refused, StatusCode::BAD_REQUEST, "request.malformed_body").await;
    let chosen = ok(put(&app, &path, &admin, &choose).await).await;
    assert_eq!(chosen["common_area"]["template_id"], tid);
    assert_eq!(
        chosen["self_inspection"]["template_id"],
        UNIT_TEMPLATE_ID.to_string()
    );
    // The property manager's next takeover inspection of a common area runs the copy.
    let areas: Value = ok(app
        .get(
            &format!("/api/v1/projects/{project}/common-areas"),
            &property,
        )
        .await)
    .await;
    let started = app
        .post(
            &format!("/api/v1/projects/{project}/inspections"),
            &property,
            &json!({"common_area_id": areas[0]["id"], "stage": "takeover"}),
        )
        .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["version_id"], copy["latest_version_id"]);
    // A unit inspection still runs the shipped unit template.
    let unit_version =
        repo::default_version_for(&mut app.db.read().await.unwrap(), project, Scope::Unit)
            .await
            .unwrap();
    let shipped = repo::latest_version_id(&mut app.db.read().await.unwrap(), UNIT_TEMPLATE_ID)
        .await
        .unwrap();
    assert_eq!(unit_version, shipped);
}

#[tokio::test]
async fn validation_errors_name_each_bad_item_field_in_both_languages() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let copy = copy_unit_template(&app, &admin, "校验测试").await;
    let tid = copy["id"].as_str().unwrap();
    let v1 = ok(app
        .get(
            &format!(
                "/api/v1/checklists/versions/{}",
                copy["latest_version_id"].as_str().unwrap()
            ),
            &admin,
        )
        .await)
    .await;
    let mut body = as_body(&v1);
    let measured: Vec<usize> = (0..body.len())
        .filter(|i| body[*i]["kind"] == "measured")
        .collect();
    let (a, b, d) = (measured[1], measured[3], measured[4]);
    body[a]["lower"] = json!(5);
    body[a]["upper"] = json!(3);
    body[b]["unit"] = json!("cm");
    body[b]["points"] = json!(0);
    body[d]["lower"] = Value::Null;
    body[d]["upper"] = Value::Null;
    body[d]["pass_rate"] = json!(1.5);
    body[d]["max_factor"] = json!(0.5);
    let pf = (0..body.len())
        .find(|i| body[*i]["kind"] == "pass_fail")
        .unwrap();
    body[pf]["name"] = json!("");
    body[pf]["upper"] = json!(3);
    let path = format!("/api/v1/checklists/{tid}/versions");
    let resp = client()
        .post(app.url(&path))
        .bearer_auth(&admin)
        .header("Accept-Language", "en")
        .json(&json!({"items": body}))
        .send()
        .await
        .unwrap();
    let err = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    let got: Vec<(String, String)> = err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        (format!("items[{a}].lower"), "lower_above_upper"),
        (format!("items[{b}].unit"), "invalid"),
        (format!("items[{b}].points"), "out_of_range"),
        (format!("items[{d}].upper"), "bound_required"),
        (format!("items[{d}].pass_rate"), "out_of_range"),
        (format!("items[{d}].max_factor"), "out_of_range"),
        (format!("items[{pf}].name"), "required"),
        (format!("items[{pf}].upper"), "not_measured"),
    ];
    for (field, code) in &want {
        assert!(
            got.contains(&(field.clone(), (*code).to_owned())),
            "{field} {code} in {got:?}"
        );
    }
    assert_eq!(got.len(), want.len(), "{got:?}");
    let message_of = |err: &Value, field: &str| {
        err["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .unwrap()["message"]
            .clone()
    };
    assert_eq!(
        message_of(&err, &format!("items[{a}].lower")),
        "the lower bound is above the upper bound"
    );
    assert_eq!(err["message"], "Some fields are invalid");
    let zh = app.post(&path, &admin, &json!({"items": body})).await;
    let zh = assert_error(zh, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(
        message_of(&zh, &format!("items[{a}].lower")),
        "下限不能大于上限"
    );
    assert_eq!(
        message_of(&zh, &format!("items[{d}].upper")),
        "上限、下限至少填写一个"
    );

    // An empty list, an over-long note, a malformed kind.
    let empty = app.post(&path, &admin, &json!({"items": []})).await;
    let empty = assert_error(empty, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(empty["fields"][0]["field"], "items");
    let long = app
        .post(
            &path,
            &admin,
            &json!({"items": as_body(&v1), "note": "长".repeat(201)}),
        )
        .await;
    let long = assert_error(long, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(long["fields"][0]["field"], "note");
    // A long note and bad items come back together.
    let both = app
        .post(
            &path,
            &admin,
            &json!({"items": body, "note": "长".repeat(201)}),
        )
        .await;
    let both = assert_error(both, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(both["fields"][0]["field"], "note");
    assert_eq!(both["fields"].as_array().unwrap().len(), want.len() + 1);
    let mut bad_kind = as_body(&v1);
    bad_kind[0]["kind"] = json!("photo");
    let resp = app.post(&path, &admin, &json!({"items": bad_kind})).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_body").await;

    // Nothing was written.
    let detail = ok(app.get(&format!("/api/v1/checklists/{tid}"), &admin).await).await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn shipped_templates_are_read_only_and_only_admins_write() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let admin = app.token("admin").await;
    let unit_v1 = ok(app
        .get(
            &format!(
                "/api/v1/checklists/versions/{}",
                repo::latest_version_id(&mut app.db.read().await.unwrap(), UNIT_TEMPLATE_ID)
                    .await
                    .unwrap()
            ),
            &admin,
        )
        .await)
    .await;
    // Even the admin cannot change a shipped template.
    let resp = app
        .post(
            &format!("/api/v1/checklists/{UNIT_TEMPLATE_ID}/versions"),
            &admin,
            &json!({"items": as_body(&unit_v1)}),
        )
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;

    let copy = copy_unit_template(&app, &admin, "权限测试").await;
    let tid = copy["id"].as_str().unwrap();
    let shipped_phrase = ok(app
        .get(
            &format!("/api/v1/projects/{project}/phrases?trade=civil"),
            &admin,
        )
        .await)
    .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for user in [
        "inspector",
        "contractor",
        "property",
        "service",
        "executive",
    ] {
        let token = app.token(user).await;
        let writes = [
            app.post(
                &format!("/api/v1/checklists/{tid}/versions"),
                &token,
                &json!({"items": as_body(&unit_v1)}),
            )
            .await,
            app.post(
                &format!("/api/v1/projects/{project}/checklists"),
                &token,
                &json!({"template_id": UNIT_TEMPLATE_ID, "name": user}),
            )
            .await,
            put(
                &app,
                &format!("/api/v1/projects/{project}/checklist"),
                &token,
                &json!({"template_id": tid}),
            )
            .await,
            app.post(
                &format!("/api/v1/projects/{project}/phrases"),
                &token,
                &json!({"trade": "civil", "text": "墙面污染"}),
            )
            .await,
            delete(
                &app,
                &format!("/api/v1/projects/{project}/phrases/{shipped_phrase}"),
                &token,
            )
            .await,
        ];
        for resp in writes {
            assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
        }
        // Reading is fine.
        ok(app.get(&format!("/api/v1/checklists/{tid}"), &token).await).await;
    }
    let detail = ok(app.get(&format!("/api/v1/checklists/{tid}"), &admin).await).await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
    let chosen = ok(app
        .get(&format!("/api/v1/projects/{project}/checklist"), &admin)
        .await)
    .await;
    assert_eq!(
        chosen["self_inspection"]["template_id"],
        UNIT_TEMPLATE_ID.to_string()
    );
    // Without a token: 401.
    let resp = client()
        .get(app.url(&format!("/api/v1/checklists/{tid}")))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "auth.required").await;
}

#[tokio::test]
async fn another_projects_templates_and_phrases_are_not_found() {
    let app = spawn_app().await;
    let (demo, other) = (app.demo.project_id, app.other_project);
    let other_admin = app.token("other-admin").await;
    let theirs = ok(app
        .post(
            &format!("/api/v1/projects/{other}/checklists"),
            &other_admin,
            &json!({"template_id": UNIT_TEMPLATE_ID, "name": "广州项目分户验收表"}),
        )
        .await)
    .await;
    let (tid, vid) = (
        theirs["id"].as_str().unwrap(),
        theirs["latest_version_id"].as_str().unwrap(),
    );
    let version = ok(app
        .get(&format!("/api/v1/checklists/versions/{vid}"), &other_admin)
        .await)
    .await;
    let phrase = ok(app
        .post(
            &format!("/api/v1/projects/{other}/phrases"),
            &other_admin,
            &json!({"trade": "civil", "text": "广州项目专用描述"}),
        )
        .await)
    .await;
    let pid = phrase["id"].as_str().unwrap();

    for user in ["admin", "inspector"] {
        let token = app.token(user).await;
        let reqs = [
            app.get(&format!("/api/v1/checklists/versions/{vid}"), &token)
                .await,
            app.get(&format!("/api/v1/checklists/{tid}"), &token).await,
            app.post(
                &format!("/api/v1/checklists/{tid}/versions"),
                &token,
                &json!({"items": as_body(&version)}),
            )
            .await,
            app.get(&format!("/api/v1/projects/{other}/checklists"), &token)
                .await,
            app.get(&format!("/api/v1/projects/{other}/checklist"), &token)
                .await,
            app.get(&format!("/api/v1/projects/{other}/phrases"), &token)
                .await,
        ];
        for resp in reqs {
            let body = assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
            assert!(!body.to_string().contains("广州"), "{user}: {body}");
        }
        let list = ok(app
            .get(&format!("/api/v1/projects/{demo}/checklists"), &token)
            .await)
        .await;
        assert!(
            list.as_array().unwrap().iter().all(|t| t["id"] != tid),
            "{user}"
        );
        let phrases = ok(app
            .get(&format!("/api/v1/projects/{demo}/phrases"), &token)
            .await)
        .await;
        assert!(!phrases.to_string().contains("广州项目专用描述"));
    }
    // The demo admin cannot use it through the demo project either.
    let admin = app.token("admin").await;
    let resp = app
        .post(
            &format!("/api/v1/projects/{demo}/checklists"),
            &admin,
            &json!({"template_id": tid}),
        )
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = put(
        &app,
        &format!("/api/v1/projects/{demo}/checklist"),
        &admin,
        &json!({"template_id": tid}),
    )
    .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = delete(
        &app,
        &format!("/api/v1/projects/{demo}/phrases/{pid}"),
        &admin,
    )
    .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = app
        .get(
            &format!("/api/v1/checklists/versions/{}", Uuid::new_v4()),
            &admin,
        )
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = app
        .get("/api/v1/checklists/versions/not-a-uuid", &admin)
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // Nothing of theirs changed.
    let detail = ok(app
        .get(&format!("/api/v1/checklists/{tid}"), &other_admin)
        .await)
    .await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
    let phrases = ok(app
        .get(
            &format!("/api/v1/projects/{other}/phrases?trade=civil"),
            &other_admin,
        )
        .await)
    .await;
    assert_eq!(phrases[0]["text"], "广州项目专用描述");
}

#[tokio::test]
async fn phrases_come_per_trade_with_the_projects_own_first() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let inspector = app.token("inspector").await;
    let path = format!("/api/v1/projects/{project}/phrases");
    let all = ok(app.get(&path, &inspector).await).await;
    let all = all.as_array().unwrap();
    for trade in [
        "civil",
        "doors_windows",
        "plumbing",
        "electrical",
        "waterproofing",
        "common",
    ] {
        let n = all.iter().filter(|p| p["trade"] == trade).count();
        assert!((8..=15).contains(&n), "{trade}: {n}");
    }
    let plumbing = ok(app.get(&format!("{path}?trade=plumbing"), &inspector).await).await;
    let texts: Vec<&str> = plumbing
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"地漏水封不足"), "{texts:?}");
    assert!(
        plumbing
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["trade"] == "plumbing" && p["shipped"] == true)
    );
    let electrical = ok(app
        .get(&format!("{path}?trade=electrical"), &inspector)
        .await)
    .await;
    assert_eq!(electrical[0]["text"], "插座无电");

    let admin = app.token("admin").await;
    let added = ok(app
        .post(
            &path,
            &admin,
            &json!({"trade": "plumbing", "text": " 厨房水槽下水管渗漏 "}),
        )
        .await)
    .await;
    assert_eq!(added["text"], "厨房水槽下水管渗漏");
    assert_eq!(added["shipped"], false);
    let second = ok(app
        .post(
            &path,
            &admin,
            &json!({"trade": "plumbing", "text": "洗衣机地漏缺失"}),
        )
        .await)
    .await;
    let plumbing = ok(app.get(&format!("{path}?trade=plumbing"), &inspector).await).await;
    assert_eq!(plumbing[0]["id"], added["id"]);
    assert_eq!(plumbing[1]["id"], second["id"]);
    assert_eq!(plumbing.as_array().unwrap().len(), texts.len() + 2);
    let electrical = ok(app
        .get(&format!("{path}?trade=electrical"), &inspector)
        .await)
    .await;
    assert!(!electrical.to_string().contains("厨房水槽下水管渗漏"));
    // Duplicates of the project's or a shipped phrase, blank text, unknown trades.
    let dup = app
        .post(
            &path,
            &admin,
            &json!({"trade": "plumbing", "text": "厨房水槽下水管渗漏"}),
        )
        .await;
    assert_error(dup, StatusCode::CONFLICT, "request.already_exists").await;
    let dup = app
        .post(
            &path,
            &admin,
            &json!({"trade": "plumbing", "text": "地漏水封不足"}),
        )
        .await;
    assert_error(dup, StatusCode::CONFLICT, "request.already_exists").await;
    let blank = app
        .post(&path, &admin, &json!({"trade": "plumbing", "text": "  "}))
        .await;
    let blank = assert_error(blank, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(blank["fields"][0]["field"], "text");
    let resp = app.get(&format!("{path}?trade=roof"), &inspector).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_query").await;
    // Removing: the project's own goes, a shipped one is read-only.
    let resp = delete(
        &app,
        &format!("{path}/{}", added["id"].as_str().unwrap()),
        &admin,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = delete(
        &app,
        &format!("{path}/{}", plumbing[2]["id"].as_str().unwrap()),
        &admin,
    )
    .await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
    let plumbing = ok(app.get(&format!("{path}?trade=plumbing"), &inspector).await).await;
    assert_eq!(plumbing[0]["id"], second["id"]);
    assert_eq!(plumbing.as_array().unwrap().len(), texts.len() + 1);
}

async fn exec(app: &TestApp, sql: &'static str) {
    let mut tx = app.db.begin().await.unwrap();
    handover::exec!(&mut tx, |c| sqlx::query(sql).execute(c).await).unwrap();
    tx.commit().await.unwrap();
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    handover::run!(&mut app.db.read().await.unwrap(), |c| sqlx::query_scalar::<
        _,
        i64,
    >(sql)
    .fetch_one(c)
    .await)
    .unwrap()
}

async fn counts(app: &TestApp) -> [i64; 4] {
    [
        count(app, "select count(*) from checklist_templates").await,
        count(app, "select count(*) from checklist_versions").await,
        count(app, "select count(*) from checklist_items").await,
        count(app, "select count(*) from phrases").await,
    ]
}

#[tokio::test]
async fn seeding_again_changes_nothing_and_changed_shipped_data_becomes_a_new_version() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    assert_eq!(before[..2], [2, 2]);
    repo::ensure_defaults(&app.db).await.unwrap();
    repo::ensure_defaults(&app.db).await.unwrap();
    assert_eq!(counts(&app).await, before);
    // Well-known ids, the same on every site and backend.
    let latest = |t| {
        let db = app.db.clone();
        async move {
            repo::latest_version_id(&mut db.read().await.unwrap(), t)
                .await
                .unwrap()
        }
    };
    let unit_v1 = latest(UNIT_TEMPLATE_ID).await;
    assert_eq!(unit_v1, Uuid::from_u128(UNIT_TEMPLATE_ID.as_u128() | 0x100));
    let v1 = repo::version(&mut app.db.read().await.unwrap(), unit_v1)
        .await
        .unwrap();
    let common = repo::version(
        &mut app.db.read().await.unwrap(),
        latest(COMMON_TEMPLATE_ID).await,
    )
    .await
    .unwrap();
    assert_eq!((v1.items.len() + common.items.len()) as i64, before[2]);

    // A release whose unit data differs from what was seeded (simulated by changing the stored
    // fingerprint) adds version 2 of the shipped template; version 1 stays for old inspections.
    exec(
        &app,
        "update checklist_versions set note = 'shipped:000000000000' where version = 1",
    )
    .await;
    exec(&app, "delete from phrases where trade = 'civil'").await;
    repo::ensure_defaults(&app.db).await.unwrap();
    let unit_v2 = latest(UNIT_TEMPLATE_ID).await;
    assert_ne!(unit_v2, unit_v1);
    let v2 = repo::version(&mut app.db.read().await.unwrap(), unit_v2)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.defs(), v1.defs());
    let v1_again = repo::version(&mut app.db.read().await.unwrap(), unit_v1)
        .await
        .unwrap();
    assert_eq!(v1_again.items, v1.items);
    assert_eq!(counts(&app).await, [2, 4, 2 * before[2], before[3]]);
    // And that is current again.
    repo::ensure_defaults(&app.db).await.unwrap();
    assert_eq!(counts(&app).await[1], 4);
}
