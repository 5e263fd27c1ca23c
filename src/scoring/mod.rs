//! Scoring: reads the facts of a quarter, computes the DXS per team and for the organisation
//! with polars, and writes it as a score snapshot. Scoring never writes facts, and the outputs
//! (metrics, report, API, home page) never compute: they read the snapshot ([`read_snapshot`]),
//! with the evidence the score does not hold ([`read_evidence`], [`read_summary`]).
//!
//! The period of a quarter ends at the quarter's end, or now for the current quarter; adoption
//! and the onboarding cohort use the trailing `window_days` that end there. Everything is "as
//! of the period's end", so a past quarter scores the same whenever it is computed.

mod answers;
mod assemble;
mod attribution;
mod change_failure;
mod dora;
mod drivers;
mod evidence;
mod frames;
mod group;
mod normalise;
mod participation;
mod rules;
mod score;
mod snapshot;
mod suppression;
mod table;
mod telemetry;
mod themes;

use std::collections::BTreeMap;
use std::time::Instant;

pub use dora::DoraThresholds;
pub use evidence::{Evidence, Freshness, OpenOnboarding, Summary, TeamThemes};
pub use normalise::{Bounds, Weights, TELEMETRY_COMPONENTS};
pub use rules::Rules;
pub use score::*;
pub use snapshot::{read_evidence, read_snapshot, read_summary, refresh, write_snapshot};
pub use table::render_table;
pub use telemetry::Period;
pub use themes::Theme;

use self::assemble::{team_score, TeamFigures};
use self::change_failure::FailureInputs;
use self::frames::{Frames, Teams};
use self::group::ORG_CODE;
use self::suppression::{hidden_teams, sparse_questions, too_small};
use crate::config::{AdoptionBasis, ConfigError};
use crate::delivery::adoption::Excluded;
use crate::quarter::Quarter;
use crate::store::{FactRange, ScoringFacts, Store, StoreError};

