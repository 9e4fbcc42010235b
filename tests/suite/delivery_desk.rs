//! The check-in desk's search through the JSON API: by unit number (prefix), buyer name (any
//! part) and phone tail (last four digits), only among the batch's units, at most 20, by number.

use crate::common;

use common::{TestApp, spawn_app};
use serde_json::{Value, json};

/// A batch planning the first building of the demo project; answers its id and the units of
/// both buildings as (id, number, building).
async fn batch(app: &TestApp) -> (String, Vec<(String, String, String)>) {
    let admin = app.token("admin").await;
    let cells =
        handover::org::repo::status_map(&mut app.db.read().await.unwrap(), app.demo.project_id)
            .await
            .unwrap();
    let first = cells[0].building.clone();
    let path = format!("/api/v1/projects/{}/batches", app.demo.project_id);
    let body = json!({"name": "交付日", "period": {"start": "2026-12-18", "end": "2026-12-20"},
        "buildings": [first]});
    let resp = app.post(&path, &admin, &body).await;
    assert!(resp.status().is_success());
    let b: Value = resp.json().await.unwrap();
    let units = cells
        .iter()
        .map(|c| (c.id.to_string(), c.number.clone(), c.building.clone()))
        .collect();
    (b["id"].as_str().unwrap().to_owned(), units)
}

/// The unit numbers the desk shows for `q`.
async fn numbers(app: &TestApp, token: &str, batch: &str, q: &str) -> Vec<String> {
    let resp = client_get(app, token, batch, q).await;
    resp.as_array()
        .unwrap()
        .iter()
        .map(|h| h["number"].as_str().unwrap().to_owned())
        .collect()
}

async fn client_get(app: &TestApp, token: &str, batch: &str, q: &str) -> Value {
    let resp = common::client()
        .get(app.url(&format!("/api/v1/batches/{batch}/desk")))
        .query(&[("q", q)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn the_desk_finds_a_batch_unit_by_number_prefix_buyer_name_and_phone_tail() {
    let app = spawn_app().await;
    let (batch, units) = batch(&app).await;
    let service = app.token("service").await;
    let first = &units[0].2;
    let mut in_batch: Vec<&str> = units
        .iter()
        .filter(|u| &u.2 == first)
        .map(|u| u.1.as_str())
        .collect();
    in_batch.sort_unstable();
    let outside = units.iter().find(|u| &u.2 != first).unwrap();

    // By number: the whole number, a prefix (every unit of the building, by number), and a
    // unit of the other building is not in the batch.
    let (_, number, _) = units.iter().find(|u| &u.2 == first).unwrap();
    assert_eq!(
        numbers(&app, &service, &batch, number).await,
        [number.as_str()]
    );
    let prefix = format!("{first}-");
    assert_eq!(numbers(&app, &service, &batch, &prefix).await, in_batch);
    assert!(numbers(&app, &service, &batch, &outside.1).await.is_empty());

    // By a buyer of a unit in the batch: the whole name, the given name alone, the phone tail.
    let mut conn = app.db.read().await.unwrap();
    let mut with_buyer = None;
    for (id, number, building) in &units {
        let buyers = handover::org::repo::buyers_of(&mut conn, id.parse().unwrap())
            .await
            .unwrap();
        if building == first && !buyers.is_empty() {
            with_buyer = Some((id.clone(), number.clone(), buyers[0].clone()));
            break;
        }
    }
    drop(conn);
    let (unit_id, number, buyer) = with_buyer.expect("a sold unit in the batch");
    let given: String = buyer.name.chars().skip(1).collect();
    let tail = &buyer.phone[buyer.phone.len() - 4..];
    for q in [buyer.name.as_str(), given.as_str(), tail] {
        let found = numbers(&app, &service, &batch, q).await;
        assert!(found.contains(&number), "{q}: {found:?}");
        assert!(found.iter().all(|n| in_batch.contains(&n.as_str())), "{q}");
    }
    let hits = client_get(&app, &service, &batch, tail).await;
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["unit_id"] == unit_id.as_str())
        .unwrap();
    let masked = hit["buyers"][0]["phone"].as_str().unwrap();
    assert!(
        masked.contains("****") && masked.ends_with(tail),
        "{masked}"
    );
    assert_eq!(hit["status"], "not_inspected");
    assert_eq!(hit["open_visit"], Value::Null);

    // Wildcards are text, not patterns; an empty search finds nothing.
    for q in ["%", "_", ""] {
        assert!(numbers(&app, &service, &batch, q).await.is_empty(), "{q:?}");
    }
}
