//! Writing facts: one [`FactBatch`] is written in one transaction, with upserts on natural keys.
//!
//! Collectors and the demo gather what they learned into a batch (cursors included) and write it
//! at once: a failure writes nothing, a repeat writes nothing new.

use std::collections::HashSet;

use super::access::DELIVERY_MEMORY_SECS;
use super::changes::{refresh_changes, services_of_pulls};
use super::insert::{upsert, Columns};
use super::rollouts::refresh_rollouts;
use super::upserts::Push;
use super::{now, with_pool, Result, Store, CHUNK};
use crate::model::{
    Commit, CommitPull, CommitRevert, Cursor, Delivery, Deployment, DeploymentChange, Developer,
    Incident, Namespace, Repository, SelfServiceRequest, Service, Team,
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
    /// Commits shipped to services: a commit keeps its earliest deployment.
    pub changes: Vec<DeploymentChange>,
    /// What GitHub said of deployed commits' pull requests (a pending one is to be asked).
    pub pulls: Vec<CommitPull>,
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
    /// The webhook delivery that brought these facts: when it was written before (a
    /// redelivery), the batch writes nothing.
    pub delivery: Option<Delivery>,
}

impl FactBatch {
    /// The services whose rollouts and changes the batch's deployments and shipped commits
    /// can move, sorted, each once.
    pub(crate) fn touched_services(&self) -> Vec<String> {
        let mut touched: Vec<String> = self
            .deployments
            .iter()
            .map(|d| d.service.clone())
            .chain(self.changes.iter().map(|c| c.service.clone()))
            .collect();
        touched.sort();
        touched.dedup();
        touched
    }

    /// Number of facts in the batch (cursors not counted).
    pub fn len(&self) -> usize {
        self.teams.len()
            + self.developers.len()
            + self.repositories.len()
            + self.services.len()
            + self.commits.len()
            + self.deployments.len()
            + self.changes.len()
            + self.pulls.len()
            + self.requests.len()
            + self.namespaces.len()
            + self.incidents.len()
            + self.reverts.len()
    }

    /// The time of the earliest dated fact of the batch (a commit, deployment, shipped commit or
    /// its pull request,
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
            .chain(self.pulls.iter().map(|p| p.shipped_at))
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

    /// True when the batch holds no fact, no cursor and no delivery.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.cursors.is_empty() && self.delivery.is_none()
    }
}

/// Where a [`FactBatch`] goes: the store itself (a one-off `dxs collect`, a test), or the served
/// application, which also tells its pipeline what changed (`crate::app::App`).
pub trait Record: Send + Sync {
    /// The store behind, for what is no fact (cursors read, runs, ETags).
    fn store(&self) -> &Store;
    /// Writes `batch` in one transaction; returns the rows inserted or changed.
    fn record<'a>(&'a self, batch: &'a FactBatch) -> BoxFuture<'a, Result<u64>>;
}

/// A boxed future, as a `dyn` [`Record`] returns.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl Record for Store {
    fn store(&self) -> &Store {
        self
    }
    fn record<'a>(&'a self, batch: &'a FactBatch) -> BoxFuture<'a, Result<u64>> {
        Box::pin(self.write_batch(batch))
    }
}

impl<R: Record + ?Sized> Record for std::sync::Arc<R> {
    fn store(&self) -> &Store {
        (**self).store()
    }
    fn record<'a>(&'a self, batch: &'a FactBatch) -> BoxFuture<'a, Result<u64>> {
        (**self).record(batch)
    }
}

/// What the batches of a transaction leave to derive once, at its end: the services whose
/// rollouts and changes are to be derived again, and the pull requests whose services' changes
/// are. Derived rows depend on the facts alone, so one derivation after the last batch equals
/// one after each, and a group of many small batches (webhooks) derives each service once.
#[derive(Default)]
struct ToDerive {
    rollouts: Vec<String>,
    changes: Vec<String>,
    pulls: Vec<CommitPull>,
}

