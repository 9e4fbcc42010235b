//! The tablet API contract: an OpenAPI 3.1 document generated from the handlers, served at
//! `/api/v1/openapi.json` and checked in as `mobile-api/openapi.json`.

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, RowError};

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine code (`auth.invalid_token`, `import.invalid_rows`, ...); see `mobile-api/errors.md`.
    pub code: String,
    /// Human message in the caller's language (zh-CN default; `Accept-Language: en` for English).
    pub message: String,
    /// Invalid fields (`request.invalid`).
    pub fields: Option<Vec<FieldError>>,
    /// Invalid rows of a roster or another imported sheet (`import.invalid_rows`,
    /// `import.sheet_invalid_rows`).
    pub rows: Option<Vec<RowError>>,
    /// Missing roster columns (`import.missing_columns`).
    pub columns: Option<Vec<String>>,
    /// Prerequisite lines in the way of a takeover signature
    /// (`takeover.prerequisites_unchecked`, `takeover.prerequisites_unmet`).
    pub prerequisites: Option<Vec<uuid::Uuid>>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Handover tablet API", version = "1", description = "JSON API of Handover (毛坯房交付). See mobile-api/README.md."),
    modifiers(&BearerAuth),
    paths(
        crate::auth::api::create_token, crate::auth::api::revoke_token, crate::auth::api::me,
        crate::org::api::list_projects, crate::org::api::create_project, crate::org::api::show_project,
        crate::org::api::status_map, crate::org::api::list_units, crate::org::api::show_unit,
        crate::org::api::update_unit, crate::auth::api::update_me,
        crate::org::api::list_buildings, crate::org::api::create_building,
        crate::org::api::list_contractors, crate::org::api::create_contractor,
        crate::org::api::list_common_areas, crate::org::api::create_common_area,
        crate::org::api::list_project_batches, crate::org::api::create_batch, crate::org::api::list_batches,
        crate::org::api::list_members, crate::org::api::add_member, crate::org::api::create_user,
        crate::org::api::import_units,
        crate::defects::api::list, crate::defects::api::create, crate::defects::api::show,
        crate::defects::api::assign, crate::defects::api::mark_fixed, crate::defects::api::verify,
        crate::defects::api::send_back, crate::defects::api::cancel,
        crate::defects::api::upload_photos, crate::defects::api::photo,
        crate::defects::api::bulk_assign, crate::defects::api::export,
        crate::defects::api::list_presets, crate::defects::api::set_preset,
        crate::defects::api::delete_preset, crate::defects::api::my_work,
        crate::defects::api::put_plan, crate::defects::api::plan,
        crate::inspections::api::start, crate::inspections::api::show,
        crate::inspections::api::record, crate::inspections::api::finish,
        crate::inspections::api::list_for_unit, crate::inspections::api::coverage,
        crate::checklists::api::list_templates, crate::checklists::api::show_template,
        crate::checklists::api::show_version, crate::checklists::api::copy_template,
        crate::checklists::api::create_version, crate::checklists::api::show_project_checklist,
        crate::checklists::api::select_template, crate::checklists::api::list_phrases,
        crate::checklists::api::create_phrase, crate::checklists::api::delete_phrase,
        crate::takeovers::api::list_all, crate::takeovers::api::list_project,
        crate::takeovers::api::create, crate::takeovers::api::show,
        crate::takeovers::api::set_settings, crate::takeovers::api::add_member,
        crate::takeovers::api::remove_member, crate::takeovers::api::add_prerequisite,
        crate::takeovers::api::update_prerequisite, crate::takeovers::api::upload_evidence,
        crate::takeovers::api::evidence, crate::takeovers::report::report_pdf,
        crate::takeovers::report::notice_pdf,
        crate::takeovers::api::add_document, crate::takeovers::api::update_document,
        crate::takeovers::api::sign,
        crate::delivery::api::settings, crate::delivery::api::set_settings,
        crate::delivery::api::slots, crate::delivery::api::add_slot,
        crate::delivery::api::appointments, crate::delivery::api::book,
        crate::delivery::api::move_appointment, crate::delivery::api::cancel_appointment,
        crate::delivery::api::conditions, crate::delivery::api::set_condition,
        crate::delivery::api::waive_condition, crate::delivery::api::desk,
        crate::delivery::api::check_in, crate::delivery::api::show, crate::delivery::api::set_staff,
        crate::delivery::api::walkthrough, crate::delivery::api::add_issue,
        crate::delivery::api::judge, crate::delivery::api::issue_photo,
        crate::delivery::api::set_meter, crate::delivery::api::meter_photo,
        crate::delivery::api::set_keys, crate::delivery::api::set_documents,
        crate::delivery::api::close, crate::delivery::api::visit_photo,
        crate::delivery::sheet::sheet_pdf,
        crate::delivery::customer::api::create, crate::delivery::customer::api::list,
        crate::delivery::customer::api::revoke, crate::delivery::customer::api::qr,
        crate::delivery::customer::api::show, crate::delivery::customer::api::feedback,
        crate::delivery::customer::api::survey, crate::delivery::customer::api::photo,
        crate::delivery::complaints::api::create, crate::delivery::complaints::api::list,
        crate::delivery::complaints::api::show, crate::delivery::complaints::api::respond,
        crate::delivery::complaints::api::resolve, crate::delivery::complaints::api::update,
        crate::kpis::api::show, crate::kpis::api::breakdowns, crate::kpis::api::units, crate::kpis::api::secondary_units, crate::kpis::rollup::show, crate::kpis::export::kpis_xlsx, crate::kpis::export::units_xlsx, crate::kpis::export::secondary_xlsx, crate::kpis::report::report_pdf, crate::delivery::board::api::show, crate::delivery::board::api::events,
        crate::delivery::import::api::import_appointments,
        crate::delivery::import::api::import_conditions,
    ),
    tags((name = "auth", description = "Tokens"), (name = "org", description = "Projects, status map, units"),
         (name = "admin", description = "Administration and roster import"),
         (name = "defects", description = "Defects from photo to verified fix, fix presets, floor plans, my work"),
         (name = "inspections", description = "Inspections: checklist runs, measured items, verdicts, coverage"),
         (name = "checklists", description = "Checklist templates (versioned), the phrase library"),
         (name = "takeovers", description = "Property takeover (承接查验): prerequisites, documents, deadlines, signatures, seal"),
         (name = "delivery", description = "Handover day (集中交付): appointments, conditions, check-in, visits, judged issues, meters, keys, documents, outcome"),
         (name = "customer", description = "The customer's link (业主链接): staff create, list and revoke links (QR code); the customer, by token and without an account, follows their issues, confirms or disputes fixes, answers the survey"),
         (name = "complaints", description = "Complaints (投诉): register, respond, resolve, response and resolution times"),
         (name = "kpis", description = "Delivery KPIs of a batch (集中交付率, 无缺陷交付率, 户均缺陷) and the live handover-day board"))
)]
pub struct ApiDoc;

/// The document as pretty JSON (what `mobile-api/openapi.json` holds).
pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default() + "\n"
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> Json<serde_json::Value> {
    Json(serde_json::to_value(ApiDoc::openapi()).unwrap_or_default())
}
