//! The arithmetic of patience, apart from any socket: backoff with jitter, how long a rate-limited
//! answer asks to wait (GitHub's primary and secondary limits), `Link: rel="next"` and whether it
//! stays on its page's origin.

use std::time::Duration;

use reqwest::header::{HeaderMap, LINK, RETRY_AFTER};

/// How patient the client is; from `[collect]` of the config.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub max_retries: u32,
    /// First backoff delay, doubled at each retry.
    pub base: Duration,
    /// Longest single wait.
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// Backoff before retry number `attempt` (0-based): `base·2^attempt` capped at `max_wait`,
    /// then "equal jitter": a random point in its upper half, so replicas do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_wait);
        let half = full / 2;
        half + full.mul_f64(rand::random::<f64>() * 0.5)
    }
}

/// A header's value as text.
pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// How long a rate-limited answer asks to wait: `retry-after` seconds (secondary limits), else
/// until `x-ratelimit-reset` when `x-ratelimit-remaining` is 0 (primary limit). `None` when the
/// answer is no rate limit (a 403 for missing permissions).
pub fn rate_limit_wait(headers: &HeaderMap, now: i64) -> Option<Duration> {
    if let Some(secs) = header(headers, RETRY_AFTER.as_str()).and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    if header(headers, "x-ratelimit-remaining") == Some("0") {
        let reset = header(headers, "x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(now + 60);
        return Some(Duration::from_secs((reset - now).max(0) as u64));
    }
    None
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    header(headers, LINK.as_str())?.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// True when `next` has the scheme, host and port of `page` (a relative link has); a link
/// that does not parse is not.
pub fn same_origin(page: &str, next: &str) -> bool {
    let Ok(page) = reqwest::Url::parse(page) else {
        return false;
    };
    match page.join(next) {
        Ok(next) => next.origin() == page.origin(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn next_link_is_read_among_others() {
        let h = headers(&[(
            "link",
            "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\"",
        )]);
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        let last = headers(&[("link", "<https://a/x?page=1>; rel=\"first\"")]);
        assert_eq!(next_link(&last), None);
    }

    #[test]
    fn next_links_stay_on_the_origin_of_their_page() {
        let page = "https://ghe.example.com/api/v3/orgs/acme/repos?per_page=100";
        for same in [
            "https://ghe.example.com/api/v3/orgs/acme/repos?page=2",
            "https://GHE.example.com:443/api/v3/x",
            "/api/v3/orgs/acme/repos?page=2",
        ] {
            assert!(same_origin(page, same), "{same}");
        }
        for other in [
            "https://evil.example.com/api/v3/orgs/acme/repos?page=2",
            "http://ghe.example.com/api/v3/orgs/acme/repos?page=2",
            "https://ghe.example.com:8443/x",
            "https://ghe.example.com.evil.io/x",
            "//evil.example.com/x",
        ] {
            assert!(!same_origin(page, other), "{other}");
        }
    }

    #[test]
    fn rate_limits_primary_secondary_and_plain_forbidden() {
        let primary = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000120"),
        ]);
        assert_eq!(
            rate_limit_wait(&primary, 1_000_000),
            Some(Duration::from_secs(120))
        );
        let past = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "5")]);
        assert_eq!(rate_limit_wait(&past, 1_000_000), Some(Duration::ZERO));
        let secondary = headers(&[("retry-after", "30"), ("x-ratelimit-remaining", "4000")]);
        assert_eq!(
            rate_limit_wait(&secondary, 0),
            Some(Duration::from_secs(30))
        );
        let forbidden = headers(&[("x-ratelimit-remaining", "4999")]);
        assert_eq!(rate_limit_wait(&forbidden, 0), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 5,
            base: Duration::from_millis(100),
            max_wait: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let d0 = p.backoff(0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d2 = p.backoff(2);
            assert!(d2 >= Duration::from_millis(200) && d2 <= Duration::from_millis(400));
            assert!(p.backoff(10) <= Duration::from_millis(1000));
        }
    }
}
