//! The integration suite: one test binary (one link) for every area; each module starts the real
//! server on a random port and talks HTTP, on the backend chosen by `HANDOVER_TEST_PG`.

mod common;

mod auth_api;
mod browser;
mod browser_board;
mod browser_customer;
mod browser_defects;
mod browser_kpis;
mod browser_takeover;
mod browser_visit;
mod checklists_api;
mod checklists_pages;
mod cli;
mod defects_api;
mod defects_pages;
mod delivery_api;
mod delivery_board;
mod delivery_complaints;
mod delivery_desk;
mod delivery_import;
mod delivery_links;
mod delivery_pages;
mod delivery_settings;
mod delivery_sheet;
mod import_api;
mod inspections_api;
mod inspections_pages;
mod kpi_drill;
mod kpi_pages;
mod kpi_report;
mod kpi_secondary;
mod kpi_secondary_drill;
mod openapi;
mod org_api;
mod pages;
mod takeovers_api;
mod takeovers_pages;
mod takeovers_report;
mod units_api;
