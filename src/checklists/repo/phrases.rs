//! SQL for the phrase library (常用问题描述): shipped phrases and each project's own.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use crate::checklists::{Phrase, Trade};
use crate::db::{DbConn, Tx};
use crate::error::AppError;
use crate::{exec, run};

#[derive(FromRow)]
struct PhraseRow {
    id: Uuid,
    project_id: Option<Uuid>,
    trade: String,
    text: String,
}

impl PhraseRow {
    fn into_phrase(self) -> Option<Phrase> {
        Some(Phrase {
            id: self.id,
            trade: Trade::parse(&self.trade)?,
            text: self.text,
            shipped: self.project_id.is_none(),
        })
    }
}

/// The phrase library of a project, optionally of one trade: the project's own phrases first,
/// then the shipped ones; by trade, then in order.
pub async fn phrases(
    c: &mut impl DbConn,
    project_id: Uuid,
    trade: Option<Trade>,
) -> Result<Vec<Phrase>, AppError> {
    let rows: Vec<PhraseRow> = run!(c, |c| {
        let mut q = QueryBuilder::new(
            "select id, project_id, trade, text from phrases where (project_id is null or project_id = ",
        );
        q.push_bind(project_id).push(")");
        if let Some(t) = trade {
            q.push(" and trade = ").push_bind(t.as_str());
        }
        q.push(" order by position, created_at, text");
        q.build_query_as::<PhraseRow>().fetch_all(c).await
    })?;
    let mut out: Vec<Phrase> = rows
        .into_iter()
        .filter_map(PhraseRow::into_phrase)
        .collect();
    out.sort_by_key(|p| (p.shipped, p.trade));
    Ok(out)
}

/// Adds a phrase to the project's library; the same text already there (or shipped) for the
/// trade is `AlreadyExists`.
pub async fn add_phrase(
    tx: &mut Tx,
    project_id: Uuid,
    trade: Trade,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Phrase, AppError> {
    let (same, last): (i64, i32) = run!(tx, |c| {
        sqlx::query_as(
        "select
            (select count(*) from phrases where (project_id is null or project_id = $1) and trade = $2 and text = $3),
            (select coalesce(max(position), 0) from phrases where project_id = $1 and trade = $2)"
    )
    .bind(project_id)
    .bind(trade.as_str())
    .bind(text)
    .fetch_one(c)
    .await
    })?;
    if same > 0 {
        return Err(AppError::AlreadyExists);
    }
    let id = Uuid::new_v4();
    exec!(tx, |c| {
        sqlx::query(
        "insert into phrases (id, project_id, trade, text, position, created_at) values ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id)
    .bind(project_id)
    .bind(trade.as_str())
    .bind(text)
    .bind(last + 1)
    .bind(now)
    .execute(c)
    .await
    })?;
    Ok(Phrase {
        id,
        trade,
        text: text.to_owned(),
        shipped: false,
    })
}

/// Removes one of the project's phrases: a shipped phrase is `Forbidden` (read-only), another
/// project's or an unknown one `NotFound`.
pub async fn remove_phrase(tx: &mut Tx, project_id: Uuid, phrase_id: Uuid) -> Result<(), AppError> {
    let owner: Option<Uuid> = run!(tx, |c| sqlx::query_scalar(
        "select project_id from phrases where id = $1"
    )
    .bind(phrase_id)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)?;
    match owner {
        None => Err(AppError::Forbidden),
        Some(p) if p != project_id => Err(AppError::NotFound),
        Some(_) => {
            exec!(tx, |c| sqlx::query("delete from phrases where id = $1")
                .bind(phrase_id)
                .execute(c)
                .await)?;
            Ok(())
        }
    }
}
