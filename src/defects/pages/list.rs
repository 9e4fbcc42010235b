//! The defect list of a project: filters kept in the URL, status chips with counts, 50 rows a
//! page, bulk assignment of the ticked rows, and the Excel download with the same filters.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::{PAGE_SIZE, Row, Said, fixers};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::checklists::Trade;
use crate::defects::api::{self, DefectQuery};
use crate::defects::repo::{self, Filter, Order};
use crate::defects::{Severity, Status, commands};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::org::repo::{self as org_repo, BuildingRow, ContractorRow};
use crate::pages::Chrome;

/// The list's query as a page sends it: every field text, empty meaning "any" (a GET form sends
/// every field), unknown values ignored rather than refused.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    /// Building id.
    pub building: Option<String>,
    /// Floor.
    pub floor: Option<String>,
    /// Trade.
    pub trade: Option<String>,
    /// Severity.
    pub severity: Option<String>,
    /// Status, or several with commas.
    pub status: Option<String>,
    /// Contractor id.
    pub contractor: Option<String>,
    /// `1` for overdue only.
    pub overdue: Option<String>,
    /// Unit number or description contains.
    pub q: Option<String>,
    /// `due` for earliest due first.
    pub order: Option<String>,
    /// Page, from 1.
    pub page: Option<String>,
    /// Message key of the last post.
    pub ok: Option<String>,
    /// How many the last post changed.
    pub n: Option<String>,
}

fn clean(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    /// The API query these filters mean (values that do not parse are dropped).
    pub fn to_query(&self) -> DefectQuery {
        let status = clean(&self.status).filter(|s| {
            s.split(',')
                .all(|p| p.is_empty() || Status::parse(p.trim()).is_some())
        });
        DefectQuery {
            building: clean(&self.building).and_then(|s| s.parse().ok()),
            floor: clean(&self.floor).and_then(|s| s.parse().ok()),
            unit: None,
            common_area: None,
            trade: clean(&self.trade).and_then(Trade::parse),
            severity: clean(&self.severity).and_then(Severity::parse),
            status: status.map(str::to_owned),
            contractor: clean(&self.contractor).and_then(|s| s.parse().ok()),
            overdue: matches!(clean(&self.overdue), Some("1" | "on" | "true")),
            q: clean(&self.q).map(|q| q.chars().take(100).collect()),
            order: clean(&self.order)
                .filter(|o| *o == "due")
                .map(str::to_owned),
            page: clean(&self.page).and_then(|p| p.parse().ok()),
            per_page: Some(PAGE_SIZE),
        }
    }
}

/// The filters of `q` as URL pairs (no page), in a fixed order.
fn filter_pairs(q: &DefectQuery) -> Vec<(&'static str, String)> {
    let mut p = Vec::new();
    if let Some(b) = q.building {
        p.push(("building", b.to_string()));
    }
    if let Some(f) = q.floor {
        p.push(("floor", f.to_string()));
    }
    if let Some(t) = q.trade {
        p.push(("trade", t.as_str().to_owned()));
    }
    if let Some(s) = q.severity {
        p.push(("severity", s.as_str().to_owned()));
    }
    if let Some(s) = &q.status {
        p.push(("status", s.clone()));
    }
    if let Some(c) = q.contractor {
        p.push(("contractor", c.to_string()));
    }
    if q.overdue {
        p.push(("overdue", "1".to_owned()));
    }
    if let Some(t) = &q.q {
        p.push(("q", t.clone()));
    }
    if let Some(o) = &q.order {
        p.push(("order", o.clone()));
    }
    p
}

fn encode(pairs: &[(&'static str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn with_query(path: &str, pairs: &[(&'static str, String)]) -> String {
    if pairs.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", encode(pairs))
    }
}

/// One status chip.
pub struct Chip {
    /// Label with the status text.
    pub label: String,
    /// Link with the other filters kept.
    pub href: String,
    /// Defects behind it.
    pub count: i64,
    /// CSS class of its swatch.
    pub class: String,
    /// Whether it is the active filter.
    pub on: bool,
}

#[derive(Template)]
#[template(path = "defects/list.html")]
struct ListPage {
    c: Chrome,
    project_id: Uuid,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    chips: Vec<Chip>,
    filtered: bool,
    any_defects: bool,
    q: DefectQuery,
    buildings: Vec<BuildingRow>,
    contractors: Vec<ContractorRow>,
    fixers: Vec<ContractorRow>,
    trades: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    export_href: String,
    action: String,
    clear_href: String,
    manages: bool,
    checked: Vec<Uuid>,
    said: Said,
    today: String,
}

