//! Seeding the shipped templates and phrases, under ids derived from the data so every site and
//! both backends hold the same rows.

use sha2::{Digest, Sha256};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::{CHUNK, COMMON_TEMPLATE_ID, UNIT_TEMPLATE_ID, insert_items, insert_version};
use crate::checklists::{self, Note};
use crate::db::Db;
use crate::{exec, run};

/// An id derived from stable parts, so every site and both backends seed the same rows.
fn derived_id(parts: &[&[u8]]) -> Uuid {
    let mut h = Sha256::new();
    h.update(b"handover.checklists");
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The id of version `version` of a shipped template (version 1 has a fixed, readable one).
fn shipped_version_id(template: Uuid, version: i32) -> Uuid {
    if version == 1 {
        Uuid::from_u128(template.as_u128() | 0x0100)
    } else {
        derived_id(&[template.as_bytes(), &version.to_le_bytes()])
    }
}

fn fingerprint(text: &str) -> String {
    crate::auth::hex_lower(&Sha256::digest(text.as_bytes())[..6])
}

/// Seeds the shipped templates and phrases; a no-op (one select) when they are current. When a
/// release changes a shipped template, it gets a new version: inspections keep the old one.
pub async fn ensure_defaults(db: &Db) -> anyhow::Result<()> {
    const SQL: &str = "select
        (select count(*) from phrases where project_id is null),
        (select note from checklist_versions where template_id = $1 order by version desc limit 1),
        (select max(version) from checklist_versions where template_id = $1),
        (select note from checklist_versions where template_id = $2 order by version desc limit 1),
        (select max(version) from checklist_versions where template_id = $2)";
    type Current = (
        i64,
        Option<String>,
        Option<i32>,
        Option<String>,
        Option<i32>,
    );
    let (phrase_count, unit_note, unit_v, common_note, common_v): Current = {
        let mut conn = db.read().await?;
        run!(&mut conn, |c| sqlx::query_as(SQL)
            .bind(UNIT_TEMPLATE_ID)
            .bind(COMMON_TEMPLATE_ID)
            .fetch_one(c)
            .await)?
    };
    let shipped = [
        (
            UNIT_TEMPLATE_ID,
            checklists::DEFAULT_UNIT_JSON,
            unit_note,
            unit_v,
        ),
        (
            COMMON_TEMPLATE_ID,
            checklists::DEFAULT_COMMON_JSON,
            common_note,
            common_v,
        ),
    ];
    let stale: Vec<_> = shipped
        .into_iter()
        .filter(|(_, json, note, _)| {
            note.as_deref() != Some(&Note::Shipped(fingerprint(json)).encode())
        })
        .collect();
    let phrases = checklists::shipped_phrases()?;
    if stale.is_empty() && phrase_count == phrases.len() as i64 {
        return Ok(());
    }
    let now = crate::clock::now();
    let mut tx = db.begin().await?;
    for (template, json, _, current) in stale {
        let (name, items) = checklists::shipped_template(json)?;
        let version = current.unwrap_or(0) + 1;
        exec!(&mut tx, |c| {
            sqlx::query(
            "insert into checklist_templates (id, project_id, name, created_at) values ($1, null, $2, $3)
             on conflict (id) do update set name = excluded.name"
        )
        .bind(template)
        .bind(&name)
        .bind(now)
        .execute(c)
        .await
        })?;
        let id = shipped_version_id(template, version);
        let note = Note::Shipped(fingerprint(json)).encode();
        // Another process seeding at the same moment wins; its rows are the same.
        if insert_version(&mut tx, id, template, version, &note, None, now).await? {
            insert_items(&mut tx, id, &items, |pos| {
                derived_id(&[id.as_bytes(), &pos.to_le_bytes()])
            })
            .await?;
        }
    }
    exec!(&mut tx, |c| sqlx::query(
        "delete from phrases where project_id is null"
    )
    .execute(c)
    .await)?;
    let mut position = 0;
    let mut last = None;
    for chunk in phrases.chunks(CHUNK) {
        exec!(&mut tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into phrases (id, project_id, trade, text, position, created_at) ",
            );
            q.push_values(chunk, |mut b, (trade, text)| {
                if last != Some(*trade) {
                    position = 0;
                    last = Some(*trade);
                }
                position += 1;
                b.push_bind(derived_id(&[trade.as_str().as_bytes(), text.as_bytes()]))
                    .push("null")
                    .push_bind(trade.as_str())
                    .push_bind(text)
                    .push_bind(position)
                    .push_bind(now);
            });
            q.push(" on conflict (id) do nothing");
            q.build().execute(c).await
        })?;
    }
    tx.commit().await?;
    Ok(())
}
