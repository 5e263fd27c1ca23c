//! The Prometheus metrics of dxs (DESIGN §8), encoded as OpenMetrics text from memory.
//!
//! Two kinds of families live here:
//! - published families, filled only by [`Metrics::publish_from_store`] from the latest score
//!   snapshot and the store's running totals: each is cleared then filled again, and their text
//!   is rendered once, at publish;
//! - live families, updated as things happen: HTTP requests ([`Metrics::observe_http`]),
//!   collector runs ([`Metrics::record_collector_run`], also recounted at publish), GitHub's
//!   rate limit ([`Metrics::set_github_rate_limit`]) and webhook events acknowledged without
//!   being stored ([`Metrics::webhook_event_ignored`]), encoded at each scrape.
//!
//! A publish holds a lock that a scrape also takes, so a scrape sees the old figures or the new
//! ones, never a mix. A scrape ([`Metrics::encode`]) copies the published text and encodes the
//! few live families: it never touches the database. Counters restart
//! from the store's totals, so they continue after a restart. No label ever names a person;
//! label values are teams, components, quarters, sources, outcomes and route templates.

mod families;
mod publish;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::registry::Registry;

use crate::store::{Store, StoreError};
use families::Families;

/// Why a GitHub webhook event is acknowledged without being stored: the `reason` label of
/// `dxs_webhook_events_ignored_total` (each counter exists from the start at 0).
pub const WEBHOOK_IGNORED_REASONS: [&str; 4] = ["out_of_scope", "event", "state", "environment"];

/// The content type of `/metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What publishing can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Reading the snapshots or the totals failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every metric family of dxs, registered once, and the registries that encode them.
pub struct Metrics {
    /// Families filled only by a publish.
    published: Registry,
    /// Families updated as things happen.
    live: Registry,
    families: Families,
    /// The text of `published`, rendered at each publish. Held for writing while a publish
    /// replaces families, for reading while a scrape encodes.
    rendered: RwLock<String>,
}

impl Default for Metrics {
    /// The metrics of the sources every configuration has.
    fn default() -> Self {
        let sources = crate::collectors::Source::ALL.map(|s| s.name());
        Metrics::new(&sources)
    }
}

impl Metrics {
    /// Registers every family of DESIGN §8, empty but for the run counters of `sources` (the
    /// configured collector sources), which start at 0.
    pub fn new(sources: &[&str]) -> Metrics {
        let (mut published, mut live) = (Registry::default(), Registry::default());
        let families = Families::register(&mut published, &mut live, sources);
        let rendered = RwLock::new(render(&published));
        Metrics {
            published,
            live,
            families,
            rendered,
        }
    }

    /// The OpenMetrics text of every family, ending in `# EOF`.
    pub fn encode(&self) -> String {
        let published = self.read_lock();
        let mut text = String::with_capacity(published.len() + 8 * 1024);
        text.push_str(&published);
        encode_registry(&mut text, &self.live).expect("writing to a String cannot fail");
        encode_eof(&mut text).expect("writing to a String cannot fail");
        text
    }

    /// Replaces the published families with the latest score snapshot and the store's totals.
    /// Called at server start and after each scoring pass; reads the database, once.
    pub async fn publish_from_store(&self, store: &Store) -> Result<(), MetricsError> {
        let published = publish::Published::load(store).await?;
        let mut rendered = self.write_lock();
        self.families.fill(&published);
        *rendered = render(&self.published);
        Ok(())
    }

    /// Counts one finished collector run of `source` with `outcome` (`success` or `error`),
    /// finished at `finished_at` (UNIX seconds). The next publish recounts from the store.
    pub fn record_collector_run(&self, source: &str, outcome: &str, finished_at: i64) {
        self.families
            .record_collector_run(source, outcome, finished_at);
    }

    /// Counts one webhook event of `source` acknowledged without being stored, and why.
    pub fn webhook_event_ignored(&self, source: &str, reason: &str) {
        self.families.webhook_event_ignored(source, reason, 1);
    }

    /// Sets the GitHub API requests left in the current rate-limit window.
    pub fn set_github_rate_limit(&self, remaining: i64) {
        self.families.set_github_rate_limit(remaining);
    }

    /// Counts one HTTP response of route template `route` (e.g. `/api/v1/score`) with `status`.
    pub fn observe_http(&self, route: &str, status: u16, elapsed: Duration) {
        self.families.observe_http(route, status, elapsed);
    }

    fn read_lock(&self) -> RwLockReadGuard<'_, String> {
        self.rendered.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, String> {
        self.rendered.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The text of `registry`'s families, without the closing `# EOF`.
fn render(registry: &Registry) -> String {
    let mut text = String::new();
    encode_registry(&mut text, registry).expect("writing to a String cannot fail");
    text
}
