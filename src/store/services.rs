//! Path services (`services`): from `[[services]]` (rewritten at the start of each collection)
//! and the Backstage catalog (written with the catalog's facts).

use sqlx::QueryBuilder;

use super::{now, with_pool, Result, Store, CHUNK};
use crate::model::Service;

/// Source of the services from the configuration.
pub const CONFIG_SOURCE: &str = "config";

impl Store {
    /// Every known path service, by name.
    pub async fn services(&self) -> Result<Vec<Service>> {
        let sql = "SELECT name, repo, path, team, source FROM services ORDER BY name";
        let rows: Vec<(String, String, String, Option<String>, String)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(name, repo, path, team, source)| Service {
                name,
                repo,
                path,
                team,
                source,
            })
            .collect())
    }

    /// Makes the configured services those of `services`: new and changed ones written,
    /// configured ones no longer in the list removed. Returns the rows changed.
    pub async fn sync_config_services(&self, services: &[Service]) -> Result<u64> {
        let at = now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut q = QueryBuilder::new("DELETE FROM services WHERE source = ");
            q.push_bind(CONFIG_SOURCE);
            if !services.is_empty() {
                q.push(" AND name NOT IN (");
                let mut list = q.separated(", ");
                for s in services {
                    list.push_bind(s.name.clone());
                }
                q.push(")");
            }
            let mut rows = q.build().execute(&mut *tx).await?.rows_affected();
            for chunk in services.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO services (name, repo, path, team, source, updated_at) ",
                );
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(s.name.clone())
                        .push_bind(s.repo.clone())
                        .push_bind(s.path.clone())
                        .push_bind(s.team.clone())
                        .push_bind(CONFIG_SOURCE)
                        .push_bind(at);
                });
                q.push(
                    " ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, path = excluded.path, \
                     team = excluded.team, source = excluded.source, updated_at = excluded.updated_at \
                     WHERE services.repo <> excluded.repo OR services.path <> excluded.path \
                     OR services.team IS DISTINCT FROM excluded.team OR services.source <> excluded.source",
                );
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok(rows)
        })
    }
}
