//! The one path from new facts to every output (DESIGN §1, §9).
//!
//! Facts are written by one task, in groups ([`Writer`], behind [`crate::app::App::record`]),
//! which then says so: [`Pipeline::facts_changed`] marks the quarters from the changed facts' own time on as dirty
//! and wakes the pass. One pass at a time ([`Pipeline::run`], a task of the served app) waits a
//! moment so a burst of events becomes one pass, then rescores exactly the dirty quarters (a
//! closed quarter nobody touched is never rescored, so it keeps its figures), writes their
//! snapshots and publishes the metrics. While a collection runs ([`Pipeline::collecting`]),
//! passes are spaced further apart, so its many batches do not rescore every second. Every
//! replica polls the snapshot version ([`crate::store::Store::snapshot_version`]) and publishes
//! again when any replica wrote: `/metrics`, `/report` and `/api` agree across replicas within
//! a poll.
//!
//! The pipeline reads the store, runs scoring and feeds the metrics; it knows nothing of HTTP,
//! collectors or the app above it.

mod writer;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::quarter::Quarter;
use crate::scoring;
use crate::store::Store;

pub use writer::Writer;

/// How long a pass waits after the first event, so a burst becomes one pass.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// Passes start at least this far apart, however many events arrive.
const MIN_PASS_INTERVAL: Duration = Duration::from_secs(1);
/// Passes start at least this far apart while a collection writes its batches.
const COLLECTING_PASS_INTERVAL: Duration = Duration::from_secs(30);
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
    collections: AtomicUsize,
}

/// A collection in progress (see [`Pipeline::collecting`]); its end wakes the pass.
pub struct Collecting<'a>(&'a Pipeline);

impl Drop for Collecting<'_> {
    fn drop(&mut self) {
        self.0.collections.fetch_sub(1, Ordering::Relaxed);
        self.0.wake.notify_one();
    }
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

    /// A collection starts writing: until the guard drops, passes start at most every
    /// [`COLLECTING_PASS_INTERVAL`]; its end lets the pending pass run.
    pub fn collecting(&self) -> Collecting<'_> {
        self.collections.fetch_add(1, Ordering::Relaxed);
        Collecting(self)
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

    /// When the pass for an event first seen at `first` may start, after the pass of `last`.
    fn due(&self, first: Instant, last: Option<Instant>) -> Instant {
        let interval = match self.collections.load(Ordering::Relaxed) {
            0 => MIN_PASS_INTERVAL,
            _ => COLLECTING_PASS_INTERVAL,
        };
        let debounced = first + DEBOUNCE;
        last.map_or(debounced, |at| debounced.max(at + interval))
    }

    /// Runs the passes (rescoring with `config`, publishing into `metrics`) and the replica
    /// poll until `shutdown`.
    pub async fn run(
        &self,
        store: &Store,
        config: &Config,
        metrics: &Metrics,
        shutdown: CancellationToken,
    ) {
        let mut seen = store.snapshot_version().await.unwrap_or(-1);
        let mut last_pass: Option<Instant> = None;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {
                    seen = poll(store, metrics, seen).await;
                    continue;
                }
            }
            let first = Instant::now();
            // A wake-up during the wait (a collection ending) may bring the pass forward.
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep_until(self.due(first, last_pass)) => break,
                    () = self.wake.notified() => {}
                }
            }
            last_pass = Some(Instant::now());
            if let Some(from) = self.take_dirty() {
                self.passes.fetch_add(1, Ordering::Relaxed);
                seen = pass(store, config, metrics, from).await.unwrap_or(seen);
            }
        }
    }
}

/// Publishes again when another replica wrote snapshots since version `seen`; returns the
/// version now seen.
async fn poll(store: &Store, metrics: &Metrics, seen: i64) -> i64 {
    match store.snapshot_version().await {
        Ok(version) if version != seen => {
            if let Err(e) = metrics.publish_from_store(store).await {
                tracing::warn!(error = %e, "metrics not published after another replica's snapshot");
            }
            version
        }
        Ok(_) => seen,
        Err(e) => {
            tracing::warn!(error = %e, "snapshot version not read");
            seen
        }
    }
}

/// One pass: rescores the quarters from `from`'s on (those with a snapshot, and the last four),
/// writes their snapshots and publishes. Returns the snapshot version published.
async fn pass(store: &Store, config: &Config, metrics: &Metrics, from: i64) -> Option<i64> {
    let now = chrono::Utc::now().timestamp();
    let quarters = match dirty_quarters(store, from, now).await {
        Ok(q) => q,
        Err(e) => {
            tracing::error!(error = %e, "dirty quarters not read");
            return None;
        }
    };
    tracing::info!(quarters = ?quarters.iter().map(ToString::to_string).collect::<Vec<_>>(), "scoring pass");
    if let Err(e) = scoring::refresh(store, config, &quarters).await {
        tracing::error!(error = %e, "scoring pass failed");
    }
    // The version is read before the publish: a write by another replica after it is seen by
    // the next poll, never lost.
    let version = store.snapshot_version().await.ok();
    if let Err(e) = metrics.publish_from_store(store).await {
        tracing::error!(error = %e, "metrics not published after a scoring pass");
    }
    version
}

/// The quarters a change dated `from` can move: its own and each later one up to now's, among
/// those already scored and the last four.
async fn dirty_quarters(
    store: &Store,
    from: i64,
    now: i64,
) -> Result<Vec<Quarter>, crate::store::StoreError> {
    let first = Quarter::of_timestamp(from.min(now));
    let recent = scoring::recent_quarters(now);
    let scored: Vec<Quarter> = store
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
