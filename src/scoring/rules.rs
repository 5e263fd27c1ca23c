//! The rules of a scoring run, as data: weights, bounds, tiers, the hiding threshold and the
//! survey definition. Built once from the configuration and checked there.

use std::path::Path;

use super::dora::DoraThresholds;
use super::normalise::{Bounds, Weights, LEAD_TIME_BOUNDS, ONBOARDING_BOUNDS};
use crate::config::{ConfigError, ScoreConfig};
use crate::survey::definition::{SurveyDefinition, DEFAULT_PATH};

/// The survey definition built into the binary, used when `surveys/quarterly.toml` is absent.
const BUILTIN_SURVEY: &str = include_str!("../../surveys/quarterly.toml");

/// Everything that decides how facts become a score.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Component weights.
    pub weights: Weights,
    /// A team's survey figures are hidden below this many responses.
    pub min_group_size: i64,
    /// Trailing window for adoption and the onboarding cohort, in days.
    pub window_days: i64,
    /// Lead time bounds, hours.
    pub lead_time: Bounds,
    /// Onboarding bounds, hours.
    pub onboarding: Bounds,
    /// DORA tier thresholds.
    pub dora: DoraThresholds,
    /// The survey: questions, components, choice scores.
    pub survey: SurveyDefinition,
}

impl Rules {
    /// Rules from `[score]` and `survey`, with the default bounds and tiers.
    pub fn new(config: &ScoreConfig, survey: SurveyDefinition) -> Result<Rules, ConfigError> {
        Ok(Rules {
            weights: Weights::new(config, &survey.components())?,
            min_group_size: i64::from(config.min_group_size),
            window_days: i64::from(config.window_days),
            lead_time: LEAD_TIME_BOUNDS,
            onboarding: ONBOARDING_BOUNDS,
            dora: DoraThresholds::default(),
            survey,
        })
    }

    /// Rules from `[score]` and the survey at `surveys/quarterly.toml` (the built-in copy when
    /// the file is not there).
    pub fn load(config: &ScoreConfig) -> Result<Rules, ConfigError> {
        let path = Path::new(DEFAULT_PATH);
        let survey = if path.exists() {
            SurveyDefinition::load(path)?
        } else {
            SurveyDefinition::parse(BUILTIN_SURVEY)?
        };
        Rules::new(config, survey)
    }
}
