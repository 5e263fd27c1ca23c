//! Score snapshots: the `all` row holds the whole [`Score`] document (DESIGN §7), each team row
//! its [`TeamScore`]. Outputs read them; only scoring writes them.

use super::{compute, recent_quarters, Rules, Score, ScoringError, ORG};
use crate::config::Config;
use crate::quarter::Quarter;
use crate::store::{Snapshot, Store};

/// Writes `score` as the snapshots of its quarter, replacing the previous ones at once.
pub async fn write_snapshot(
    store: &Store,
    score: &Score,
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
    store.replace_snapshots(&score.quarter, &rows).await?;
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

/// Computes and writes the snapshots of `quarters` (default: the current quarter and the three
/// before it) as of now. Called at `serve` start and after each collection.
pub async fn refresh(
    store: &Store,
    config: &Config,
    quarters: &[Quarter],
) -> Result<Vec<Score>, ScoringError> {
    let rules = Rules::load(config)?;
    let now = chrono::Utc::now().timestamp();
    // Responses held for a quarter that has ended are due: they count in its score.
    crate::survey::release::release_due(store, config.score.min_group_size, now).await?;
    let quarters = if quarters.is_empty() {
        recent_quarters(now)
    } else {
        quarters.to_vec()
    };
    let mut scores = Vec::with_capacity(quarters.len());
    for quarter in quarters {
        let started = std::time::Instant::now();
        let score = compute(store, &rules, quarter, now).await?;
        write_snapshot(store, &score, now).await?;
        tracing::info!(quarter = %quarter, dxs = ?score.org.dxs, elapsed_ms = started.elapsed().as_millis() as u64, "score snapshot written");
        scores.push(score);
    }
    Ok(scores)
}
