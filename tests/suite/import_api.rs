//! Roster import through `POST /api/v1/projects/{id}/imports/units` and the `import units` CLI:
//! real `.xlsx` and `.csv` files (Chinese and English headers, UTF-8 and GBK), idempotent
//! re-imports, in-place corrections, all-or-nothing validation, and hostile files.

use crate::common;

use std::io::Write;

use common::{TestApp, assert_error, client, spawn_app};
use handover::org::repo;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const HEADER_ZH: [&str; 8] = [
    "楼栋",
    "单元",
    "楼层",
    "房号",
    "建筑面积",
    "户型",
    "业主姓名",
    "联系电话",
];
const HEADER_EN: [&str; 8] = [
    "Building", "Entrance", "Floor", "Room", "Area", "Layout", "Buyer", "Phone",
];

/// Four new units in building 8 (the demo has buildings 1 and 2).
const BUILDING_8: [[&str; 8]; 4] = [
    [
        "8号楼",
        "1单元",
        "1",
        "101",
        "89.5",
        "A 三室两厅",
        "张三",
        "13812345678",
    ],
    [
        "8号楼",
        "1单元",
        "1",
        "102",
        "115.32",
        "B 三室两厅",
        "李四/王芳",
        "13987654321/13700001111",
    ],
    [
        "8号楼",
        "1单元",
        "2",
        "201",
        "89.5",
        "A 三室两厅",
        "赵六",
        "13612345678",
    ],
    ["8号楼", "1单元", "2", "202", "115.32", "B 三室两厅", "", ""],
];

/// An `.xlsx` with `header` then `rows`; cells that parse as numbers are written as numbers,
/// as Excel stores them.
fn xlsx(header: &[&str], rows: &[[&str; 8]]) -> Vec<u8> {
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

/// A CSV text of `header` then `rows`.
fn csv_text(header: &[&str], rows: &[[&str; 8]]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    out
}

fn import_path(app: &TestApp, dry_run: bool) -> String {
    let q = if dry_run { "?dry_run=true" } else { "" };
    format!("/api/v1/projects/{}/imports/units{q}", app.demo.project_id)
}

async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>, dry_run: bool) -> Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    client()
        .post(app.url(&import_path(app, dry_run)))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// Uploads and expects success; returns the result JSON.
