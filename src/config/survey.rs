//! `[survey]` and `[roster]` (DESIGN §4, §6): the survey definition, its links and secret, and the
//! roster file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::survey_definition::SurveyDefinition;
use super::{check_url, invalid, ConfigError, Secret};

/// The roster file.
#[derive(Debug, Clone)]
pub struct RosterConfig {
    /// CSV with `login,team,start_date[,email]`.
    pub file: PathBuf,
}

/// The quarterly survey.
#[derive(Debug, Clone)]
pub struct SurveyConfig {
    /// Where the definition was read from (`survey.file`).
    pub file: PathBuf,
    /// The validated definition: the form is rendered from it.
    pub definition: SurveyDefinition,
    /// Base URL of the invite links (`{base_url}/survey?invite=…`), without a trailing `/`.
    pub base_url: String,
    /// The survey secret from the variable named by `survey.secret_env`: invite tokens are
    /// derived from it (so `dxs survey invite` run twice gives the same links) and it signs the
    /// form's CSRF token. `dxs survey invite` refuses to run without it.
    pub secret: Option<Secret>,
    /// The secret `secret` replaced, from the variable named by `survey.previous_secret_env`
    /// (none by default): responses held under it still open at their release.
    pub previous_secret: Option<Secret>,
    /// Key of the form's CSRF token: `secret`, or a random key for this process when it is not
    /// set (forms then fail after a restart and across replicas).
    pub form_key: Secret,
    /// Days a quarter's survey is open from its first invite (`survey.window_days`, 1–92): then
    /// it closes and its figures publish, once (DESIGN §10).
    pub window_days: i64,
}

/// Default of `survey.window_days`.
pub(super) const DEFAULT_WINDOW_DAYS: u32 = 21;

pub(super) const DEFAULT_ROSTER_FILE: &str = "surveys/roster.csv";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawRoster {
    pub(super) file: PathBuf,
}

impl Default for RawRoster {
    fn default() -> Self {
        RawRoster {
            file: DEFAULT_ROSTER_FILE.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawSurvey {
    pub(super) file: PathBuf,
    pub(super) base_url: String,
    pub(super) secret_env: String,
    pub(super) previous_secret_env: String,
    pub(super) window_days: u32,
}

/// Default place of the survey definition; when absent there, the shipped copy is used.
pub(super) const DEFAULT_SURVEY_FILE: &str = "surveys/quarterly.toml";

impl Default for RawSurvey {
    fn default() -> Self {
        RawSurvey {
            file: DEFAULT_SURVEY_FILE.into(),
            base_url: "http://127.0.0.1:8080".into(),
            secret_env: "DXS_SURVEY_SECRET".into(),
            previous_secret_env: String::new(),
            window_days: DEFAULT_WINDOW_DAYS,
        }
    }
}

/// A roster file that is configured must be readable. The default one may be missing: dxs
/// then runs without a roster (the demo, a first start) and the GitHub collector says so.
pub(super) fn validate_roster(raw: RawRoster) -> Result<RosterConfig, ConfigError> {
    if raw.file != Path::new(DEFAULT_ROSTER_FILE) || raw.file.exists() {
        std::fs::File::open(&raw.file).map_err(|e| {
            invalid(
                "roster.file",
                format!("cannot read {}: {e}", raw.file.display()),
            )
        })?;
    }
    Ok(RosterConfig { file: raw.file })
}

pub(super) fn validate_survey(
    raw: RawSurvey,
    secret: Option<Secret>,
    previous: Option<Secret>,
) -> Result<SurveyConfig, ConfigError> {
    let definition = if raw.file.as_os_str().is_empty() {
        return Err(invalid(
            "survey.file",
            "expected the path of a survey definition",
        ));
    } else if raw.file == Path::new(DEFAULT_SURVEY_FILE) && !raw.file.exists() {
        SurveyDefinition::embedded()
    } else {
        SurveyDefinition::load(&raw.file)?
    };
    let form_key = secret.clone().unwrap_or_else(|| {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Secret::new(hex::encode(key))
    });
    if !(1..=92).contains(&raw.window_days) {
        return Err(invalid(
            "survey.window_days",
            format!(
                "expected 1 to 92 days (a quarter at most), got {}",
                raw.window_days
            ),
        ));
    }
    Ok(SurveyConfig {
        window_days: i64::from(raw.window_days),
        file: raw.file,
        definition,
        base_url: check_url("survey.base_url", raw.base_url)?,
        secret,
        previous_secret: previous,
        form_key,
    })
}
