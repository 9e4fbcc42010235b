//! The organisation API under `/api/v1`: every route hides other projects (404, never their
//! data), admin writes are refused to every other role (403) and work for the group-level admin,
//! the status map counts and filters, phones are masked, validation errors name their fields.

use crate::common;

use common::{TestApp, assert_error, client, spawn_app};
use handover::org::repo;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The demo roles that are not admin.
const NON_ADMINS: [&str; 5] = [
    "inspector",
    "contractor",
    "property",
    "service",
    "executive",
];

/// One request to the API.
enum Req {
    Get(String),
    Post(String, Value),
    Patch(String, Value),
    /// A multipart roster upload (a valid one-unit CSV creating building `5`).
    Import(String),
}

impl Req {
    fn describe(&self) -> String {
        match self {
            Req::Get(p) => format!("GET {p}"),
            Req::Post(p, _) => format!("POST {p}"),
            Req::Patch(p, _) => format!("PATCH {p}"),
            Req::Import(p) => format!("POST (multipart) {p}"),
        }
    }
}

/// A roster that would add building `5` with one unit.
const ONE_UNIT_CSV: &str =
    "楼栋,单元,楼层,房号,建筑面积,户型,业主姓名,联系电话\n5,1,1,101,88.5,A,王小明,13800001111\n";

async fn send(app: &TestApp, token: &str, req: &Req) -> Response {
    match req {
        Req::Get(p) => app.get(p, token).await,
        Req::Post(p, body) => app.post(p, token, body).await,
        Req::Patch(p, body) => client()
            .patch(app.url(p))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap(),
        Req::Import(p) => {
            let part = reqwest::multipart::Part::bytes(ONE_UNIT_CSV.as_bytes().to_vec())
                .file_name("roster.csv");
            client()
                .post(app.url(p))
                .bearer_auth(token)
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .unwrap()
        }
    }
}

/// Valid write bodies for every admin write route of a project (and a PATCH of one of its units).
fn admin_writes(project: Uuid, unit: Uuid) -> Vec<Req> {
    let p = format!("/api/v1/projects/{project}");
    vec![
        Req::Post(format!("{p}/buildings"), json!({"name": "5"})),
        Req::Post(
            format!("{p}/contractors"),
            json!({"name": "新建施工单位有限公司", "kind": "construction", "trades": ["土建"],
                   "contact_name": "张工", "contact_phone": "13900002222"}),
        ),
        Req::Post(
            format!("{p}/common-areas"),
            json!({"name": "新增公区", "kind": "lobby"}),
        ),
        Req::Post(
            format!("{p}/batches"),
            json!({"name": "二批交付", "period": {"start": "2027-03-01", "end": "2027-03-03"}}),
        ),
        Req::Post(
            format!("{p}/members"),
            json!({"username": "other-inspector", "role": "inspector"}),
        ),
        Req::Patch(format!("/api/v1/units/{unit}"), json!({"area_m2": 99.99})),
        Req::Import(format!("{p}/imports/units")),
    ]
}

/// Every project-scoped route of `src/org/api/mod.rs`, for `project` and one of its units.
fn every_project_route(project: Uuid, unit: Uuid) -> Vec<Req> {
    let p = format!("/api/v1/projects/{project}");
    let mut all = vec![
        Req::Get(p.clone()),
        Req::Get(format!("{p}/status-map")),
        Req::Get(format!("{p}/units")),
        Req::Get(format!("/api/v1/units/{unit}")),
        Req::Get(format!("{p}/buildings")),
        Req::Get(format!("{p}/contractors")),
        Req::Get(format!("{p}/common-areas")),
        Req::Get(format!("{p}/batches")),
        Req::Get(format!("{p}/members")),
    ];
    all.extend(admin_writes(project, unit));
    all
}

async fn json_of(resp: Response) -> Value {
    assert_eq!(resp.status(), StatusCode::OK, "expected 200");
    resp.json().await.unwrap()
}

async fn building_names(app: &TestApp, project: Uuid) -> Vec<String> {
    repo::list_buildings(&mut app.db.read().await.unwrap(), project)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect()
}

