//! The drill-down of each secondary figure (`GET /api/v1/batches/{id}/secondary/{figure}/units`,
//! its page and its workbook) on the scenario of `kpi_secondary`: every figure's list adds up to
//! the figure, each unit carries the share derived by hand, the batch page links every number to
//! its list, and the filters (contractor, refusal reason, numerator only) narrow it.

use crate::common;

use common::handover_day::ok;
use common::{TestApp, assert_error};
use reqwest::StatusCode;
use serde_json::Value;

use crate::kpi_secondary::Scenario;

/// Every secondary figure with the JSON path of its numerator and denominator (or count) in
/// the batch's `secondary` object.
const FIGURES: [(&str, &str, &str); 11] = [
    (
        "self_inspection_coverage",
        "/self_inspection_coverage/numerator",
        "/self_inspection_coverage/denominator",
    ),
    (
        "stage1_defects_per_unit",
        "/stage1_defects_per_unit/numerator",
        "/stage1_defects_per_unit/denominator",
    ),
    (
        "rectification_completion_rate",
        "/rectification_completion_rate/numerator",
        "/rectification_completion_rate/denominator",
    ),
    (
        "on_time_rectification_rate",
        "/on_time_rectification_rate/numerator",
        "/on_time_rectification_rate/denominator",
    ),
    ("mean_days_to_rectify", "", "/mean_days_to_rectify/count"),
    (
        "first_time_pass_rate",
        "/first_time_pass_rate/numerator",
        "/first_time_pass_rate/denominator",
    ),
    (
        "refusal_rate",
        "/refusal_rate/numerator",
        "/refusal_rate/denominator",
    ),
    (
        "complaints_received",
        "/complaints/received",
        "/complaints/received",
    ),
    (
        "mean_first_response_minutes",
        "",
        "/complaints/mean_first_response_minutes/count",
    ),
    (
        "mean_resolution_minutes",
        "",
        "/complaints/mean_resolution_minutes/count",
    ),
    ("nps", "", "/nps/responses"),
];

/// The value of each figure in the batch's `secondary` object.
fn value_of(s: &Value, figure: &str) -> Option<f64> {
    let path = match figure {
        "mean_days_to_rectify" => "/mean_days_to_rectify/value".to_owned(),
        "complaints_received" => "/complaints/received".to_owned(),
        "mean_first_response_minutes" => "/complaints/mean_first_response_minutes/value".to_owned(),
        "mean_resolution_minutes" => "/complaints/mean_resolution_minutes/value".to_owned(),
        "nps" => "/nps/score".to_owned(),
        _ => format!("/{figure}/value"),
    };
    s.pointer(&path).and_then(Value::as_f64)
}

async fn drill(app: &TestApp, token: &str, batch: &str, figure: &str, query: &str) -> Value {
    let path = format!("/api/v1/batches/{batch}/secondary/{figure}/units{query}");
    ok(app.get(&path, token).await).await
}

