//! Writing facts: one [`FactBatch`] is written in one transaction, with upserts on natural keys.
//!
//! Collectors and the demo gather what they learned into a batch (cursors included) and write it
//! at once: a failure writes nothing, a repeat writes nothing new.

use sqlx::QueryBuilder;

use super::rollouts::refresh_rollouts;
use super::services::CONFIG_SOURCE;
use super::{now, with_pool, Result, Store, CHUNK};
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
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut rows = 0;
            let mut delivery = 0;
            for chunk in batch.teams.chunks(CHUNK) {
                let mut q = QueryBuilder::new("INSERT INTO teams (name, source, updated_at) ");
                q.push_values(chunk, |mut b, t| {
                    b.push_bind(t.name.clone()).push_bind(t.source.clone()).push_bind(at);
                });
                q.push(" ON CONFLICT (name) DO NOTHING");
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in batch.developers.chunks(CHUNK) {
                let mut q = QueryBuilder::new("INSERT INTO developers (login, team, start_at, email, updated_at) ");
                q.push_values(chunk, |mut b, d| {
                    b.push_bind(d.login.clone())
                        .push_bind(d.team.clone())
                        .push_bind(d.start_at)
                        .push_bind(d.email.clone())
                        .push_bind(at);
                });
                // An empty team (the roster gave none) keeps the one GitHub membership gave.
                q.push(
                    " ON CONFLICT (login) DO UPDATE SET \
                     team = CASE WHEN excluded.team = '' THEN developers.team ELSE excluded.team END, \
                     start_at = excluded.start_at, email = excluded.email, updated_at = excluded.updated_at \
                     WHERE (excluded.team <> '' AND developers.team <> excluded.team) \
                     OR developers.start_at <> excluded.start_at \
                     OR developers.email IS DISTINCT FROM excluded.email",
                );
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in batch.repositories.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO repositories (slug, team, team_source, archived, pushed_at, updated_at) ",
                );
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.slug.clone())
                        .push_bind(r.team.clone())
                        .push_bind(r.team_source.clone())
                        .push_bind(r.archived)
                        .push_bind(r.pushed_at)
                        .push_bind(at);
                });
                q.push(
                    " ON CONFLICT (slug) DO UPDATE SET \
                     team = COALESCE(excluded.team, repositories.team), \
                     team_source = CASE WHEN excluded.team IS NULL THEN repositories.team_source ELSE excluded.team_source END, \
                     archived = excluded.archived, \
                     pushed_at = COALESCE(excluded.pushed_at, repositories.pushed_at), \
                     updated_at = excluded.updated_at \
                     WHERE (excluded.team IS NOT NULL AND (repositories.team IS DISTINCT FROM excluded.team \
                     OR repositories.team_source IS DISTINCT FROM excluded.team_source)) \
                     OR repositories.archived <> excluded.archived \
                     OR (excluded.pushed_at IS NOT NULL AND repositories.pushed_at IS DISTINCT FROM excluded.pushed_at)",
                );
                rows += q.build().execute(&mut *tx).await?.rows_affected();
                // Each push is also kept as a fact of its own time (not counted: the repository
                // row above already counts the change).
                let pushes: Vec<(&str, i64)> = chunk
                    .iter()
                    .filter_map(|r| Some((r.slug.as_str(), r.pushed_at?)))
                    .collect();
                if !pushes.is_empty() {
                    let mut q = QueryBuilder::new("INSERT INTO repository_pushes (repo, pushed_at) ");
                    q.push_values(pushes, |mut b, (repo, at)| {
                        b.push_bind(repo.to_string()).push_bind(at);
                    });
                    q.push(" ON CONFLICT (repo, pushed_at) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
            }
            for chunk in batch.services.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO services (name, repo, path, team, source, updated_at) ",
                );
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(s.name.clone())
                        .push_bind(s.repo.clone())
                        .push_bind(s.path.clone())
                        .push_bind(s.team.clone())
                        .push_bind(s.source.clone())
                        .push_bind(at);
                });
                q.push(" ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, path = excluded.path, \
                     team = excluded.team, source = excluded.source, updated_at = excluded.updated_at \
                     WHERE services.source <> ");
                q.push_bind(CONFIG_SOURCE);
                q.push(" AND (services.repo <> excluded.repo OR services.path <> excluded.path \
                     OR services.team IS DISTINCT FROM excluded.team OR services.source <> excluded.source)");
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in batch.commits.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO commits (repo, sha, author_login, authored_at, committed_at, is_bot) ",
                );
                q.push_values(chunk, |mut b, c| {
                    b.push_bind(c.repo.clone())
                        .push_bind(c.sha.clone())
                        .push_bind(c.author_login.clone())
                        .push_bind(c.authored_at)
                        .push_bind(c.committed_at)
                        .push_bind(c.is_bot);
                });
                q.push(" ON CONFLICT (repo, sha) DO NOTHING");
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in batch.deployments.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO deployments (source, external_id, repo, service, sha, environment, finished_at) ",
                );
                q.push_values(chunk, |mut b, d| {
                    b.push_bind(d.source.clone())
                        .push_bind(d.external_id.clone())
                        .push_bind(d.repo.clone())
                        .push_bind(d.service.clone())
                        .push_bind(d.sha.clone())
                        .push_bind(d.environment.clone())
                        .push_bind(d.finished_at);
                });
                q.push(" ON CONFLICT (source, external_id) DO NOTHING");
                delivery += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in batch.changes.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO deployment_changes \
                     (service, repo, sha, deployment_source, deployment_id, committed_at, deployed_at, lead_time_seconds) ",
                );
                q.push_values(chunk, |mut b, c| {
                    b.push_bind(c.service.clone())
                        .push_bind(c.repo.clone())
                        .push_bind(c.sha.clone())
                        .push_bind(c.deployment_source.clone())
                        .push_bind(c.deployment_id.clone())
                        .push_bind(c.committed_at)
                        .push_bind(c.deployed_at)
                        .push_bind(c.lead_time_seconds());
                });
                // A commit counts once per service, at the first deployment that contains it,
                // whatever order the sources report deployments in.
                q.push(
                    " ON CONFLICT (service, sha) DO UPDATE SET deployment_source = excluded.deployment_source, \
                     deployment_id = excluded.deployment_id, deployed_at = excluded.deployed_at, \
                     lead_time_seconds = excluded.lead_time_seconds \
                     WHERE excluded.deployed_at < deployment_changes.deployed_at",
                );
                delivery += q.build().execute(&mut *tx).await?.rows_affected();
            }
            if delivery > 0 {
                refresh_rollouts!(tx, touched);
            }
            rows += delivery;
            for chunk in batch.requests.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO self_service_requests \
                     (source, external_id, team, kind, status, human_intervention, created_at, finished_at) ",
                );
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.source.clone())
                        .push_bind(r.external_id.clone())
                        .push_bind(r.team.clone())
                        .push_bind(r.kind.clone())
                        .push_bind(r.status.as_str())
                        .push_bind(r.human_intervention)
                        .push_bind(r.created_at)
                        .push_bind(r.finished_at);
                });
                // A finished request never goes back to `running` (an old event replayed).
                q.push(
                    " ON CONFLICT (source, external_id) DO UPDATE SET team = excluded.team, kind = excluded.kind, \
                     status = excluded.status, human_intervention = excluded.human_intervention, \
                     finished_at = excluded.finished_at \
                     WHERE (self_service_requests.status <> excluded.status \
                     OR self_service_requests.human_intervention <> excluded.human_intervention \
                     OR self_service_requests.finished_at IS DISTINCT FROM excluded.finished_at) \
                     AND (self_service_requests.status = 'running' OR excluded.status <> 'running')",
                );
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in batch.namespaces.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO namespaces (name, team, managed, created_at, deleted_at, updated_at) ",
                );
                q.push_values(chunk, |mut b, n| {
                    b.push_bind(n.name.clone())
                        .push_bind(n.team.clone())
                        .push_bind(n.managed)
                        .push_bind(n.created_at)
                        .push_bind(n.deleted_at)
                        .push_bind(at);
                });
                q.push(
                    " ON CONFLICT (name) DO UPDATE SET team = excluded.team, managed = excluded.managed, \
                     created_at = excluded.created_at, deleted_at = excluded.deleted_at, updated_at = excluded.updated_at \
                     WHERE namespaces.team IS DISTINCT FROM excluded.team OR namespaces.managed <> excluded.managed \
                     OR namespaces.created_at <> excluded.created_at \
                     OR namespaces.deleted_at IS DISTINCT FROM excluded.deleted_at",
                );
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            super::incidents::upsert_incidents!(tx, batch.incidents, at, rows);
            for chunk in batch.reverts.chunks(CHUNK) {
                let mut q = QueryBuilder::new("INSERT INTO commit_reverts (repo, sha, reverted) ");
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.repo.clone()).push_bind(r.sha.clone()).push_bind(r.reverted.clone());
                });
                q.push(" ON CONFLICT (repo, sha, reverted) DO NOTHING");
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in batch.cursors.chunks(CHUNK) {
                let mut q = QueryBuilder::new("INSERT INTO collector_cursors (source, scope, value, updated_at) ");
                q.push_values(chunk, |mut b, c| {
                    b.push_bind(c.source.clone())
                        .push_bind(c.scope.clone())
                        .push_bind(c.value.clone())
                        .push_bind(at);
                });
                q.push(
                    " ON CONFLICT (source, scope) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                );
                q.build().execute(&mut *tx).await?;
            }
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
        type Row = (
            String,
            String,
            String,
            String,
            String,
            i64,
            i64,
            Option<String>,
        );
        let sql = "SELECT c.service, c.repo, c.sha, c.deployment_source, c.deployment_id, c.committed_at, \
                   c.deployed_at, COALESCE(s.team, r.team) \
                   FROM deployment_changes c LEFT JOIN services s ON s.name = c.service \
                   LEFT JOIN repositories r ON r.slug = c.repo \
                   WHERE c.deployed_at >= $1 AND c.deployed_at < $2 ORDER BY c.deployed_at, c.service, c.sha";
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql).bind(start).bind(end).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(
                    service,
                    repo,
                    sha,
                    deployment_source,
                    deployment_id,
                    committed_at,
                    deployed_at,
                    team,
                )| {
                    (
                        team,
                        DeploymentChange {
                            service,
                            repo,
                            sha,
                            deployment_source,
                            deployment_id,
                            committed_at,
                            deployed_at,
                        },
                    )
                },
            )
            .collect())
    }

    /// Every namespace ever seen (deleted ones included), ordered by name.
    pub async fn namespaces(&self) -> Result<Vec<Namespace>> {
        type Row = (String, Option<String>, bool, i64, Option<i64>);
        let sql =
            "SELECT name, team, managed, created_at, deleted_at FROM namespaces ORDER BY name";
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(name, team, managed, created_at, deleted_at)| Namespace {
                name,
                team,
                managed,
                created_at,
                deleted_at,
            })
            .collect())
    }

    /// Every self-service request, ordered by source and id.
    pub async fn requests(&self) -> Result<Vec<SelfServiceRequest>> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            bool,
            i64,
            Option<i64>,
        );
        let sql = "SELECT source, external_id, team, kind, status, human_intervention, created_at, finished_at \
                   FROM self_service_requests ORDER BY source, external_id";
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(
                    source,
                    external_id,
                    team,
                    kind,
                    status,
                    human_intervention,
                    created_at,
                    finished_at,
                )| {
                    SelfServiceRequest {
                        source,
                        external_id,
                        team,
                        kind,
                        status: crate::model::RequestStatus::parse(&status)
                            .unwrap_or(crate::model::RequestStatus::Running),
                        human_intervention,
                        created_at,
                        finished_at,
                    }
                },
            )
            .collect())
    }
}
