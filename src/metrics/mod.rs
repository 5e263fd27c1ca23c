//! The Prometheus metrics of dxs (DESIGN §8), encoded as OpenMetrics text from memory.
//!
//! Two kinds of families live here:
//! - published families, filled only by [`Metrics::publish_from_store`] from the latest score
//!   snapshot and the store's running totals: each is cleared then filled again, under a lock
//!   that a scrape also takes, so a scrape sees the old figures or the new ones, never a mix;
//! - live families, updated as things happen: HTTP requests ([`Metrics::observe_http`]),
//!   collector runs ([`Metrics::record_collector_run`]) and GitHub's rate limit.
//!
//! A scrape ([`Metrics::encode`]) only encodes: it never touches the database. Counters restart
//! from the store's totals, so they continue after a restart. No label ever names a person;
//! label values are teams, components, quarters, sources, outcomes and route templates.

mod families;
mod score;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

use crate::store::{Store, StoreError};
use families::Families;

pub use score::{parse_body, TeamScore, ORG_TEAM};

/// The content type of `/metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What publishing can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Reading the snapshots or the totals failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every metric family of dxs, registered once, and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    families: Families,
    /// Held for writing while published families are replaced, for reading while encoding.
    publish: RwLock<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every family of DESIGN §8, all empty.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let families = Families::register(&mut registry);
        Metrics {
            registry,
            families,
            publish: RwLock::new(()),
        }
    }

    /// The OpenMetrics text of every family, ending in `# EOF`.
    pub fn encode(&self) -> String {
        let _published = self.read_lock();
        let mut text = String::with_capacity(16 * 1024);
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }

    /// Replaces the published families with the latest score snapshot and the store's totals.
    /// Called at server start and after each scoring pass; reads the database, once.
    pub async fn publish_from_store(&self, store: &Store) -> Result<(), MetricsError> {
        let published = families::Published::load(store).await?;
        let _writing = self.write_lock();
        self.families.fill(&published);
        Ok(())
    }

    /// Counts one finished collector run of `source` with `outcome` (`success` or `error`),
    /// finished at `finished_at` (UNIX seconds). The next publish recounts from the store.
    pub fn record_collector_run(&self, source: &str, outcome: &str, finished_at: i64) {
        self.families
            .record_collector_run(source, outcome, finished_at);
    }

    /// Sets the GitHub API requests left in the current rate-limit window.
    pub fn set_github_rate_limit(&self, remaining: i64) {
        self.families.set_github_rate_limit(remaining);
    }

    /// Counts one HTTP response of route template `route` (e.g. `/api/v1/score`) with `status`.
    pub fn observe_http(&self, route: &str, status: u16, elapsed: Duration) {
        self.families.observe_http(route, status, elapsed);
    }

    fn read_lock(&self) -> RwLockReadGuard<'_, ()> {
        self.publish.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, ()> {
        self.publish.write().unwrap_or_else(|e| e.into_inner())
    }
}