/// `(unit id, in_numerator, in_denominator)` of a drill-down, in list order.
fn shares(d: &Value) -> Vec<(String, f64, i64)> {
    d["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit_id"].as_str().unwrap().to_owned(),
                u["in_numerator"].as_f64().unwrap(),
                u["in_denominator"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The drill-downs of the scenario (`s`: its secondary figures now).
pub async fn each_figure_drills_down_to_its_units(app: &TestApp, sc: &Scenario<'_>, s: &Value) {
    let executive = app.token("executive").await;
    let batch = sc.batch;
    for (figure, numerator, denominator) in FIGURES {
        let d = drill(app, &executive, batch, figure, "").await;
        assert_eq!(d["figure"], figure);
        assert_eq!(
            d["denominator"].as_i64(),
            s.pointer(denominator).and_then(Value::as_i64),
            "{figure}: denominator"
        );
        if !numerator.is_empty() {
            assert_eq!(
                d["numerator"].as_f64(),
                s.pointer(numerator).and_then(Value::as_f64),
                "{figure}: numerator"
            );
        }
        let (listed, figure_value) = (d["value"].as_f64(), value_of(s, figure));
        assert_eq!(listed.is_some(), figure_value.is_some(), "{figure}");
        if let (Some(x), Some(y)) = (listed, figure_value) {
            assert!((x - y).abs() < 1e-9, "{figure}: list {x}, figure {y}");
        }
        let sum: f64 = shares(&d).iter().map(|(_, n, _)| n).sum();
        assert!((sum - d["numerator"].as_f64().unwrap()).abs() < 1e-9);
    }

    let [a, b, c, dd, e, f, g, h, i] = sc.units.map(str::to_owned);
    let [builder, installer] = sc.contractors;
    let by_hand = |figure: &str, expected: Vec<(&String, f64, i64)>| {
        let expected: Vec<(String, f64, i64)> = expected
            .into_iter()
            .map(|(u, n, d)| (u.clone(), n, d))
            .collect();
        (figure.to_owned(), expected)
    };
    for (figure, expected) in [
        // Items a1 (A, closed on time, 4 days), c1 (C, closed on time after a send-back,
        // 5 days), c2 (C, closed late, 3 days), c3 (C, open).
        by_hand(
            "rectification_completion_rate",
            vec![(&a, 1.0, 1), (&c, 2.0, 3)],
        ),
        by_hand(
            "on_time_rectification_rate",
            vec![(&a, 1.0, 1), (&c, 1.0, 2)],
        ),
        by_hand("mean_days_to_rectify", vec![(&a, 4.0, 1), (&c, 8.0, 2)]),
        by_hand("first_time_pass_rate", vec![(&a, 1.0, 1), (&c, 1.0, 2)]),
        // A, B, C, D took part; A and D refused.
        by_hand(
            "refusal_rate",
            vec![(&a, 1.0, 1), (&b, 0.0, 1), (&c, 0.0, 1), (&dd, 1.0, 1)],
        ),
        // B, D, E complained; D and E answered in 30 and 1,320 minutes, D resolved in 180.
        by_hand(
            "complaints_received",
            vec![(&b, 1.0, 1), (&dd, 1.0, 1), (&e, 1.0, 1)],
        ),
        by_hand(
            "mean_first_response_minutes",
            vec![(&dd, 30.0, 1), (&e, 1320.0, 1)],
        ),
        by_hand("mean_resolution_minutes", vec![(&dd, 180.0, 1)]),
        // Promoters A, B, I; passive F; detractors G, H.
        by_hand(
            "nps",
            vec![
                (&a, 1.0, 1),
                (&b, 1.0, 1),
                (&f, 0.0, 1),
                (&g, -1.0, 1),
                (&h, -1.0, 1),
                (&i, 1.0, 1),
            ],
        ),
    ] {
        let mut got = shares(&drill(app, &executive, batch, &figure, "").await);
        let mut expected = expected;
        got.sort_by(|x, y| x.0.cmp(&y.0));
        expected.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(got, expected, "{figure}");
    }
    // 12 planned units in self-inspection coverage: A and C count; stage-1 defects A 2, B 1, C 1.
    let coverage = drill(app, &executive, batch, "self_inspection_coverage", "").await;
    assert_eq!(coverage["units"].as_array().unwrap().len(), 12);
    let only = drill(
        app,
        &executive,
        batch,
        "stage1_defects_per_unit",
        "?only=numerator",
    )
    .await;
    let mut got = shares(&only);
    got.sort_by(|x, y| x.0.cmp(&y.0));
    let mut expected = vec![
        (a.clone(), 2.0, 1),
        (b.clone(), 1.0, 1),
        (c.clone(), 1.0, 1),
    ];
    expected.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(got, expected);

    // A contractor's items only: 中建八局 holds a1, c1, c2 (all closed); 上海安装 c3 (open).
    let q = format!("?contractor={builder}");
    let of_builder = drill(app, &executive, batch, "rectification_completion_rate", &q).await;
    assert_eq!(
        (&of_builder["numerator"], &of_builder["denominator"]),
        (&3.0.into(), &3.into())
    );
    let q = format!("?contractor={installer}");
    let of_installer = drill(app, &executive, batch, "rectification_completion_rate", &q).await;
    assert_eq!(shares(&of_installer), vec![(c.clone(), 0.0, 1)]);
    // A refusal reason: D refused for unmet conditions.
    let q = "?reason=conditions&only=numerator";
    let conditions = drill(app, &executive, batch, "refusal_rate", q).await;
    assert_eq!(shares(&conditions), vec![(dd.clone(), 1.0, 1)]);
    let reasons = conditions["units"][0]["refusal_reasons"].clone();
    assert_eq!(
        reasons,
        serde_json::json!([{"reason": "conditions", "count": 2}])
    );

    refusals(app, &executive, batch).await;
    let c_number = of_installer["units"][0]["number"].as_str().unwrap();
    on_the_pages(app, sc, c_number).await;
}

/// Unknown figures and bad filters are refused with a code; contractors may not read.
async fn refusals(app: &TestApp, executive: &str, batch: &str) {
    let base = format!("/api/v1/batches/{batch}/secondary");
    let refused = [
        ("happiness/units", StatusCode::NOT_FOUND, "not_found"),
        (
            "nps/units?only=all",
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid",
        ),
        (
            "nps/units?contractor=7",
            StatusCode::BAD_REQUEST,
            "request.malformed_query",
        ),
        (
            "nps/units?color=red",
            StatusCode::BAD_REQUEST,
            "request.malformed_query",
        ),
    ];
    for (path, status, code) in refused {
        assert_error(
            app.get(&format!("{base}/{path}"), executive).await,
            status,
            code,
        )
        .await;
    }
    let contractor = app.token("contractor").await;
    let resp = app.get(&format!("{base}/nps/units"), &contractor).await;
    assert_error(resp, StatusCode::FORBIDDEN, "auth.forbidden").await;
}

/// The batch page links its secondary numbers to the lists; a list's page and its workbook.
async fn on_the_pages(app: &TestApp, sc: &Scenario<'_>, c_number: &str) {
    let batch = sc.batch;
    let builder = sc.contractors[0];
    let web = app.page_login("executive").await;
    let get = |path: String| {
        let web = web.clone();
        let url = app.url(&path);
        async move {
            let resp = web.get(url).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            resp
        }
    };
    let html = get(format!("/batches/{batch}/kpis"))
        .await
        .text()
        .await
        .unwrap();
    for link in [
        format!("/batches/{batch}/secondary/refusal_rate/units\""),
        format!(
            "/batches/{batch}/secondary/refusal_rate/units?only=numerator&#38;reason=conditions\""
        ),
        format!("/batches/{batch}/secondary/complaints_received/units\""),
        format!("/batches/{batch}/secondary/nps/units\""),
        format!(
            "/batches/{batch}/secondary/on_time_rectification_rate/units?contractor={builder}\""
        ),
    ] {
        assert!(
            html.contains(&format!("href=\"{link}")),
            "{link} on the batch page"
        );
    }

    let path = format!(
        "/batches/{batch}/secondary/rectification_completion_rate/units?contractor={builder}"
    );
    let page = get(path).await.text().await.unwrap();
    assert!(
        page.contains("只看中建八局第三建设有限公司的整改项"),
        "{page}"
    );
    let flat: String = page.split_whitespace().collect();
    assert!(
        flat.contains(">100.0%<"),
        "the builder's completion on the page"
    );
    assert!(page.contains(&format!("data-unit=\"{c_number}\"")));
    let row_from = page.find(&format!("data-unit=\"{c_number}\"")).unwrap();
    let row = &page[row_from..row_from + page[row_from..].find("</tr>").unwrap()];
    let row: String = row.split_whitespace().collect();
    assert!(
        row.contains(">2/2<"),
        "C's two items of the builder, both closed: {row}"
    );

    let en = get(format!("/batches/{batch}/secondary/nps/units?lang=en")).await;
    let en = en.text().await.unwrap();
    assert!(en.contains("Likely to recommend"), "English headings");

    let xlsx = get(format!(
        "/batches/{batch}/secondary/refusal_rate/units.xlsx"
    ))
    .await;
    let bytes = xlsx.bytes().await.unwrap();
    use calamine::{Data, DataType, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&name).unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows.len(), 1 + 4, "a header and A, B, C, D");
    assert_eq!(rows[0][2], Data::String("计入分子".into()));
    let refused: f64 = rows[1..].iter().map(|r| r[2].as_f64().unwrap()).sum();
    assert_eq!(refused, 2.0);
}
