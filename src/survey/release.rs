//! When held responses are released: a batch of at least `score.min_group_size` of a quarter,
//! or whatever is held once the quarter has ended. The app releases what is due
//! (`crate::app::App::release_survey`): after a submission, at start, before `dxs score` and
//! `dxs report`, and on an hourly tick of `dxs serve`.

use crate::store::{Held, Result, Store};

/// Releases what is due at `now` (UNIX seconds) in batches of at least `min_group_size`;
/// returns the responses released per quarter.
pub async fn release_due(store: &Store, min_group_size: u32, now: i64) -> Result<Vec<Held>> {
    store
        .release_responses(i64::from(min_group_size), now)
        .await
}