/// Sets a unit's state through the repository (no API changes states yet).
async fn set_status(app: &TestApp, unit: Uuid, status: &str) {
    let status = handover::org::UnitStatus::parse(status).unwrap();
    let mut tx = app.db.begin().await.unwrap();
    handover::org::repo::set_unit_status(&mut tx, unit, status)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// All unit cells of a status map JSON, in order.
fn map_cells(map: &Value) -> Vec<Value> {
    map["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["entrances"].as_array().unwrap().clone())
        .flat_map(|e| e["floors"].as_array().unwrap().clone())
        .flat_map(|f| f["units"].as_array().unwrap().clone())
        .collect()
}

fn count_of(map: &Value, status: &str) -> u64 {
    map["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == status)
        .unwrap_or_else(|| panic!("no count for {status} in {map}"))["count"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn another_projects_ids_are_not_found_on_every_route_for_every_demo_role() {
    let app = spawn_app().await;
    let other_unit = app.a_unit_of(app.other_project).await;
    let other_buildings = building_names(&app, app.other_project).await;
    let routes = every_project_route(app.other_project, other_unit);
    for user in ["admin"].into_iter().chain(NON_ADMINS) {
        let token = app.token(user).await;
        for req in &routes {
            let resp = send(&app, &token, req).await;
            assert_eq!(
                resp.status(),
                StatusCode::NOT_FOUND,
                "{user}: {}",
                req.describe()
            );
            let text = resp.text().await.unwrap();
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["code"], "not_found", "{user}: {}", req.describe());
            for leak in ["另一项目", "华南地区公司", "广州", &other_unit.to_string()] {
                assert!(
                    !text.contains(leak),
                    "{user}: {} leaks {leak}",
                    req.describe()
                );
            }
        }
        // Lists never include the other project or its batches.
        let projects = json_of(app.get("/api/v1/projects", &token).await).await;
        let ids: Vec<&str> = projects
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![app.demo.project_id.to_string()], "{user}");
    }
    // Nothing was written to the other project.
    assert_eq!(
        building_names(&app, app.other_project).await,
        other_buildings
    );
    let unit = repo::get_unit(&mut app.db.read().await.unwrap(), other_unit)
        .await
        .unwrap();
    assert_ne!(unit.area_m2, Some(99.99));
    let members = repo::list_members(&mut app.db.read().await.unwrap(), app.other_project)
        .await
        .unwrap();
    assert_eq!(members.len(), 2, "other project members: {members:?}");

    // And the other way round: the other project's admin cannot reach the demo project.
    let other_admin = app.token("other-admin").await;
    let demo_unit = app.a_unit_of(app.demo.project_id).await;
    for req in every_project_route(app.demo.project_id, demo_unit) {
        let resp = send(&app, &other_admin, &req).await;
        assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(building_names(&app, app.demo.project_id).await, ["1", "2"]);
}

#[tokio::test]
async fn batches_of_another_project_are_not_listed() {
    let app = spawn_app().await;
    let other_admin = app.token("other-admin").await;
    let resp = app
        .post(
            &format!("/api/v1/projects/{}/batches", app.other_project),
            &other_admin,
            &json!({"name": "广州首批", "period": {"start": "2027-01-05", "end": "2027-01-06"}}),
        )
        .await;
    let created = json_of(resp).await;
    assert_eq!(created["planned_units"], 4);

    for user in ["admin", "inspector", "executive"] {
        let token = app.token(user).await;
        let batches = json_of(app.get("/api/v1/batches", &token).await).await;
        let names: Vec<&str> = batches
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["一期首批集中交付"], "{user}");
    }
    let batches = json_of(app.get("/api/v1/batches", &other_admin).await).await;
    assert_eq!(batches.as_array().unwrap().len(), 1);
    assert_eq!(batches[0]["name"], "广州首批");
}

#[tokio::test]
async fn non_admin_roles_are_forbidden_on_every_admin_write() {
    let app = spawn_app().await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let before_unit = repo::get_unit(&mut app.db.read().await.unwrap(), unit)
        .await
        .unwrap();
    let mut writes = admin_writes(app.demo.project_id, unit);
    writes.push(Req::Get(format!(
        "/api/v1/projects/{}/members",
        app.demo.project_id
    )));
    writes.push(Req::Post(
        "/api/v1/users".into(),
        json!({"username": "newbie", "display_name": "新人", "password": "long-enough-pw"}),
    ));
    writes.push(Req::Post(
        "/api/v1/projects".into(),
        json!({"region_id": app.demo.region_id, "name": "滨江花园二期", "city": "杭州"}),
    ));
    for user in NON_ADMINS {
        let token = app.token(user).await;
        for req in &writes {
            let resp = send(&app, &token, req).await;
            assert_eq!(
                resp.status(),
                StatusCode::FORBIDDEN,
                "{user}: {}",
                req.describe()
            );
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], "auth.forbidden", "{user}: {}", req.describe());
            assert_eq!(body["message"], "您没有执行此操作的权限");
        }
    }

    // Nothing was written.
    let admin = app.token("admin").await;
    let p = format!("/api/v1/projects/{}", app.demo.project_id);
    assert_eq!(building_names(&app, app.demo.project_id).await, ["1", "2"]);
    let contractors = json_of(app.get(&format!("{p}/contractors"), &admin).await).await;
    assert_eq!(contractors.as_array().unwrap().len(), 4);
    let areas = json_of(app.get(&format!("{p}/common-areas"), &admin).await).await;
    assert_eq!(areas.as_array().unwrap().len(), 8 + 2 * 4);
    let batches = json_of(app.get(&format!("{p}/batches"), &admin).await).await;
    assert_eq!(batches.as_array().unwrap().len(), 1);
    let members = json_of(app.get(&format!("{p}/members"), &admin).await).await;
    assert!(
        !members.to_string().contains("other-inspector"),
        "{members}"
    );
    let map = json_of(app.get(&format!("{p}/status-map"), &admin).await).await;
    assert_eq!(map["total"], 12);
    let projects = json_of(app.get("/api/v1/projects", &admin).await).await;
    assert_eq!(projects.as_array().unwrap().len(), 1);
    let after_unit = repo::get_unit(&mut app.db.read().await.unwrap(), unit)
        .await
        .unwrap();
    assert_eq!(after_unit.area_m2, before_unit.area_m2);
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "newbie", "password": "long-enough-pw"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "auth.invalid_credentials").await;
}

