//! Handover: inspection, property takeover and handover-day delivery of unfinished homes
//! (毛坯房交付), with the delivery KPIs of the group's standard.
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod charts;
pub mod checklists;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod defects;
pub mod delivery;
pub mod error;
pub mod http;
pub mod i18n;
pub mod inspections;
pub mod kpis;
pub mod openapi;
pub mod org;
pub mod pages;
pub mod pdf;
pub mod photos;
pub mod signature;
pub mod takeovers;