/// Stores the deliveries of `$batches` (a `&[&FactBatch]`) inside `$tx` at time `$at`, in one
/// statement, and forgets those older than [`DELIVERY_MEMORY_SECS`]; evaluates to whether each
/// batch is new: one without a delivery always is, one whose delivery was stored before (or
/// comes twice in the group: the first counts) is not.
macro_rules! claim_deliveries {
    ($tx:ident, $batches:expr, $at:expr) => {{
        let (batches, at): (&[&FactBatch], i64) = ($batches, $at);
        let deliveries: Vec<&Delivery> =
            batches.iter().filter_map(|b| b.delivery.as_ref()).collect();
        let mut stored: HashSet<(String, String)> = HashSet::new();
        if !deliveries.is_empty() {
            let sweep = "DELETE FROM webhook_deliveries WHERE seen_at < $1";
            sqlx::query(sweep)
                .bind(at - DELIVERY_MEMORY_SECS)
                .execute(&mut *$tx)
                .await?;
            for chunk in deliveries.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO {} ", Delivery::INTO));
                q.push_values(chunk, |mut b, d| {
                    b.push_bind(d.source.as_str())
                        .push_bind(d.id.as_str())
                        .push_bind(at);
                });
                q.push(" ");
                q.push(Delivery::ON_CONFLICT);
                q.push(" RETURNING source, delivery_id");
                let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *$tx).await?;
                stored.extend(rows);
            }
        }
        batches
            .iter()
            .map(|b| match &b.delivery {
                None => true,
                Some(d) => stored.remove(&(d.source.clone(), d.id.clone())),
            })
            .collect::<Vec<bool>>()
    }};
}

/// Writes `$batch` inside the transaction `$tx` at time `$at`, leaving what it moves to derive
/// in `$derive` (a [`ToDerive`]); evaluates to the rows inserted or changed (cursors and pushes
/// not counted).
macro_rules! write_in {
    ($tx:ident, $batch:expr, $at:expr, $derive:expr) => {{
        let (batch, at, derive): (&FactBatch, i64, &mut ToDerive) = ($batch, $at, $derive);
        let pushes = Push::of(&batch.repositories);
        let mut rows = upsert(&mut $tx, &batch.teams, at).await?
            + upsert(&mut $tx, &batch.developers, at).await?
            + upsert(&mut $tx, &batch.repositories, at).await?
            + upsert(&mut $tx, &batch.services, at).await?
            + upsert(&mut $tx, &batch.commits, at).await?;
        // Each push is a fact of its own time too (not counted: its repository's row is).
        upsert(&mut $tx, &pushes, at).await?;
        let delivery = upsert(&mut $tx, &batch.deployments, at).await?
            + upsert(&mut $tx, &batch.changes, at).await?;
        let pulls = upsert(&mut $tx, &batch.pulls, at).await?;
        if delivery + pulls > 0 {
            let touched = batch.touched_services();
            if delivery > 0 {
                derive.rollouts.extend(touched.iter().cloned());
            }
            derive.changes.extend(touched);
        }
        if pulls > 0 {
            derive.pulls.extend(batch.pulls.iter().cloned());
        }
        rows += delivery
            + pulls
            + upsert(&mut $tx, &batch.requests, at).await?
            + upsert(&mut $tx, &batch.namespaces, at).await?
            + upsert(&mut $tx, &batch.incidents, at).await?
            + upsert(&mut $tx, &batch.reverts, at).await?;
        upsert(&mut $tx, &batch.cursors, at).await?;
        rows
    }};
}

/// Derives inside `$tx` what `$derive` (a [`ToDerive`]) names: the rollouts of its services,
/// then the changes of its services and of those its pull requests' commits were shipped to.
macro_rules! derive_in {
    ($tx:ident, $derive:expr) => {{
        let ToDerive {
            mut rollouts,
            mut changes,
            pulls,
        } = $derive;
        rollouts.sort();
        rollouts.dedup();
        refresh_rollouts!($tx, rollouts);
        if !pulls.is_empty() {
            changes.extend(services_of_pulls!($tx, pulls));
        }
        changes.sort();
        changes.dedup();
        refresh_changes!($tx, changes);
    }};
}

impl Store {
    /// Writes the whole batch in one transaction. Returns the number of rows inserted or changed.
    /// The rollouts of every service whose deployments or shipped commits changed, and the
    /// changes of every service whose shipped commits or their pull requests changed, are
    /// derived again in the same transaction. A batch whose delivery is stored already writes
    /// nothing.
    pub async fn write_batch(&self, batch: &FactBatch) -> Result<u64> {
        Ok(self.write_batches(&[batch]).await?[0])
    }

    /// Writes `batches` in one transaction (a group commit), each in turn as
    /// [`Store::write_batch`] would: a later one sees the earlier ones, so the same id twice is
    /// an update, and the same delivery twice writes once. Their deliveries are stored in one
    /// statement and what they move is derived once, after the last. Returns the rows each one
    /// inserted or changed. A failure writes none of them.
    pub async fn write_batches(&self, batches: &[&FactBatch]) -> Result<Vec<u64>> {
        let at = now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let new = claim_deliveries!(tx, batches, at);
            let mut derive = ToDerive::default();
            let mut rows = Vec::with_capacity(batches.len());
            for (batch, new) in batches.iter().zip(new) {
                rows.push(if new { write_in!(tx, batch, at, &mut derive) } else { 0 });
            }
            derive_in!(tx, derive);
            tx.commit().await?;
            Ok(rows)
        })
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
