//! When held responses are released: a batch of at least `score.min_group_size` of a quarter,
//! or whatever is held once the quarter has ended. The submission triggers the first; the
//! score refresh and an hourly tick of `dxs serve` the second.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::{Held, Result, Store};

/// How often `dxs serve` looks for quarters that ended with responses held.
pub const TICK: Duration = Duration::from_secs(3600);

/// Releases what is due at `now` (UNIX seconds) in batches of at least `min_group_size`;
/// returns the responses released per quarter.
pub async fn release_due(store: &Store, min_group_size: u32, now: i64) -> Result<Vec<Held>> {
    store
        .release_responses(i64::from(min_group_size), now)
        .await
}

/// Every [`TICK`] until `shutdown`: releases what is due and, when something was, calls
/// `released` with it (rescoring hangs on that).
pub async fn every_tick<F>(
    store: Store,
    min_group_size: u32,
    shutdown: CancellationToken,
    released: F,
) where
    F: Fn(Vec<Held>),
{
    let mut interval = tokio::time::interval(TICK);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }
        match release_due(&store, min_group_size, chrono::Utc::now().timestamp()).await {
            Ok(held) if held.is_empty() => {}
            Ok(held) => released(held),
            Err(e) => tracing::error!(error = %e, "held survey responses not released"),
        }
    }
}
