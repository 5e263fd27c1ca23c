//! Score snapshots: the computed score of a quarter per team, the quarter's evidence beside
//! it, and the summary of the store, read by every output.

use super::{with_pool, Result, Store};

/// One team's (or the organisation's, `all`) score for a quarter, as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Quarter, e.g. `2026-Q4`.
    pub quarter: String,
    /// Team, or `all` for the organisation.
    pub team: String,
    /// When it was computed, UNIX seconds.
    pub computed_at: i64,
    /// The JSON document.
    pub body: String,
}

impl Store {
    /// Replaces the snapshots of `quarter` with `snapshots` and its evidence with `evidence`
    /// (JSON), in one transaction, so a reader sees the old quarter or the new one, never half of
    /// each; the snapshot version moves on in the same transaction (every replica watches it,
    /// [`Store::snapshot_version`]).
    pub async fn replace_snapshots(
        &self,
        quarter: &str,
        snapshots: &[Snapshot],
        evidence: &str,
    ) -> Result<()> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The version row first: its lock queues concurrent writers (two replicas, the
            // first score and a pipeline pass), so the second one's DELETE sees the first's
            // rows instead of inserting beside them (a unique-key error on PostgreSQL).
            sqlx::query("UPDATE snapshot_version SET version = version + 1 WHERE id = 1")
                .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM score_snapshots WHERE quarter = $1").bind(quarter).execute(&mut *tx).await?;
            for s in snapshots {
                sqlx::query("INSERT INTO score_snapshots (quarter, team, computed_at, body) VALUES ($1, $2, $3, $4)")
                    .bind(&s.quarter).bind(&s.team).bind(s.computed_at).bind(&s.body)
                    .execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO snapshot_evidence (quarter, body) VALUES ($1, $2) \
                         ON CONFLICT (quarter) DO UPDATE SET body = excluded.body")
                .bind(quarter).bind(evidence)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The snapshots of `quarter`, `all` first, then teams by name.
    pub async fn snapshots(&self, quarter: &str) -> Result<Vec<Snapshot>> {
        let sql =
            "SELECT quarter, team, computed_at, body FROM score_snapshots WHERE quarter = $1 \
                   ORDER BY CASE WHEN team = 'all' THEN 0 ELSE 1 END, team";
        let rows: Vec<(String, String, i64, String)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(quarter).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(quarter, team, computed_at, body)| Snapshot {
                quarter,
                team,
                computed_at,
                body,
            })
            .collect())
    }

    /// The evidence (JSON) written with the snapshots of `quarter`, if any.
    pub async fn evidence(&self, quarter: &str) -> Result<Option<String>> {
        let sql = "SELECT body FROM snapshot_evidence WHERE quarter = $1";
        let row: Option<(String,)> = with_pool!(self, pool =>
            sqlx::query_as(sql).bind(quarter).fetch_optional(pool).await?);
        Ok(row.map(|(body,)| body))
    }

    /// Replaces the summary of the store (JSON) with `body`.
    pub async fn replace_summary(&self, body: &str) -> Result<()> {
        let sql = "INSERT INTO store_summary (id, body) VALUES (1, $1) \
                   ON CONFLICT (id) DO UPDATE SET body = excluded.body";
        with_pool!(self, pool => { sqlx::query(sql).bind(body).execute(pool).await?; });
        Ok(())
    }

    /// The summary of the store (JSON) written by the latest scoring pass, if any.
    pub async fn summary(&self) -> Result<Option<String>> {
        let sql = "SELECT body FROM store_summary WHERE id = 1";
        let row: Option<(String,)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_optional(pool).await?);
        Ok(row.map(|(body,)| body))
    }

    /// The version of the snapshots: it changes with every write of any quarter's snapshots,
    /// whichever replica wrote them. One row, one index lookup: cheap to poll.
    pub async fn snapshot_version(&self) -> Result<i64> {
        let sql = "SELECT version FROM snapshot_version WHERE id = 1";
        let (version,): (i64,) =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        Ok(version)
    }

    /// Quarters that have a snapshot, newest first.
    pub async fn snapshot_quarters(&self) -> Result<Vec<String>> {
        let sql = "SELECT DISTINCT quarter FROM score_snapshots ORDER BY quarter DESC";
        let rows: Vec<(String,)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(q,)| q).collect())
    }
}
