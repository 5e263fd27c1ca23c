//! Incidents (`incidents`): upserted on `(source, external_id)` with the other facts of a batch
//! (the rule is in `upserts.rs`), and read back for the tests (scoring reads them with its
//! facts: [`super::failures`]).

use super::{with_pool, Result, Store};
use crate::model::Incident;

impl Store {
    /// The incident `external_id` of `source`, if stored.
    pub async fn incident(&self, source: &str, external_id: &str) -> Result<Option<Incident>> {
        let sql = "SELECT source, external_id, service, opened_at, resolved_at, severity \
                   FROM incidents WHERE source = $1 AND external_id = $2";
        Ok(with_pool!(self, pool =>
            sqlx::query_as(sql).bind(source).bind(external_id).fetch_optional(pool).await?))
    }

    /// Every incident, ordered by source and id.
    pub async fn incidents(&self) -> Result<Vec<Incident>> {
        let sql = "SELECT source, external_id, service, opened_at, resolved_at, severity \
                   FROM incidents ORDER BY source, external_id";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
