//! The one path from new facts to every output (DESIGN §1, §9).
//!
//! Collectors and webhooks only write facts and say so: [`Pipeline::facts_changed`] marks the
//! quarters from the changed facts' own time on as dirty and wakes the pass. One pass at a time
//! ([`run`], a task of `dxs serve`) waits a moment so a burst of events becomes one pass, then
//! rescores exactly the dirty quarters (a closed quarter nobody touched is never rescored, so
//! it keeps its figures), writes their snapshots and publishes the metrics. Every replica polls
//! the snapshot version ([`crate::store::Store::snapshot_version`]) and publishes again when any
//! replica wrote: `/metrics`, `/report` and `/api` agree across replicas within a poll.
//!
//! Follow one webhook: `web/webhooks.rs` writes the fact and calls `facts_changed`; [`run`]
//! wakes, [`pass`] calls `scoring::refresh` for the dirty quarters and
//! `Metrics::publish_from_store`, and the gauges change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::collectors::{Source, SourceSummary};
use crate::quarter::Quarter;
use crate::scoring;
use crate::store::Held;
use crate::web::AppState;

/// How long a pass waits after the first event, so a burst becomes one pass.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// Passes start at least this far apart, however many events arrive.
const MIN_PASS_INTERVAL: Duration = Duration::from_secs(1);
/// How often a replica checks whether another one wrote new snapshots.
pub const POLL: Duration = Duration::from_secs(2);

/// What changed since the last pass, and the pass counter.
#[derive(Debug, Default)]
pub struct Pipeline {
    /// The earliest time of a changed fact since the last pass: its quarter and every later one
    /// are rescored.
    dirty_from: Mutex<Option<i64>>,
    wake: Notify,
    passes: AtomicU64,
}

impl Pipeline {
    /// Facts dated `at` (UNIX seconds) or later were written: the next pass rescores the quarter
    /// of `at` and every quarter after it. Cheap: a lock and a wake-up, never a query.
    pub fn facts_changed(&self, at: i64) {
        let mut dirty = self.dirty_from.lock().unwrap_or_else(|e| e.into_inner());
        *dirty = Some(dirty.map_or(at, |d| d.min(at)));
        drop(dirty);
        self.wake.notify_one();
    }

    /// A collection ended: the current quarter is rescored (its period ends now), and every
    /// quarter from the earliest fact a source wrote or changed.
    pub fn collected(&self, summaries: &[SourceSummary], state: &AppState) {
        let github = summaries.iter().find(|s| s.source == Source::Github);
        if let Some(remaining) = github.and_then(|s| s.stats.rate_limit_remaining) {
            state.metrics.set_github_rate_limit(remaining);
        }
        let now = chrono::Utc::now().timestamp();
        let earliest = summaries.iter().filter_map(|s| s.earliest_change).min();
        self.facts_changed(earliest.map_or(now, |e| e.min(now)));
    }

    /// Survey responses were released into these quarters: each is rescored (and the later ones).
    pub fn released(&self, released: &[Held]) {
        if let Some(start) = released
            .iter()
            .filter_map(|h| h.quarter.parse::<Quarter>().ok())
            .map(Quarter::start)
            .min()
        {
            self.facts_changed(start);
        }
    }

    /// Scoring passes run so far (tests and the webhook benchmark count them).
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    fn take_dirty(&self) -> Option<i64> {
        self.dirty_from
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// Runs the passes and the replica poll of `state` until `shutdown`.
pub async fn run(state: AppState, shutdown: CancellationToken) {
    let mut seen = state.store.snapshot_version().await.unwrap_or(-1);
    let mut last_pass: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = state.pipeline.wake.notified() => {
                let wait = last_pass.map_or(DEBOUNCE, |at| {
                    DEBOUNCE.max(MIN_PASS_INTERVAL.saturating_sub(at.elapsed()))
                });
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                last_pass = Some(tokio::time::Instant::now());
                if let Some(from) = state.pipeline.take_dirty() {
                    seen = pass(&state, from).await.unwrap_or(seen);
                }
            }
            () = tokio::time::sleep(POLL) => {
                match state.store.snapshot_version().await {
                    Ok(version) if version != seen => {
                        seen = version;
                        if let Err(e) = state.metrics.publish_from_store(&state.store).await {
                            tracing::warn!(error = %e, "metrics not published after another replica's snapshot");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "snapshot version not read"),
                }
            }
        }
    }
}

/// One pass: rescores the quarters from `from`'s on (those with a snapshot, and the last four),
/// writes their snapshots and publishes. Returns the snapshot version published.
async fn pass(state: &AppState, from: i64) -> Option<i64> {
    state.pipeline.passes.fetch_add(1, Ordering::Relaxed);
    let now = chrono::Utc::now().timestamp();
    let quarters = match dirty_quarters(state, from, now).await {
        Ok(q) => q,
        Err(e) => {
            tracing::error!(error = %e, "dirty quarters not read");
            return None;
        }
    };
    tracing::info!(quarters = ?quarters.iter().map(ToString::to_string).collect::<Vec<_>>(), "scoring pass");
    if let Err(e) = scoring::refresh(&state.store, &state.config, &quarters).await {
        tracing::error!(error = %e, "scoring pass failed");
    }
    // The version is read before the publish: a write by another replica after it is seen by
    // the next poll, never lost.
    let version = state.store.snapshot_version().await.ok();
    if let Err(e) = state.metrics.publish_from_store(&state.store).await {
        tracing::error!(error = %e, "metrics not published after a scoring pass");
    }
    version
}

/// The quarters a change dated `from` can move: its own and each later one up to now's, among
/// those already scored and the last four.
async fn dirty_quarters(
    state: &AppState,
    from: i64,
    now: i64,
) -> Result<Vec<Quarter>, crate::store::StoreError> {
    let first = Quarter::of_timestamp(from.min(now));
    let recent = scoring::recent_quarters(now);
    let scored: Vec<Quarter> = state
        .store
        .snapshot_quarters()
        .await?
        .iter()
        .filter_map(|q| q.parse().ok())
        .collect();
    let mut quarters: Vec<Quarter> = recent
        .into_iter()
        .chain(scored)
        .filter(|q| *q >= first && q.start() <= now)
        .collect();
    quarters.sort();
    quarters.dedup();
    Ok(quarters)
}
