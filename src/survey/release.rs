//! When held responses are released, and when a survey closes (DESIGN §10 "Publish once, at
//! close").
//!
//! Held responses are released in batches of at least `score.min_group_size` of a quarter, or
//! whatever is held once the quarter has ended; none of them counts in a figure before its
//! survey closes. A survey closes when `survey.window_days` have passed since its first invite,
//! or with `dxs survey close`: every held response of its quarter is released and the survey
//! frozen, once. The app runs both (`crate::app::App::release_survey`): after a submission, at
//! start, before `dxs score` and `dxs report`, and on an hourly tick of `dxs serve`.

use crate::quarter::Quarter;
use crate::seal::SealKey;
use crate::store::{Held, Result, Store, StoreError};

/// Why a survey could not be closed.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    /// The quarter has had no invite: there is no survey to close.
    #[error("{0} has no survey: no invite was issued for it")]
    NoSurvey(Quarter),
    /// The quarter's survey has closed already.
    #[error("the survey of {0} has closed already")]
    Closed(Quarter),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Releases what is due at `now` (UNIX seconds) in batches of at least `min_group_size`,
/// opening the held answers with `key` ([`super::held_key`]); returns the responses released
/// per quarter.
pub async fn release_due(
    store: &Store,
    key: &SealKey,
    min_group_size: u32,
    now: i64,
) -> Result<Vec<Held>> {
    store
        .release_responses(i64::from(min_group_size), now, key)
        .await
}

/// Closes every survey whose `window_days` have passed at `now` (or whose close stopped half
/// way), freezing it with `min_group_size`; returns the quarters closed. A survey closes at
/// the end of its window, whenever the tick that closes it runs (it took no answer since).
pub async fn close_due(
    store: &Store,
    key: &SealKey,
    window_days: i64,
    min_group_size: u32,
    now: i64,
) -> Result<Vec<Quarter>> {
    let mut closed = Vec::new();
    for window in store.survey_windows().await? {
        if window.due(window_days, now)
            && store
                .close_survey(
                    &window.quarter,
                    window.closes_at(window_days).min(now),
                    i64::from(min_group_size),
                    key,
                )
                .await?
        {
            closed.extend(window.quarter.parse::<Quarter>().ok());
        }
    }
    Ok(closed)
}

/// Closes the survey of `quarter` now (`dxs survey close`), freezing it with `min_group_size`.
pub async fn close(
    store: &Store,
    key: &SealKey,
    quarter: Quarter,
    min_group_size: u32,
    now: i64,
) -> Result<(), CloseError> {
    match store.survey_window(&quarter.to_string()).await? {
        None => Err(CloseError::NoSurvey(quarter)),
        Some(w) if w.is_closed() => Err(CloseError::Closed(quarter)),
        Some(_) => {
            store
                .close_survey(&quarter.to_string(), now, i64::from(min_group_size), key)
                .await?;
            Ok(())
        }
    }
}
