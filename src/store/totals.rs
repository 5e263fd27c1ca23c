//! Running totals for the metrics' counters: rollouts and self-service requests per team,
//! collector runs per source and outcome. `/metrics` counters start from these after a restart.

use super::{with_pool, Result, Store, OWNER_JOIN, OWNER_TEAM};

/// Totals of everything counted since the database began.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Production rollouts (one per service and commit, rollbacks apart) per owning team
    /// (`None`: a service without a known owner).
    pub deployments: Vec<(Option<String>, i64)>,
    /// Finished self-service requests per requesting team.
    pub requests: Vec<RequestTotal>,
    /// Finished collector runs per source and outcome (`success` or `error`).
    pub collector_runs: Vec<RunTotal>,
    /// The end of the latest successful run per source, UNIX seconds.
    pub last_successes: Vec<(String, i64)>,
    /// GitHub's rate limit as the latest GitHub run that saw one left it.
    pub github_rate_limit: Option<i64>,
    /// Namespaces in the cluster now, per team label (`None`: no label) and managed or not.
    pub namespaces: Vec<NamespaceTotal>,
}

/// Namespaces of one team that are (or are not) managed by the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceTotal {
    /// The team label's value; `None` for namespaces without one.
    pub team: Option<String>,
    /// Managed by the platform.
    pub managed: bool,
    /// Number of namespaces.
    pub count: i64,
}

/// Finished self-service requests of one team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTotal {
    /// Requesting team.
    pub team: String,
    /// Requests that finished (succeeded, failed or cancelled).
    pub finished: i64,
    /// Of those, succeeded with no human intervention.
    pub succeeded: i64,
}

/// Finished collector runs of one source with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTotal {
    /// Collector source, e.g. `github`.
    pub source: String,
    /// `success` or `error`.
    pub outcome: String,
    /// Number of runs.
    pub runs: i64,
    /// Warnings those runs noted (problems that did not stop them), summed.
    pub warnings: i64,
}

impl Store {
    /// The running totals behind the metrics' counters.
    pub async fn totals(&self) -> Result<Totals> {
        let deployments_sql = format!(
            "SELECT {OWNER_TEAM}, COUNT(*) FROM rollouts f {OWNER_JOIN} \
             WHERE f.kind = 'rollout' GROUP BY {OWNER_TEAM} ORDER BY 1"
        );
        let requests_sql = "SELECT team, COUNT(*), \
            SUM(CASE WHEN status = 'succeeded' AND NOT human_intervention THEN 1 ELSE 0 END) \
            FROM self_service_requests WHERE status <> 'running' GROUP BY team ORDER BY team";
        let runs_sql =
            "SELECT source, outcome, COUNT(*), CAST(COALESCE(SUM(warnings), 0) AS BIGINT) \
            FROM collector_runs \
            WHERE outcome <> 'running' GROUP BY source, outcome ORDER BY source, outcome";
        let success_sql = "SELECT source, MAX(finished_at) FROM collector_runs \
            WHERE outcome = 'success' AND finished_at IS NOT NULL GROUP BY source ORDER BY source";
        let rate_limit_sql = "SELECT rate_limit_remaining FROM collector_runs \
            WHERE source = 'github' AND rate_limit_remaining IS NOT NULL ORDER BY id DESC LIMIT 1";
        let namespaces_sql = "SELECT team, managed, COUNT(*) FROM namespaces \
            WHERE deleted_at IS NULL GROUP BY team, managed ORDER BY team, managed";
        let (deployments, requests, runs, successes, rate_limit, namespaces) = with_pool!(self, pool => {
            let deployments: Vec<(Option<String>, i64)> =
                sqlx::query_as(&deployments_sql).fetch_all(pool).await?;
            let requests: Vec<(String, i64, i64)> =
                sqlx::query_as(requests_sql).fetch_all(pool).await?;
            let runs: Vec<(String, String, i64, i64)> = sqlx::query_as(runs_sql).fetch_all(pool).await?;
            let successes: Vec<(String, i64)> =
                sqlx::query_as(success_sql).fetch_all(pool).await?;
            let rate_limit: Option<(i64,)> =
                sqlx::query_as(rate_limit_sql).fetch_optional(pool).await?;
            let namespaces: Vec<(Option<String>, bool, i64)> =
                sqlx::query_as(namespaces_sql).fetch_all(pool).await?;
            (deployments, requests, runs, successes, rate_limit, namespaces)
        });
        Ok(Totals {
            deployments,
            requests: requests
                .into_iter()
                .map(|(team, finished, succeeded)| RequestTotal {
                    team,
                    finished,
                    succeeded,
                })
                .collect(),
            collector_runs: runs
                .into_iter()
                .map(|(source, outcome, runs, warnings)| RunTotal {
                    source,
                    outcome,
                    runs,
                    warnings,
                })
                .collect(),
            last_successes: successes,
            github_rate_limit: rate_limit.map(|(left,)| left),
            namespaces: namespaces
                .into_iter()
                .map(|(team, managed, count)| NamespaceTotal {
                    team,
                    managed,
                    count,
                })
                .collect(),
        })
    }
}
