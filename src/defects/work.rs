//! "My work" (我的待办): what waits on the signed-in user across their projects — defects to
//! assign, to fix, to verify — overdue first.

use uuid::Uuid;

use super::api::{DefectView, MyWork, WorkCounts};
use super::repo::{self, Filter, Order};
use super::{Actor, Status, commands};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::db::ReadConn;
use crate::error::AppError;

/// Rows each list holds.
const LIST_LIMIT: i64 = 50;

/// The caller's work queue over every project they can see.
pub async fn my_work(app: &AppState, user: &CurrentUser) -> Result<MyWork, AppError> {
    let mut conn = app.db.read().await?;
    let today = clock::local_date(clock::now());
    let mut work = MyWork {
        to_assign: vec![],
        to_fix: vec![],
        to_verify: vec![],
        counts: WorkCounts::default(),
    };
    for project in user.project_ids() {
        let actor = commands::actor(&mut conn, user, project).await?;
        for (queue, filter) in queues(&actor) {
            let (rows, total) = queue_rows(&mut conn, project, &filter).await?;
            let overdue = Filter {
                overdue_on: Some(today),
                ..filter
            };
            work.counts.overdue += repo::list(&mut conn, project, &overdue, Order::Due, 1, 0)
                .await?
                .1;
            let views = rows.into_iter().map(DefectView::from);
            match queue {
                Queue::Assign => {
                    work.counts.to_assign += total;
                    work.to_assign.extend(views);
                }
                Queue::Fix => {
                    work.counts.to_fix += total;
                    work.to_fix.extend(views);
                }
                Queue::Verify => {
                    work.counts.to_verify += total;
                    work.to_verify.extend(views);
                }
            }
        }
    }
    for list in [&mut work.to_assign, &mut work.to_fix, &mut work.to_verify] {
        list.sort_by_key(|d| (!d.overdue, d.due_on.is_none(), d.due_on, -d.number));
        list.truncate(LIST_LIMIT as usize);
    }
    Ok(work)
}

enum Queue {
    Assign,
    Fix,
    Verify,
}

/// Which queues the actor has on a project, with the filter of each.
fn queues(actor: &Actor) -> Vec<(Queue, Filter)> {
    let only = |s: Status| Filter {
        statuses: vec![s],
        ..Filter::default()
    };
    let mut q = Vec::new();
    if actor.manages_defects() {
        q.push((Queue::Assign, only(Status::Open)));
    }
    if let Some(c) = actor
        .contractor
        .filter(|_| actor.roles.contains(&Role::Contractor))
    {
        q.push((
            Queue::Fix,
            Filter {
                contractor: Some(c),
                ..only(Status::Assigned)
            },
        ));
    }
    if actor.roles.contains(&Role::Inspector) {
        q.push((Queue::Verify, only(Status::Fixed)));
    }
    q
}

async fn queue_rows(
    conn: &mut ReadConn,
    project: Uuid,
    filter: &Filter,
) -> Result<(Vec<repo::DefectRow>, i64), AppError> {
    repo::list(conn, project, filter, Order::Due, LIST_LIMIT, 0).await
}
