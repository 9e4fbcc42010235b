//! "我的待办" (the inspector's landing: to assign, to fix, to verify, overdue first) and the
//! contractor's "我的整改" (their company's defects to fix, with a big button each).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::Row;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::defects::api::DefectView;
use crate::defects::work;
use crate::error::AppError;
use crate::http::page;
use crate::i18n::Locale;
use crate::org::repo as org_repo;
use crate::pages::Chrome;

/// One queue of "my work".
pub struct Section {
    /// Anchor and catalog suffix: `to_assign`, `to_fix`, `to_verify`.
    pub key: &'static str,
    /// Heading.
    pub title: &'static str,
    /// Defects in the queue in all.
    pub total: i64,
    /// Of the shown rows, overdue.
    pub overdue: usize,
    /// The rows (at most 50), overdue first.
    pub rows: Vec<WorkRow>,
    /// What to say when it is empty.
    pub empty: &'static str,
}

/// A row of "my work": the defect and where its link goes.
pub struct WorkRow {
    /// The defect.
    pub d: Row,
    /// Project name.
    pub project: String,
    /// Where a tap goes.
    pub href: String,
}

/// A project's shortcuts.
pub struct ProjectLink {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
}

#[derive(Template)]
#[template(path = "defects/work.html")]
struct WorkPage {
    c: Chrome,
    sections: Vec<Section>,
    projects: Vec<ProjectLink>,
}

impl WorkPage {
    fn count(&self, n: &i64) -> String {
        self.c.l.count(*n)
    }

    fn overdue_label(&self, n: &usize) -> String {
        let n = i64::try_from(*n).unwrap_or(i64::MAX);
        self.c
            .l
            .fmt("defects.work.overdue", &[("n", &self.c.l.count(n))])
    }

    fn more_label(&self, s: &Section) -> Option<String> {
        let shown = i64::try_from(s.rows.len()).unwrap_or(i64::MAX);
        (s.total > shown).then(|| {
            self.c.l.fmt(
                "defects.work.more",
                &[
                    ("shown", &self.c.l.count(shown)),
                    ("total", &self.c.l.count(s.total)),
                ],
            )
        })
    }
}

async fn project_names(app: &AppState, user: &CurrentUser) -> Result<Vec<ProjectLink>, AppError> {
    let rows = org_repo::list_projects(&mut app.db.read().await?, &user.project_ids()).await?;
    Ok(rows
        .into_iter()
        .map(|p| ProjectLink {
            id: p.id,
            name: p.name,
        })
        .collect())
}

fn name_of(projects: &[ProjectLink], id: Uuid) -> String {
    projects
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

/// The signed-in user's work queues.
pub async fn my_work(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
) -> Result<Response, AppError> {
    let w = work::my_work(&app, &user).await?;
    let projects = project_names(&app, &user).await?;
    let rows = |views: Vec<DefectView>, verify: bool| -> Vec<WorkRow> {
        views
            .into_iter()
            .map(|v| {
                let project = name_of(&projects, v.project_id);
                let d = Row::new(v, l);
                let href = if verify {
                    d.reinspect_href()
                } else {
                    format!("/defects/{}", d.id)
                };
                WorkRow { d, project, href }
            })
            .collect()
    };
    let section = |key, total, rows: Vec<WorkRow>| Section {
        key,
        title: l.t(&format!("defects.work.{key}")),
        total,
        overdue: rows.iter().filter(|r| r.d.overdue).count(),
        rows,
        empty: l.t(&format!("defects.work.empty_{key}")),
    };
    let sections = vec![
        section("to_assign", w.counts.to_assign, rows(w.to_assign, false)),
        section("to_fix", w.counts.to_fix, rows(w.to_fix, false)),
        section("to_verify", w.counts.to_verify, rows(w.to_verify, true)),
    ];
    let c = Chrome::new(l, &user, l.t("defects.work.title"), "/me/work");
    page(&WorkPage {
        c,
        sections,
        projects,
    })
}

#[derive(Template)]
#[template(path = "defects/mine.html")]
struct MinePage {
    c: Chrome,
    rows: Vec<WorkRow>,
    total: i64,
}

impl MinePage {
    fn more_label(&self) -> Option<String> {
        let shown = i64::try_from(self.rows.len()).unwrap_or(i64::MAX);
        (self.total > shown).then(|| {
            self.c.l.fmt(
                "defects.work.more",
                &[
                    ("shown", &self.c.l.count(shown)),
                    ("total", &self.c.l.count(self.total)),
                ],
            )
        })
    }

    fn due_label(&self, d: &Row) -> String {
        self.c.l.fmt("defects.mine.due", &[("due", &d.due)])
    }
}

/// The contractor's defects to fix, every project, overdue first.
pub async fn my_defects(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
) -> Result<Response, AppError> {
    let w = work::my_work(&app, &user).await?;
    let projects = project_names(&app, &user).await?;
    let rows = w
        .to_fix
        .into_iter()
        .map(|v| {
            let project = name_of(&projects, v.project_id);
            let d = Row::new(v, l);
            let href = format!("/defects/{}#fixed", d.id);
            WorkRow { d, project, href }
        })
        .collect();
    let c = Chrome::new(l, &user, l.t("defects.mine.title"), "/me/defects");
    page(&MinePage {
        c,
        rows,
        total: w.counts.to_fix,
    })
}
