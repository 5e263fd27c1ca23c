//! Columnar reads for scoring: the facts of one quarter (and its trailing window) as plain
//! columns, streamed row by row so that a million changes never sit in memory as rows.
//!
//! Repository, team, question and choice names are dictionary-encoded while streaming (a `u32`
//! per row and each distinct name once), which is what keeps the load of large tables cheap.
//! PostgreSQL streams the large tables with binary `COPY … TO STDOUT`, SQLite through its C API.
//! Scoring turns these columns into polars frames; nothing here aggregates.

use std::collections::HashMap;

use super::copy_out::literal;
use super::failures::FailureFacts;
use super::org::FIRST_COMMIT;
use super::stream::required;
use super::survey_windows::SurveyShown;
use super::{with_pool, Result, Store, StoreError};
use crate::model::RepoFacts;

/// What to load: the scored period, the trailing window and the survey quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRange {
    /// Start of the scored period, UNIX seconds (inclusive).
    pub start: i64,
    /// End of the scored period (exclusive): the quarter's end, or now for the current quarter.
    pub end: i64,
    /// Start of the trailing window that ends at `end` (adoption, onboarding cohort).
    pub window_start: i64,
    /// The scored quarter, e.g. `2026-Q4`: the answers loaded are those of the latest closed
    /// survey at or before it.
    pub quarter: String,
    /// Question ids whose answers are scored (free text is never loaded).
    pub questions: Vec<String>,
    /// Load the namespaces that existed at `end` (adoption by namespace).
    pub namespaces: bool,
    /// How far past `end` the change failure rate reads (a rollout of the period fails by a
    /// revert shipped up to this time): `end` plus the revert window.
    pub horizon: i64,
}

/// A namespace with a team label, as it stood at the period's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceFacts {
    /// The team label's value.
    pub team: String,
    /// Managed by the platform.
    pub managed: bool,
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

/// A developer of the onboarding cohort (started in the window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortDeveloper {
    /// Team of the roster.
    pub team: String,
    /// Start: local midnight of the start date (UTC when the roster gives no time zone).
    pub start_at: i64,
    /// First non-bot commit authored on or after the start, if any.
    pub first_commit_at: Option<i64>,
}

/// A service as scoring sees it: its repository and its own team, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFacts {
    /// Code of its repository in `repo_names`.
    pub repo: u32,
    /// The service's own team (`[[services]]` or catalog); `None`: its repository's.
    pub team: Option<String>,
}

/// The facts of one scoring run, as columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoringFacts {
    /// Repository slugs; `repo` columns below are codes into it.
    pub repo_names: Dictionary,
    /// One entry per code of `repo_names`.
    pub repos: Vec<RepoFacts>,
    /// Service names; `service` columns below are codes into it.
    pub service_names: Dictionary,
    /// One entry per code of `service_names`.
    pub services: Vec<ServiceFacts>,
    /// Changes deployed in the period: service code.
    pub change_service: Vec<u32>,
    /// Changes deployed in the period: lead time in seconds.
    pub change_lead_seconds: Vec<i64>,
    /// Rollouts and rollbacks in the period: service code.
    pub rollout_service: Vec<u32>,
    /// Rollouts: a rollback (not counted as a rollout).
    pub rollout_back: Vec<bool>,
    /// Rollouts: finish time.
    pub rollout_at: Vec<i64>,
    /// Rollouts: the commit that went live.
    pub rollout_sha: Vec<String>,
    /// Deployments finished in the period or the window (adoption): repository code.
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
    /// Responses per team `(team, responses, invites)` of the closed survey the quarter shows
    /// (`survey.closed`), whose answers are the ones loaded: none before a survey closes.
    pub response_counts: Vec<(String, i64, i64)>,
    /// The surveys the quarter shows (DESIGN §10 "Publish once, at close").
    pub survey: SurveyShown,
    /// Every team name the store knows.
    pub teams: Vec<String>,
    /// Namespaces with a team label at the period's end (when the range asks for them).
    pub namespaces: Vec<NamespaceFacts>,
    /// What judging the period's rollouts failed reads besides them.
    pub failures: FailureFacts,
}

