//! Rollouts (`rollouts`): derived from a service's deployments and shipped changes by
//! [`crate::delivery::rollouts::derive`], rewritten for every service whose deployments or changes a batch
//! touched, in that batch's transaction. Read back as facts: deployment frequency counts them,
//! and the change failure rate reads the rollbacks.

use std::collections::HashMap;

use super::{with_pool, Result, Store};
use crate::model::{Deployment, Rollout, RolloutKind};

/// Services refreshed per statement (each is one bound parameter).
pub(super) const SERVICES_PER_QUERY: usize = 500;

/// Rewrites the rollouts of `$services` (a `&[String]`) inside the transaction `$tx`, from the
/// deployments and changes it can see. Used by every writer of deployments.
macro_rules! refresh_rollouts {
    ($tx:expr, $services:expr) => {{
        for chunk in $services.chunks($crate::store::rollouts::SERVICES_PER_QUERY) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT source, external_id, repo, service, sha, environment, finished_at \
                 FROM deployments WHERE service IN (",
            );
            let mut list = q.separated(", ");
            for s in chunk {
                list.push_bind(s.clone());
            }
            q.push(")");
            let deployments: Vec<(String, String, String, String, String, String, i64)> =
                q.build_query_as().fetch_all(&mut *$tx).await?;
            let mut q = sqlx::QueryBuilder::new(
                "SELECT service, sha, deployed_at FROM deployment_changes WHERE service IN (",
            );
            let mut list = q.separated(", ");
            for s in chunk {
                list.push_bind(s.clone());
            }
            q.push(")");
            let shipped: Vec<(String, String, i64)> =
                q.build_query_as().fetch_all(&mut *$tx).await?;
            let derived = $crate::store::rollouts::derive_all(deployments, shipped);
            let mut q = sqlx::QueryBuilder::new("DELETE FROM rollouts WHERE service IN (");
            let mut list = q.separated(", ");
            for s in chunk {
                list.push_bind(s.clone());
            }
            q.push(")");
            q.build().execute(&mut *$tx).await?;
            for rows in derived.chunks($crate::store::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO rollouts \
                     (service, repo, sha, kind, finished_at, source, external_id, previous_sha) ",
                );
                q.push_values(rows, |mut b, r| {
                    b.push_bind(r.service.clone())
                        .push_bind(r.repo.clone())
                        .push_bind(r.sha.clone())
                        .push_bind(r.kind.as_str())
                        .push_bind(r.finished_at)
                        .push_bind(r.source.clone())
                        .push_bind(r.external_id.clone())
                        .push_bind(r.previous_sha.clone());
                });
                q.build().execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(super) use refresh_rollouts;

/// The rollouts of every service in `deployments` (rows as read by `refresh_rollouts!`), from
/// the changes `shipped` (`service, sha, deployed_at`).
pub(super) fn derive_all(
    deployments: Vec<(String, String, String, String, String, String, i64)>,
    shipped: Vec<(String, String, i64)>,
) -> Vec<Rollout> {
    let mut by_service: HashMap<String, Vec<Deployment>> = HashMap::new();
    for (source, external_id, repo, service, sha, environment, finished_at) in deployments {
        by_service
            .entry(service.clone())
            .or_default()
            .push(Deployment {
                source,
                external_id,
                repo,
                service,
                sha,
                environment,
                finished_at,
            });
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
        type Row = (
            String,
            String,
            String,
            String,
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
        );
        let sql =
            "SELECT o.service, o.repo, o.sha, o.kind, o.finished_at, o.source, o.external_id, \
                   o.previous_sha, COALESCE(s.team, r.team) FROM rollouts o \
                   LEFT JOIN services s ON s.name = o.service \
                   LEFT JOIN repositories r ON r.slug = o.repo \
                   WHERE o.finished_at >= $1 AND o.finished_at < $2 \
                   ORDER BY o.finished_at, o.service, o.sha";
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(start).bind(end).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(
                    service,
                    repo,
                    sha,
                    kind,
                    finished_at,
                    source,
                    external_id,
                    previous_sha,
                    team,
                )| {
                    let kind = RolloutKind::parse(&kind).unwrap_or(RolloutKind::Rollout);
                    (
                        team,
                        Rollout {
                            service,
                            repo,
                            sha,
                            kind,
                            finished_at,
                            source,
                            external_id,
                            previous_sha,
                        },
                    )
                },
            )
            .collect())
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
