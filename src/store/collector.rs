//! Collector bookkeeping: cursors (where each source stopped), runs (what each run did), stored
//! ETags (`http_etags`), the previous deployment of a repository, and the PostgreSQL advisory
//! lock that elects the one replica that collects.

use super::insert::{upsert, Columns, Value};
use super::{now, with_pool, Pool, Result, Store};

/// One collector run, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CollectorRun {
    /// Row id.
    pub id: i64,
    /// Collector source, e.g. `github`.
    pub source: String,
    /// Start, UNIX seconds.
    pub started_at: i64,
    /// End, when finished.
    pub finished_at: Option<i64>,
    /// `running`, `success` or `error`.
    pub outcome: String,
    /// Facts written.
    pub items: i64,
    /// The error, for a failed run.
    pub error: Option<String>,
    /// Problems noted without failing the run (bad roster lines, unmapped images).
    pub warnings: i64,
}

impl Store {
    /// The cursor of `source`/`scope`, if a run has set one.
    pub async fn cursor(&self, source: &str, scope: &str) -> Result<Option<String>> {
        let sql = "SELECT value FROM collector_cursors WHERE source = $1 AND scope = $2";
        let row: Option<(String,)> = with_pool!(self, pool => sqlx::query_as(sql).bind(source).bind(scope).fetch_optional(pool).await?);
        Ok(row.map(|(v,)| v))
    }

    /// Records the start of a run and returns its id.
    pub async fn start_run(&self, source: &str) -> Result<i64> {
        let sql = "INSERT INTO collector_runs (source, started_at, outcome) VALUES ($1, $2, 'running') RETURNING id";
        let (id,): (i64,) = with_pool!(self, pool => sqlx::query_as(sql).bind(source).bind(now()).fetch_one(pool).await?);
        Ok(id)
    }

    /// Records the end of run `id`: `error` is `None` for a success; `rate_limit_remaining` is
    /// the last rate-limit figure the upstream sent, if any.
    pub async fn finish_run(
        &self,
        id: i64,
        items: i64,
        error: Option<&str>,
        rate_limit_remaining: Option<i64>,
    ) -> Result<()> {
        let outcome = if error.is_some() { "error" } else { "success" };
        let sql =
            "UPDATE collector_runs SET finished_at = $1, outcome = $2, items = $3, error = $4, \
                   rate_limit_remaining = $5 WHERE id = $6";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(now()).bind(outcome).bind(items).bind(error).bind(rate_limit_remaining).bind(id)
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Records how many warnings run `id` noted (problems that did not stop it).
    pub async fn record_run_warnings(&self, id: i64, warnings: i64) -> Result<()> {
        let sql = "UPDATE collector_runs SET warnings = $1 WHERE id = $2";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(warnings).bind(id).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The latest runs, newest first.
    pub async fn recent_runs(&self, limit: i64) -> Result<Vec<CollectorRun>> {
        let sql = "SELECT id, source, started_at, finished_at, outcome, items, error, warnings \
                   FROM collector_runs ORDER BY id DESC LIMIT $1";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(limit).fetch_all(pool).await?))
    }
}

/// A stored ETag: the newest one of a URL wins.
struct Etag<'a> {
    url: &'a str,
    etag: &'a str,
}

impl Columns for Etag<'_> {
    const INTO: &'static str = "http_etags (url, etag, updated_at)";
    const ON_CONFLICT: &'static str =
        "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, updated_at = excluded.updated_at";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [self.url.into(), self.etag.into(), at.into()]
    }
}

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
        let etags: Vec<Etag> = etags.iter().map(|(url, etag)| Etag { url, etag }).collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            upsert(&mut tx, &etags, now()).await?;
            tx.commit().await?;
        });
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