impl ScoringFacts {
    /// The team owning service `code`: the service's own team (`[[services]]`, the catalog),
    /// else its repository's. The one place this rule is written for scoring.
    pub fn service_team(&self, code: u32) -> Option<&str> {
        let service = &self.services[code as usize];
        service
            .team
            .as_deref()
            .or_else(|| self.repos[service.repo as usize].team.as_deref())
    }
}

/// Deployment sources that mean "deployed through the platform".
pub const PLATFORM_SOURCES: [&str; 2] = ["argocd", "orchestrator"];

impl Store {
    /// Loads the facts of `range` for scoring. The changes, by far the largest table, stream on
    /// a connection of their own while the other tables load on this one.
    pub async fn scoring_facts(&self, range: &FactRange) -> Result<ScoringFacts> {
        let changes = tokio::spawn({
            let (store, range) = (self.clone(), range.clone());
            async move {
                let started = std::time::Instant::now();
                let changes = store.load_changes(&range).await;
                if let Ok(c) = &changes {
                    debug_load("changes", c.lead_seconds.len(), started);
                }
                changes
            }
        });
        let mut facts = ScoringFacts {
            teams: self.team_names().await?,
            ..ScoringFacts::default()
        };
        let mut step = std::time::Instant::now();
        let mut timed = |what: &str, rows: usize| {
            debug_load(what, rows, step);
            step = std::time::Instant::now();
        };
        self.load_repos(range, &mut facts).await?;
        timed("repositories", facts.repos.len());
        self.load_deployments(range, &mut facts).await?;
        timed("deployments", facts.deploy_repo.len());
        let explicit = self.service_teams().await?;
        self.load_rollouts(range, &explicit, &mut facts).await?;
        timed("rollouts", facts.rollout_at.len());
        self.load_failure_facts(range, &explicit, &mut facts)
            .await?;
        timed("failure facts", facts.failures.rows());
        self.load_cohort(range, &mut facts).await?;
        timed("cohort", facts.cohort.len());
        self.load_requests(range, &mut facts).await?;
        timed("requests", facts.request_ok.len());
        facts.survey = self.survey_shown(&range.quarter).await?;
        if let Some(closed) = facts.survey.closed.as_ref().map(|w| w.quarter.clone()) {
            self.load_answers(range, &closed, &mut facts).await?;
            timed("answers", facts.answer_team.len());
            self.load_response_counts(&closed, &mut facts).await?;
            timed("responses", facts.response_counts.len());
        }
        if range.namespaces {
            self.load_namespaces(range, &mut facts).await?;
            timed("namespaces", facts.namespaces.len());
        }
        let changes = changes
            .await
            .map_err(|e| StoreError::Task(e.to_string()))??;
        // The changes' own service codes, recoded into the shared dictionary.
        let recode: Vec<u32> = changes
            .service_names
            .values
            .iter()
            .zip(&changes.service_repo)
            .map(|(service, repo)| service_code(&mut facts, service, repo, &explicit))
            .collect();
        facts.change_service = changes
            .service
            .into_iter()
            .map(|code| recode[code as usize])
            .collect();
        facts.change_lead_seconds = changes.lead_seconds;
        Ok(facts)
    }

