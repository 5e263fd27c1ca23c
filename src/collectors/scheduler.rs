//! The collection schedule of `dxs serve`: every `collect.interval_secs`, the replica that holds
//! the collector lock (a PostgreSQL advisory lock; always this process on SQLite) runs every
//! source, then calls the hook (scoring's refresh) with the summaries.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{collect, HttpClient, Quiet, Source, SourceSummary};
use crate::config::Config;
use crate::store::{Store, StoreError};

/// One collection if this replica holds the collector lock: `None` when another one does.
pub async fn collect_if_leader(
    config: &Config,
    store: &Store,
    http: &HttpClient,
) -> Result<Option<Vec<SourceSummary>>, StoreError> {
    let Some(lock) = store.try_collector_lock().await? else {
        return Ok(None);
    };
    let summaries = collect(
        config,
        store,
        http,
        &Source::enabled(config),
        None,
        Arc::new(Quiet),
    )
    .await;
    lock.release().await;
    Ok(Some(summaries))
}

/// Collects now and then every `collect.interval_secs` until `shutdown`; `after` runs after
/// each collection this replica did (e.g. to refresh the score).
pub async fn run<F, Fut>(
    config: Arc<Config>,
    store: Store,
    http: HttpClient,
    shutdown: CancellationToken,
    mut after: F,
) where
    F: FnMut(Vec<SourceSummary>) -> Fut,
    Fut: Future<Output = ()>,
{
    let interval = Duration::from_secs(config.collect.interval_secs.max(1));
    loop {
        match collect_if_leader(&config, &store, &http).await {
            Ok(Some(summaries)) => {
                for s in &summaries {
                    tracing::info!(summary = %s, "collected");
                }
                after(summaries).await;
            }
            Ok(None) => tracing::debug!("another replica holds the collector lock"),
            Err(e) => tracing::error!(error = %e, "cannot take the collector lock"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
