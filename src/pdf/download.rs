//! Serving a report: `?lang=` of a download, dates as reports write them, rendering off the
//! async executor, and the HTTP response.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::Report;
use crate::error::AppError;
use crate::i18n::Locale;

/// `?lang=` of a report download (zh-CN unless `en`).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `en` for English; anything else, or nothing, for zh-CN.
    pub lang: Option<String>,
}

impl ReportQuery {
    /// The report's language: `?lang=`, else `fallback`.
    pub fn locale(&self, fallback: Locale) -> Locale {
        self.lang
            .as_deref()
            .and_then(Locale::parse)
            .unwrap_or(fallback)
    }
}

/// A date as the PDFs write it: `2026年12月1日` in Chinese, `2026-12-01` in English.
pub fn long_date(l: Locale, d: NaiveDate) -> String {
    match l {
        Locale::ZhCn => d.format("%Y年%-m月%-d日").to_string(),
        Locale::En => d.format("%Y-%m-%d").to_string(),
    }
}

/// Renders a finished report off the async executor.
pub async fn render(report: Report) -> Result<Vec<u8>, AppError> {
    tokio::task::spawn_blocking(move || report.finish())
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("pdf: {e}")))
}

/// A PDF answered inline as `{name}.pdf`.
pub fn response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-cache".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