    async fn load_repos(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        // Active: pushed or committed to inside the window, judged from facts dated in it (a
        // repository's current last push would move a closed quarter's adoption).
        let sql = "SELECT r.slug, r.team, r.archived, r.fork, r.is_template, r.component_type, \
                   r.config_repo, \
                   EXISTS (SELECT 1 FROM repository_pushes p \
                   WHERE p.repo = r.slug AND p.pushed_at >= $1 AND p.pushed_at < $2) \
                   OR EXISTS (SELECT 1 FROM commits c \
                   WHERE c.repo = r.slug AND c.committed_at >= $1 AND c.committed_at < $2) \
                   AS active FROM repositories r ORDER BY r.slug";
        #[derive(sqlx::FromRow)]
        struct Row {
            slug: String,
            team: Option<String>,
            archived: bool,
            fork: bool,
            is_template: bool,
            component_type: Option<String>,
            config_repo: bool,
            active: Option<bool>,
        }
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(range.window_start).bind(range.end).fetch_all(pool).await?);
        for row in rows {
            facts.repo_names.code(&row.slug);
            facts.repos.push(RepoFacts {
                team: row.team,
                archived: row.archived,
                fork: row.fork,
                is_template: row.is_template,
                component_type: row.component_type,
                config_repo: row.config_repo,
                active: row.active.unwrap_or(false),
            });
        }
        Ok(())
    }

    /// Namespaces with a team label created before the period's end and not gone by then.
    async fn load_namespaces(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        let sql =
            "SELECT team, managed FROM namespaces WHERE team IS NOT NULL AND created_at < $1 \
                   AND (deleted_at IS NULL OR deleted_at >= $1) ORDER BY name";
        let rows: Vec<(String, bool)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(range.end).fetch_all(pool).await?);
        facts.namespaces = rows
            .into_iter()
            .map(|(team, managed)| NamespaceFacts { team, managed })
            .collect();
        Ok(())
    }

    async fn load_changes(&self, range: &FactRange) -> Result<Changes> {
        let sql = format!(
            "SELECT service, repo, lead_time_seconds FROM changes \
             WHERE deployed_at >= {} AND deployed_at < {}",
            range.start, range.end
        );
        let mut changes = Changes::default();
        self.stream(&sql, |r| {
            let service = required(r.str(0)?)?;
            let code = changes.service_names.code(service);
            if code as usize == changes.service_repo.len() {
                changes.service_repo.push(required(r.str(1)?)?.to_string());
            }
            changes.service.push(code);
            changes.lead_seconds.push(required(r.i64(2)?)?);
            Ok(())
        })
        .await?;
        Ok(changes)
    }

    /// The teams services have of their own (`[[services]]`, the catalog), by service name.
    async fn service_teams(&self) -> Result<HashMap<String, String>> {
        let sql = "SELECT name, team FROM services WHERE team IS NOT NULL";
        let rows: Vec<(String, String)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().collect())
    }

    async fn load_rollouts(
        &self,
        range: &FactRange,
        explicit: &HashMap<String, String>,
        facts: &mut ScoringFacts,
    ) -> Result<()> {
        let sql = format!(
            "SELECT service, repo, CAST(CASE WHEN kind = 'rollback' THEN 1 ELSE 0 END AS BIGINT), \
             finished_at, sha FROM rollouts WHERE finished_at >= {} AND finished_at < {}",
            range.start, range.end
        );
        self.stream(&sql, |r| {
            let code = service_code(facts, required(r.str(0)?)?, required(r.str(1)?)?, explicit);
            facts.rollout_service.push(code);
            facts.rollout_back.push(required(r.i64(2)?)? == 1);
            facts.rollout_at.push(required(r.i64(3)?)?);
            facts.rollout_sha.push(required(r.str(4)?)?.to_string());
            Ok(())
        })
        .await
    }

    async fn load_deployments(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        let sql = format!(
            "SELECT repo, source, finished_at FROM deployments \
             WHERE finished_at >= {} AND finished_at < {}",
            range.start.min(range.window_start),
            range.end
        );
        self.stream(&sql, |r| {
            let repo = repo_code(facts, required(r.str(0)?)?);
            facts.deploy_repo.push(repo);
            facts
                .deploy_platform
                .push(PLATFORM_SOURCES.contains(&required(r.str(1)?)?));
            facts.deploy_at.push(required(r.i64(2)?)?);
            Ok(())
        })
        .await
    }

    /// The developers who started inside the window, of a known team (not one the roster left
    /// empty and no GitHub team lists).
    async fn load_cohort(&self, range: &FactRange, facts: &mut ScoringFacts) -> Result<()> {
        let sql = format!(
            "SELECT d.team, d.start_at, {FIRST_COMMIT} FROM developers d \
             WHERE d.start_at >= $1 AND d.start_at < $2 AND d.team <> '' ORDER BY d.login"
        );
        let rows: Vec<(String, i64, Option<i64>)> = with_pool!(self, pool => sqlx::query_as(&sql)
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
        let sql = format!(
            "SELECT team, CAST(CASE WHEN status = 'succeeded' AND human_intervention = FALSE \
             THEN 1 ELSE 0 END AS BIGINT) FROM self_service_requests \
             WHERE status <> 'running' AND finished_at >= {} AND finished_at < {}",
            range.start, range.end
        );
        self.stream(&sql, |r| {
            facts.request_team.push(required(r.str(0)?)?.to_string());
            facts.request_ok.push(required(r.i64(1)?)? == 1);
            Ok(())
        })
        .await
    }

    async fn load_answers(
        &self,
        range: &FactRange,
        quarter: &str,
        facts: &mut ScoringFacts,
    ) -> Result<()> {
        if range.questions.is_empty() {
            return Ok(());
        }
        // Literals, not binds: COPY takes no parameters. The quarter and the question ids are
        // quoted as SQL strings.
        let questions: Vec<String> = range.questions.iter().map(|q| literal(q)).collect();
        let sql = format!(
            "SELECT team, question, number, text FROM survey_answers \
             WHERE quarter = {} AND question IN ({})",
            literal(quarter),
            questions.join(", ")
        );
        self.stream(&sql, |r| {
            facts
                .answer_team
                .push(facts.survey_teams.code(required(r.str(0)?)?));
            facts
                .answer_question
                .push(facts.questions.code(required(r.str(1)?)?));
            facts.answer_number.push(r.f64(2)?);
            let choice = r.str(3)?.map(|t| facts.choices.code(t));
            facts.answer_choice.push(choice);
            Ok(())
        })
        .await
    }

    async fn load_response_counts(&self, quarter: &str, facts: &mut ScoringFacts) -> Result<()> {
        let sql =
            "SELECT team, CAST(SUM(responses) AS BIGINT), CAST(SUM(invites) AS BIGINT) FROM ( \
                   SELECT team, COUNT(*) AS responses, 0 AS invites FROM survey_responses \
                   WHERE quarter = $1 GROUP BY team UNION ALL \
                   SELECT team, 0, COUNT(*) FROM survey_invites WHERE quarter = $1 GROUP BY team \
                   ) t GROUP BY team ORDER BY team";
        let rows: Vec<(String, i64, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(quarter).fetch_all(pool).await?);
        facts.response_counts = rows;
        Ok(())
    }
}

