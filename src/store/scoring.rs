//! Columnar reads for scoring: the facts of one quarter (and its trailing window) as plain
//! columns, streamed row by row so that a million changes never sit in memory as rows.
//!
//! Repository, team, question and choice names are dictionary-encoded while streaming (a `u32`
//! per row and each distinct name once), which is what keeps the load of large tables cheap.
//! Scoring turns these columns into polars frames; nothing here aggregates.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::Row;

use super::{with_pool, Result, Store};

/// What to load: the scored period, the trailing window and the survey quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRange {
    /// Start of the scored period, UNIX seconds (inclusive).
    pub start: i64,
    /// End of the scored period (exclusive): the quarter's end, or now for the current quarter.
    pub end: i64,
    /// Start of the trailing window that ends at `end` (adoption, onboarding cohort).
    pub window_start: i64,
    /// Survey quarter, e.g. `2026-Q4`.
    pub quarter: String,
    /// Question ids whose answers are scored (free text is never loaded).
    pub questions: Vec<String>,
}

/// Names encoded as dense `u32` codes, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary {
    /// The names; a code is an index into this list.
    pub values: Vec<String>,
    index: HashMap<String, u32>,
}

impl Dictionary {
    /// The code of `name`, added if new.
    pub fn code(&mut self, name: &str) -> u32 {
        if let Some(code) = self.index.get(name) {
            return *code;
        }
        let code = self.values.len() as u32;
        self.values.push(name.to_string());
        self.index.insert(name.to_string(), code);
        code
    }
}

/// A repository as scoring sees it: its owner and whether it was active in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFacts {
    /// Owning team, if known.
    pub team: Option<String>,
    /// Archived repositories are not measured.
    pub archived: bool,
    /// Pushed to (or committed to) in the trailing window.
    pub active: bool,
}

/// A developer of the onboarding cohort (started in the window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortDeveloper {
    /// Team of the roster.
    pub team: String,
    /// Start date, 00:00 UTC.
    pub start_at: i64,
    /// First non-bot commit authored on or after the start, if any.
    pub first_commit_at: Option<i64>,
}

/// The facts of one scoring run, as columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoringFacts {
    /// Repository slugs; `repo` columns below are codes into it.
    pub repo_names: Dictionary,
    /// One entry per code of `repo_names`.
    pub repos: Vec<RepoFacts>,
    /// Changes deployed in the period: repository code.
    pub change_repo: Vec<u32>,
    /// Changes deployed in the period: lead time in seconds.
    pub change_lead_seconds: Vec<i64>,
    /// Deployments finished in the period or the window: repository code.
    pub deploy_repo: Vec<u32>,
    /// Deployments: made through the platform (ArgoCD or the orchestrator).
    pub deploy_platform: Vec<bool>,
    /// Deployments: finish time.
    pub deploy_at: Vec<i64>,
    /// Developers who started in the window.
    pub cohort: Vec<CohortDeveloper>,
    /// Requests finished in the period: team.
    pub request_team: Vec<String>,
    /// Requests finished in the period: succeeded with no human intervention.
    pub request_ok: Vec<bool>,
    /// Team names of the answers and responses.
    pub survey_teams: Dictionary,
    /// Question ids of the answers.
    pub questions: Dictionary,
    /// Choice values of the text answers.
    pub choices: Dictionary,
    /// Answers: team code.
    pub answer_team: Vec<u32>,
    /// Answers: question code.
    pub answer_question: Vec<u32>,
    /// Answers: the number, for scale and nps questions.
    pub answer_number: Vec<Option<f64>>,
    /// Answers: the choice code, for choice questions.
    pub answer_choice: Vec<Option<u32>>,
    /// Responses of the quarter per team `(team, responses, invites)`.
    pub response_counts: Vec<(String, i64, i64)>,
    /// Every team name the store knows.
    pub teams: Vec<String>,
}

/// Deployment sources that mean "deployed through the platform".
pub const PLATFORM_SOURCES: [&str; 2] = ["argocd", "orchestrator"];

impl Store {
    /// Loads the facts of `range` for scoring.
    pub async fn scoring_facts(&self, range: &FactRange) -> Result<ScoringFacts> {
        let mut facts = ScoringFacts {
            teams: self.team_names().await?,
            ..ScoringFacts::default()
        };
        self.load_repos(range, &mut facts).await?;
        self.load_changes(range, &mut facts).await?;
        self.load_deployments(range, &mut facts).await?;
        self.load_cohort(range, &mut facts).await?;
        self.load_requests(range, &mut facts).await?;
        self.load_answers(range, &mut facts).await?;
        self.load_response_counts(range, &mut facts).await?;
        Ok(facts)
    }

