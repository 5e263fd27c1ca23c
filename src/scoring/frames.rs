//! The loaded facts as polars frames, every team as a dense `u32` code of [`Teams`].

use std::collections::{BTreeSet, HashMap};

use polars::prelude::*;

use crate::store::ScoringFacts;

/// Every team of a scoring run, sorted by name; a team's code is its index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Teams {
    /// Team names, sorted.
    pub names: Vec<String>,
    codes: HashMap<String, u32>,
}

impl Teams {
    /// The teams named anywhere in `facts`.
    pub fn of(facts: &ScoringFacts) -> Teams {
        let mut names: BTreeSet<&str> = facts.teams.iter().map(String::as_str).collect();
        names.extend(facts.repos.iter().filter_map(|r| r.team.as_deref()));
        names.extend(facts.request_team.iter().map(String::as_str));
        names.extend(facts.survey_teams.values.iter().map(String::as_str));
        names.extend(facts.cohort.iter().map(|d| d.team.as_str()));
        names.extend(facts.response_counts.iter().map(|(t, _, _)| t.as_str()));
        let names: Vec<String> = names.into_iter().map(String::from).collect();
        let codes = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        Teams { names, codes }
    }

    /// The code of `team` (every team of the facts has one).
    pub fn code(&self, team: &str) -> u32 {
        self.codes[team]
    }
}

/// The frames of one scoring run.
pub struct Frames {
    /// `repo, team, archived, active`: one row per repository code.
    pub repos: DataFrame,
    /// `team, lead` (seconds): changes deployed in the period.
    pub changes: DataFrame,
    /// `repo, team, platform, at`: deployments in the period or the window.
    pub deployments: DataFrame,
    /// `team, start, first`: the onboarding cohort.
    pub cohort: DataFrame,
    /// `team, ok`: finished requests.
    pub requests: DataFrame,
    /// `team, question, number, choice`: scored answers.
    pub answers: DataFrame,
}

impl Frames {
    /// Builds the frames; the large columns are moved, not copied row by row.
    pub fn new(facts: ScoringFacts, teams: &Teams) -> PolarsResult<Frames> {
        let repo_team: Vec<Option<u32>> = facts
            .repos
            .iter()
            .map(|r| r.team.as_deref().map(|t| teams.code(t)))
            .collect();
        let repos = df!(
            "repo" => (0..facts.repos.len() as u32).collect::<Vec<u32>>(),
            "team" => repo_team,
            "archived" => facts.repos.iter().map(|r| r.archived).collect::<Vec<bool>>(),
            "active" => facts.repos.iter().map(|r| r.active).collect::<Vec<bool>>(),
        )?;
        let owner = repos.clone().lazy().select([col("repo"), col("team")]);
        let changes = df!(
            "repo" => facts.change_repo,
            "lead" => facts.change_lead_seconds,
        )?
        .lazy()
        .left_join(owner.clone(), col("repo"), col("repo"))
        .select([col("team"), col("lead")])
        .collect()?;
        let deployments = df!(
            "repo" => facts.deploy_repo,
            "platform" => facts.deploy_platform,
            "at" => facts.deploy_at,
        )?
        .lazy()
        .left_join(owner, col("repo"), col("repo"))
        .collect()?;
        let cohort = df!(
            "team" => facts.cohort.iter().map(|d| teams.code(&d.team)).collect::<Vec<u32>>(),
            "start" => facts.cohort.iter().map(|d| d.start_at).collect::<Vec<i64>>(),
            "first" => facts.cohort.iter().map(|d| d.first_commit_at).collect::<Vec<Option<i64>>>(),
        )?;
        let requests = df!(
            "team" => facts.request_team.iter().map(|t| teams.code(t)).collect::<Vec<u32>>(),
            "ok" => facts.request_ok,
        )?;
        let survey_team = df!(
            "steam" => (0..facts.survey_teams.values.len() as u32).collect::<Vec<u32>>(),
            "team" => facts.survey_teams.values.iter().map(|t| teams.code(t)).collect::<Vec<u32>>(),
        )?;
        let answers = df!(
            "steam" => facts.answer_team,
            "question" => facts.answer_question,
            "number" => facts.answer_number,
            "choice" => facts.answer_choice,
        )?
        .lazy()
        .left_join(survey_team.lazy(), col("steam"), col("steam"))
        .select([col("team"), col("question"), col("number"), col("choice")])
        .collect()?;
        Ok(Frames {
            repos,
            changes,
            deployments,
            cohort,
            requests,
            answers,
        })
    }
}
