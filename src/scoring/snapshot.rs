//! Score snapshots: the `all` row holds the whole [`Score`] document (DESIGN §7), each team row
//! its [`TeamScore`], and beside them the quarter's [`Evidence`] and the store's [`Summary`].
//! Outputs read them; only scoring writes them.

use super::evidence::{Evidence, Summary};
use super::{compute, period, recent_quarters, Rules, Score, ScoringError, ORG};
use crate::config::Config;
use crate::quarter::Quarter;
use crate::store::{Snapshot, Store};

/// Writes `score` and `evidence` as the snapshots of the score's quarter, replacing the previous
/// ones at once.
pub async fn write_snapshot(
    store: &Store,
    score: &Score,
    evidence: &Evidence,
    computed_at: i64,
) -> Result<(), ScoringError> {
    let row = |team: &str, body: String| Snapshot {
        quarter: score.quarter.clone(),
        team: team.to_string(),
        computed_at,
        body,
    };
    let mut rows = vec![row(ORG, serde_json::to_string(score)?)];
    for team in &score.teams {
        rows.push(row(&team.team, serde_json::to_string(team)?));
    }
    let evidence = serde_json::to_string(evidence)?;
    store
        .replace_snapshots(&score.quarter, &rows, &evidence)
        .await?;
    Ok(())
}

/// The latest score of `quarter`, from its snapshot, if it has been computed.
pub async fn read_snapshot(store: &Store, quarter: Quarter) -> Result<Option<Score>, ScoringError> {
    let rows = store.snapshots(&quarter.to_string()).await?;
    match rows.into_iter().find(|s| s.team == ORG) {
        Some(s) => Ok(Some(serde_json::from_str(&s.body)?)),
        None => Ok(None),
    }
}

/// The evidence of `quarter` written with its latest score; `None` before its first pass.
pub async fn read_evidence(
    store: &Store,
    quarter: Quarter,
) -> Result<Option<Evidence>, ScoringError> {
    match store.evidence(&quarter.to_string()).await? {
        Some(body) => Ok(Some(serde_json::from_str(&body)?)),
        None => Ok(None),
    }
}

/// What the store held at the latest scoring pass; `None` before the first one.
pub async fn read_summary(store: &Store) -> Result<Option<Summary>, ScoringError> {
    match store.summary().await? {
        Some(body) => Ok(Some(serde_json::from_str(&body)?)),
        None => Ok(None),
    }
}

/// Computes and writes the snapshots of `quarters` (default: the current quarter and the three
/// before it) as of now, each with its evidence, then the store's summary. Called by the
/// pipeline's passes and, after the survey's due release, by [`crate::app::App::score`].
/// Writes no fact: releasing held survey responses is the app's.
pub async fn refresh(
    store: &Store,
    config: &Config,
    quarters: &[Quarter],
) -> Result<Vec<Score>, ScoringError> {
    let rules = Rules::load(config)?;
    let now = chrono::Utc::now().timestamp();
    let quarters = if quarters.is_empty() {
        recent_quarters(now)
    } else {
        quarters.to_vec()
    };
    let developers = store.onboarding().await?;
    let mut scores = Vec::with_capacity(quarters.len());
    for quarter in quarters {
        let started = std::time::Instant::now();
        let score = compute(store, &rules, quarter, now).await?;
        let period = period(quarter, now, &rules);
        let evidence = Evidence::read(store, &rules, &score, &period, &developers).await?;
        write_snapshot(store, &score, &evidence, now).await?;
        tracing::info!(quarter = %quarter, dxs = ?score.org.dxs, elapsed_ms = started.elapsed().as_millis() as u64, "score snapshot written");
        scores.push(score);
    }
    let summary = serde_json::to_string(&Summary::read(store).await?)?;
    store.replace_summary(&summary).await?;
    Ok(scores)
}