impl ListPage {
    fn sel_building(&self, id: &Uuid) -> bool {
        self.q.building == Some(*id)
    }

    fn sel_contractor(&self, id: &Uuid) -> bool {
        self.q.contractor == Some(*id)
    }

    fn sel_trade(&self, t: &str) -> bool {
        self.q.trade.is_some_and(|x| x.as_str() == t)
    }

    fn sel_severity(&self, s: &str) -> bool {
        self.q.severity.is_some_and(|x| x.as_str() == s)
    }

    fn sel_status(&self, s: &str) -> bool {
        self.q.status.as_deref() == Some(s)
    }

    fn floor(&self) -> String {
        self.q.floor.map(|f| f.to_string()).unwrap_or_default()
    }

    fn text(&self) -> &str {
        self.q.q.as_deref().unwrap_or("")
    }

    fn by_due(&self) -> bool {
        self.q.order.as_deref() == Some("due")
    }

    fn is_checked(&self, id: &Uuid) -> bool {
        self.checked.contains(id)
    }

    fn building_label(&self, name: &str) -> String {
        self.c.l.fmt1("map.building", "name", name)
    }

    fn page_label(&self) -> String {
        super::page_label(self.c.l, self.page, self.pages)
    }

    fn count_label(&self) -> String {
        // The list stops counting past MAX_COUNT: say "10,000+" rather than a false number.
        let n = if self.total > crate::defects::repo::MAX_COUNT {
            format!("{}+", self.c.l.count(crate::defects::repo::MAX_COUNT))
        } else {
            self.c.l.count(self.total)
        };
        self.c.l.fmt("defects.count", &[("n", &n)])
    }

    fn kept_fixer(&self, id: &Uuid) -> bool {
        self.said.kept("contractor_id") == id.to_string()
    }
}

/// Counts per status for the chips; a contractor counts only their own company's defects.
async fn chip_counts(
    conn: &mut crate::db::ReadConn,
    project: Uuid,
    own: Option<Uuid>,
) -> Result<HashMap<Status, i64>, AppError> {
    let mut counts = HashMap::new();
    match own {
        None => {
            for (s, n) in repo::status_counts(conn, project).await? {
                if let Some(s) = Status::parse(&s) {
                    counts.insert(s, n);
                }
            }
        }
        Some(c) => {
            for s in Status::ALL {
                let f = Filter {
                    statuses: vec![s],
                    contractor: Some(c),
                    ..Filter::default()
                };
                let (_, n) = repo::list(conn, project, &f, Order::Newest, 1, 0).await?;
                counts.insert(s, n);
            }
        }
    }
    Ok(counts)
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    lq: &ListQuery,
    said: Said,
    checked: Vec<Uuid>,
) -> Result<Response, AppError> {
    let mut q = lq.to_query();
    let mut conn = app.db.read().await?;
    let actor = commands::actor(&mut conn, user, project).await?;
    let own = if actor.is_contractor_only() {
        Some(actor.contractor.ok_or(AppError::Forbidden)?)
    } else {
        None
    };
    let project_row = org_repo::get_project(&mut conn, project).await?;
    let buildings = org_repo::list_buildings(&mut conn, project).await?;
    let contractors = org_repo::list_contractors(&mut conn, project).await?;
    let counts = chip_counts(&mut conn, project, own).await?;
    drop(conn);

    let mut result = api::list_page(app, user, project, &q).await?;
    let pages = ((result.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if result.page > pages {
        q.page = Some(pages);
        result = api::list_page(app, user, project, &q).await?;
    }
    let pairs = filter_pairs(&q);
    let base = format!("/projects/{project}/defects");
    let link = |p: i64| {
        let mut pp = pairs.clone();
        pp.push(("page", p.to_string()));
        with_query(&base, &pp)
    };
    let status_href = |s: Option<Status>| {
        let mut pp: Vec<_> = pairs
            .iter()
            .filter(|(k, _)| *k != "status")
            .cloned()
            .collect();
        if let Some(s) = s {
            pp.push(("status", s.as_str().to_owned()));
        }
        with_query(&base, &pp)
    };
    let mut chips = vec![Chip {
        label: l.t("defects.all").to_owned(),
        href: status_href(None),
        count: counts.values().sum(),
        class: String::new(),
        on: q.status.is_none(),
    }];
    chips.extend(Status::ALL.into_iter().map(|s| Chip {
        label: super::status_label(l, s).to_owned(),
        href: status_href(Some(s)),
        count: counts.get(&s).copied().unwrap_or(0),
        class: format!("dst-{}", s.as_str()),
        on: q.status.as_deref() == Some(s.as_str()),
    }));
    let any_defects = counts.values().any(|n| *n > 0);
    let c = Chrome::new(
        l,
        user,
        l.t("defects.title"),
        with_query(&base, &{
            let mut pp = pairs.clone();
            pp.push(("page", result.page.to_string()));
            pp
        }),
    )
    .crumb(l.t("projects.title"), "/projects")
    .crumb(project_row.name, format!("/projects/{project}"));
    let rows: Vec<Row> = result.items.into_iter().map(|d| Row::new(d, l)).collect();
    let export_href = with_query(&format!("/projects/{project}/defects.xlsx"), &pairs);
    let action = with_query(&format!("{base}/bulk-assign"), &pairs);
    page(&ListPage {
        c,
        project_id: project,
        prev: (result.page > 1).then(|| link(result.page - 1)),
        next: (result.page < pages).then(|| link(result.page + 1)),
        total: result.total,
        page: result.page,
        pages,
        rows,
        chips,
        filtered: !pairs.iter().all(|(k, _)| *k == "order"),
        any_defects,
        buildings,
        fixers: fixers(&contractors),
        contractors,
        trades: Trade::ALL
            .iter()
            .map(|t| (t.as_str(), t.label(l)))
            .collect(),
        severities: Severity::ALL
            .iter()
            .map(|s| (s.as_str(), l.t(&format!("defect.severity.{}", s.as_str()))))
            .collect(),
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), super::status_label(l, *s)))
            .collect(),
        export_href,
        action,
        clear_href: base,
        manages: actor.manages_defects(),
        checked,
        said,
        today: super::today(),
        q,
    })
}

