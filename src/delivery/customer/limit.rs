//! Rate limits of the public customer-link routes, per client address and per token, with
//! `governor` (GCRA, lock-free, keyed). A page or API call costs [`CALL`] cells and a photo
//! [`PHOTO`], so a token gets 30 calls or 120 photos a minute (a burst of as many), and an
//! address twice that (a sales office's customers share one). Over it: `429 link.rate_limited`
//! with `Retry-After`.
//!
//! The address is the socket peer's: behind a reverse proxy every customer would share the
//! proxy's address, and trusting `X-Forwarded-For` needs a configured proxy, which we do not have.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{ConnectInfo, RawPathParams, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::app::AppState;
use crate::error::AppError;

/// Cells a page or JSON call costs.
pub const CALL: u32 = 4;
/// Cells a photo costs.
pub const PHOTO: u32 = 1;
/// Cells per minute (and burst) of one token: 30 calls.
pub const TOKEN_CELLS: u32 = 30 * CALL;
/// Cells per minute (and burst) of one client address: 60 calls.
pub const ADDRESS_CELLS: u32 = 60 * CALL;
/// Every this many checks, keys idle for a full window are forgotten (bounds the memory).
const SWEEP_EVERY: u64 = 4096;

/// The limiters of one running service.
pub struct Limits {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_token: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl Default for Limits {
    fn default() -> Self {
        let per_minute =
            |cells: u32| Quota::per_minute(NonZeroU32::new(cells).unwrap_or(NonZeroU32::MIN));
        Limits {
            by_address: RateLimiter::keyed(per_minute(ADDRESS_CELLS)),
            by_token: RateLimiter::keyed(per_minute(TOKEN_CELLS)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }
}

impl Limits {
    /// Takes `cost` cells from the address, then from the token; `Err(seconds to wait)` when
    /// either has too few. Refused calls of an address do not use up the token's cells.
    pub fn check(&self, address: IpAddr, token: &str, cost: u32) -> Result<(), u64> {
        self.sweep();
        let n = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
        let now = self.clock.now();
        let wait = |r: Result<Result<(), governor::NotUntil<_>>, _>| match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(now).as_secs() + 1),
            Err(_) => Err(60),
        };
        wait(self.by_address.check_key_n(&address, n))?;
        wait(self.by_token.check_key_n(&token.to_owned(), n))
    }

    fn sweep(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.by_address.retain_recent();
            self.by_token.retain_recent();
        }
    }
}

/// Puts `routes` (each with a `{token}` in its path) behind `limits`, each call costing `cost`.
pub fn guard(routes: Router<AppState>, limits: &Arc<Limits>, cost: u32) -> Router<AppState> {
    routes.route_layer(middleware::from_fn_with_state(
        (limits.clone(), cost),
        limit,
    ))
}

async fn limit(
    State((limits, cost)): State<(Arc<Limits>, u32)>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let token = params
        .iter()
        .find_map(|(k, v)| (k == "token").then_some(v))
        .unwrap_or_default();
    match limits.check(address, token, cost) {
        Ok(()) => next.run(req).await,
        Err(seconds) => AppError::LinkRateLimited(seconds).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_thirty_calls_then_waits_and_others_go_on() {
        let limits = Limits::default();
        let here = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for i in 0..30 {
            assert_eq!(limits.check(here, "a", CALL), Ok(()), "call {i}");
        }
        let wait = limits.check(here, "a", CALL).unwrap_err();
        assert!((1..=3).contains(&wait), "{wait}");
        assert_eq!(limits.check(here, "b", CALL), Ok(()));
        // The address has paid for 32 of its 60 calls (the refused one passed the address);
        // the other 28 run out across tokens.
        let mut refused = 0;
        for i in 0..40 {
            if limits.check(here, &format!("t{i}"), CALL).is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 40 - 28);
        let elsewhere = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(limits.check(elsewhere, "c", CALL), Ok(()));
    }

    #[test]
    fn photos_cost_a_quarter_of_a_call() {
        let limits = Limits::default();
        let here = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for i in 0..TOKEN_CELLS {
            assert_eq!(limits.check(here, "a", PHOTO), Ok(()), "photo {i}");
        }
        assert!(limits.check(here, "a", PHOTO).is_err());
    }
}
