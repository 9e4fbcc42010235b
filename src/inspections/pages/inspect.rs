//! The inspection page of a unit or common area: start or continue the inspection at the page's
//! stage, the checklist by trade and room, progress and finish; the add-defect form and the
//! place's open defects below.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::checklist::{TradeGroup, fill_inputs, group_items};
use super::defect_form::{self, FormInput, FormView};
use super::place::{Place, Site};
use super::trade_label;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::checklists;
use crate::clock;
use crate::defects::repo::{DefectRow, Filter, Order};
use crate::defects::{Stage, Status, is_overdue};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page};
use crate::i18n::Locale;
use crate::inspections::repo::{self, InspectionRow};
use crate::pages::Chrome;

/// Query of the inspection page.
#[derive(Debug, Default, Deserialize)]
pub struct InspectQuery {
    /// `takeover` for the joint takeover inspection; else the caller's usual stage.
    stage: Option<Stage>,
    /// A defect just recorded, to confirm.
    added: Option<Uuid>,
    /// The inspection was just finished.
    finished: Option<String>,
    /// Prefill of the defect form from a failed item (plain links, without JS).
    defect_trade: Option<String>,
    defect_part: Option<String>,
    defect_desc: Option<String>,
}

/// What a re-rendered page carries besides the stored state: what was typed and what failed.
#[derive(Debug, Default)]
pub(super) struct PageState {
    pub form: FormInput,
    pub form_error: Option<String>,
    pub form_open: bool,
    pub item_error: Option<(Uuid, String, Vec<String>)>,
    pub start_error: Option<String>,
    pub participants: Option<[String; 3]>,
    pub finish_error: Option<String>,
    pub show_missing: bool,
    pub added: Option<Uuid>,
    pub finished: bool,
}

