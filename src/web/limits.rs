//! Per-address limits: at most `max` events per client address in a fixed window. Kept in
//! memory per process (a replica limits its own share), pruned as it fills.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Addresses remembered before the windows that have ended are dropped.
const PRUNE_AT: usize = 10_000;

/// The per-address limits of the server.
#[derive(Debug)]
pub struct Limits {
    /// Failed `POST /login` and wrong bearer tokens (`/api`, `/report`, `/metrics`) per address
    /// per minute; the next attempt is 429.
    pub login_failures: RateLimit,
    /// Refused `POST /survey` (no, unknown or used invite, bad CSRF token) per address per
    /// minute; the next post is 429. Valid posts never count: many developers may share one
    /// NAT address.
    pub survey_refusals: RateLimit,
    /// Refused `POST /webhooks/*` (bad or missing signature) per address per minute; the next
    /// post is 429. Signed events are never limited: a storm from one orchestrator is absorbed.
    pub webhook_refusals: RateLimit,
}

impl Limits {
    /// Limits of `max` events per minute for failed logins, refused survey posts and refused
    /// webhooks.
    pub fn per_minute(login_failures: u32, survey_refusals: u32, webhook_refusals: u32) -> Limits {
        let minute = Duration::from_secs(60);
        Limits {
            login_failures: RateLimit::new(login_failures, minute),
            survey_refusals: RateLimit::new(survey_refusals, minute),
            webhook_refusals: RateLimit::new(webhook_refusals, minute),
        }
    }
}

impl Default for Limits {
    /// 5 failed logins, 30 refused survey posts and 600 refused webhook posts per address per
    /// minute.
    fn default() -> Limits {
        Limits::per_minute(5, 30, 600)
    }
}

/// Counts events per address in windows of `window`.
#[derive(Debug)]
pub struct RateLimit {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// Refused: the address used its events of the window; retry after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Until the window ends (whole seconds, at least 1).
    pub retry_after: Duration,
}

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        let secs = self.retry_after.as_secs().max(1);
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            format!("too many requests from this address: retry in {secs} s\n"),
        )
            .into_response()
    }
}

impl RateLimit {
    /// At most `max` events per address in each `window`.
    pub fn new(max: u32, window: Duration) -> RateLimit {
        RateLimit {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Err` when `addr` has used its `max` events of the current window, without counting.
    pub fn check(&self, addr: IpAddr) -> Result<(), Limited> {
        self.check_at(addr, Instant::now())
    }

    /// Counts one event of `addr`.
    pub fn count(&self, addr: IpAddr) {
        self.count_at(addr, Instant::now());
    }

    fn check_at(&self, addr: IpAddr, now: Instant) -> Result<(), Limited> {
        let seen = self.seen.lock().expect("rate limit lock");
        match seen.get(&addr) {
            Some((start, n)) if now < *start + self.window && *n >= self.max => Err(Limited {
                retry_after: (*start + self.window - now).max(Duration::from_secs(1)),
            }),
            _ => Ok(()),
        }
    }

    fn count_at(&self, addr: IpAddr, now: Instant) {
        let mut seen = self.seen.lock().expect("rate limit lock");
        if seen.len() >= PRUNE_AT {
            let window = self.window;
            seen.retain(|_, (start, _)| now < *start + window);
        }
        let entry = seen.entry(addr).or_insert((now, 0));
        if now >= entry.0 + self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_after_max_is_refused_until_the_window_ends() {
        let limit = RateLimit::new(5, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..5 {
            assert!(limit.check_at(a, t0).is_ok());
            limit.count_at(a, t0);
        }
        let later = t0 + Duration::from_secs(20);
        let refused = limit.check_at(a, later).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(40));
        assert!(
            limit.check_at(b, later).is_ok(),
            "other addresses are not limited"
        );
        let next_window = t0 + Duration::from_secs(60);
        assert!(limit.check_at(a, next_window).is_ok());
        limit.count_at(a, next_window);
        assert!(
            limit.check_at(a, next_window).is_ok(),
            "a new window starts at 1"
        );
    }
}
