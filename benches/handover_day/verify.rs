//! After the day: every fact the tablets sent is in the database, counted once.

use anyhow::Result;
use handover::db::Db;
use handover::run;
use uuid::Uuid;

use crate::plan::Expected;

/// Counts of the batch's facts, each by one portable query over `$1` = the batch.
const COUNTS: [(&str, &str); 14] = [
    ("visits", "select count(*) from visits where batch_id = $1"),
    (
        "visits accepted",
        "select count(*) from visits where batch_id = $1 and outcome = 'accepted'",
    ),
    (
        "visits refused",
        "select count(*) from visits where batch_id = $1 and outcome = 'refused'",
    ),
    (
        "visits only looked",
        "select count(*) from visits where batch_id = $1 and outcome = 'only_looked'",
    ),
    (
        "signatures (accepted, strokes stored)",
        "select count(*) from visits
        where batch_id = $1 and outcome = 'accepted' and signature_strokes is not null",
    ),
    (
        "issues",
        "select count(*) from visit_issues i join visits v on v.id = i.visit_id where v.batch_id = $1",
    ),
    (
        "issues judged reasonable",
        "select count(*) from visit_issues i join visits v on v.id = i.visit_id
        where v.batch_id = $1 and i.judgement = 'reasonable'",
    ),
    (
        "issues judged unreasonable",
        "select count(*) from visit_issues i join visits v on v.id = i.visit_id
        where v.batch_id = $1 and i.judgement = 'unreasonable' and i.reason_code = 'preference'",
    ),
    (
        "rectification items (distinct, one per reasonable issue)",
        "select count(distinct i.defect_id)
        from visit_issues i join visits v on v.id = i.visit_id
        where v.batch_id = $1 and i.judgement = 'reasonable'",
    ),
    (
        "defects of stage customer in the project",
        "select count(*) from defects
        where project_id = (select project_id from batches where id = $1) and stage = 'customer'",
    ),
    (
        "meter readings",
        "select count(*) from visit_meters m join visits v on v.id = m.visit_id where v.batch_id = $1",
    ),
    (
        "key rows",
        "select count(*) from visit_keys k join visits v on v.id = k.visit_id where v.batch_id = $1",
    ),
    (
        "documents handed",
        "select count(*) from visit_documents d join visits v on v.id = d.visit_id where v.batch_id = $1",
    ),
    (
        "units delivered",
        "select count(*) from units u join batch_units bu on bu.unit_id = u.id
        where bu.batch_id = $1 and u.status = 'delivered'",
    ),
];

/// What each count of [`COUNTS`] should be, in order.
fn wanted(e: &Expected) -> [i64; 14] {
    [
        e.visits,
        e.accepted,
        e.refused,
        e.only_looked,
        e.accepted,
        e.issues,
        e.reasonable,
        e.unreasonable,
        e.reasonable,
        e.reasonable,
        e.meters,
        e.key_rows,
        e.documents,
        e.accepted,
    ]
}

/// Prints sent against stored for every fact; answers whether all match.
pub async fn facts(db: &Db, batch: Uuid, e: &Expected) -> Result<bool> {
    let mut conn = db.read().await?;
    println!("{:<58} {:>7} {:>7}  result", "fact", "sent", "stored");
    let mut pass = true;
    for ((fact, sql), want) in COUNTS.iter().zip(wanted(e)) {
        let sql = sqlx::AssertSqlSafe(*sql);
        let got: i64 = run!(&mut conn, |c| sqlx::query_scalar(sql)
            .bind(batch)
            .fetch_one(c)
            .await)?;
        pass &= got == want;
        println!(
            "{fact:<58} {want:>7} {got:>7}  {}",
            if got == want { "PASS" } else { "FAIL" }
        );
    }
    let keys: Option<i64> = run!(&mut conn, |c| {
        sqlx::query_scalar(
        "select cast(sum(k.count) as bigint) from visit_keys k join visits v on v.id = k.visit_id
            where v.batch_id = $1"
    )
    .bind(batch)
    .fetch_one(c)
    .await
    })?;
    let keys = keys.unwrap_or(0);
    pass &= keys == e.keys;
    println!(
        "{:<58} {:>7} {keys:>7}  {}",
        "keys handed (sum of counts)",
        e.keys,
        if keys == e.keys { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}
