//! What the collectors ask of the store besides facts: stored ETags (`http_etags`), the previous
//! deployment of a repository, and the PostgreSQL advisory lock that elects the one replica that
//! collects.

use sqlx::QueryBuilder;

use super::{now, with_pool, Pool, Result, Store, CHUNK};

/// Key of the advisory lock held while collecting ("dxs-collect" as a number).
const COLLECT_LOCK_KEY: i64 = 0x6478_735f_636f_6c6c;

/// Held by the one process that collects; dropping or [`CollectorLock::release`] frees it.
pub struct CollectorLock {
    /// The PostgreSQL session holding the lock (none on SQLite, where one process collects).
    conn: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
}

impl CollectorLock {
    /// Frees the lock by closing its session.
    pub async fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = sqlx::Connection::close(conn.detach()).await;
        }
    }
}

impl Drop for CollectorLock {
    fn drop(&mut self) {
        // A detached connection is closed when dropped, and PostgreSQL frees a session's
        // advisory locks when the session ends: the lock never leaks back into the pool.
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}

impl Store {
    /// The stored ETag of `url`, if any.
    pub async fn etag(&self, url: &str) -> Result<Option<String>> {
        let sql = "SELECT etag FROM http_etags WHERE url = $1";
        let row: Option<(String,)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(url).fetch_optional(pool).await?);
        Ok(row.map(|(e,)| e))
    }

    /// Stores `(url, etag)` pairs (call only once the facts of those responses are written).
    pub async fn save_etags(&self, etags: &[(String, String)]) -> Result<()> {
        let at = now();
        for chunk in etags.chunks(CHUNK) {
            with_pool!(self, pool => {
                let mut q = QueryBuilder::new("INSERT INTO http_etags (url, etag, updated_at) ");
                q.push_values(chunk, |mut b, (url, etag)| {
                    b.push_bind(url.clone()).push_bind(etag.clone()).push_bind(at);
                });
                q.push(" ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, updated_at = excluded.updated_at");
                q.build().execute(pool).await.map(|_| ())?
            });
        }
        Ok(())
    }

    /// The latest deployment of `service` (any source) that finished before `before`, other
    /// than `(source, external_id)`: its SHA and finish time.
    pub async fn previous_deployment(
        &self,
        service: &str,
        before: i64,
        source: &str,
        external_id: &str,
    ) -> Result<Option<(String, i64)>> {
        let sql =
            "SELECT sha, finished_at FROM deployments WHERE service = $1 AND finished_at < $2 \
                   AND NOT (source = $3 AND external_id = $4) \
                   ORDER BY finished_at DESC, source, external_id LIMIT 1";
        let row: Option<(String, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(service).bind(before).bind(source).bind(external_id)
            .fetch_optional(pool).await?);
        Ok(row)
    }

    /// Tries to become the collecting replica: on PostgreSQL `pg_try_advisory_lock` on a session
    /// kept for the lock's life; `None` when another replica holds it. SQLite always succeeds.
    pub async fn try_collector_lock(&self) -> Result<Option<CollectorLock>> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(Some(CollectorLock { conn: None })),
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let (held,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                    .bind(COLLECT_LOCK_KEY)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(held.then_some(CollectorLock { conn: Some(conn) }))
            }
        }
    }
}