#[tokio::test]
async fn group_admin_succeeds_on_every_admin_write() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let project = app.demo.project_id;
    let p = format!("/api/v1/projects/{project}");
    let unit = app.a_unit_of(project).await;
    for req in admin_writes(project, unit) {
        let resp = send(&app, &admin, &req).await;
        assert_eq!(resp.status(), StatusCode::OK, "admin: {}", req.describe());
    }

    // Each write is visible.
    let buildings = json_of(app.get(&format!("{p}/buildings"), &admin).await).await;
    let names: Vec<&str> = buildings
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1", "2", "5"]);
    assert_eq!(
        buildings[2]["unit_count"], 1,
        "the import filled building 5"
    );
    let contractors = json_of(app.get(&format!("{p}/contractors"), &admin).await).await;
    let added = contractors
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "新建施工单位有限公司")
        .expect("contractor listed");
    assert_eq!(added["trades"], json!(["土建"]));
    assert_eq!(added["contact_phone"], "139****2222");
    let areas = json_of(app.get(&format!("{p}/common-areas"), &admin).await).await;
    assert!(areas.to_string().contains("新增公区"));
    let batches = json_of(app.get(&format!("{p}/batches"), &admin).await).await;
    let second = batches
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "二批交付")
        .expect("batch listed");
    assert_eq!(
        second["period"],
        json!({"start": "2027-03-01", "end": "2027-03-03"})
    );
    assert_eq!(
        second["planned_units"], 12,
        "every unit when it was created"
    );
    let members = json_of(app.get(&format!("{p}/members"), &admin).await).await;
    let granted = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["username"] == "other-inspector")
        .expect("member listed");
    assert_eq!(granted["role"], "inspector");
    assert_eq!(granted["scope"], "project");
    let me = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["username"] == "admin")
        .expect("admin listed");
    assert_eq!(me["scope"], "group");
    let unit_view = json_of(app.get(&format!("/api/v1/units/{unit}"), &admin).await).await;
    assert_eq!(unit_view["area_m2"], 99.99);
    // The granted member now sees the project.
    let other_inspector = app.token("other-inspector").await;
    let map = json_of(app.get(&format!("{p}/status-map"), &other_inspector).await).await;
    assert_eq!(map["total"], 13);

    // A new user can log in and sees nothing until granted.
    let resp = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"username": "newbie", "display_name": "新人", "password": "long-enough-pw"}),
        )
        .await;
    let user = json_of(resp).await;
    assert_eq!(user["username"], "newbie");
    assert!(user["id"].as_str().unwrap().parse::<Uuid>().is_ok());
    let resp = client()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "newbie", "password": "long-enough-pw"}))
        .send()
        .await
        .unwrap();
    let newbie = json_of(resp).await["token"].as_str().unwrap().to_owned();
    let projects = json_of(app.get("/api/v1/projects", &newbie).await).await;
    assert_eq!(projects, json!([]));

    // A new project in the demo region: the group admin and the region executive see it.
    let resp = app
        .post(
            "/api/v1/projects",
            &admin,
            &json!({"region_id": app.demo.region_id, "name": "滨江花园二期", "city": "杭州"}),
        )
        .await;
    let created = json_of(resp).await;
    assert_eq!(created["unit_count"], 0);
    assert_eq!(created["region_id"], app.demo.region_id.to_string());
    let id = created["id"].as_str().unwrap();
    for user in ["admin", "executive"] {
        let token = app.token(user).await;
        assert_eq!(
            app.get(&format!("/api/v1/projects/{id}"), &token)
                .await
                .status(),
            StatusCode::OK,
            "{user}"
        );
    }
    let other_admin = app.token("other-admin").await;
    assert_error(
        app.get(&format!("/api/v1/projects/{id}"), &other_admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // The demo admin may not create projects in a region outside its group.
    let other_region = repo::get_project(&mut app.db.read().await.unwrap(), app.other_project)
        .await
        .unwrap()
        .region_id;
    let resp = app
        .post(
            "/api/v1/projects",
            &admin,
            &json!({"region_id": other_region, "name": "越权项目", "city": "广州"}),
        )
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
}

#[tokio::test]
async fn status_map_counts_every_state_and_filters() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let cells = repo::status_map(&mut app.db.read().await.unwrap(), project)
        .await
        .unwrap();
    assert_eq!(cells.len(), 12);
    let ready = cells.iter().find(|c| c.building == "1").unwrap().id;
    let delivered = cells.iter().find(|c| c.building == "2").unwrap().id;
    set_status(&app, ready, "ready").await;
    set_status(&app, delivered, "delivered").await;

    let token = app.token("inspector").await;
    let path = format!("/api/v1/projects/{project}/status-map");
    let map = json_of(app.get(&path, &token).await).await;
    assert_eq!(map["project_id"], project.to_string());
    assert_eq!(map["total"], 12);
    let statuses: Vec<&str> = map["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "not_inspected",
            "inspecting",
            "defects_open",
            "ready",
            "delivered",
            "refused",
            "only_looked"
        ]
    );
    assert_eq!(count_of(&map, "not_inspected"), 10);
    assert_eq!(count_of(&map, "ready"), 1);
    assert_eq!(count_of(&map, "delivered"), 1);
    assert_eq!(count_of(&map, "refused"), 0);
    let all = map_cells(&map);
    assert_eq!(all.len(), 12);
    // Floors run top to bottom.
    assert_eq!(map["buildings"][0]["entrances"][0]["floors"][0]["floor"], 3);

    let map = json_of(app.get(&format!("{path}?status=ready"), &token).await).await;
    let shown = map_cells(&map);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["id"], ready.to_string());
    assert_eq!(shown[0]["status"], "ready");
    assert_eq!(map["total"], 12);

    let map = json_of(app.get(&format!("{path}?building=2"), &token).await).await;
    let shown = map_cells(&map);
    assert_eq!(shown.len(), 6);
    assert!(
        shown
            .iter()
            .all(|u| u["number"].as_str().unwrap().starts_with("2-")),
        "{map}"
    );
    assert_eq!(count_of(&map, "delivered"), 1);
    assert_eq!(
        count_of(&map, "ready"),
        0,
        "counts stay within the building"
    );
    assert_eq!(count_of(&map, "not_inspected"), 5);

    let map = json_of(
        app.get(&format!("{path}?status=delivered&building=1"), &token)
            .await,
    )
    .await;
    assert!(map_cells(&map).is_empty());

    for bad in ["?colour=red", "?status=sold", "?status=ready&x=1"] {
        let resp = app.get(&format!("{path}{bad}"), &token).await;
        assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_query").await;
    }
}

