//! PostgreSQL's own `percentile_cont` for the lead times polars computes: the cross-check of
//! the scoring tests and the scoring benchmark's yardstick, never used by dxs itself.

use super::{Pool, Result, Store, OWNER_JOIN, OWNER_TEAM};

/// Lead time percentiles of one team (or every change, `team: None`), computed by the database.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlPercentiles {
    /// Team, `None` for every change.
    pub team: Option<String>,
    /// Median lead time, hours.
    pub median_hours: f64,
    /// 90th percentile, hours.
    pub p90_hours: f64,
    /// Changes counted.
    pub changes: i64,
}

impl Store {
    /// Lead time median and p90 per team and over every change deployed in `[start, end)`,
    /// computed by PostgreSQL's `percentile_cont` (`None` on SQLite, which has none). Scoring
    /// computes these with polars; this is the cross-check and the benchmark's yardstick.
    pub async fn lead_time_percentiles_sql(
        &self,
        start: i64,
        end: i64,
    ) -> Result<Option<Vec<SqlPercentiles>>> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {OWNER_TEAM}, GROUPING({OWNER_TEAM}) = 1, \
             percentile_cont(0.5) WITHIN GROUP (ORDER BY f.lead_time_seconds) / 3600.0, \
             percentile_cont(0.9) WITHIN GROUP (ORDER BY f.lead_time_seconds) / 3600.0, COUNT(*) \
             FROM changes f {OWNER_JOIN} \
             WHERE f.deployed_at >= $1 AND f.deployed_at < $2 \
             GROUP BY GROUPING SETS (({OWNER_TEAM}), ()) ORDER BY 2 DESC, 1"
        );
        let rows: Vec<(Option<String>, bool, f64, f64, i64)> = sqlx::query_as(&sql)
            .bind(start)
            .bind(end)
            .fetch_all(pool)
            .await?;
        Ok(Some(
            rows.into_iter()
                .filter(|(team, all, ..)| *all || team.is_some())
                .map(
                    |(team, _, median_hours, p90_hours, changes)| SqlPercentiles {
                        team,
                        median_hours,
                        p90_hours,
                        changes,
                    },
                )
                .collect(),
        ))
    }
}