/// The changes of a period, with service codes of their own (they load concurrently with the
/// tables that fill the shared dictionaries).
#[derive(Default)]
struct Changes {
    service_names: Dictionary,
    /// The repository of each service code.
    service_repo: Vec<String>,
    service: Vec<u32>,
    lead_seconds: Vec<i64>,
}

pub(super) fn debug_load(what: &str, rows: usize, since: std::time::Instant) {
    tracing::debug!(
        what,
        rows,
        elapsed_ms = since.elapsed().as_millis() as u64,
        "scoring load"
    );
}

/// The code of `service` (of repository `repo`), with its own team from `explicit`.
pub(super) fn service_code(
    facts: &mut ScoringFacts,
    service: &str,
    repo: &str,
    explicit: &HashMap<String, String>,
) -> u32 {
    let code = facts.service_names.code(service);
    if code as usize == facts.services.len() {
        let repo = repo_code(facts, repo);
        facts.services.push(ServiceFacts {
            repo,
            team: explicit.get(service).cloned(),
        });
    }
    code
}

/// The code of repository `slug`; a repository missing from `repositories` gets one with no team.
fn repo_code(facts: &mut ScoringFacts, slug: &str) -> u32 {
    let code = facts.repo_names.code(slug);
    if code as usize == facts.repos.len() {
        facts.repos.push(RepoFacts::default());
    }
    code
}
