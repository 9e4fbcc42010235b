//! The register's filters, kept in the URL: status, unit number, batch, page; and the status
//! chips with their counts.

use serde::Deserialize;
use uuid::Uuid;

use crate::delivery::complaints::Status;
use crate::delivery::complaints::repo::StatusCounts;
use crate::i18n::Locale;
use crate::pages::form_urlencoded_component;

/// The register's query: its filters (as typed: a unit number) and the last post's message.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// `open`, `responded` or `resolved`.
    pub status: Option<String>,
    /// Unit number.
    pub unit: Option<String>,
    /// Batch id.
    pub batch: Option<String>,
    /// Page, from 1.
    pub page: Option<i64>,
    /// Message key of the last post.
    pub ok: Option<String>,
}

/// The register's filters, parsed.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub status: Option<Status>,
    pub unit: String,
    pub batch: Option<Uuid>,
    pub page: i64,
}

impl Filters {
    pub fn of(q: &PageQuery) -> Self {
        let status = q
            .status
            .as_deref()
            .and_then(|s| Status::ALL.into_iter().find(|x| x.as_str() == s));
        Filters {
            status,
            unit: q.unit.as_deref().unwrap_or_default().trim().to_owned(),
            batch: q.batch.as_deref().and_then(|b| b.parse().ok()),
            page: q.page.unwrap_or(1).clamp(1, 100_000),
        }
    }

    /// The register's address with these filters.
    pub fn href(&self, project: Uuid) -> String {
        let mut q = Vec::new();
        if let Some(s) = self.status {
            q.push(format!("status={}", s.as_str()));
        }
        if !self.unit.is_empty() {
            q.push(format!("unit={}", form_urlencoded_component(&self.unit)));
        }
        if let Some(b) = self.batch {
            q.push(format!("batch={b}"));
        }
        if self.page > 1 {
            q.push(format!("page={}", self.page));
        }
        let base = format!("/projects/{project}/complaints");
        if q.is_empty() {
            base
        } else {
            format!("{base}?{}", q.join("&"))
        }
    }

    /// These filters with another status (back to page 1).
    pub fn with_status(&self, status: Option<Status>) -> Self {
        Filters {
            status,
            page: 1,
            ..self.clone()
        }
    }

    /// These filters on another page.
    pub fn on_page(&self, page: i64) -> Self {
        Filters {
            page,
            ..self.clone()
        }
    }
}

/// A status chip: label with its count, link, whether active.
pub struct StatusChip {
    /// Status name and count.
    pub label: String,
    /// The register with this status.
    pub href: String,
    /// The active filter.
    pub on: bool,
}

/// The status chips: all, then each status, with counts under the other filters.
pub fn chips(l: Locale, project: Uuid, f: &Filters, counts: &StatusCounts) -> Vec<StatusChip> {
    let all = StatusChip {
        label: format!("{} {}", l.t("complaint.all"), counts.of(None)),
        href: f.with_status(None).href(project),
        on: f.status.is_none(),
    };
    let each = Status::ALL.into_iter().map(|s| StatusChip {
        label: format!("{} {}", s.label(l), counts.of(Some(s))),
        href: f.with_status(Some(s)).href(project),
        on: f.status == Some(s),
    });
    std::iter::once(all).chain(each).collect()
}
