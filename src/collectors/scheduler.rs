//! One scheduled collection: the replica that holds the collector lock (a PostgreSQL advisory
//! lock; always this process on SQLite) runs every source. The schedule itself (when, and what
//! follows) is the app's (`crate::app::App::start`).

use std::sync::Arc;

use super::{collect, HttpClient, Quiet, Source, SourceSummary};
use crate::config::Config;
use crate::store::{Record, StoreError};

/// One collection of every enabled source, its facts written through `facts`, if this replica
/// holds the collector lock: `None` when another one does.
pub async fn collect_if_leader(
    config: &Config,
    facts: &dyn Record,
    http: &HttpClient,
) -> Result<Option<Vec<SourceSummary>>, StoreError> {
    let Some(lock) = facts.store().try_collector_lock().await? else {
        return Ok(None);
    };
    let summaries = collect(
        config,
        facts,
        http,
        &Source::enabled(config),
        None,
        Arc::new(Quiet),
    )
    .await;
    lock.release().await;
    Ok(Some(summaries))
}
