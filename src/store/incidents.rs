//! Incidents (`incidents`): upserted on `(source, external_id)` with the other facts of a batch,
//! and read back for scoring and the tests.

use super::{with_pool, Result, Store};
use crate::model::{Incident, Rollout, Service};

/// Upserts `$incidents` (a `&[Incident]`) inside the transaction `$tx` at time `$at`, adding
/// the rows inserted or changed to `$rows`. The same id again updates the incident; an
/// unchanged one writes nothing. A webhook incident, once resolved, stays resolved when an
/// older event without `resolved_at` arrives late (relays deliver out of order); a GitHub
/// issue is read whole each time, so a reopened issue is open again.
macro_rules! upsert_incidents {
    ($tx:expr, $incidents:expr, $at:expr, $rows:ident) => {{
        for chunk in $incidents.chunks($crate::store::CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO incidents \
                 (source, external_id, service, opened_at, resolved_at, severity, updated_at) ",
            );
            q.push_values(chunk, |mut b, i: &$crate::model::Incident| {
                b.push_bind(i.source.clone())
                    .push_bind(i.external_id.clone())
                    .push_bind(i.service.clone())
                    .push_bind(i.opened_at)
                    .push_bind(i.resolved_at)
                    .push_bind(i.severity.clone())
                    .push_bind($at);
            });
            q.push(
                " ON CONFLICT (source, external_id) DO UPDATE SET service = excluded.service, \
                 opened_at = excluded.opened_at, \
                 resolved_at = CASE WHEN excluded.source = 'github' THEN excluded.resolved_at \
                 ELSE COALESCE(excluded.resolved_at, incidents.resolved_at) END, \
                 severity = excluded.severity, updated_at = excluded.updated_at \
                 WHERE incidents.service <> excluded.service \
                 OR incidents.opened_at <> excluded.opened_at \
                 OR incidents.severity IS DISTINCT FROM excluded.severity \
                 OR (excluded.resolved_at IS NOT NULL \
                     AND incidents.resolved_at IS DISTINCT FROM excluded.resolved_at) \
                 OR (excluded.source = 'github' AND excluded.resolved_at IS NULL \
                     AND incidents.resolved_at IS NOT NULL)",
            );
            $rows += q.build().execute(&mut *$tx).await?.rows_affected();
        }
    }};
}
pub(super) use upsert_incidents;

type Row = (String, String, String, i64, Option<i64>, Option<String>);

fn incident((source, external_id, service, opened_at, resolved_at, severity): Row) -> Incident {
    Incident {
        source,
        external_id,
        service,
        opened_at,
        resolved_at,
        severity,
    }
}

impl Store {
    /// Every incident, ordered by source and id.
    pub async fn incidents(&self) -> Result<Vec<Incident>> {
        let sql = "SELECT source, external_id, service, opened_at, resolved_at, severity \
                   FROM incidents ORDER BY source, external_id";
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(incident).collect())
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
        let (incidents, shipped, reverts, repositories): (Vec<Row>, _, _, _) = with_pool!(self, pool => (
            sqlx::query_as(incidents).bind(start).fetch_all(pool).await?,
            sqlx::query_as(shipped).bind(start).fetch_all(pool).await?,
            sqlx::query_as(reverts).bind(start).fetch_all(pool).await?,
            sqlx::query_as(repositories).fetch_all(pool).await?,
        ));
        Ok(StabilityFacts {
            rollouts: self.rollouts_between(start, i64::MAX).await?,
            incidents: incidents.into_iter().map(incident).collect(),
            shipped,
            reverts,
            services: self.services().await?,
            repositories,
        })
    }
}