async fn import_ok(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>, dry_run: bool) -> Value {
    let resp = upload(app, token, name, bytes, dry_run).await;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Units in the demo project, by the status map.
async fn unit_total(app: &TestApp, token: &str) -> u64 {
    let resp = app
        .get(
            &format!("/api/v1/projects/{}/status-map", app.demo.project_id),
            token,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<Value>().await.unwrap()["total"]
        .as_u64()
        .unwrap()
}

async fn building_names(app: &TestApp) -> Vec<String> {
    repo::list_buildings(&mut app.db.read().await.unwrap(), app.demo.project_id)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect()
}

/// Units whose number starts with `prefix`, as the API lists them.
async fn units(app: &TestApp, token: &str, prefix: &str) -> Vec<Value> {
    let resp = app
        .get(
            &format!(
                "/api/v1/projects/{}/units?prefix={prefix}",
                app.demo.project_id
            ),
            token,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<Vec<Value>>().await.unwrap()
}

async fn recorded_imports(app: &TestApp) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    handover::run!(&mut conn, |c| sqlx::query_scalar::<_, i64>(
        "select count(*) from roster_imports"
    )
    .fetch_one(c)
    .await)
    .unwrap()
}

fn counts(v: &Value) -> (u64, u64, u64) {
    let c = &v["counts"];
    (
        c["created"].as_u64().unwrap(),
        c["updated"].as_u64().unwrap(),
        c["unchanged"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn xlsx_creates_units_reimport_changes_nothing_corrections_update_in_place() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let file = xlsx(&HEADER_ZH, &BUILDING_8);

    let result = import_ok(&app, &admin, "花名册.xlsx", file.clone(), false).await;
    assert_eq!(result["committed"], true);
    assert_eq!(result["rows"], 4);
    assert_eq!(counts(&result), (4, 0, 0));
    assert_eq!(unit_total(&app, &admin).await, 16);
    assert_eq!(building_names(&app).await, ["1", "2", "8"]);
    let before = units(&app, &admin, "8-").await;
    let numbers: Vec<&str> = before
        .iter()
        .map(|u| u["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["8-1-101", "8-1-102", "8-1-201", "8-1-202"]);
    assert_eq!(before[0]["area_m2"], 89.5);
    assert_eq!(before[0]["layout"], "A 三室两厅");
    assert_eq!(before[0]["floor"], 1);
    assert_eq!(before[0]["room"], "101");
    assert_eq!(
        before[1]["buyers"],
        json!([{"name": "李四", "phone": "139****4321"}, {"name": "王芳", "phone": "137****1111"}])
    );
    assert_eq!(before[3]["buyers"], json!([]));

    // The same file again: nothing changes.
    let again = import_ok(&app, &admin, "花名册.xlsx", file, false).await;
    assert_eq!(again["committed"], true);
    assert_eq!(counts(&again), (0, 0, 4));
    assert_eq!(unit_total(&app, &admin).await, 16);

    // A corrected file: one area, one buyer phone.
    let mut corrected = BUILDING_8;
    corrected[0][4] = "90.25";
    corrected[2][7] = "13698765432";
    let fixed = import_ok(
        &app,
        &admin,
        "花名册-修正.xlsx",
        xlsx(&HEADER_ZH, &corrected),
        false,
    )
    .await;
    assert_eq!(counts(&fixed), (0, 2, 2));
    assert_eq!(unit_total(&app, &admin).await, 16);
    let after = units(&app, &admin, "8-").await;
    assert_eq!(after.len(), 4);
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(a["id"], b["id"], "units are updated in place");
    }
    assert_eq!(after[0]["area_m2"], 90.25);
    assert_eq!(
        after[2]["buyers"],
        json!([{"name": "赵六", "phone": "136****5432"}])
    );
    let unit: Uuid = after[2]["id"].as_str().unwrap().parse().unwrap();
    let stored = repo::buyers_of(&mut app.db.read().await.unwrap(), unit)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "buyers replaced, not duplicated");
    assert_eq!(stored[0].phone, "13698765432");
    // Other units' buyers are untouched.
    let unit: Uuid = after[1]["id"].as_str().unwrap().parse().unwrap();
    let stored = repo::buyers_of(&mut app.db.read().await.unwrap(), unit)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(recorded_imports(&app).await, 3);

    let again = import_ok(
        &app,
        &admin,
        "花名册-修正.xlsx",
        xlsx(&HEADER_ZH, &corrected),
        false,
    )
    .await;
    assert_eq!(counts(&again), (0, 0, 4));
}

#[tokio::test]
async fn english_headers_and_utf8_csv_import() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;

    let result = import_ok(
        &app,
        &admin,
        "roster.xlsx",
        xlsx(&HEADER_EN, &BUILDING_8),
        false,
    )
    .await;
    assert_eq!(counts(&result), (4, 0, 0));

    // UTF-8 CSV with Chinese headers (and Excel's byte-order mark): building 9.
    let rows: Vec<[&str; 8]> = BUILDING_8
        .iter()
        .map(|r| {
            let mut r = *r;
            r[0] = "9栋";
            r
        })
        .collect();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(csv_text(&HEADER_ZH, &rows).into_bytes());
    let result = import_ok(&app, &admin, "花名册.csv", bytes, false).await;
    assert_eq!(counts(&result), (4, 0, 0));

    // English-header CSV: building 10, minimal columns.
    let csv = "Building,Entrance,Floor,Room,Area\n10,1,1,101,88\n10,1,1,102,92.5\n";
    let result = import_ok(&app, &admin, "roster.csv", csv.as_bytes().to_vec(), false).await;
    assert_eq!(counts(&result), (2, 0, 0));

    assert_eq!(unit_total(&app, &admin).await, 12 + 4 + 4 + 2);
    assert_eq!(building_names(&app).await, ["1", "2", "8", "9", "10"]);
    let nine = units(&app, &admin, "9-").await;
    assert_eq!(nine.len(), 4);
    assert_eq!(nine[0]["buyers"][0]["name"], "张三");
    assert_eq!(nine[0]["buyers"][0]["phone"], "138****5678");
    let ten = units(&app, &admin, "10-").await;
    assert_eq!(ten[1]["area_m2"], 92.5);
}

#[tokio::test]
async fn areas_are_read_exactly_with_or_without_a_unit() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let csv = "楼栋,单元,楼层,房号,建筑面积\n\
               8,1,1,101,92\n\
               8,1,1,102,122\n\
               8,1,1,103,115.32\n\
               8,1,1,104,89.5㎡\n\
               8,1,1,105,90m2\n\
               8,1,1,106,102 m²\n";
    let result = import_ok(&app, &admin, "r.csv", csv.as_bytes().to_vec(), false).await;
    assert_eq!(counts(&result), (6, 0, 0));
    let areas: Vec<f64> = units(&app, &admin, "8-")
        .await
        .iter()
        .map(|u| u["area_m2"].as_f64().unwrap())
        .collect();
    assert_eq!(areas, [92.0, 122.0, 115.32, 89.5, 90.0, 102.0]);
}

#[tokio::test]
async fn gbk_encoded_csv_imports_chinese_names() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let text = csv_text(&HEADER_ZH, &BUILDING_8);
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "really GBK, not UTF-8"
    );
    let result = import_ok(&app, &admin, "花名册.csv", bytes.into_owned(), false).await;
    assert_eq!(counts(&result), (4, 0, 0));
    let listed = units(&app, &admin, "8-").await;
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0]["layout"], "A 三室两厅");
    let unit: Uuid = listed[1]["id"].as_str().unwrap().parse().unwrap();
    let stored = repo::buyers_of(&mut app.db.read().await.unwrap(), unit)
        .await
        .unwrap();
    let names: Vec<&str> = stored.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["李四", "王芳"]);
    assert_eq!(stored[0].phone, "13987654321");
}

