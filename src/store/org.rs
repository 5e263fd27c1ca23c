//! Reading the organisation: teams, the roster, repositories, and row counts.

use super::{with_pool, Result, Store};
use crate::model::{Developer, Repository};

/// The first non-bot commit of developer `d` on or after their start date, as a scalar
/// subquery: one seek in the (LOWER(author_login), authored_at) index that stops at the first
/// match (a `MIN` over a join reads every commit since the start: 80 ms for the demo's report).
/// Logins compare as GitHub compares them, ignoring case.
pub(super) const FIRST_COMMIT: &str = "(SELECT c.authored_at FROM commits c \
    WHERE LOWER(c.author_login) = LOWER(d.login) AND c.authored_at >= d.start_at \
    AND c.is_bot = FALSE ORDER BY c.authored_at LIMIT 1)";

/// How many rows each fact table holds (the store summary of the home page, the demo's "already
/// filled" check, tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableCounts {
    /// Teams.
    pub teams: i64,
    /// Roster developers.
    pub developers: i64,
    /// Repositories.
    pub repositories: i64,
    /// Commits.
    pub commits: i64,
    /// Production deployments.
    pub deployments: i64,
    /// Commits shipped to services (`deployment_changes`; their changes are pull requests or
    /// the commits alone).
    pub changes: i64,
    /// Self-service requests.
    pub requests: i64,
    /// Survey responses.
    pub responses: i64,
}

/// A roster developer with their first commit on or after their start date.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Onboarding {
    /// GitHub login.
    pub login: String,
    /// Team.
    pub team: String,
    /// Start: local midnight of the start date in the roster row's time zone (UTC when none).
    pub start_at: i64,
    /// First non-bot commit authored on or after the start, if any ("open" otherwise).
    pub first_commit_at: Option<i64>,
}

impl Store {
    /// Row counts of every fact table.
    pub async fn counts(&self) -> Result<TableCounts> {
        let sql = "SELECT \
            (SELECT COUNT(*) FROM teams), (SELECT COUNT(*) FROM developers), \
            (SELECT COUNT(*) FROM repositories), (SELECT COUNT(*) FROM commits), \
            (SELECT COUNT(*) FROM deployments), (SELECT COUNT(*) FROM deployment_changes), \
            (SELECT COUNT(*) FROM self_service_requests), (SELECT COUNT(*) FROM survey_responses)";
        let row: (i64, i64, i64, i64, i64, i64, i64, i64) =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        Ok(TableCounts {
            teams: row.0,
            developers: row.1,
            repositories: row.2,
            commits: row.3,
            deployments: row.4,
            changes: row.5,
            requests: row.6,
            responses: row.7,
        })
    }

    /// True when `team` is a team dxs knows: of the roster, GitHub or the catalog (`teams`), or
    /// owning a repository or a service.
    pub async fn team_known(&self, team: &str) -> Result<bool> {
        let sql = "SELECT 1 FROM teams WHERE name = $1 \
                   UNION ALL SELECT 1 FROM repositories WHERE team = $1 \
                   UNION ALL SELECT 1 FROM services WHERE team = $1 LIMIT 1";
        let row: Option<(i32,)> = with_pool!(self, pool =>
            sqlx::query_as(sql).bind(team).fetch_optional(pool).await?);
        Ok(row.is_some())
    }

    /// Team names, sorted.
    pub async fn team_names(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = with_pool!(self, pool => sqlx::query_as("SELECT name FROM teams ORDER BY name").fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    /// The roster, sorted by login.
    pub async fn developers(&self) -> Result<Vec<Developer>> {
        let sql = "SELECT login, team, start_at, email FROM developers ORDER BY login";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// The roster developer with this login (compared ignoring case, as GitHub does), if any.
    pub async fn developer(&self, login: &str) -> Result<Option<Developer>> {
        let sql = "SELECT login, team, start_at, email FROM developers \
                   WHERE LOWER(login) = LOWER($1) ORDER BY login LIMIT 1";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(login).fetch_optional(pool).await?))
    }

    /// Repositories, sorted by slug.
    pub async fn repositories(&self) -> Result<Vec<Repository>> {
        let sql = "SELECT slug, team, team_source, archived, pushed_at, fork, is_template, \
             component_type, config_repo FROM repositories ORDER BY slug";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Marks `slugs` (compared ignoring case) as GitOps config repositories, read so by an
    /// ArgoCD Application: never services, adoption leaves them out. Once marked, kept.
    pub async fn mark_config_repositories(&self, slugs: &[String]) -> Result<()> {
        let mut slugs: Vec<String> = slugs.iter().map(|s| s.to_ascii_lowercase()).collect();
        slugs.sort();
        slugs.dedup();
        for slug in slugs {
            let sql = "UPDATE repositories SET config_repo = TRUE \
                       WHERE LOWER(slug) = $1 AND config_repo = FALSE";
            with_pool!(self, pool => sqlx::query(sql).bind(&slug).execute(pool).await.map(drop)?);
        }
        Ok(())
    }

    /// Every roster developer with their first non-bot commit since their start date.
    pub async fn onboarding(&self) -> Result<Vec<Onboarding>> {
        let sql = format!(
            "SELECT d.login, d.team, d.start_at, {FIRST_COMMIT} AS first_commit_at \
             FROM developers d ORDER BY d.login"
        );
        Ok(with_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }
}