#[tokio::test]
async fn unit_detail_and_lists_mask_phones() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let token = app.token("service").await;
    let mut conn = app.db.read().await.unwrap();
    let cells = repo::status_map(&mut conn, project).await.unwrap();
    let mut raw_phones = Vec::new();
    let mut checked = 0;
    for cell in &cells {
        let buyers = repo::buyers_of(&mut conn, cell.id).await.unwrap();
        if buyers.is_empty() {
            continue;
        }
        let resp = app.get(&format!("/api/v1/units/{}", cell.id), &token).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let text = resp.text().await.unwrap();
        let unit: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(unit["number"], cell.number);
        assert_eq!(unit["project_id"], project.to_string());
        assert_eq!(unit["buyers"].as_array().unwrap().len(), buyers.len());
        for (shown, raw) in unit["buyers"].as_array().unwrap().iter().zip(&buyers) {
            assert_eq!(raw.phone.len(), 11, "demo phones are mobiles");
            assert!(
                !text.contains(&raw.phone),
                "raw phone {} in {text}",
                raw.phone
            );
            let masked = format!("{}****{}", &raw.phone[..3], &raw.phone[7..]);
            assert_eq!(shown["phone"], masked);
            assert_eq!(shown["name"], raw.name);
            raw_phones.push(raw.phone.clone());
        }
        checked += 1;
    }
    drop(conn);
    assert!(checked > 0, "the demo has units with buyers");

    // The unit list of the project masks them too.
    let text = app
        .get(
            &format!("/api/v1/projects/{project}/units?limit=500"),
            &token,
        )
        .await
        .text()
        .await
        .unwrap();
    let units: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(units.as_array().unwrap().len(), 12);
    for phone in &raw_phones {
        assert!(
            !text.contains(phone.as_str()),
            "raw phone {phone} in unit list"
        );
    }
    // Contractors' contact phones are masked as well.
    let text = app
        .get(&format!("/api/v1/projects/{project}/contractors"), &token)
        .await
        .text()
        .await
        .unwrap();
    assert!(!text.contains("13805710001"), "{text}");
    assert!(text.contains("138****0001"), "{text}");
}