/// A roster in building 7 with a duplicate 房号 (row 3), a non-numeric 建筑面积 (row 4) and a
/// bad phone (row 5) among valid rows.
fn bad_roster() -> Vec<u8> {
    xlsx(
        &HEADER_ZH,
        &[
            [
                "7号楼",
                "1单元",
                "1",
                "101",
                "89.5",
                "A",
                "张三",
                "13812345678",
            ],
            [
                "7号楼",
                "1单元",
                "1",
                "101",
                "90",
                "A",
                "李四",
                "13912345678",
            ],
            [
                "7号楼",
                "1单元",
                "1",
                "102",
                "abc",
                "A",
                "王五",
                "13712345678",
            ],
            ["7号楼", "1单元", "2", "201", "90", "A", "赵六", "12345"],
            [
                "7号楼",
                "1单元",
                "2",
                "202",
                "90",
                "A",
                "孙七",
                "13512345678",
            ],
        ],
    )
}

#[tokio::test]
async fn invalid_rows_fail_the_whole_file_and_write_nothing() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    for dry_run in [true, false] {
        let resp = upload(&app, &admin, "花名册.xlsx", bad_roster(), dry_run).await;
        let body = assert_error(
            resp,
            StatusCode::UNPROCESSABLE_ENTITY,
            "import.invalid_rows",
        )
        .await;
        let rows: Vec<(u64, &str, &str)> = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["row"].as_u64().unwrap(),
                    r["code"].as_str().unwrap(),
                    r["column"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (3, "duplicate_unit", "房号"),
                (4, "not_a_number", "建筑面积"),
                (5, "invalid_phone", "联系电话")
            ],
            "dry_run={dry_run}: {body}"
        );
        for r in body["rows"].as_array().unwrap() {
            assert!(!r["message"].as_str().unwrap().is_empty(), "{r}");
        }
        assert!(body["rows"][1]["message"].as_str().unwrap().contains("abc"));
        // The bad phone is not echoed in full.
        assert!(!body.to_string().contains("\"12345\""), "{body}");
    }
    assert_eq!(unit_total(&app, &admin).await, 12);
    assert_eq!(
        building_names(&app).await,
        ["1", "2"],
        "no building 7 created"
    );
    assert_eq!(recorded_imports(&app).await, 0);
}

#[tokio::test]
async fn duplicate_row_message_names_the_first_row() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let resp = upload(&app, &admin, "花名册.xlsx", bad_roster(), false).await;
    let body = assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.invalid_rows",
    )
    .await;
    let message = body["rows"][0]["message"].as_str().unwrap();
    // `row.duplicate_unit = {column}：房号重复，与第 {detail} 行相同`: the detail must be the row.
    assert!(message.contains("与第 2 行相同"), "{message}");
}

#[tokio::test]
async fn missing_columns_are_listed() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let csv = "楼栋,单元,房号,业主姓名\n1,1,101,张三\n";
    let resp = upload(&app, &admin, "r.csv", csv.as_bytes().to_vec(), false).await;
    let body = assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.missing_columns",
    )
    .await;
    assert_eq!(body["columns"], json!(["楼层", "建筑面积"]));

    let file = xlsx(&["Building", "Room", "Area"], &[]);
    let resp = upload(&app, &admin, "r.xlsx", file, false).await;
    let body = assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.missing_columns",
    )
    .await;
    assert_eq!(body["columns"], json!(["单元", "楼层"]));

    // A header and no data rows.
    let resp = upload(
        &app,
        &admin,
        "r.csv",
        "楼栋,单元,楼层,房号,建筑面积\n".as_bytes().to_vec(),
        false,
    )
    .await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "import.empty").await;
    assert_eq!(unit_total(&app, &admin).await, 12);
}

