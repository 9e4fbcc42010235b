//! Importing a batch's appointments and handover conditions from `.xlsx` sheets, through
//! `POST /api/v1/batches/{id}/appointments/import`, `.../conditions/import` and the page
//! `/batches/{id}/import`: good files book, move and mark; a dry run writes nothing; any bad row
//! is reported by its row number with a message in the caller's language and nothing at all is
//! written; imported conditions are what the desk sees.

use crate::common;

use common::{TestApp, assert_error, client, hidden, spawn_app};
use reqwest::{Response, StatusCode};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Value, json};

/// A cell of a test sheet.
enum Cell<'a> {
    Text(&'a str),
    /// A date and time written as Excel stores one (a number with a date format).
    When(&'a str),
}
use Cell::{Text, When};

fn xlsx(header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                Text(t) => ws.write_string(r, c, *t).unwrap(),
                When(t) => {
                    let dt = ExcelDateTime::parse_from_str(t).unwrap();
                    ws.write_datetime_with_format(r, c, &dt, &date).unwrap()
                }
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

/// A batch planning building 1 of the small demo, with two slots on 2026-12-18 (Shanghai):
/// 09:00–09:30 for 2 and 09:30–10:00 for 1. Answers the batch id.
async fn batch(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    let service = app.token("service").await;
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "一期交付", "period": {"start": "2026-12-18", "end": "2026-12-20"},
        "buildings": ["1"]});
    let b = ok(app.post(&path, &admin, &body).await).await;
    let batch = b["id"].as_str().unwrap().to_owned();
    for (start, end, capacity) in [
        ("2026-12-18T01:00:00Z", "2026-12-18T01:30:00Z", 2),
        ("2026-12-18T01:30:00Z", "2026-12-18T02:00:00Z", 1),
    ] {
        let slot = json!({"starts_at": start, "ends_at": end, "capacity": capacity});
        ok(app
            .post(&format!("/api/v1/batches/{batch}/slots"), &service, &slot)
            .await)
        .await;
    }
    batch
}

