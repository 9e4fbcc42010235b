//! The template page: a version grouped by trade and room with its tolerances and sources, the
//! version history, and the forms that copy, choose, and (for the project's own templates) edit,
//! add and remove items — each save a new version.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use uuid::Uuid;

use super::form::{self, error_message, field, item_from_form, item_values, query_param};
use super::{ADMIN, chrome, trade_options};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::checklists::api::{self, NewProjectTemplate, NewVersion, SelectTemplate};
use crate::checklists::repo::{self, TemplateSummary};
use crate::checklists::{Confidence, Edit, ItemInput, Note, Scope, TemplateVersion, Trade, UNITS};
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, page, see_other};
use crate::i18n::Locale;
use crate::pages::Chrome;

/// One item row of the template page.
struct ItemRow {
    id: Uuid,
    position: i32,
    name: String,
    part: String,
    measured: bool,
    tolerance: String,
    points: String,
    rate: String,
    factor: String,
    standard: String,
    tool: String,
    method: String,
    confidence: &'static str,
    low: bool,
}

/// The items of one room (or part of the building) within a trade.
struct RoomGroup {
    room: String,
    items: Vec<ItemRow>,
}

/// The items of one trade.
struct TradeGroup {
    label: &'static str,
    count: usize,
    rooms: Vec<RoomGroup>,
}

/// One version in the history table.
struct HistoryRow {
    version: i32,
    note: String,
    by: String,
    at: String,
    items: i64,
    current: bool,
}

#[derive(Template)]
#[template(path = "checklists/template.html")]
struct TemplatePage {
    c: Chrome,
    project_id: Uuid,
    template: TemplateSummary,
    shipped: bool,
    /// Each scope, and whether the project runs this template for it.
    scopes: Vec<(Scope, bool)>,
    /// The version shown (the latest unless `?version=` asks for an older one).
    shown_id: Uuid,
    shown_version: i32,
    shown_note: String,
    latest: bool,
    editable: bool,
    groups: Vec<TradeGroup>,
    history: Vec<HistoryRow>,
    /// `(message, ok)` shown at the top.
    flash: Option<(String, bool)>,
    /// `(form, message)` of a refused post: form is `add`, `copy` or an item id.
    form_error: Option<(String, String)>,
    /// The item whose edit form is open.
    editing: Option<Uuid>,
    edit_kept: HashMap<String, String>,
    add_kept: HashMap<String, String>,
    copy_name: String,
    trades: Vec<(&'static str, &'static str)>,
    units: &'static [&'static str],
    confidences: Vec<(&'static str, &'static str)>,
}

impl TemplatePage {
    /// The value of `field` in form `form` (`add` or `edit`).
    fn val(&self, form: &str, field: &str) -> &str {
        let map = if form == "add" {
            &self.add_kept
        } else {
            &self.edit_kept
        };
        map.get(field).map_or("", String::as_str)
    }

    /// Whether `value` is the chosen option of `field` in `form`.
    fn is(&self, form: &str, field: &str, value: &str) -> bool {
        self.val(form, field) == value
    }

    /// The error of form `form`, if its last post was refused.
    fn error_for(&self, form: &str) -> Option<&str> {
        self.form_error
            .as_ref()
            .filter(|e| e.0 == form)
            .map(|e| e.1.as_str())
    }

    fn editing_this(&self, id: &Uuid) -> bool {
        self.editing.as_ref() == Some(id)
    }
}

/// What a template page shows beyond the stored data.
#[derive(Default)]
struct View {
    /// Version number to show (`None` = latest).
    version: Option<i32>,
    flash: Option<(String, bool)>,
    form_error: Option<(String, String)>,
    editing: Option<Uuid>,
    /// Values typed into the refused form.
    kept: HashMap<String, String>,
}

