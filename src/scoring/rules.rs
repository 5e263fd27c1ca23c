//! The rules of a scoring run, as data: weights, bounds, tiers, the hiding threshold, the
//! survey definition and what a deployable service is. Built once from the configuration and checked there.

use super::dora::DoraThresholds;
use super::normalise::{Bounds, Weights};
use crate::config::{AdoptionBasis, Config, ConfigError, ScoreConfig};
use crate::survey::definition::SurveyDefinition;

/// Everything that decides how facts become a score.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Component weights.
    pub weights: Weights,
    /// A team's survey figures are hidden below this many responses.
    pub min_group_size: i64,
    /// A DXS is published only when its components with data carry at least this share of
    /// the weight; below it the DXS is `None` and the score partial.
    pub min_coverage: f64,
    /// Trailing window for adoption and the onboarding cohort, in days.
    pub window_days: i64,
    /// Days a quarter's survey is open from its first invite (`survey.window_days`).
    pub survey_window_days: i64,
    /// Lead time bounds, hours.
    pub lead_time: Bounds,
    /// Onboarding bounds, hours.
    pub onboarding: Bounds,
    /// Failed deployment recovery bounds, hours (the `recovery` component).
    pub recovery: Bounds,
    /// DORA tier thresholds.
    pub dora: DoraThresholds,
    /// The survey: questions, components, choice scores.
    pub survey: SurveyDefinition,
    /// What adoption counts: repositories or namespaces.
    pub adoption_basis: AdoptionBasis,
    /// A revert fails a rollout only when it ships within this many days of its finish
    /// (`incidents.revert_window_days`); it also bounds how far past a quarter scoring reads.
    pub revert_window_days: i64,
    /// Which repositories are deployable services (adoption's denominator).
    pub services: crate::delivery::adoption::Rule,
    /// Central incident repositories (`incidents.repos`): an issue there without a service
    /// label is unattributed.
    pub central_incident_repos: Vec<String>,
}

/// `survey.window_days` when rules are built from `[score]` alone.
const SURVEY_WINDOW_DAYS: i64 = 21;

/// `incidents.revert_window_days` when rules are built from `[score]` alone.
const REVERT_WINDOW_DAYS: i64 = 14;

impl Rules {
    /// Rules from `[score]` (weights, bounds, tiers) and `survey`.
    pub fn new(config: &ScoreConfig, survey: SurveyDefinition) -> Result<Rules, ConfigError> {
        Ok(Rules {
            weights: Weights::new(config, &survey.components())?,
            min_group_size: i64::from(config.min_group_size),
            min_coverage: config.min_coverage,
            window_days: i64::from(config.window_days),
            survey_window_days: SURVEY_WINDOW_DAYS,
            lead_time: bounds(config.lead_time_hours),
            onboarding: bounds(config.onboarding_hours),
            recovery: bounds(config.recovery_hours),
            dora: DoraThresholds {
                lead_time_hours: config.dora_lead_time_hours,
                deploys_per_week: config.dora_deploys_per_week,
                change_failure: config.dora_change_failure,
                recovery_hours: config.dora_recovery_hours,
            },
            survey,
            adoption_basis: config.adoption_basis,
            revert_window_days: REVERT_WINDOW_DAYS,
            services: crate::delivery::adoption::Rule::default(),
            central_incident_repos: Vec::new(),
        })
    }

    /// Rules from the configuration: `[score]` and the survey definition of `[survey]`.
    pub fn load(config: &Config) -> Result<Rules, ConfigError> {
        Ok(Rules {
            revert_window_days: i64::from(config.incidents.revert_window_days),
            services: crate::delivery::adoption::Rule::of(config),
            central_incident_repos: config.incidents.repos.clone(),
            survey_window_days: config.survey.window_days,
            ..Rules::new(&config.score, config.survey.definition.clone())?
        })
    }
}

fn bounds([best, worst]: [f64; 2]) -> Bounds {
    Bounds { best, worst }
}