    async fn load_repos(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        let sql = "SELECT r.slug, r.team, r.archived, \
                   (r.pushed_at >= $1 AND r.pushed_at < $2) OR EXISTS (SELECT 1 FROM commits c \
                   WHERE c.repo = r.slug AND c.committed_at >= $1 AND c.committed_at < $2) \
                   FROM repositories r ORDER BY r.slug";
        type Row = (String, Option<String>, bool, Option<bool>);
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(range.window_start).bind(range.end).fetch_all(pool).await?);
        for (slug, team, archived, active) in rows {
            facts.repo_names.code(&slug);
            facts.repos.push(RepoFacts {
                team,
                archived,
                active: active.unwrap_or(false),
            });
        }
        Ok(())
    }

    async fn load_changes(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        let sql = "SELECT repo, lead_time_seconds FROM deployment_changes \
                   WHERE deployed_at >= $1 AND deployed_at < $2";
        with_pool!(self, pool => {
            let mut rows = sqlx::query(sql).bind(range.start).bind(range.end).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let repo = repo_code(facts, row.try_get::<&str, _>(0)?);
                facts.change_repo.push(repo);
                facts.change_lead_seconds.push(row.try_get(1)?);
            }
        });
        Ok(())
    }

    async fn load_deployments(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        let sql = "SELECT repo, source, finished_at FROM deployments \
                   WHERE finished_at >= $1 AND finished_at < $2";
        let from = range.start.min(range.window_start);
        with_pool!(self, pool => {
            let mut rows = sqlx::query(sql).bind(from).bind(range.end).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let repo = repo_code(facts, row.try_get::<&str, _>(0)?);
                facts.deploy_repo.push(repo);
                facts.deploy_platform.push(PLATFORM_SOURCES.contains(&row.try_get::<&str, _>(1)?));
                facts.deploy_at.push(row.try_get(2)?);
            }
        });
        Ok(())
    }

    async fn load_cohort(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        // The first commit is found through the (author_login, authored_at) index, stopping at
        // the first non-bot one.
        let sql = "SELECT d.team, d.start_at, (SELECT c.authored_at FROM commits c \
                   WHERE c.author_login = d.login AND c.authored_at >= d.start_at AND c.is_bot = FALSE \
                   ORDER BY c.authored_at LIMIT 1) FROM developers d \
                   WHERE d.start_at >= $1 AND d.start_at < $2 ORDER BY d.login";
        let rows: Vec<(String, i64, Option<i64>)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(range.window_start).bind(range.end).fetch_all(pool).await?);
        facts.cohort = rows
            .into_iter()
            .map(|(team, start_at, first_commit_at)| CohortDeveloper {
                team,
                start_at,
                first_commit_at,
            })
            .collect();
        Ok(())
    }

    async fn load_requests(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        let sql = "SELECT team, status = 'succeeded' AND human_intervention = FALSE \
                   FROM self_service_requests \
                   WHERE status <> 'running' AND finished_at >= $1 AND finished_at < $2";
        let rows: Vec<(String, bool)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(range.start).bind(range.end).fetch_all(pool).await?);
        (facts.request_team, facts.request_ok) = rows.into_iter().unzip();
        Ok(())
    }

    async fn load_answers(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        if range.questions.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (0..range.questions.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT r.team, a.question, a.number, a.text FROM survey_responses r \
             JOIN survey_answers a ON a.response_id = r.id \
             WHERE r.quarter = $1 AND a.question IN ({})",
            placeholders.join(", ")
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query(&sql).bind(&range.quarter);
            for question in &range.questions {
                q = q.bind(question);
            }
            let mut rows = q.fetch(pool);
            while let Some(row) = rows.try_next().await? {
                facts.answer_team.push(facts.survey_teams.code(row.try_get::<&str, _>(0)?));
                facts.answer_question.push(facts.questions.code(row.try_get::<&str, _>(1)?));
                facts.answer_number.push(row.try_get(2)?);
                let text: Option<&str> = row.try_get(3)?;
                facts.answer_choice.push(text.map(|t| facts.choices.code(t)));
            }
        });
        Ok(())
    }

    async fn load_response_counts(
        &self,
        range: &FactRange,
        facts: &mut ScoringFacts,
    ) -> Result<()> {
        let sql =
            "SELECT team, CAST(SUM(responses) AS BIGINT), CAST(SUM(invites) AS BIGINT) FROM ( \
                   SELECT team, COUNT(*) AS responses, 0 AS invites FROM survey_responses \
                   WHERE quarter = $1 GROUP BY team UNION ALL \
                   SELECT team, 0, COUNT(*) FROM survey_invites WHERE quarter = $1 GROUP BY team \
                   ) t GROUP BY team ORDER BY team";
        let rows: Vec<(String, i64, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&range.quarter).fetch_all(pool).await?);
        facts.response_counts = rows;
        Ok(())
    }
}

/// The code of repository `slug`; a repository missing from `repositories` gets one with no team.
fn repo_code(facts: &mut ScoringFacts, slug: &str) -> u32 {
    let code = facts.repo_names.code(slug);
    if code as usize == facts.repos.len() {
        facts.repos.push(RepoFacts {
            team: None,
            archived: false,
            active: false,
        });
    }
    code
}
