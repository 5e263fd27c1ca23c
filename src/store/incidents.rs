//! Incidents (`incidents`): upserted on `(source, external_id)` with the other facts of a batch
//! (the rule is in `upserts.rs`), and read back for scoring and the tests.

use super::{with_pool, Result, Store};
use crate::model::{Incident, Rollout, Service};

impl Store {
    /// Every incident, ordered by source and id.
    pub async fn incidents(&self) -> Result<Vec<Incident>> {
        let sql = "SELECT source, external_id, service, opened_at, resolved_at, severity \
                   FROM incidents ORDER BY source, external_id";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }
}

/// What the change failure rate of a period reads: facts from the period's start on (a
/// rollout's failure shows after it, possibly after the period).
#[derive(Debug, Clone, Default)]
pub struct StabilityFacts {
    /// Rollouts and rollbacks, each with its service's team.
    pub rollouts: Vec<(Option<String>, Rollout)>,
    /// Incidents opened from the start on.
    pub incidents: Vec<Incident>,
    /// Changes first deployed from the start on: `(service, sha, deployed_at)`.
    pub shipped: Vec<(String, String, i64)>,
    /// Reverting commits shipped from the start on: `(service, sha, reverted, deployed_at)`.
    pub reverts: Vec<(String, String, String, i64)>,
    /// Path services and their team.
    pub services: Vec<Service>,
    /// Repositories (services of their own by default) and their team.
    pub repositories: Vec<(String, Option<String>)>,
}

impl Store {
    /// The [`StabilityFacts`] from `start` on.
    pub async fn stability_facts(&self, start: i64) -> Result<StabilityFacts> {
        let incidents = "SELECT source, external_id, service, opened_at, resolved_at, severity \
                         FROM incidents WHERE opened_at >= $1 ORDER BY opened_at, source, external_id";
        let shipped = "SELECT service, sha, deployed_at FROM deployment_changes \
                       WHERE deployed_at >= $1 ORDER BY deployed_at, service, sha";
        let reverts = "SELECT c.service, r.sha, r.reverted, c.deployed_at FROM commit_reverts r \
                       JOIN deployment_changes c ON c.repo = r.repo AND c.sha = r.sha \
                       WHERE c.deployed_at >= $1 ORDER BY c.deployed_at, c.service, r.sha";
        let repositories = "SELECT slug, team FROM repositories ORDER BY slug";
        let (incidents, shipped, reverts, repositories): (Vec<Incident>, _, _, _) = with_pool!(self, pool => (
            sqlx::query_as(incidents).bind(start).fetch_all(pool).await?,
            sqlx::query_as(shipped).bind(start).fetch_all(pool).await?,
            sqlx::query_as(reverts).bind(start).fetch_all(pool).await?,
            sqlx::query_as(repositories).fetch_all(pool).await?,
        ));
        Ok(StabilityFacts {
            rollouts: self.rollouts_between(start, i64::MAX).await?,
            incidents,
            shipped,
            reverts,
            services: self.services().await?,
            repositories,
        })
    }
}
