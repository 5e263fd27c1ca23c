//! Writing facts: one [`FactBatch`] is written in one transaction, with upserts on natural keys.
//!
//! Collectors and the demo gather what they learned into a batch (cursors included) and write it
//! at once: a failure writes nothing, a repeat writes nothing new.

use super::insert::upsert;
use super::rollouts::refresh_rollouts;
use super::upserts::Push;
use super::{now, with_pool, Owned, Result, Store, OWNER_JOIN, OWNER_TEAM};
use crate::model::{
    Commit, CommitRevert, Cursor, Deployment, DeploymentChange, Developer, Incident, Namespace,
    Repository, SelfServiceRequest, Service, Team,
};

/// An incident marks the failure of the rollout before it, which may have finished in the
/// previous quarter: an incident moves the quarters from this long before its opening on.
pub const INCIDENT_LOOKBACK_SECS: i64 = 92 * 86_400;

/// Facts to write together, atomically.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FactBatch {
    /// Teams (kept, source updated).
    pub teams: Vec<Team>,
    /// Roster developers (team, start and e-mail updated).
    pub developers: Vec<Developer>,
    /// Repositories (owner, archived and last push updated).
    pub repositories: Vec<Repository>,
    /// Path services of the catalog or the demo (a configured service of the same name wins).
    pub services: Vec<Service>,
    /// Commits (written once).
    pub commits: Vec<Commit>,
    /// Production deployments (written once per source and id).
    pub deployments: Vec<Deployment>,
    /// Changes: a commit keeps its earliest deployment.
    pub changes: Vec<DeploymentChange>,
    /// Self-service requests (status and finish updated).
    pub requests: Vec<SelfServiceRequest>,
    /// Kubernetes namespaces (team, managed and deletion updated).
    pub namespaces: Vec<Namespace>,
    /// Incidents (the same source and id again updates).
    pub incidents: Vec<Incident>,
    /// Commits reverting another (written once).
    pub reverts: Vec<CommitRevert>,
    /// Cursors to advance with these facts.
    pub cursors: Vec<Cursor>,
}

impl FactBatch {
    /// Number of facts in the batch (cursors not counted).
    pub fn len(&self) -> usize {
        self.teams.len()
            + self.developers.len()
            + self.repositories.len()
            + self.services.len()
            + self.commits.len()
            + self.deployments.len()
            + self.changes.len()
            + self.requests.len()
            + self.namespaces.len()
            + self.incidents.len()
            + self.reverts.len()
    }

    /// The time of the earliest dated fact of the batch (a commit, deployment, change,
    /// request, start date, push, namespace event, or an incident's opening less
    /// [`INCIDENT_LOOKBACK_SECS`]): the quarters from this one on may score
    /// differently once the batch is written. `None` for a batch of undated facts only.
    pub fn earliest(&self) -> Option<i64> {
        let times = self
            .commits
            .iter()
            .map(|c| c.committed_at.min(c.authored_at))
            .chain(self.deployments.iter().map(|d| d.finished_at))
            .chain(self.changes.iter().map(|c| c.deployed_at))
            .chain(self.requests.iter().map(|r| r.created_at))
            .chain(self.developers.iter().map(|d| d.start_at))
            .chain(self.repositories.iter().filter_map(|r| r.pushed_at))
            .chain(self.namespaces.iter().map(|n| n.created_at))
            .chain(
                self.incidents
                    .iter()
                    .map(|i| i.opened_at - INCIDENT_LOOKBACK_SECS),
            );
        times.min()
    }

    /// True when the batch holds no fact and no cursor.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.cursors.is_empty()
    }
}

impl Store {
    /// Writes the whole batch in one transaction. Returns the number of rows inserted or changed.
    /// The rollouts of every service whose deployments or changes changed are derived again in
    /// the same transaction.
    pub async fn write_batch(&self, batch: &FactBatch) -> Result<u64> {
        let at = now();
        let mut touched: Vec<String> = batch
            .deployments
            .iter()
            .map(|d| d.service.clone())
            .chain(batch.changes.iter().map(|c| c.service.clone()))
            .collect();
        touched.sort();
        touched.dedup();
        let pushes = Push::of(&batch.repositories);
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut rows = upsert(&mut tx, &batch.teams, at).await?
                + upsert(&mut tx, &batch.developers, at).await?
                + upsert(&mut tx, &batch.repositories, at).await?
                + upsert(&mut tx, &batch.services, at).await?
                + upsert(&mut tx, &batch.commits, at).await?;
            // Each push is a fact of its own time too (not counted: its repository's row is).
            upsert(&mut tx, &pushes, at).await?;
            let delivery = upsert(&mut tx, &batch.deployments, at).await?
                + upsert(&mut tx, &batch.changes, at).await?;
            if delivery > 0 {
                refresh_rollouts!(tx, touched);
            }
            rows += delivery
                + upsert(&mut tx, &batch.requests, at).await?
                + upsert(&mut tx, &batch.namespaces, at).await?
                + upsert(&mut tx, &batch.incidents, at).await?
                + upsert(&mut tx, &batch.reverts, at).await?;
            upsert(&mut tx, &batch.cursors, at).await?;
            tx.commit().await?;
            Ok(rows)
        })
    }

    /// The deployment changes deployed in `[start, end)`, each with its service's team (the
    /// service's own, else its repository's; `None` while the owner is unknown).
    pub async fn changes_deployed_between(
        &self,
        start: i64,
        end: i64,
    ) -> Result<Vec<(Option<String>, DeploymentChange)>> {
        let sql = format!(
            "SELECT f.service, f.repo, f.sha, f.deployment_source, f.deployment_id, f.committed_at, \
             f.deployed_at, {OWNER_TEAM} AS owner_team FROM deployment_changes f {OWNER_JOIN} \
             WHERE f.deployed_at >= $1 AND f.deployed_at < $2 ORDER BY f.deployed_at, f.service, f.sha"
        );
        let rows: Vec<Owned<DeploymentChange>> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(start).bind(end).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Owned::pair).collect())
    }

    /// Every namespace ever seen (deleted ones included), ordered by name.
    pub async fn namespaces(&self) -> Result<Vec<Namespace>> {
        let sql =
            "SELECT name, team, managed, created_at, deleted_at FROM namespaces ORDER BY name";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Every self-service request, ordered by source and id.
    pub async fn requests(&self) -> Result<Vec<SelfServiceRequest>> {
        let sql = "SELECT source, external_id, team, kind, status, human_intervention, created_at, finished_at \
                   FROM self_service_requests ORDER BY source, external_id";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