#[tokio::test]
async fn unit_list_pages_and_searches() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let p = format!("/api/v1/projects/{}/units", app.demo.project_id);
    let units = json_of(app.get(&format!("{p}?prefix=2-1-"), &token).await).await;
    let numbers: Vec<&str> = units
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [
            "2-1-101", "2-1-102", "2-1-201", "2-1-202", "2-1-301", "2-1-302"
        ]
    );
    let page = json_of(app.get(&format!("{p}?limit=5&offset=10"), &token).await).await;
    assert_eq!(page.as_array().unwrap().len(), 2);
    let body = assert_error(
        app.get(&format!("{p}?limit=0"), &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid",
    )
    .await;
    assert_eq!(body["fields"][0]["field"], "limit");
    assert_eq!(body["fields"][0]["code"], "out_of_range");
    assert_error(
        app.get(&format!("{p}?page=2"), &token).await,
        StatusCode::BAD_REQUEST,
        "request.malformed_query",
    )
    .await;
}

#[tokio::test]
async fn executive_with_region_membership_sees_the_demo_project() {
    let app = spawn_app().await;
    let token = app.token("executive").await;
    let me = json_of(app.get("/api/v1/me", &token).await).await;
    assert_eq!(
        me["projects"],
        json!([{"project_id": app.demo.project_id, "roles": ["executive"]}])
    );
    let projects = json_of(app.get("/api/v1/projects", &token).await).await;
    assert_eq!(projects.as_array().unwrap().len(), 1);
    assert_eq!(projects[0]["id"], app.demo.project_id.to_string());
    assert_eq!(projects[0]["name"], "滨江花园一期");
    assert_eq!(projects[0]["unit_count"], 12);
    let p = format!("/api/v1/projects/{}", app.demo.project_id);
    let map = json_of(app.get(&format!("{p}/status-map"), &token).await).await;
    assert_eq!(map["total"], 12);
    let unit = app.a_unit_of(app.demo.project_id).await;
    json_of(app.get(&format!("/api/v1/units/{unit}"), &token).await).await;
    assert_error(
        app.get(&format!("{p}/members"), &token).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
}

#[tokio::test]
async fn validation_errors_name_their_fields() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let p = format!("/api/v1/projects/{}", app.demo.project_id);

    for name in ["", "   "] {
        let resp = app
            .post(&format!("{p}/buildings"), &admin, &json!({"name": name}))
            .await;
        let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
        assert_eq!(body["fields"][0]["field"], "name", "{body}");
        assert_eq!(body["fields"][0]["code"], "required", "{body}");
        assert_eq!(body["fields"][0]["message"], "必填");
    }
    let resp = app
        .post(&format!("{p}/buildings"), &admin, &json!({"name": "3-1"}))
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "name");
    for dup in ["1", " 2 "] {
        let resp = app
            .post(&format!("{p}/buildings"), &admin, &json!({"name": dup}))
            .await;
        let body = assert_error(resp, StatusCode::CONFLICT, "request.already_exists").await;
        assert_eq!(body["message"], "该名称已存在");
    }
    let resp = app
        .post(
            &format!("{p}/buildings"),
            &admin,
            &json!({"name": "6", "floors": 3}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_body").await;
    assert_eq!(building_names(&app, app.demo.project_id).await, ["1", "2"]);

    // A batch ending before it starts; with an empty name both fields are listed.
    let resp = app
        .post(
            &format!("{p}/batches"),
            &admin,
            &json!({"name": "倒序批次", "period": {"start": "2027-02-10", "end": "2027-02-09"}}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "period", "{body}");
    assert_eq!(body["fields"][0]["code"], "end_before_start");
    let resp = app
        .post(
            &format!("{p}/batches"),
            &admin,
            &json!({"name": "", "period": {"start": "2027-02-10", "end": "2027-02-09"}}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "period"]);
    let resp = app
        .post(
            &format!("{p}/batches"),
            &admin,
            &json!({"name": "一期首批集中交付", "period": {"start": "2027-02-10", "end": "2027-02-11"}}),
        )
        .await;
    assert_error(resp, StatusCode::CONFLICT, "request.already_exists").await;
    let resp = app
        .post(
            &format!("{p}/batches"),
            &admin,
            &json!({"name": "坏日期", "period": {"start": "2027-02-30", "end": "2027-03-01"}}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_body").await;
    let batches = json_of(app.get(&format!("{p}/batches"), &admin).await).await;
    assert_eq!(batches.as_array().unwrap().len(), 1);

    // Contractors, common areas, members, users.
    let resp = app
        .post(
            &format!("{p}/contractors"),
            &admin,
            &json!({"name": " ", "kind": "construction"}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "name");
    let resp = app
        .post(
            &format!("{p}/contractors"),
            &admin,
            &json!({"name": "中建八局第三建设有限公司", "kind": "construction"}),
        )
        .await;
    assert_error(resp, StatusCode::CONFLICT, "request.already_exists").await;
    let resp = app
        .post(
            &format!("{p}/common-areas"),
            &admin,
            &json!({"name": "9号楼屋面", "kind": "roof", "building": "9"}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "building");
    assert_eq!(body["fields"][0]["code"], "unknown");
    let resp = app
        .post(
            &format!("{p}/members"),
            &admin,
            &json!({"username": "nobody-here", "role": "inspector"}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "username");
    let resp = app
        .post(
            &format!("{p}/members"),
            &admin,
            &json!({"username": "inspector", "role": "inspector"}),
        )
        .await;
    // Granting a role the user already holds is idempotent: listed once.
    let members = json_of(resp).await;
    let held = members
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["username"] == "inspector" && m["role"] == "inspector")
        .count();
    assert_eq!(held, 1, "{members}");
    let resp = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"username": "inspector", "display_name": "重名", "password": "long-enough-pw"}),
        )
        .await;
    assert_error(resp, StatusCode::CONFLICT, "request.already_exists").await;
    let resp = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"username": "bad name", "display_name": "", "password": "short"}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    let fields: Vec<(&str, &str)> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("username", "invalid"),
            ("display_name", "required"),
            ("password", "too_short")
        ]
    );
    let resp = app
        .post(
            "/api/v1/projects",
            &admin,
            &json!({"region_id": app.demo.region_id, "name": "", "city": "杭州"}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "name");
    let resp = app
        .post(
            "/api/v1/projects",
            &admin,
            &json!({"region_id": app.demo.region_id, "name": "滨江花园一期", "city": "杭州"}),
        )
        .await;
    assert_error(resp, StatusCode::CONFLICT, "request.already_exists").await;

    // English messages on request.
    let resp = client()
        .post(app.url(&format!("{p}/buildings")))
        .bearer_auth(&admin)
        .header("accept-language", "en")
        .json(&json!({"name": ""}))
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert!(
        body["fields"][0]["message"].as_str().unwrap().is_ascii(),
        "{body}"
    );

    // A malformed id is not found, like an unknown one.
    assert_error(
        app.get("/api/v1/projects/not-a-uuid/status-map", &admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        app.get(&format!("/api/v1/units/{}", Uuid::new_v4()), &admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn batch_with_an_unknown_building_names_the_buildings_field() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let resp = app
        .post(
            &format!("/api/v1/projects/{}/batches", app.demo.project_id),
            &admin,
            &json!({"name": "九号楼批次", "period": {"start": "2027-02-10", "end": "2027-02-11"},
                    "buildings": ["9"]}),
        )
        .await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    // FieldError.field is documented as "Field name as sent by the client": the body's field is
    // `buildings`.
    assert_eq!(body["fields"][0]["field"], "buildings", "{body}");
    assert_eq!(body["fields"][0]["code"], "unknown");
}

#[tokio::test]
async fn batches_list_the_demo_batch_with_its_period_and_planned_units() {
    let app = spawn_app().await;
    let token = app.token("inspector").await;
    let batches = json_of(app.get("/api/v1/batches", &token).await).await;
    assert_eq!(batches.as_array().unwrap().len(), 1, "{batches}");
    let b = &batches[0];
    assert_eq!(b["project_id"], app.demo.project_id.to_string());
    assert_eq!(b["name"], "一期首批集中交付");
    assert_eq!(b["period"]["start"], "2026-12-18");
    assert_eq!(b["period"]["end"], "2026-12-20");
    assert_eq!(b["planned_units"], 12);
    assert!(b["id"].as_str().unwrap().parse::<Uuid>().is_ok());
    let per_project = json_of(
        app.get(
            &format!("/api/v1/projects/{}/batches", app.demo.project_id),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(per_project, batches);

    // A batch of one building plans that building's units only.
    let admin = app.token("admin").await;
    let resp = app
        .post(
            &format!("/api/v1/projects/{}/batches", app.demo.project_id),
            &admin,
            &json!({"name": "一号楼单日", "period": {"start": "2027-01-01", "end": "2027-01-01"},
                    "buildings": ["1"]}),
        )
        .await;
    let created = json_of(resp).await;
    assert_eq!(created["planned_units"], 6);
    assert_eq!(
        created["period"],
        json!({"start": "2027-01-01", "end": "2027-01-01"})
    );
    let batches = json_of(app.get("/api/v1/batches", &token).await).await;
    assert_eq!(batches.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn patching_one_unit_field_keeps_the_others() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let unit = app.a_unit_of(app.demo.project_id).await;
    let path = format!("/api/v1/units/{unit}");
    let before = json_of(app.get(&path, &admin).await).await;
    assert!(before["layout"].is_string(), "demo units have layouts");
    let resp = send(
        &app,
        &admin,
        &Req::Patch(path.clone(), json!({"area_m2": 99.99})),
    )
    .await;
    let after = json_of(resp).await;
    assert_eq!(after["area_m2"], 99.99);
    // Only an explicit `null` clears a field; an absent one is left as it was.
    assert_eq!(after["layout"], before["layout"], "{after}");
    let resp = send(
        &app,
        &admin,
        &Req::Patch(path, json!({"layout": "E 改良户型"})),
    )
    .await;
    let after = json_of(resp).await;
    assert_eq!(after["layout"], "E 改良户型");
    assert_eq!(after["area_m2"], 99.99, "{after}");
}