/// Deterministic pseudo-random bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

#[tokio::test]
async fn files_that_are_not_spreadsheets_are_refused() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let mut random = noise(8192, 7);
    random[0] = 0x17; // not a zip or OLE signature
    let resp = upload(&app, &admin, "x.xlsx", random.clone(), false).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "import.not_a_spreadsheet").await;
    let resp = upload(&app, &admin, "x.csv", random, false).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "import.not_a_spreadsheet").await;
    // A zip signature followed by garbage.
    let mut fake_zip = b"PK\x03\x04".to_vec();
    fake_zip.extend(noise(4096, 9));
    let resp = upload(&app, &admin, "x.xlsx", fake_zip, false).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "import.not_a_spreadsheet").await;
    // A real zip that is not a workbook.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"hello").unwrap();
    let not_xlsx = w.finish().unwrap().into_inner();
    let resp = upload(&app, &admin, "x.xlsx", not_xlsx, false).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "import.not_a_spreadsheet").await;
    assert_eq!(unit_total(&app, &admin).await, 12);
}

/// A small zip whose entries inflate to `sizes` bytes of zeros each.
fn zip_of_zeros(sizes: &[usize]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let chunk = vec![0u8; 1 << 20];
    for (i, size) in sizes.iter().enumerate() {
        w.start_file(format!("xl/worksheets/sheet{}.xml", i + 1), opts)
            .unwrap();
        let mut left = *size;
        while left > 0 {
            let n = left.min(chunk.len());
            w.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
    }
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn zip_bombs_are_refused() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let limit = handover::org::import::MAX_EXPANDED_BYTES as usize;
    // One entry past the bound.
    let bomb = zip_of_zeros(&[limit + (1 << 20)]);
    assert!(
        bomb.len() < 1024 * 1024,
        "bomb is small: {} bytes",
        bomb.len()
    );
    let resp = upload(&app, &admin, "bomb.xlsx", bomb, false).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "import.unsafe_archive").await;
    // Two entries each under the bound, together over it.
    let split = zip_of_zeros(&[limit / 2 + (8 << 20), limit / 2 + (8 << 20)]);
    assert!(split.len() < 1024 * 1024);
    let resp = upload(&app, &admin, "bomb.xlsx", split, true).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "import.unsafe_archive").await;
    assert_eq!(unit_total(&app, &admin).await, 12);
}

#[tokio::test]
async fn files_over_ten_megabytes_are_413() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let max = handover::org::import::MAX_FILE_BYTES;
    assert_eq!(max, 10 * 1024 * 1024);
    let mut big = csv_text(&HEADER_ZH, &BUILDING_8).into_bytes();
    big.resize(max + 1, b' ');
    let resp = upload(&app, &admin, "big.csv", big, false).await;
    assert_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "request.too_large").await;
    // Past the route's body limit too.
    let mut bigger = csv_text(&HEADER_ZH, &BUILDING_8).into_bytes();
    bigger.resize(max + (2 << 20), b' ');
    let resp = upload(&app, &admin, "big.csv", bigger, false).await;
    assert_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "request.too_large").await;
    assert_eq!(unit_total(&app, &admin).await, 12);
    // Exactly at the limit is accepted (trailing blanks are ignored).
    let mut at_limit = csv_text(&HEADER_ZH, &BUILDING_8).into_bytes();
    at_limit.resize(max, b'\n');
    let result = import_ok(&app, &admin, "big.csv", at_limit, true).await;
    assert_eq!(counts(&result), (4, 0, 0));
}

#[tokio::test]
async fn dry_run_previews_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let preview = import_ok(
        &app,
        &admin,
        "花名册.xlsx",
        xlsx(&HEADER_ZH, &BUILDING_8),
        true,
    )
    .await;
    assert_eq!(preview["committed"], false);
    assert_eq!(preview["rows"], 4);
    assert_eq!(counts(&preview), (4, 0, 0));
    let rows = preview["preview"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["row"], 2);
    assert_eq!(rows[0]["number"], "8-1-101");
    assert_eq!(rows[0]["area_m2"], 89.5);
    assert_eq!(
        rows[1]["buyers"],
        json!(["李四 139****4321", "王芳 137****1111"])
    );
    assert!(!preview.to_string().contains("13987654321"));
    assert_eq!(unit_total(&app, &admin).await, 12);
    assert_eq!(building_names(&app).await, ["1", "2"], "no building 8 yet");
    assert_eq!(recorded_imports(&app).await, 0);

    // After a real import, a dry run of a corrected file counts the update but changes nothing.
    import_ok(
        &app,
        &admin,
        "花名册.xlsx",
        xlsx(&HEADER_ZH, &BUILDING_8),
        false,
    )
    .await;
    let mut corrected = BUILDING_8;
    corrected[0][4] = "90.25";
    let preview = import_ok(&app, &admin, "r.xlsx", xlsx(&HEADER_ZH, &corrected), true).await;
    assert_eq!(counts(&preview), (0, 1, 3));
    assert_eq!(units(&app, &admin, "8-1-101").await[0]["area_m2"], 89.5);
    assert_eq!(recorded_imports(&app).await, 1);
}

