//! The re-inspection page (复验): a project's fixed defects, optionally of one unit, each with
//! its before and after photos side by side and two big buttons, pass or send back.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::{Flash, PAGE_SIZE, Photo, Row, Said, before_after, shown_on_page};
use crate::app::AppState;
use crate::auth::extract::PageForm;
use crate::auth::{CurrentUser, Role};
use crate::defects::Status;
use crate::defects::api::{DefectView, PhotoView};
use crate::defects::commands;
use crate::defects::repo::{self, Filter, Order};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::org::repo as org_repo;
use crate::pages::Chrome;

/// Which fixed defects to show.
#[derive(Debug, Default, Deserialize)]
pub struct ReinspectQuery {
    /// Only this unit.
    pub unit: Option<String>,
    /// Page, from 1.
    pub page: Option<String>,
    /// Message key of the last post.
    pub ok: Option<String>,
}

impl ReinspectQuery {
    fn unit(&self) -> Option<Uuid> {
        self.unit.as_deref().and_then(|u| u.trim().parse().ok())
    }

    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(1)
            .max(1)
    }

    fn href(project: Uuid, unit: Option<Uuid>, page: i64, extra: &str) -> String {
        let mut q = Vec::new();
        if let Some(u) = unit {
            q.push(format!("unit={u}"));
        }
        if page > 1 {
            q.push(format!("page={page}"));
        }
        if !extra.is_empty() {
            q.push(extra.to_owned());
        }
        if q.is_empty() {
            format!("/projects/{project}/reinspect")
        } else {
            format!("/projects/{project}/reinspect?{}", q.join("&"))
        }
    }
}

/// A fixed defect with its photos.
pub struct Card {
    /// The defect.
    pub d: Row,
    /// Photos before the fix.
    pub before: Vec<Photo>,
    /// Photos of the fix.
    pub after: Vec<Photo>,
}

#[derive(Template)]
#[template(path = "defects/reinspect.html")]
struct ReinspectPage {
    c: Chrome,
    project_id: Uuid,
    cards: Vec<Card>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    unit: Option<(Uuid, String)>,
    said: Said,
    today: String,
}

impl ReinspectPage {
    fn flash_of(&self, id: &Uuid) -> Option<&Flash> {
        self.said.for_form(&id.to_string())
    }

    fn kept_of(&self, id: &Uuid, field: &str) -> &str {
        self.said.kept_for(&id.to_string(), field)
    }

    fn page_label(&self) -> String {
        super::page_label(self.c.l, self.page, self.pages)
    }

    fn unit_label(&self, number: &str) -> String {
        self.c
            .l
            .fmt("defects.reinspect.unit_only", &[("unit", number)])
    }

    fn unit_value(&self) -> String {
        self.unit
            .as_ref()
            .map(|u| u.0.to_string())
            .unwrap_or_default()
    }

    fn fresh_id(&self) -> Uuid {
        Uuid::new_v4()
    }
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    unit: Option<Uuid>,
    page_no: i64,
    said: Said,
) -> Result<Response, AppError> {
    user.require(project, &[Role::Inspector])?;
    let mut conn = app.db.read().await?;
    let (project_name, _) = org_repo::project_head(&mut conn, project).await?;
    let unit = match unit {
        Some(u) => {
            let row = org_repo::get_unit(&mut conn, u).await?;
            if row.project_id != project {
                return Err(AppError::NotFound);
            }
            Some((u, row.number))
        }
        None => None,
    };
    let filter = Filter {
        statuses: vec![Status::Fixed],
        unit: unit.as_ref().map(|u| u.0),
        ..Filter::default()
    };
    let (_, total) = repo::list(&mut conn, project, &filter, Order::Due, 1, 0).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_no = page_no.min(pages);
    let (rows, _) = repo::list(
        &mut conn,
        project,
        &filter,
        Order::Due,
        PAGE_SIZE,
        (page_no - 1) * PAGE_SIZE,
    )
    .await?;
    let mut cards = Vec::with_capacity(rows.len());
    for row in rows {
        let photos: Vec<PhotoView> = repo::photos(&mut conn, row.id)
            .await?
            .into_iter()
            .map(PhotoView::from)
            .collect();
        let (before, after) = before_after(&photos);
        cards.push(Card {
            d: Row::new(DefectView::from(row), l),
            before,
            after,
        });
    }
    drop(conn);
    let unit_id = unit.as_ref().map(|u| u.0);
    let here = ReinspectQuery::href(project, unit_id, page_no, "");
    let c = Chrome::new(l, user, l.t("defects.reinspect.title"), here)
        .crumb(l.t("projects.title"), "/projects")
        .crumb(project_name, format!("/projects/{project}"))
        .crumb(l.t("defects.title"), format!("/projects/{project}/defects"));
    page(&ReinspectPage {
        c,
        project_id: project,
        cards,
        total,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| ReinspectQuery::href(project, unit_id, page_no - 1, "")),
        next: (page_no < pages).then(|| ReinspectQuery::href(project, unit_id, page_no + 1, "")),
        unit,
        said,
        today: super::today(),
    })
}

/// The re-inspection page of a project (inspectors).
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ReinspectQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok(l, "top", q.ok.as_deref());
    render(&app, &user, l, project, q.unit(), q.page(), said).await
}

/// Passes (`verify`) or sends back (`send-back`) one fixed defect, then shows the page again.
pub async fn act(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((project, defect, action)): ApiPath<(Uuid, Uuid, String)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    if !matches!(action.as_str(), "verify" | "send-back") {
        return Err(AppError::NotFound);
    }
    user.require(project, &[Role::Inspector])?;
    if repo::project_of(&mut app.db.read().await?, defect).await? != Some(project) {
        return Err(AppError::NotFound);
    }
    let q = ReinspectQuery {
        unit: form.get("unit").cloned(),
        page: form.get("page").cloned(),
        ok: None,
    };
    let result = async {
        let (cmd, ok) = super::parse_command(&action, &form)?;
        commands::transition(&app, &user, defect, cmd).await?;
        Ok::<_, AppError>(ok)
    }
    .await;
    match result {
        Ok(ok) => Ok(see_other(&ReinspectQuery::href(
            project,
            q.unit(),
            q.page(),
            &format!("ok={ok}"),
        ))),
        Err(e) if shown_on_page(&e) => {
            let said = Said::failed(l, &defect.to_string(), &e, form);
            render(&app, &user, l, project, q.unit(), q.page(), said).await
        }
        Err(e) => Err(e),
    }
}
