//! Path services (`services`): from `[[services]]` (rewritten at the start of each collection)
//! and the Backstage catalog (written with the catalog's facts).

use sqlx::QueryBuilder;

use super::insert::{upsert, Columns, Value};
use super::{now, with_pool, Result, Store};
use crate::model::Service;

/// Source of the services from the configuration.
pub const CONFIG_SOURCE: &str = "config";

impl Store {
    /// Every known path service, by name.
    pub async fn services(&self) -> Result<Vec<Service>> {
        let sql = "SELECT name, repo, path, team, source FROM services ORDER BY name";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Makes the configured services those of `services`: new and changed ones written,
    /// configured ones no longer in the list removed. Returns the rows changed.
    pub async fn sync_config_services(&self, services: &[Service]) -> Result<u64> {
        let at = now();
        let configured: Vec<Configured> = services.iter().map(Configured).collect();
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
            let rows = q.build().execute(&mut *tx).await?.rows_affected()
                + upsert(&mut tx, &configured, at).await?;
            tx.commit().await?;
            Ok(rows)
        })
    }
}

/// A service of `[[services]]`: written with the configuration's source, over any other.
struct Configured<'a>(&'a Service);

impl Columns for Configured<'_> {
    const INTO: &'static str = Service::INTO;
    const ON_CONFLICT: &'static str = "ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, \
        path = excluded.path, team = excluded.team, source = excluded.source, \
        updated_at = excluded.updated_at \
        WHERE services.repo <> excluded.repo OR services.path <> excluded.path \
        OR services.team IS DISTINCT FROM excluded.team OR services.source <> excluded.source";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        let s = self.0;
        [
            (&s.name).into(),
            (&s.repo).into(),
            (&s.path).into(),
            (&s.team).into(),
            CONFIG_SOURCE.into(),
            at.into(),
        ]
    }
}