/// The defect list of a project.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(lq): ApiQuery<ListQuery>,
) -> Result<Response, AppError> {
    let said = match lq.ok.as_deref() {
        Some("bulk") => {
            let n = clean(&lq.n)
                .and_then(|n| n.parse::<i64>().ok())
                .unwrap_or(0);
            Said {
                flash: Some(super::Flash {
                    form: "bulk".into(),
                    text: l.fmt("defects.ok.bulk", &[("n", &l.count(n))]),
                    ok: true,
                }),
                kept: HashMap::new(),
            }
        }
        _ => Said::default(),
    };
    render(&app, &user, l, project, &lq, said, vec![]).await
}

/// Assigns the ticked defects to one contractor with one due date, then shows the list again
/// with the same filters.
pub async fn bulk_assign(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(lq): ApiQuery<ListQuery>,
    PageForm(user, form): PageForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ids: Vec<Uuid> = form
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let kept: HashMap<String, String> = form.iter().filter(|(k, _)| k != "ids").cloned().collect();
    let result = async {
        let ticked = crate::error::Check::default()
            .when(ids.is_empty(), "ids", "required")
            .done();
        let (_, (contractor, due_on)) = super::both(
            ticked,
            super::both(
                super::id_field(&super::field(&kept, "contractor_id"), "contractor_id"),
                super::date(&super::field(&kept, "due_on"), "due_on"),
            ),
        )?;
        commands::bulk_assign(&app, &user, project, &ids, contractor, due_on).await
    }
    .await;
    match result {
        Ok(n) => {
            let mut pairs = filter_pairs(&lq.to_query());
            if let Some(p) = clean(&lq.page) {
                pairs.push(("page", p.to_owned()));
            }
            pairs.push(("ok", "bulk".to_owned()));
            pairs.push(("n", n.to_string()));
            Ok(see_other(&format!(
                "{}#bulk",
                with_query(&format!("/projects/{project}/defects"), &pairs)
            )))
        }
        Err(e) if super::shown_on_page(&e) => {
            let said = Said::failed(l, "bulk", &e, kept);
            render(&app, &user, l, project, &lq, said, ids).await
        }
        Err(e) => Err(e),
    }
}

/// The list as an `.xlsx` download for a signed-in page user, with the list's filters.
pub async fn export(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(lq): ApiQuery<ListQuery>,
) -> Result<Response, AppError> {
    crate::defects::export::response(&app, &user, l, project, &lq.to_query()).await
}
