//! Changes (`changes`) and what GitHub said of each deployed commit (`commit_pulls`). Changes are
//! derived from the shipped commits (`deployment_changes`) and their pull requests by
//! [`crate::delivery::changes::derive`], rewritten for every service a batch's shipped commits or
//! pull requests touched, in that batch's transaction. Lead time reads them.

use super::{with_pool, Owned, Result, Store, OWNER_JOIN, OWNER_TEAM};
use crate::delivery::changes::Shipped;
use crate::model::{Change, CommitPull, PullState};

/// A shipped commit with what is known of it, as `refresh_changes!` reads it.
#[derive(sqlx::FromRow)]
pub(super) struct ShippedRow {
    service: String,
    repo: String,
    sha: String,
    deployment_source: String,
    deployment_id: String,
    deployed_at: i64,
    committed_at: i64,
    authored_at: Option<i64>,
    state: Option<String>,
    number: Option<i64>,
    started_at: Option<i64>,
}

impl ShippedRow {
    /// The row as the rule reads it.
    pub(super) fn shipped(self) -> Shipped {
        let pull = self
            .state
            .map(|state| pull_state(&state, self.number, self.started_at));
        Shipped {
            service: self.service,
            repo: self.repo,
            sha: self.sha,
            deployment: (self.deployment_source, self.deployment_id),
            deployed_at: self.deployed_at,
            committed_at: self.committed_at,
            authored_at: self.authored_at,
            pull,
        }
    }
}

/// Rewrites the changes of `$services` (a `&[String]`) inside the transaction `$tx`, from the
/// shipped commits and pull requests it can see.
macro_rules! refresh_changes {
    ($tx:expr, $services:expr) => {{
        for chunk in $services.chunks($crate::store::rollouts::SERVICES_PER_QUERY) {
            let rows: Vec<$crate::store::changes::ShippedRow> =
                $crate::store::rollouts::services_in!(
                    "SELECT d.service, d.repo, d.sha, d.deployment_source, d.deployment_id, \
                 d.deployed_at, d.committed_at, c.authored_at, p.state, p.number, p.started_at \
                 FROM deployment_changes d \
                 LEFT JOIN commits c ON c.repo = d.repo AND c.sha = d.sha \
                 LEFT JOIN commit_pulls p ON p.repo = d.repo AND p.sha = d.sha \
                 WHERE d.service IN (",
                    chunk
                )
                .build_query_as()
                .fetch_all(&mut *$tx)
                .await?;
            let shipped: Vec<_> = rows.into_iter().map(|r| r.shipped()).collect();
            let derived = $crate::delivery::changes::derive(&shipped);
            $crate::store::rollouts::replace_derived!($tx, "changes", chunk, derived);
        }
    }};
}
pub(super) use refresh_changes;

/// The services to which the commits of `pulls` were shipped, read inside the transaction
/// `$tx` (a `Vec<String>`, sorted, once each).
macro_rules! services_of_pulls {
    ($tx:expr, $pulls:expr) => {{
        let mut services: Vec<String> = Vec::new();
        for chunk in $pulls.chunks($crate::store::rollouts::SERVICES_PER_QUERY) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT service, repo, sha FROM deployment_changes WHERE sha IN (",
            );
            let mut list = q.separated(", ");
            for p in chunk {
                list.push_bind(p.sha.clone());
            }
            q.push(")");
            let rows: Vec<(String, String, String)> =
                q.build_query_as().fetch_all(&mut *$tx).await?;
            services.extend(
                rows.into_iter()
                    .filter(|(_, repo, sha)| chunk.iter().any(|p| &p.repo == repo && &p.sha == sha))
                    .map(|(service, _, _)| service),
            );
        }
        services.sort();
        services.dedup();
        services
    }};
}
pub(super) use services_of_pulls;

/// A commit whose pull request is still to be asked.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingPull {
    /// `owner/name` of the repository.
    pub repo: String,
    /// The commit.
    pub sha: String,
    /// When it first shipped.
    pub shipped_at: i64,
}

impl Store {
    /// The changes deployed in `[start, end)`, each with its service's team (the service's own,
    /// else its repository's; `None` while the owner is unknown).
    pub async fn changes_deployed_between(
        &self,
        start: i64,
        end: i64,
    ) -> Result<Vec<(Option<String>, Change)>> {
        let sql = format!(
            "SELECT f.service, f.repo, f.change_id, f.started_at, f.deployment_source, \
             f.deployment_id, f.deployed_at, f.commits, {OWNER_TEAM} AS owner_team \
             FROM changes f {OWNER_JOIN} \
             WHERE f.deployed_at >= $1 AND f.deployed_at < $2 \
             ORDER BY f.deployed_at, f.service, f.change_id"
        );
        let rows: Vec<Owned<Change>> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(start).bind(end).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Owned::pair).collect())
    }

    /// Every deployed commit whose pull request is still to be asked (never asked, or its last
    /// lookup failed), by repository.
    pub async fn pending_pulls(&self) -> Result<Vec<PendingPull>> {
        let sql = "SELECT p.repo, p.sha, COALESCE(MIN(d.deployed_at), 0) AS shipped_at \
                   FROM commit_pulls p \
                   LEFT JOIN deployment_changes d ON d.repo = p.repo AND d.sha = p.sha \
                   WHERE p.state = 'pending' GROUP BY p.repo, p.sha ORDER BY p.repo, p.sha";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// What was learned of `repo`'s commit `sha`: `None` when nothing was ever asked.
    pub async fn commit_pull(&self, repo: &str, sha: &str) -> Result<Option<PullState>> {
        let sql = "SELECT state, number, started_at FROM commit_pulls WHERE repo = $1 AND sha = $2";
        let row: Option<(String, Option<i64>, Option<i64>)> = with_pool!(self, pool =>
            sqlx::query_as(sql).bind(repo).bind(sha).fetch_optional(pool).await?);
        Ok(row.map(|(state, number, started_at)| pull_state(&state, number, started_at)))
    }
}

/// A stored state; one it does not know (or a pull request without its number and start)
/// counts as pending: no change from a guess.
fn pull_state(state: &str, number: Option<i64>, started_at: Option<i64>) -> PullState {
    match (state, number, started_at) {
        ("direct", _, _) => PullState::Direct,
        ("pull", Some(number), Some(started_at)) => PullState::Pull { number, started_at },
        _ => PullState::Pending,
    }
}

/// `pending`, `direct` or `pull`, as stored.
pub(super) fn state_name(state: PullState) -> &'static str {
    match state {
        PullState::Pending => "pending",
        PullState::Direct => "direct",
        PullState::Pull { .. } => "pull",
    }
}

impl CommitPull {
    /// The pull request's number and start, when the commit has one.
    pub(super) fn pull(&self) -> (Option<i64>, Option<i64>) {
        match self.state {
            PullState::Pull { number, started_at } => (Some(number), Some(started_at)),
            _ => (None, None),
        }
    }
}