fn pct(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn groups(v: &TemplateVersion, l: Locale) -> Vec<TradeGroup> {
    Trade::ALL
        .iter()
        .filter_map(|trade| {
            let mut rooms: Vec<RoomGroup> = Vec::new();
            for item in v.items.iter().filter(|i| i.def.trade == *trade) {
                let d = &item.def;
                let spec = d.kind.spec();
                let row = ItemRow {
                    id: item.id,
                    position: item.position,
                    name: d.name.clone(),
                    part: d.part.clone(),
                    measured: spec.is_some(),
                    tolerance: spec.map(|s| s.tolerance()).unwrap_or_default(),
                    points: spec.map(|s| s.points.to_string()).unwrap_or_default(),
                    rate: spec.map(|s| pct(s.pass_rate)).unwrap_or_default(),
                    factor: spec
                        .map(|s| format!("{}×", s.max_factor))
                        .unwrap_or_default(),
                    standard: d.standard.clone(),
                    tool: if d.tool.is_empty() {
                        String::new()
                    } else {
                        l.fmt(
                            "checklists.labelled",
                            &[("label", l.t("checklists.field.tool")), ("value", &d.tool)],
                        )
                    },
                    method: d.method.clone(),
                    confidence: d.confidence.map_or("—", |c| c.label(l)),
                    low: d.confidence == Some(Confidence::Low),
                };
                match rooms.iter_mut().find(|r| r.room == d.room) {
                    Some(r) => r.items.push(row),
                    None => rooms.push(RoomGroup {
                        room: d.room.clone(),
                        items: vec![row],
                    }),
                }
            }
            let count = rooms.iter().map(|r| r.items.len()).sum();
            (count > 0).then(|| TradeGroup {
                label: trade.label(l),
                count,
                rooms,
            })
        })
        .collect()
}

async fn render_template(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    template_id: Uuid,
    view: View,
) -> Result<Response, AppError> {
    let mut conn = app.db.read().await?;
    let template = repo::template(&mut conn, template_id).await?;
    if template.project_id.is_some_and(|p| p != project) {
        return Err(AppError::NotFound);
    }
    let versions = repo::versions(&mut conn, template_id).await?;
    let shown_id = match view.version {
        Some(n) => versions
            .iter()
            .find(|v| v.version == n)
            .map(|v| v.id)
            .ok_or(AppError::NotFound)?,
        None => template.version_id,
    };
    let shown = repo::version(&mut conn, shown_id).await?;
    let chosen = repo::chosen(&mut conn, project).await?;
    drop(conn);
    let latest = shown.id == template.version_id;
    let shipped = template.project_id.is_none();
    // An error of a form this page does not show (an edit of an older version's item) goes
    // to the top of the page.
    let (mut flash, mut form_error) = (view.flash, view.form_error);
    if let Some((form, message)) = &form_error {
        let shown_here = ["add", "copy", "select"].contains(&form.as_str())
            || shown.items.iter().any(|i| i.id.to_string() == *form);
        if !shown_here {
            flash = Some((message.clone(), false));
            form_error = None;
        }
    }
    let mut edit_kept = view.kept.clone();
    if form_error.is_none()
        && let Some(item) = view.editing.and_then(|id| shown.item(id))
    {
        edit_kept = item_values(&ItemInput::from(&item.def));
    }
    let error_in = |form: &str| form_error.as_ref().is_some_and(|e| e.0 == form);
    let add_kept = if error_in("add") {
        view.kept.clone()
    } else {
        form::add_defaults()
    };
    let history = versions
        .iter()
        .map(|v| HistoryRow {
            version: v.version,
            note: Note::decode(&v.note).show(l),
            by: v.created_by_name.clone().unwrap_or_else(|| "—".to_owned()),
            at: clock::show(v.created_at),
            items: v.item_count,
            current: v.id == shown.id,
        })
        .collect();
    let c = chrome(
        app,
        user,
        l,
        project,
        template.name.clone(),
        format!("/projects/{project}/checklists/{template_id}"),
    )
    .await?
    .crumb(
        l.t("checklists.title"),
        format!("/projects/{project}/checklists"),
    );
    page(&TemplatePage {
        c,
        project_id: project,
        shipped,
        scopes: Scope::ALL
            .into_iter()
            .map(|s| (s, chosen.of(s) == template.id))
            .collect(),
        shown_id: shown.id,
        shown_version: shown.version,
        shown_note: Note::decode(&shown.note).show(l),
        latest,
        editable: !shipped && latest,
        groups: groups(&shown, l),
        history,
        flash,
        editing: view.editing,
        copy_name: match view.kept.get("name") {
            Some(name) if error_in("copy") => name.clone(),
            _ => template.name.clone(),
        },
        form_error,
        edit_kept,
        add_kept,
        template,
        trades: trade_options(l),
        units: &UNITS,
        confidences: Confidence::ALL
            .iter()
            .map(|c| (c.as_str(), c.label(l)))
            .collect(),
    })
}

/// A template page: the latest version (or `?version=N`), its history, and its forms.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath((id, template)): ApiPath<(Uuid, Uuid)>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    let flash = if let Some(v) = query_param(&uri, "saved") {
        Some(l.fmt1("checklists.saved_as", "version", &v))
    } else if query_param(&uri, "copied").is_some() {
        Some(l.t("checklists.copied").to_owned())
    } else if query_param(&uri, "selected").is_some() {
        Some(l.t("checklists.selected_done").to_owned())
    } else {
        None
    };
    let view = View {
        version: query_param(&uri, "version").and_then(|v| v.parse().ok()),
        flash: flash.map(|m| (m, true)),
        editing: query_param(&uri, "edit").and_then(|v| v.parse().ok()),
        ..View::default()
    };
    render_template(&app, &user, l, id, template, view).await
}

