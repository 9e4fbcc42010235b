//! Complaints (投诉): a customer's complaint about a unit, taken on site, by phone or online,
//! with when it was received, first answered and resolved. Its status follows from those times
//! (open → responded → resolved), and so do its response and resolution durations. A complaint
//! received in a batch's period counts against that batch's zero-defect delivery rate.

pub mod api;
pub mod pages;
pub mod repo;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Check};
use crate::i18n::Locale;

/// How far ahead of the server's clock a tablet's time may be (clock drift).
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// Longest complaint or resolution text, in characters.
pub const MAX_TEXT: usize = 1000;

/// Where a complaint came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 现场: at the sales office or in the unit.
    OnSite,
    /// 电话.
    Phone,
    /// 线上: app, WeChat, web.
    Online,
}

impl Channel {
    /// Every channel, in the order the form shows them.
    pub const ALL: [Channel; 3] = [Channel::OnSite, Channel::Phone, Channel::Online];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::OnSite => "on_site",
            Channel::Phone => "phone",
            Channel::Online => "online",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The channel's name in `l`.
    pub fn label(self, l: Locale) -> &'static str {
        l.t(&format!("complaint.channel.{}", self.as_str()))
    }
}

/// Where a complaint stands, derived from its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待响应: nobody has answered the customer yet.
    Open,
    /// 处理中: answered, not resolved.
    Responded,
    /// 已解决.
    Resolved,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 3] = [Status::Open, Status::Responded, Status::Resolved];

    /// The status of a complaint with these times.
    pub fn of(first_response: Option<DateTime<Utc>>, resolved: Option<DateTime<Utc>>) -> Self {
        match (first_response, resolved) {
            (_, Some(_)) => Status::Resolved,
            (Some(_), None) => Status::Responded,
            (None, None) => Status::Open,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Responded => "responded",
            Status::Resolved => "resolved",
        }
    }

    /// The status's name in `l`.
    pub fn label(self, l: Locale) -> &'static str {
        l.t(&format!("complaint.status.{}", self.as_str()))
    }
}

/// Whole minutes from `from` to `to` (a duration shown to staff and averaged by the reports).
pub fn minutes(from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> Option<i64> {
    to.map(|t| (t - from).num_minutes())
}

/// Checks the time a complaint was received: not ahead of `now` (beyond clock drift).
pub fn check_received(received: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), AppError> {
    Check::default()
        .when(received > now + CLOCK_SKEW, "received_at", "in_future")
        .done()
}

/// Checks a first response at `at`: not before the complaint was received, not in the future.
pub fn check_response(
    received: DateTime<Utc>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    Check::default()
        .when(at < received, "at", "before_received")
        .when(at > now + CLOCK_SKEW, "at", "in_future")
        .done()
}

/// Checks a resolution at `at` with its text: not before the complaint was received nor before
/// its first response, not in the future.
pub fn check_resolution(
    (received, first_response): (DateTime<Utc>, Option<DateTime<Utc>>),
    at: DateTime<Utc>,
    resolution: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    Check::default()
        .text("resolution", resolution, MAX_TEXT)
        .when(at < received, "at", "before_received")
        .when(
            at >= received && first_response.is_some_and(|r| at < r),
            "at",
            "before_response",
        )
        .when(at > now + CLOCK_SKEW, "at", "in_future")
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 18, h, m, 0).unwrap()
    }

    fn codes(r: Result<(), AppError>) -> Vec<&'static str> {
        match r {
            Ok(()) => vec![],
            Err(AppError::Invalid(f)) => f.iter().map(|f| f.code).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn status_follows_the_times() {
        assert_eq!(Status::of(None, None), Status::Open);
        assert_eq!(Status::of(Some(t(2, 0)), None), Status::Responded);
        assert_eq!(Status::of(Some(t(2, 0)), Some(t(3, 0))), Status::Resolved);
        assert_eq!(minutes(t(2, 0), Some(t(3, 30))), Some(90));
        assert_eq!(minutes(t(2, 0), None), None);
    }

    #[test]
    fn times_never_go_backwards_nor_into_the_future() {
        let now = t(10, 0);
        assert!(codes(check_response(t(2, 0), t(2, 0), now)).is_empty());
        assert_eq!(
            codes(check_response(t(2, 0), t(1, 59), now)),
            ["before_received"]
        );
        assert_eq!(codes(check_response(t(2, 0), t(10, 6), now)), ["in_future"]);
        assert!(codes(check_received(t(10, 4), now)).is_empty());
        let received = (t(2, 0), Some(t(3, 0)));
        assert!(codes(check_resolution(received, t(3, 0), "已修复", now)).is_empty());
        assert_eq!(
            codes(check_resolution(received, t(2, 30), "已修复", now)),
            ["before_response"]
        );
        assert_eq!(
            codes(check_resolution(received, t(1, 0), " ", now)),
            ["required", "before_received"]
        );
    }

    #[test]
    fn every_channel_and_status_has_a_name() {
        for l in [Locale::ZhCn, Locale::En] {
            for c in Channel::ALL {
                assert_eq!(Channel::parse(c.as_str()), Some(c));
                assert!(!c.label(l).is_empty());
            }
            for s in Status::ALL {
                assert!(!s.label(l).is_empty());
            }
        }
    }
}