/// Why a score could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    /// Reading facts or writing the snapshot failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A rule is invalid (weights, survey definition).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A polars computation failed.
    #[error("computing the score: {0}")]
    Compute(#[from] polars::prelude::PolarsError),
    /// The computation's thread panicked or was cancelled.
    #[error("computing the score: {0}")]
    Task(String),
    /// A snapshot could not be written or read as JSON.
    #[error("score snapshot JSON: {0}")]
    Json(#[from] serde_json::Error),
}

const DAY: i64 = 86_400;

/// The period of `quarter` as of `now` (UNIX seconds). The current quarter's period includes
/// the current second: an event that finished now counts in a pass that runs this second.
pub fn period(quarter: Quarter, now: i64, rules: &Rules) -> Period {
    let end = quarter.end().min(now + 1).max(quarter.start());
    Period {
        start: quarter.start(),
        end,
        window_start: end - rules.window_days * DAY,
    }
}

/// Computes the score of `quarter` as of `now`, with deltas against the quarter before (scored
/// at the same time, on a task of its own).
pub async fn compute(
    store: &Store,
    rules: &Rules,
    quarter: Quarter,
    now: i64,
) -> Result<Score, ScoringError> {
    let previous = tokio::spawn({
        let (store, rules) = (store.clone(), rules.clone());
        async move { compute_alone(&store, &rules, quarter.prev(), now).await }
    });
    let mut score = compute_alone(store, rules, quarter, now).await?;
    let previous = previous
        .await
        .map_err(|e| ScoringError::Task(e.to_string()))??;
    compare(&mut score, &previous, rules);
    Ok(score)
}

/// Sets each group's change since `previous` (the quarter before): its `delta` and the
/// `drivers` of that change.
pub fn compare(score: &mut Score, previous: &Score, rules: &Rules) {
    add_deltas(score, previous);
    drivers::add_drivers(score, previous, &rules.weights);
}

/// What scoring `quarter` over `period` loads from the store.
pub fn fact_range(quarter: Quarter, period: &Period, rules: &Rules) -> FactRange {
    FactRange {
        start: period.start,
        end: period.end,
        window_start: period.window_start,
        quarter: quarter.to_string(),
        questions: rules
            .survey
            .questions
            .iter()
            .filter(|q| q.component.is_some())
            .map(|q| q.id.clone())
            .collect(),
        namespaces: rules.adoption_basis == AdoptionBasis::Namespaces,
        horizon: period.end + rules.revert_window_days * DAY,
    }
}

/// Computes the score of `quarter` from the store, without deltas: loads its facts
/// ([`Store::scoring_facts`]) and scores them ([`score_facts`]), the one path of every caller.
pub async fn compute_alone(
    store: &Store,
    rules: &Rules,
    quarter: Quarter,
    now: i64,
) -> Result<Score, ScoringError> {
    let period = period(quarter, now, rules);
    let started = Instant::now();
    let facts = store
        .scoring_facts(&fact_range(quarter, &period, rules))
        .await?;
    tracing::debug!(
        %quarter,
        load_ms = started.elapsed().as_millis() as u64,
        "scoring load"
    );
    // Polars blocks its thread (and refuses a current-thread runtime's worker): compute apart.
    let rules = rules.clone();
    tokio::task::spawn_blocking(move || score_facts(facts, &rules, quarter, &period, now))
        .await
        .map_err(|e| ScoringError::Task(e.to_string()))?
}

/// Computes the score of loaded `facts` (the pure part of [`compute_alone`]): every figure of
/// the organisation, each team and each service, the change failure keys included. Each step's
/// time is in the debug log (`RUST_LOG=dxs=debug`).
pub fn score_facts(
    mut facts: ScoringFacts,
    rules: &Rules,
    quarter: Quarter,
    period: &Period,
    now: i64,
) -> Result<Score, ScoringError> {
    let mut step = Steps::new(quarter);
    let failures = FailureInputs::take(&mut facts, &rules.central_incident_repos);
    step.done("failure inputs");
    let teams = Teams::of(&facts);
    let services: Vec<(String, String)> = facts
        .service_names
        .values
        .iter()
        .zip(&facts.services)
        .map(|(name, s)| {
            (
                name.clone(),
                facts.repo_names.values[s.repo as usize].clone(),
            )
        })
        .collect();
    let questions = facts.questions.clone();
    let choices = facts.choices.clone();
    let counts: BTreeMap<String, (i64, i64)> = facts
        .response_counts
        .iter()
        .map(|(t, r, i)| (t.clone(), (*r, *i)))
        .collect();
    // The closed survey's figures are suppressed with the k of its close, never revisited.
    let k = facts
        .survey
        .closed
        .as_ref()
        .and_then(|w| w.frozen_k)
        .unwrap_or(rules.min_group_size);
    let participation = participation::Participations::new(
        &facts.survey,
        rules.min_group_size,
        rules.survey_window_days,
    );
    let exclusions = rules
        .services
        .exclusions(&facts.repo_names.values, &facts.repos);
    let excluded = excluded_in_window(&facts, &exclusions, period);
    let counted: Vec<bool> = exclusions.iter().map(Option::is_none).collect();
    step.done("names");
    let frames = Frames::new(facts, &teams, &counted)?;
    step.done("frames");
    let telemetry = telemetry::telemetry(&frames, period)?;
    step.done("telemetry");
    let mut survey = answers::aggregate(&frames.answers, &rules.survey, &questions, &choices)?;
    step.done("survey");
    let total: i64 = counts.values().map(|(r, _)| r).sum();
    let hidden = hidden_teams(counts.iter().map(|(team, c)| (team.as_str(), c.0)), k);
    sparse_questions(&mut survey, &teams.names, &hidden, k);
    step.done("suppression");
    let empty_t = telemetry::Telemetry::default();
    let empty_s = answers::SurveyAggregates::default();
    let figures = |team: &str, code: u32, responses: i64, hidden: bool| {
        team_score(
            &TeamFigures {
                team,
                telemetry: telemetry.get(&code).unwrap_or(&empty_t),
                survey: survey.get(&code).unwrap_or(&empty_s),
                responses,
                participation: participation.of((code != ORG_CODE).then_some(team)),
                hidden,
                services: &services,
            },
            period,
            rules,
        )
    };
    let mut org = figures(ORG, ORG_CODE, total, too_small(total, k));
    org.adoption.excluded = excluded;
    // A closed quarter lists the teams it has figures of: a team known only later (a new
    // roster line, a new repository) does not change a quarter that has ended.
    let closed = quarter.end() <= now;
    let teams = teams
        .names
        .iter()
        .enumerate()
        .map(|(code, name)| {
            let responses = counts.get(name).map_or(0, |c| c.0);
            figures(name, code as u32, responses, hidden.contains(name.as_str()))
        })
        .filter(|t| !closed || t.has_figures())
        .collect();
    let mut score = Score {
        quarter: quarter.to_string(),
        // As of the period's end: now for the current quarter, the quarter's end for a closed
        // one, so scoring a closed quarter again gives the same document byte for byte.
        computed_at: rfc3339(period.end.min(now)),
        org,
        teams,
    };
    step.done("assemble");
    change_failure::apply(&mut score, failures, rules, period, now);
    step.done("change failure");
    Ok(score)
}

/// Times each step of [`score_facts`] into the debug log, so a slow step names itself.
struct Steps {
    quarter: Quarter,
    last: Instant,
}

impl Steps {
    fn new(quarter: Quarter) -> Steps {
        Steps {
            quarter,
            last: Instant::now(),
        }
    }

    fn done(&mut self, step: &str) {
        tracing::debug!(
            quarter = %self.quarter,
            step,
            elapsed_ms = self.last.elapsed().as_millis() as u64,
            "scoring compute"
        );
        self.last = Instant::now();
    }
}

/// The repositories active in the window (pushed, committed to or deployed) that adoption
/// leaves out, with why, by slug.
fn excluded_in_window(
    facts: &ScoringFacts,
    exclusions: &[Option<&'static str>],
    period: &Period,
) -> Vec<Excluded> {
    let mut deployed = vec![false; facts.repos.len()];
    for (repo, at) in facts.deploy_repo.iter().zip(&facts.deploy_at) {
        if *at >= period.window_start {
            deployed[*repo as usize] = true;
        }
    }
    let mut out: Vec<Excluded> = exclusions
        .iter()
        .enumerate()
        .filter(|(code, _)| facts.repos[*code].active || deployed[*code])
        .filter_map(|(code, why)| {
            Some(Excluded {
                repo: facts.repo_names.values[code].clone(),
                why: why.as_ref()?.to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.repo.cmp(&b.repo));
    out
}

/// Sets each team's `delta` against the same team in `previous`.
pub fn add_deltas(score: &mut Score, previous: &Score) {
    let delta = |now: &TeamScore, then: Option<&TeamScore>| {
        let then = then?;
        if then.dxs.is_none() && then.components.is_empty() {
            return None;
        }
        Some(Delta {
            previous_quarter: previous.quarter.clone(),
            dxs: now
                .dxs
                .zip(then.dxs)
                .map(|(a, b)| normalise::round(a - b, 1)),
            components: now
                .components
                .iter()
                .filter_map(|(k, v)| {
                    Some((k.clone(), normalise::round(v - then.components.get(k)?, 1)))
                })
                .collect(),
        })
    };
    score.org.delta = delta(&score.org, Some(&previous.org));
    for team in &mut score.teams {
        team.delta = delta(team, previous.team(&team.team));
    }
}

/// The current quarter and the three before it, oldest first.
pub fn recent_quarters(now: i64) -> Vec<Quarter> {
    Quarter::of_timestamp(now).last_four().to_vec()
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
