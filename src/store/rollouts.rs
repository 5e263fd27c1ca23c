//! Rollouts (`rollouts`): derived from a service's deployments and shipped changes by
//! [`crate::delivery::rollouts::derive`], rewritten for every service whose deployments or changes a batch
//! touched, in that batch's transaction. Read back as facts: deployment frequency counts them,
//! and the change failure rate reads the rollbacks.

use std::collections::HashMap;

use super::{with_pool, Owned, Result, Store, OWNER_JOIN, OWNER_TEAM};
use crate::model::{Deployment, Rollout};

/// Services refreshed per statement (each is one bound parameter).
pub(super) const SERVICES_PER_QUERY: usize = 500;

/// A query builder holding `$sql` (which ends in `IN (`), then the list of `$services` (a
/// `&[String]`) and `)`.
macro_rules! services_in {
    ($sql:expr, $services:expr) => {{
        let mut q = sqlx::QueryBuilder::new($sql);
        let mut list = q.separated(", ");
        for s in $services {
            list.push_bind(s.clone());
        }
        q.push(")");
        q
    }};
}
pub(super) use services_in;

/// Replaces, inside the transaction `$tx`, the rows of the derived table `$table` (`rollouts`,
/// `changes`) of the services `$services` by `$derived`. The one tail of every derivation.
macro_rules! replace_derived {
    ($tx:expr, $table:literal, $services:expr, $derived:expr) => {{
        let sql = concat!("DELETE FROM ", $table, " WHERE service IN (");
        $crate::store::rollouts::services_in!(sql, $services)
            .build()
            .execute(&mut *$tx)
            .await?;
        $crate::store::insert::upsert(&mut $tx, &$derived, 0).await?;
    }};
}
pub(super) use replace_derived;

/// Rewrites the rollouts of `$services` (a `&[String]`) inside the transaction `$tx`, from the
/// deployments and changes it can see. Used by every writer of deployments.
macro_rules! refresh_rollouts {
    ($tx:expr, $services:expr) => {{
        for chunk in $services.chunks($crate::store::rollouts::SERVICES_PER_QUERY) {
            let deployments: Vec<$crate::model::Deployment> =
                $crate::store::rollouts::services_in!(
                    "SELECT source, external_id, repo, service, sha, environment, finished_at \
                 FROM deployments WHERE service IN (",
                    chunk
                )
                .build_query_as()
                .fetch_all(&mut *$tx)
                .await?;
            let shipped: Vec<(String, String, i64)> = $crate::store::rollouts::services_in!(
                "SELECT service, sha, deployed_at FROM deployment_changes WHERE service IN (",
                chunk
            )
            .build_query_as()
            .fetch_all(&mut *$tx)
            .await?;
            let derived = $crate::store::rollouts::derive_all(deployments, shipped);
            $crate::store::rollouts::replace_derived!($tx, "rollouts", chunk, derived);
        }
    }};
}
pub(super) use refresh_rollouts;

/// The rollouts of every service in `deployments`, from the changes `shipped` (`service, sha,
/// deployed_at`).
pub(super) fn derive_all(
    deployments: Vec<Deployment>,
    shipped: Vec<(String, String, i64)>,
) -> Vec<Rollout> {
    let mut by_service: HashMap<String, Vec<Deployment>> = HashMap::new();
    for d in deployments {
        by_service.entry(d.service.clone()).or_default().push(d);
    }
    let mut changes: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for (service, sha, at) in shipped {
        changes.entry(service).or_default().insert(sha, at);
    }
    let empty = HashMap::new();
    let mut services: Vec<&String> = by_service.keys().collect();
    services.sort();
    services
        .into_iter()
        .flat_map(|s| {
            crate::delivery::rollouts::derive(&by_service[s], changes.get(s).unwrap_or(&empty))
        })
        .collect()
}

impl Store {
    /// Rollouts and rollbacks that went live in `[start, end)`, oldest first, each with its
    /// service's team (the service's own, else its repository's; `None` while unknown).
    pub async fn rollouts_between(
        &self,
        start: i64,
        end: i64,
    ) -> Result<Vec<(Option<String>, Rollout)>> {
        let sql = format!(
            "SELECT f.service, f.repo, f.sha, f.kind, f.finished_at, f.source, f.external_id, \
             f.previous_sha, {OWNER_TEAM} AS owner_team FROM rollouts f {OWNER_JOIN} \
             WHERE f.finished_at >= $1 AND f.finished_at < $2 \
             ORDER BY f.finished_at, f.service, f.sha"
        );
        let rows: Vec<Owned<Rollout>> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(start).bind(end).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Owned::pair).collect())
    }

    /// Derives the rollouts of every service again (after the migration that introduced them,
    /// or a bulk load).
    pub async fn refresh_all_rollouts(&self) -> Result<()> {
        with_pool!(self, pool => {
            let services: Vec<(String,)> =
                sqlx::query_as("SELECT DISTINCT service FROM deployments ORDER BY service")
                    .fetch_all(pool)
                    .await?;
            let services: Vec<String> = services.into_iter().map(|(s,)| s).collect();
            let mut tx = pool.begin().await?;
            refresh_rollouts!(tx, services);
            tx.commit().await?;
        });
        Ok(())
    }
}
