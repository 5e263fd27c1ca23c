//! `[collect]` (DESIGN §4, §9): the schedule and the one HTTP policy every source shares.

use serde::Deserialize;

use super::{invalid, ConfigError};

/// Collection schedule and how the shared HTTP client retries.
#[derive(Debug, Clone)]
pub struct CollectConfig {
    /// Seconds between two collections in `dxs serve`; 0 turns the schedule off.
    pub interval_secs: u64,
    /// A request that takes longer is abandoned (and retried).
    pub request_timeout_ms: u64,
    /// Retries of a request that failed with a 5xx, a timeout or a rate limit.
    pub max_retries: u32,
    /// First backoff delay; doubled at each retry, with jitter (tests set it tiny).
    pub retry_base_ms: u64,
    /// Longest single wait (backoff or rate-limit reset); a longer reset fails the source.
    pub max_wait_secs: u64,
    /// Most pages read of one listing; a longer listing fails its source, named.
    pub max_pages: u32,
    /// Largest response body read; a larger one fails its source, named, and is never held.
    pub max_body_bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawCollect {
    pub(super) interval_secs: i64,
    pub(super) request_timeout_ms: i64,
    pub(super) max_retries: i64,
    pub(super) retry_base_ms: i64,
    pub(super) max_wait_secs: i64,
    pub(super) max_pages: i64,
    pub(super) max_body_bytes: i64,
}

impl Default for RawCollect {
    fn default() -> Self {
        RawCollect {
            interval_secs: 3600,
            request_timeout_ms: 30_000,
            max_retries: 5,
            retry_base_ms: 500,
            max_wait_secs: 900,
            max_pages: 1000,
            max_body_bytes: 32 << 20,
        }
    }
}

pub(super) fn validate_collect(raw: RawCollect) -> Result<CollectConfig, ConfigError> {
    let range = |key: &str, value: i64, min: i64, max: i64| -> Result<u64, ConfigError> {
        if (min..=max).contains(&value) {
            Ok(value as u64)
        } else {
            Err(invalid(
                format!("collect.{key}"),
                format!("expected a whole number from {min} to {max}, got {value}"),
            ))
        }
    };
    Ok(CollectConfig {
        interval_secs: range("interval_secs", raw.interval_secs, 0, 7 * 86_400)?,
        request_timeout_ms: range("request_timeout_ms", raw.request_timeout_ms, 1, 600_000)?,
        max_retries: range("max_retries", raw.max_retries, 0, 20)? as u32,
        retry_base_ms: range("retry_base_ms", raw.retry_base_ms, 0, 60_000)?,
        max_wait_secs: range("max_wait_secs", raw.max_wait_secs, 0, 86_400)?,
        max_pages: range("max_pages", raw.max_pages, 1, 1_000_000)? as u32,
        max_body_bytes: range("max_body_bytes", raw.max_body_bytes, 1024, 1 << 30)?,
    })
}