#[tokio::test]
async fn malformed_uploads_are_refused() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    // No `file` field.
    let resp = client()
        .post(app.url(&import_path(&app, false)))
        .bearer_auth(&admin)
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "request.invalid").await;
    assert_eq!(body["fields"][0]["field"], "file");
    // Not multipart at all.
    let resp = app
        .post(&import_path(&app, false), &admin, &json!({}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_body").await;
    // Unknown query field.
    let resp = client()
        .post(app.url(&format!(
            "/api/v1/projects/{}/imports/units?preview=1",
            app.demo.project_id
        )))
        .bearer_auth(&admin)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(xlsx(&HEADER_ZH, &BUILDING_8)).file_name("r.xlsx"),
        ))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "request.malformed_query").await;
    assert_eq!(unit_total(&app, &admin).await, 12);
}

/// Runs the built binary with `args`.
async fn handover_cli(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(args)
        .env_remove("HANDOVER_DATABASE_URL")
        .output()
        .await
        .unwrap()
}

/// The CLI opens the test database file directly, so it runs on SQLite only.
fn on_postgres() -> bool {
    std::env::var("HANDOVER_TEST_PG").is_ok()
}

#[tokio::test]
async fn cli_imports_a_roster_into_the_project() {
    if on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let url = app.sqlite_url().expect("SQLite test database");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("花名册.xlsx");
    std::fs::write(&file, xlsx(&HEADER_ZH, &BUILDING_8)).unwrap();
    let file = file.to_str().unwrap();
    let project = app.demo.project_id.to_string();

    let out = handover_cli(&[
        "--database-url",
        &url,
        "import",
        "units",
        "--project",
        &project,
        "--dry-run",
        file,
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("4 rows: 4 created, 0 updated, 0 unchanged (dry run, nothing written)"),
        "{stdout}"
    );
    let admin = app.token("admin").await;
    assert_eq!(unit_total(&app, &admin).await, 12);

    let out = handover_cli(&[
        "--database-url",
        &url,
        "import",
        "units",
        "--project",
        &project,
        file,
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("4 rows: 4 created, 0 updated, 0 unchanged"),
        "{stdout}"
    );
    assert!(!stdout.contains("dry run"));
    // The running server sees the units.
    assert_eq!(unit_total(&app, &admin).await, 16);
    assert_eq!(units(&app, &admin, "8-1-101").await[0]["area_m2"], 89.5);

    // By project name, again: unchanged.
    let out = handover_cli(&[
        "--database-url",
        &url,
        "import",
        "units",
        "--project",
        "滨江花园一期",
        file,
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("4 rows: 0 created, 0 updated, 4 unchanged"),
        "{stdout}"
    );
    assert_eq!(unit_total(&app, &admin).await, 16);

    // An unknown project fails.
    let out = handover_cli(&[
        "--database-url",
        &url,
        "import",
        "units",
        "--project",
        "没有这个项目",
        file,
    ])
    .await;
    assert!(!out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("没有这个项目"));
}

#[tokio::test]
async fn cli_refuses_bad_rows_listing_each_row_and_writes_nothing() {
    if on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let url = app.sqlite_url().expect("SQLite test database");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.xlsx");
    std::fs::write(&file, bad_roster()).unwrap();
    let project = app.demo.project_id.to_string();
    let out = handover_cli(&[
        "--database-url",
        &url,
        "import",
        "units",
        "--project",
        &project,
        file.to_str().unwrap(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("import.invalid_rows"), "{stderr}");
    let admin = app.token("admin").await;
    assert_eq!(unit_total(&app, &admin).await, 12);
    assert_eq!(building_names(&app).await, ["1", "2"]);
    // Each bad row is named by its number, as `row_message` documents (`第 5 行 建筑面积：…`).
    for row in [3, 4, 5] {
        assert!(
            stderr.contains(&format!("第 {row} 行")),
            "row {row}: {stderr}"
        );
    }
}