/// Handles a template page form: `copy`, `select`, `add`, `edit` or `remove`.
pub async fn submit(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, template, action)): ApiPath<(Uuid, Uuid, String)>,
    PageForm(user, f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    let editing = field(&f, "item").parse::<Uuid>().ok();
    match apply(&app, &user, l, id, template, &action, &f).await {
        Ok(to) => Ok(see_other(&to)),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Forbidden)) => Err(e),
        Err(e) => {
            let form = match (action.as_str(), editing) {
                ("edit" | "remove", Some(item)) => item.to_string(),
                (a, _) => a.to_owned(),
            };
            let mut kept = f;
            kept.remove("_csrf");
            let view = View {
                form_error: Some((form, error_message(&e, l))),
                editing: editing.filter(|_| action == "edit"),
                kept,
                ..View::default()
            };
            render_template(&app, &user, l, id, template, view).await
        }
    }
}

/// Applies one form; the page to go to on success.
async fn apply(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    template: Uuid,
    action: &str,
    f: &HashMap<String, String>,
) -> Result<String, AppError> {
    let here = format!("/projects/{project}/checklists");
    match action {
        "copy" => {
            let body = NewProjectTemplate {
                template_id: template,
                name: Some(field(f, "name")),
            };
            let axum::Json(t) = api::copy_template(
                State(app.clone()),
                user.clone(),
                ApiPath(project),
                ApiJson(body),
            )
            .await?;
            Ok(format!("{here}/{}?copied=1", t.id))
        }
        "select" => {
            let body = SelectTemplate {
                template_id: Some(template),
                scope: Scope::parse(&field(f, "scope")).unwrap_or_default(),
            };
            drop(
                api::select_template(
                    State(app.clone()),
                    user.clone(),
                    ApiPath(project),
                    ApiJson(body),
                )
                .await?,
            );
            Ok(format!("{here}/{template}?selected=1"))
        }
        "add" | "edit" | "remove" => {
            let base: Uuid = field(f, "base").parse().map_err(|_| AppError::NotFound)?;
            let current = repo::version(&mut app.db.read().await?, base).await?;
            if current.template_id != template {
                return Err(AppError::NotFound);
            }
            let index = |id: Option<Uuid>| {
                id.and_then(|id| current.items.iter().position(|i| i.id == id))
                    .ok_or(AppError::NotFound)
            };
            let item = field(f, "item").parse::<Uuid>().ok();
            let edit = match action {
                "add" => Edit::Add(item_from_form(f)?.validate()?),
                "edit" => Edit::Replace(index(item)?, item_from_form(f)?.validate()?),
                _ => Edit::Remove(index(item)?),
            };
            let before = current.defs();
            let note = edit.note(&before).encode();
            let items = edit.apply(before)?;
            let body = NewVersion {
                items: items.iter().map(ItemInput::from).collect(),
                note,
                base_version_id: Some(base),
            };
            let axum::Json(v) = api::create_version(
                State(app.clone()),
                user.clone(),
                l,
                ApiPath(template),
                ApiJson(body),
            )
            .await?;
            Ok(format!("{here}/{template}?saved={}", v.version))
        }
        _ => Err(AppError::NotFound),
    }
}
