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
        names.extend(facts.services.iter().filter_map(|s| s.team.as_deref()));
        names.extend(facts.request_team.iter().map(String::as_str));
        names.extend(facts.survey_teams.values.iter().map(String::as_str));
        names.extend(facts.cohort.iter().map(|d| d.team.as_str()));
        names.extend(facts.response_counts.iter().map(|(t, _, _)| t.as_str()));
        names.extend(facts.survey.participation.iter().map(|p| p.team.as_str()));
        names.extend(facts.namespaces.iter().map(|n| n.team.as_str()));
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
    /// `repo, team, service, active`: one row per repository code (`service`: a deployable
    /// service, counted by adoption).
    pub repos: DataFrame,
    /// `team, service, lead` (seconds): changes deployed in the period.
    pub changes: DataFrame,
    /// `team, service, repo, back, at`: rollouts (`back`: rollbacks) in the period.
    pub rollouts: DataFrame,
    /// `repo, team, platform, at`: deployments in the period or the window.
    pub deployments: DataFrame,
    /// `team, start, first`: the onboarding cohort.
    pub cohort: DataFrame,
    /// `team, ok`: finished requests.
    pub requests: DataFrame,
    /// `team, question, number, choice`: scored answers.
    pub answers: DataFrame,
    /// `team, managed`: namespaces with a team label at the period's end.
    pub namespaces: DataFrame,
}

impl Frames {
    /// Builds the frames; the large columns are moved, not copied, and each row's team is
    /// gathered by its repository's (or survey team's) code, not joined.
    /// `services[code]`: repository `code` is a deployable service.
    pub fn new(facts: ScoringFacts, teams: &Teams, services: &[bool]) -> PolarsResult<Frames> {
        let repo_team = Series::new(
            "team".into(),
            facts
                .repos
                .iter()
                .map(|r| r.team.as_deref().map(|t| teams.code(t)))
                .collect::<Vec<Option<u32>>>(),
        );
        let repos = DataFrame::new(
            facts.repos.len(),
            vec![
                Column::new(
                    "repo".into(),
                    (0..facts.repos.len() as u32).collect::<Vec<u32>>(),
                ),
                repo_team.clone().into(),
                Column::new("service".into(), services.to_vec()),
                Column::new(
                    "active".into(),
                    facts.repos.iter().map(|r| r.active).collect::<Vec<bool>>(),
                ),
            ],
        )?;
        // A service's team: its own, else its repository's.
        let service_team = Series::new(
            "team".into(),
            facts
                .services
                .iter()
                .map(|s| match &s.team {
                    Some(team) => Some(teams.code(team)),
                    None => facts.repos[s.repo as usize]
                        .team
                        .as_deref()
                        .map(|t| teams.code(t)),
                })
                .collect::<Vec<Option<u32>>>(),
        );
        let service_repo = Series::new(
            "repo".into(),
            facts.services.iter().map(|s| s.repo).collect::<Vec<u32>>(),
        );
        let change_service = IdxCa::from_vec("service".into(), facts.change_service);
        let changes = DataFrame::new(
            change_service.len(),
            vec![
                service_team.take(&change_service)?.into(),
                change_service.clone().into_series().into(),
                Column::new("lead".into(), facts.change_lead_seconds),
            ],
        )?;
        let rollout_service = IdxCa::from_vec("service".into(), facts.rollout_service);
        let rollouts = DataFrame::new(
            rollout_service.len(),
            vec![
                service_team.take(&rollout_service)?.into(),
                service_repo.take(&rollout_service)?.into(),
                rollout_service.into_series().into(),
                Column::new("back".into(), facts.rollout_back),
                Column::new("at".into(), facts.rollout_at),
            ],
        )?;
        let deploy_repo = IdxCa::from_vec("repo".into(), facts.deploy_repo);
        let deployments = DataFrame::new(
            deploy_repo.len(),
            vec![
                repo_team.take(&deploy_repo)?.into(),
                deploy_repo.into_series().into(),
                Column::new("platform".into(), facts.deploy_platform),
                Column::new("at".into(), facts.deploy_at),
            ],
        )?;
        let cohort = df!(
            "team" => facts.cohort.iter().map(|d| teams.code(&d.team)).collect::<Vec<u32>>(),
            "start" => facts.cohort.iter().map(|d| d.start_at).collect::<Vec<i64>>(),
            "first" => facts.cohort.iter().map(|d| d.first_commit_at).collect::<Vec<Option<i64>>>(),
        )?;
        let requests = df!(
            "team" => facts.request_team.iter().map(|t| teams.code(t)).collect::<Vec<u32>>(),
            "ok" => facts.request_ok,
        )?;
        let survey_team = Series::new(
            "team".into(),
            facts
                .survey_teams
                .values
                .iter()
                .map(|t| teams.code(t))
                .collect::<Vec<u32>>(),
        );
        let answer_team = IdxCa::from_vec("team".into(), facts.answer_team);
        let answers = DataFrame::new(
            answer_team.len(),
            vec![
                survey_team.take(&answer_team)?.into(),
                Column::new("question".into(), facts.answer_question),
                Column::new("number".into(), facts.answer_number),
                Column::new("choice".into(), facts.answer_choice),
            ],
        )?;
        let namespaces = df!(
            "team" => facts.namespaces.iter().map(|n| teams.code(&n.team)).collect::<Vec<u32>>(),
            "managed" => facts.namespaces.iter().map(|n| n.managed).collect::<Vec<bool>>(),
        )?;
        Ok(Frames {
            namespaces,
            repos,
            changes,
            rollouts,
            deployments,
            cohort,
            requests,
            answers,
        })
    }
}
