//! Collector bookkeeping: cursors (where each source stopped) and runs (what each run did).

use super::{now, with_pool, Result, Store};

/// One collector run, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        type Row = (
            i64,
            String,
            i64,
            Option<i64>,
            String,
            i64,
            Option<String>,
            i64,
        );
        let sql = "SELECT id, source, started_at, finished_at, outcome, items, error, warnings \
                   FROM collector_runs ORDER BY id DESC LIMIT $1";
        let rows: Vec<Row> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(id, source, started_at, finished_at, outcome, items, error, warnings)| {
                    CollectorRun {
                        id,
                        source,
                        started_at,
                        finished_at,
                        outcome,
                        items,
                        error,
                        warnings,
                    }
                },
            )
            .collect())
    }
}