async fn ok(resp: Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn upload(
    app: &TestApp,
    token: &str,
    (batch, sheet): (&str, &str),
    bytes: Vec<u8>,
    dry_run: bool,
) -> Response {
    let q = if dry_run { "?dry_run=true" } else { "" };
    let part = reqwest::multipart::Part::bytes(bytes).file_name("sheet.xlsx");
    client()
        .post(app.url(&format!("/api/v1/batches/{batch}/{sheet}/import{q}")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// The batch's appointments as `(unit number, slot start)`, by unit.
async fn booked(app: &TestApp, token: &str, batch: &str) -> Vec<(String, String)> {
    let list = ok(app
        .get(&format!("/api/v1/batches/{batch}/appointments"), token)
        .await)
    .await;
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_owned();
            (s("unit_number"), s("starts_at"))
        })
        .collect();
    out.sort();
    out
}

/// The first buyer's name of unit `number`.
async fn buyer_of(app: &TestApp, number: &str) -> String {
    let mut conn = app.db.read().await.unwrap();
    let cells = handover::org::repo::status_map(&mut conn, app.demo.project_id)
        .await
        .unwrap();
    let unit = cells.iter().find(|c| c.number == number).unwrap().id;
    let buyers = handover::org::repo::buyers_of(&mut conn, unit)
        .await
        .unwrap();
    buyers.first().map(|b| b.name.clone()).unwrap_or_default()
}

const APPOINTMENTS: [&str; 5] = ["楼栋", "单元", "房号", "预约时间", "业主姓名"];

#[tokio::test]
async fn a_good_appointments_sheet_books_and_moves_and_a_dry_run_writes_nothing() {
    let app = spawn_app().await;
    let batch = batch(&app).await;
    let service = app.token("service").await;
    let name = buyer_of(&app, "1-1-101").await;
    let sheet = xlsx(
        &APPOINTMENTS,
        &[
            vec![
                Text("1号楼"),
                Text("1单元"),
                Text("101"),
                Text("2026-12-18 09:00"),
                Text(&name),
            ],
            vec![
                Text("1"),
                Text("1"),
                Text("102"),
                Text("2026/12/18 9:10"),
                Text(""),
            ],
            vec![
                Text("1"),
                Text("1"),
                Text("201"),
                When("2026-12-18 09:40"),
                Text(""),
            ],
        ],
    );
    let target = (batch.as_str(), "appointments");
    let preview = ok(upload(&app, &service, target, sheet.clone(), true).await).await;
    assert_eq!(preview["committed"], false);
    assert_eq!(preview["booked"], 3);
    let rows: Vec<_> = preview["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["row"].as_u64().unwrap(), l["action"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(2, "book"), (3, "book"), (4, "book")]);
    assert!(
        preview["lines"][2]["message"]
            .as_str()
            .unwrap()
            .contains("09:30"),
        "{preview}"
    );
    assert!(
        booked(&app, &service, &batch).await.is_empty(),
        "dry run wrote"
    );

    let done = ok(upload(&app, &service, target, sheet, false).await).await;
    assert_eq!(done["committed"], true);
    let nine = "2026-12-18T01:00:00Z".to_owned();
    let half_past = "2026-12-18T01:30:00Z".to_owned();
    let want = |x: &[(&str, &String)]| -> Vec<(String, String)> {
        x.iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).clone()))
            .collect()
    };
    assert_eq!(
        booked(&app, &service, &batch).await,
        want(&[
            ("1-1-101", &nine),
            ("1-1-102", &nine),
            ("1-1-201", &half_past)
        ])
    );

    // A second sheet swaps two units: each move frees its old place for the other.
    let swap = xlsx(
        &["房号", "预约日期", "时间"],
        &[
            vec![Text("1-1-102"), Text("2026-12-18"), Text("09:45")],
            vec![Text("1-1-201"), Text("2026-12-18"), Text("09:20-09:30")],
            vec![Text("1-1-101"), Text("2026-12-18"), Text("09:00")],
        ],
    );
    let done = ok(upload(&app, &service, target, swap, false).await).await;
    assert_eq!(
        (done["moved"].as_u64(), done["unchanged"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        booked(&app, &service, &batch).await,
        want(&[
            ("1-1-101", &nine),
            ("1-1-102", &half_past),
            ("1-1-201", &nine)
        ])
    );
}

#[tokio::test]
async fn a_bad_row_is_reported_by_its_row_number_and_nothing_is_written() {
    let app = spawn_app().await;
    let batch = batch(&app).await;
    let service = app.token("service").await;
    let sheet = xlsx(
        &APPOINTMENTS,
        &[
            vec![
                Text("1"),
                Text("1"),
                Text("101"),
                Text("2026-12-18 09:00"),
                Text(""),
            ],
            vec![
                Text("9"),
                Text("1"),
                Text("101"),
                Text("2026-12-18 09:00"),
                Text(""),
            ],
            vec![
                Text("2"),
                Text("1"),
                Text("101"),
                Text("2026-12-18 09:00"),
                Text(""),
            ],
            vec![
                Text("1"),
                Text("1"),
                Text("102"),
                Text("2026-12-18 08:00"),
                Text(""),
            ],
            vec![
                Text("1"),
                Text("1"),
                Text("201"),
                Text("2026-12-18 09:40"),
                Text("冒名顶替"),
            ],
            vec![
                Text("1"),
                Text("1"),
                Text("202"),
                Text("明天上午"),
                Text(""),
            ],
        ],
    );
    let target = (batch.as_str(), "appointments");
    for dry_run in [true, false] {
        let body = assert_error(
            upload(&app, &service, target, sheet.clone(), dry_run).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "import.sheet_invalid_rows",
        )
        .await;
        let rows: Vec<_> = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["row"].as_u64().unwrap(), r["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            rows,
            [
                (3, "unknown_unit"),
                (4, "not_in_batch"),
                (5, "no_slot"),
                (6, "name_mismatch"),
                (7, "invalid_time")
            ]
        );
        assert_eq!(
            body["rows"][1]["message"],
            "房号：该房号不在本批次的计划交付户中（2-1-101）"
        );
    }
    assert!(
        booked(&app, &service, &batch).await.is_empty(),
        "row 2 was booked"
    );

    // The messages follow the caller's language.
    let part = reqwest::multipart::Part::bytes(sheet).file_name("sheet.xlsx");
    let resp = client()
        .post(app.url(&format!("/api/v1/batches/{batch}/appointments/import")))
        .bearer_auth(&service)
        .header("Accept-Language", "en")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let body = assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.sheet_invalid_rows",
    )
    .await;
    assert_eq!(
        body["rows"][2]["message"],
        "预约时间: no appointment slot covers this time (2026-12-18 08:00)"
    );

    // A full slot is a row error too; the header is checked before any row.
    let full = xlsx(
        &["房号", "预约时间"],
        &[
            vec![Text("1-1-101"), Text("2026-12-18 09:31")],
            vec![Text("1-1-102"), Text("2026-12-18 09:32")],
        ],
    );
    let body = assert_error(
        upload(&app, &service, target, full, false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.sheet_invalid_rows",
    )
    .await;
    assert_eq!(body["rows"][0]["row"], 3);
    assert_eq!(body["rows"][0]["code"], "slot_full");
    let headless = xlsx(&["房号", "备注"], &[vec![Text("1-1-101"), Text("x")]]);
    let body = assert_error(
        upload(&app, &service, target, headless, true).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.sheet_invalid_rows",
    )
    .await;
    assert_eq!(
        (
            body["rows"][0]["row"].as_u64(),
            body["rows"][0]["code"].as_str()
        ),
        (Some(1), Some("missing_column"))
    );
    assert!(booked(&app, &service, &batch).await.is_empty());
}

/// The conditions of a unit as the desk sees them: `(code, met, missing, note)`.
async fn desk_conditions(
    app: &TestApp,
    token: &str,
    unit: &str,
) -> Vec<(String, bool, bool, String)> {
    let list = ok(app
        .get(&format!("/api/v1/units/{unit}/conditions"), token)
        .await)
    .await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_owned(),
                c["met"].as_bool().unwrap(),
                c["missing"].as_bool().unwrap(),
                c["note"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn unit_id(app: &TestApp, number: &str) -> String {
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    cells
        .iter()
        .find(|c| c.number == number)
        .unwrap()
        .id
        .to_string()
}

fn conditions_sheet(marks: [[&str; 4]; 2]) -> Vec<u8> {
    let header = [
        "房号",
        "购房款结清",
        "maintenance_fund",
        "身份核验",
        "物业费/合同签署",
    ];
    let rows: Vec<Vec<Cell>> = ["1-1-101", "1-1-102"]
        .iter()
        .zip(marks.iter())
        .map(|(n, m)| {
            let mut row = vec![Text(n)];
            row.extend(m.iter().map(|v| Text(v)));
            row
        })
        .collect();
    xlsx(&header, &rows)
}

#[tokio::test]
async fn imported_conditions_are_what_the_desk_sees_and_keep_its_notes() {
    let app = spawn_app().await;
    let batch = batch(&app).await;
    let service = app.token("service").await;
    let (u1, u2) = (
        unit_id(&app, "1-1-101").await,
        unit_id(&app, "1-1-102").await,
    );
    assert!(
        desk_conditions(&app, &service, &u1)
            .await
            .iter()
            .all(|c| c.2)
    );
    // The desk noted something on one condition before the import.
    let note = json!({"met": false, "note": "身份证过期，带户口本"});
    let resp = client()
        .put(app.url(&format!("/api/v1/units/{u2}/conditions/identity")))
        .bearer_auth(&service)
        .json(&note)
        .send()
        .await
        .unwrap();
    ok(resp).await;

    let sheet = conditions_sheet([["是", "✓", "√", "是"], ["否", "", "✓", "是"]]);
    let target = (batch.as_str(), "conditions");
    let preview = ok(upload(&app, &service, target, sheet.clone(), true).await).await;
    assert_eq!(
        (preview["committed"].as_bool(), preview["changed"].as_u64()),
        (Some(false), Some(6))
    );
    assert_eq!(
        preview["lines"][1]["not_met"],
        json!(["payment", "maintenance_fund"])
    );
    assert!(
        desk_conditions(&app, &service, &u1)
            .await
            .iter()
            .all(|c| c.2),
        "dry run wrote"
    );

    let done = ok(upload(&app, &service, target, sheet.clone(), false).await).await;
    assert_eq!(done["committed"], true);
    assert!(
        desk_conditions(&app, &service, &u1)
            .await
            .iter()
            .all(|c| c.1 && !c.2)
    );
    let desk = desk_conditions(&app, &service, &u2).await;
    let missing: Vec<&str> = desk.iter().filter(|c| c.2).map(|c| c.0.as_str()).collect();
    assert_eq!(missing, ["payment", "maintenance_fund"]);
    assert_eq!(desk[2].0, "identity");
    assert_eq!(desk[2].3, "身份证过期，带户口本", "the desk's note stays");
    // The same sheet again changes nothing.
    let again = ok(upload(&app, &service, target, sheet, false).await).await;
    assert_eq!(again["changed"], 0);

    // An unknown condition column and an unreadable cell: nothing is written.
    let header = ["房号", "车位款", "购房款结清"];
    let bad = xlsx(&header, &[vec![Text("1-1-102"), Text("是"), Text("也许")]]);
    let body = assert_error(
        upload(&app, &service, target, bad, false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.sheet_invalid_rows",
    )
    .await;
    assert_eq!(
        (
            body["rows"][0]["row"].as_u64(),
            body["rows"][0]["code"].as_str()
        ),
        (Some(1), Some("unknown_condition"))
    );
    let bad = conditions_sheet([["是", "是", "是", "是"], ["是", "也许", "是", "是"]]);
    let body = assert_error(
        upload(&app, &service, target, bad, false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.sheet_invalid_rows",
    )
    .await;
    assert_eq!(
        (
            body["rows"][0]["row"].as_u64(),
            body["rows"][0]["code"].as_str()
        ),
        (Some(3), Some("invalid_mark"))
    );
    assert_eq!(
        desk_conditions(&app, &service, &u2).await,
        desk,
        "row 2 was written"
    );
}

#[tokio::test]
async fn only_the_projects_customer_service_imports() {
    let app = spawn_app().await;
    let batch = batch(&app).await;
    let sheet = conditions_sheet([["是", "是", "是", "是"], ["是", "是", "是", "是"]]);
    let target = (batch.as_str(), "conditions");
    let contractor = app.token("contractor").await;
    assert_error(
        upload(&app, &contractor, target, sheet.clone(), true).await,
        StatusCode::FORBIDDEN,
        "auth.forbidden",
    )
    .await;
    let other = app.token("other-admin").await;
    assert_error(
        upload(&app, &other, target, sheet.clone(), true).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let service = app.token("service").await;
    let garbage = upload(
        &app,
        &service,
        target,
        b"\x00\x01 not a sheet".to_vec(),
        true,
    )
    .await;
    assert_error(garbage, StatusCode::BAD_REQUEST, "import.not_a_spreadsheet").await;
}

#[tokio::test]
async fn the_import_page_previews_a_sheet_then_imports_it_on_confirmation() {
    let app = spawn_app().await;
    let batch = batch(&app).await;
    let service = app.token("service").await;
    let u1 = unit_id(&app, "1-1-101").await;
    let web = app.page_login("service").await;
    let html = web
        .get(app.url(&format!("/batches/{batch}/import")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"preview-appointments\"") && html.contains("id=\"preview-conditions\"")
    );
    let csrf = hidden(&html, "_csrf");
    let send = |sheet: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(sheet).file_name("条件.xlsx"),
            );
        web.post(app.url(&format!("/batches/{batch}/import/conditions")))
            .multipart(form)
            .send()
    };

    // A bad sheet: the page lists the row.
    let bad = conditions_sheet([["是", "是", "是", "是"], ["是", "也许", "是", "是"]]);
    let html = send(bad).await.unwrap().text().await.unwrap();
    assert!(
        html.contains("data-row=\"3\"") && html.contains("表格有错误"),
        "{html}"
    );

    // A good one: a preview with a confirmation, nothing written until confirmed.
    let good = conditions_sheet([["是", "是", "是", "是"], ["否", "是", "是", "是"]]);
    let html = send(good).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"confirm-import\""), "{html}");
    assert!(
        desk_conditions(&app, &service, &u1)
            .await
            .iter()
            .all(|c| c.2)
    );
    let action = html
        .split("action=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|a| a.starts_with(&format!("/batches/{batch}/import/conditions/")))
        .unwrap()
        .to_owned();
    let resp = web
        .post(app.url(&action))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let html = resp.text().await.unwrap();
    assert!(html.contains("导入完成"), "{html}");
    assert!(
        desk_conditions(&app, &service, &u1)
            .await
            .iter()
            .all(|c| c.1)
    );
}