/// The head of the page: the place, its status badge (units), the stage and the form actions.
pub(super) struct Head {
    pub name: String,
    /// `(class, label)` of a unit's status.
    pub status: Option<(String, &'static str)>,
    /// The stage, named (`物业承接查验`), when it is not the self inspection.
    pub stage_label: Option<&'static str>,
    pub start_action: String,
    pub defect_action: String,
}

pub(super) struct RunningView {
    pub id: Uuid,
    /// Inspector and start time.
    pub line: String,
    /// Who takes part.
    pub participants: String,
}

pub(super) struct StartView {
    pub id: Uuid,
    pub supervisor: String,
    pub contractor: String,
    pub property: String,
    pub error: Option<String>,
}

pub(super) struct DefectLine {
    pub href: String,
    pub number: i32,
    pub thumb: Option<String>,
    pub description: String,
    pub place: String,
    pub trade_label: &'static str,
    pub status_label: &'static str,
    pub status: &'static str,
    pub overdue: bool,
    pub assignee: String,
}

#[derive(Template)]
#[template(path = "inspections/inspect.html")]
struct InspectPage {
    c: Chrome,
    user_key: String,
    head: Head,
    running: Option<RunningView>,
    start: StartView,
    last_verdict: Option<(String, &'static str)>,
    groups: Vec<TradeGroup>,
    done: usize,
    total: usize,
    percent: String,
    progress_text: String,
    finish_error: Option<String>,
    missing: Vec<(Uuid, String)>,
    notice: Option<String>,
    form: FormView,
    defects: Vec<DefectLine>,
    open_total: i64,
    more_defects: Option<String>,
}

/// The inspection page of a unit.
pub async fn show_unit(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(unit): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<InspectQuery>,
) -> Result<Response, AppError> {
    show(&app, &user, l, Place::Unit(unit), q).await
}

/// The inspection page of a common area.
pub async fn show_area(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(area): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<InspectQuery>,
) -> Result<Response, AppError> {
    show(&app, &user, l, Place::Area(area), q).await
}

async fn show(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    place: Place,
    q: InspectQuery,
) -> Result<Response, AppError> {
    let prefill = q.defect_trade.is_some() || q.defect_desc.is_some();
    let state = PageState {
        form: FormInput::prefill(q.defect_trade, q.defect_part, q.defect_desc),
        form_open: prefill,
        added: q.added,
        finished: q.finished.is_some(),
        ..PageState::default()
    };
    render(app, user, l, place, q.stage, state).await
}

/// Renders the inspection page of `place` at `stage` (or the caller's usual one) with `state`.
pub(super) async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    place: Place,
    stage: Option<Stage>,
    state: PageState,
) -> Result<Response, AppError> {
    let mut conn = app.db.read().await?;
    let site = Site::load(&mut conn, user, place, stage).await?;
    let inspections = place.inspections(&mut conn).await?;
    let running = inspections
        .iter()
        .find(|i| i.stage == site.stage.as_str() && i.finished_at.is_none())
        .cloned();
    let (items, results) = match &running {
        Some(r) => (
            checklists::repo::version(&mut conn, r.version_id)
                .await?
                .items,
            repo::results(&mut conn, r.id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let phrases = checklists::repo::phrases(&mut conn, site.project_id, None).await?;
    let layout = match place {
        Place::Unit(id) => super::sql::unit_layout(&mut conn, id).await?,
        Place::Area(_) => None,
    };
    let filter = Filter {
        unit: place.unit(),
        common_area: place.area(),
        statuses: vec![Status::Open, Status::Assigned, Status::Fixed],
        ..Filter::default()
    };
    let (open, open_total) =
        crate::defects::repo::list(&mut conn, site.project_id, &filter, Order::Newest, 100, 0)
            .await?;
    let added = match state.added {
        Some(id) => crate::defects::repo::get(&mut conn, id)
            .await
            .ok()
            .filter(|d| d.unit_id == place.unit() && d.common_area_id == place.area()),
        None => None,
    };
    drop(conn);

    let c = chrome(l, user, &site);
    let head = head(l, &site);
    let page_url = site.page();
    let mut groups = group_items(l, &page_url, running.as_ref(), &items, &results);
    if let Some((item, message, typed)) = &state.item_error {
        for row in groups
            .iter_mut()
            .flat_map(|g| g.rooms.iter_mut())
            .flat_map(|r| r.items.iter_mut())
        {
            if row.id == *item {
                row.error = Some(message.clone());
                if row.measured {
                    fill_inputs(l, &mut row.inputs, typed);
                }
            }
        }
    }
    let done = groups.iter().map(|g| g.done).sum::<usize>();
    let total = items.len();
    let missing = if state.show_missing {
        items
            .iter()
            .filter(|i| !results.iter().any(|r| r.item_id == i.id))
            .map(|i| (i.id, format!("{} · {}", i.def.room, i.def.name)))
            .collect()
    } else {
        Vec::new()
    };
    let last_verdict = inspections
        .iter()
        .find(|i| i.finished_at.is_some())
        .map(|i| verdict_of(l, i));
    let notice = match (&added, state.finished) {
        (Some(d), _) => Some(added_notice(l, d)),
        (None, true) => last_verdict
            .as_ref()
            .map(|(v, _)| l.fmt1("insp.finished_notice", "verdict", v)),
        _ => None,
    };
    let [supervisor, contractor, property] = state.participants.clone().unwrap_or_default();
    let form = defect_form::view(l, &state, place, &phrases, layout.as_ref());
    page(&InspectPage {
        user_key: user.id.simple().to_string(),
        running: running.as_ref().map(|r| running_view(l, r)),
        start: StartView {
            id: Uuid::new_v4(),
            supervisor,
            contractor,
            property,
            error: state.start_error.clone(),
        },
        last_verdict,
        percent: percent(done, total),
        progress_text: l.fmt(
            "insp.progress",
            &[("done", &done.to_string()), ("total", &total.to_string())],
        ),
        groups,
        done,
        total,
        finish_error: state.finish_error.clone(),
        missing,
        notice,
        form,
        more_defects: (open_total > open.len() as i64)
            .then(|| l.fmt1("insp.more_defects", "n", &open_total.to_string())),
        open_total,
        defects: open.into_iter().map(|d| defect_line(l, d)).collect(),
        head,
        c,
    })
}

fn chrome(l: Locale, user: &CurrentUser, site: &Site) -> Chrome {
    let c = Chrome::new(
        l,
        user,
        l.fmt1("insp.title", "unit", &site.name),
        site.page(),
    )
    .crumb(
        site.project_name.clone(),
        format!("/projects/{}", site.project_id),
    );
    match site.place {
        Place::Unit(id) => c.crumb(site.name.clone(), format!("/units/{id}")),
        Place::Area(_) => c.crumb(
            l.t("takeover.list_title").to_owned(),
            "/takeovers".to_owned(),
        ),
    }
}

fn head(l: Locale, site: &Site) -> Head {
    let status = site.unit_status.as_deref().map(|s| {
        let s = crate::org::UnitStatus::parse(s).unwrap_or(crate::org::UnitStatus::NotInspected);
        (s.as_str().to_owned(), s.label(l))
    });
    Head {
        name: site.name.clone(),
        status,
        stage_label: (site.stage != Stage::SelfInspection)
            .then(|| l.t(&format!("stage.{}", site.stage.as_str()))),
        start_action: site.place.action(site.stage, "inspect/start"),
        defect_action: site.place.action(site.stage, "defects"),
    }
}

fn percent(done: usize, total: usize) -> String {
    if total == 0 {
        "0".into()
    } else {
        format!("{:.1}", done as f64 * 100.0 / total as f64)
    }
}

fn verdict_of(l: Locale, i: &InspectionRow) -> (String, &'static str) {
    let class = if i.verdict.as_deref() == Some("pass") {
        "pass"
    } else {
        "fail"
    };
    (l.t(&format!("insp.verdict.{class}")).to_owned(), class)
}

fn running_view(l: Locale, r: &InspectionRow) -> RunningView {
    let mut who = Vec::new();
    for (key, name) in [
        ("insp.supervisor", &r.supervisor),
        ("insp.contractor", &r.contractor),
        ("insp.property", &r.property),
    ] {
        if !name.is_empty() {
            who.push(l.fmt("insp.participant", &[("role", l.t(key)), ("name", name)]));
        }
    }
    let part =
        |role: &str, name: &str| l.fmt("insp.participant", &[("role", l.t(role)), ("name", name)]);
    let people = if who.is_empty() {
        "—".to_owned()
    } else {
        who.join(" · ")
    };
    RunningView {
        id: r.id,
        line: format!(
            "{} · {}",
            part("insp.inspector", &r.inspector_name),
            part("insp.started", &clock::show(r.started_at))
        ),
        participants: part("insp.participants", &people),
    }
}

fn added_notice(l: Locale, d: &DefectRow) -> String {
    let n = d.number.to_string();
    match (&d.contractor_name, d.due_on) {
        (Some(c), Some(due)) => l.fmt(
            "insp.added_assigned",
            &[("n", &n), ("contractor", c), ("due", &due.to_string())],
        ),
        _ => l.fmt1("insp.added", "n", &n),
    }
}

fn defect_line(l: Locale, d: DefectRow) -> DefectLine {
    let status = Status::parse(&d.status).unwrap_or(Status::Open);
    let overdue = is_overdue(status, d.due_on, clock::local_date(clock::now()));
    let place = [d.room.as_str(), d.part.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let assignee = match (&d.contractor_name, d.due_on) {
        (Some(c), Some(due)) => l.fmt(
            "insp.assignee",
            &[("contractor", c), ("due", &due.to_string())],
        ),
        _ => String::new(),
    };
    DefectLine {
        href: format!("/defects/{}", d.id),
        number: d.number,
        thumb: d.thumb_photo.map(|p| format!("/photos/{p}/thumb")),
        trade_label: trade_label(l, &d.trade),
        status_label: l.t(&format!("defect.status.{}", status.as_str())),
        status: status.as_str(),
        overdue,
        description: d.description,
        place,
        assignee,
    }
}
