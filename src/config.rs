//! Configuration: `dxs.toml` plus `DXS_*` environment overrides, validated once at start.
//!
//! Loading happens in three steps: the TOML file (optional) is read into a table, every
//! `DXS_KEY` / `DXS_SECTION__KEY` variable that names a known key overrides it, and the result
//! is validated into typed fields. Secrets are never in the file: the file names the environment
//! variable that holds each one, and [`Secret`] never prints its value.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

use crate::model::Service;
use crate::names::{NameError, RepoSlug};
pub use crate::secret::Secret;
use survey_definition::DefinitionError;

mod adoption;
mod incidents;

pub use adoption::AdoptionConfig;
pub use incidents::IncidentsConfig;

mod delivery;

pub use delivery::{GitOps, DEFAULT_IMAGE_TAG_PATTERN};

mod auth;
mod collect;
mod github;
mod kubernetes;
mod score;
mod survey;
pub mod survey_definition;

pub use collect::CollectConfig;
use collect::{validate_collect, RawCollect};
use github::{production_environments, validate_github_app, RawGithub};
pub use github::{GithubApp, GithubConfig, DEFAULT_PRODUCTION_ENVIRONMENTS};
use kubernetes::{validate_kubernetes, RawKubernetes};
pub use kubernetes::{ClaimResource, KubernetesConfig};
use score::{validate_score, RawScore};
pub use score::{AdoptionBasis, ScoreConfig, DEFAULT_MIN_GROUP_SIZE, DEFAULT_WEIGHTS};
use survey::{validate_roster, validate_survey, RawRoster, RawSurvey};
pub use survey::{RosterConfig, SurveyConfig};

use auth::{validate_auth, validate_metrics, RawAuth, RawMetrics};
pub use auth::{Admins, AuthConfig, Cidr, MetricsConfig, MIN_ADMIN_TOKEN_CHARS};

/// A configuration error: always names the key and says what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key has a value that cannot be used.
    #[error("{key}: {reason}")]
    Invalid {
        /// Dotted key, e.g. `score.weights.nps`.
        key: String,
        /// What was expected.
        reason: String,
    },
    /// The file could not be read.
    #[error("{path}: {reason}")]
    File {
        /// The config file.
        path: String,
        /// Why it could not be read.
        reason: String,
    },
}

impl From<DefinitionError> for ConfigError {
    /// The survey definition's error, as the configuration's (it is part of it).
    fn from(e: DefinitionError) -> ConfigError {
        match e {
            DefinitionError::Invalid { key, reason } => ConfigError::Invalid { key, reason },
            DefinitionError::File { path, reason } => ConfigError::File { path, reason },
        }
    }
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address `dxs serve` listens on.
    pub listen: SocketAddr,
    /// `sqlite://…` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// GitHub (or GitHub Enterprise) collector settings.
    pub github: GithubConfig,
    /// ArgoCD collector settings.
    pub argocd: ArgoCdConfig,
    /// Platform orchestrator settings (Backstage scaffolder or a webhook sender).
    pub orchestrator: OrchestratorConfig,
    /// The roster file: who works here, since when, in which team.
    pub roster: RosterConfig,
    /// Score weights and rules.
    pub score: ScoreConfig,
    /// Access to the report and the API.
    pub auth: AuthConfig,
    /// Access to `/metrics`.
    pub metrics: MetricsConfig,
    /// The quarterly survey: its definition, invite links and secret.
    pub survey: SurveyConfig,
    /// Collection schedule and the HTTP client's patience.
    pub collect: CollectConfig,
    /// The Kubernetes cluster whose namespaces measure adoption.
    pub kubernetes: KubernetesConfig,
    /// Incident sources: a GitHub issue label and the incident webhook.
    pub incidents: IncidentsConfig,
    /// What counts as a deployable service in adoption's denominator.
    pub adoption: AdoptionConfig,
    /// Paths of repositories deployed as services of their own (`[[services]]`).
    pub services: Vec<Service>,
}

/// ArgoCD collector settings.
#[derive(Debug, Clone)]
pub struct ArgoCdConfig {
    /// ArgoCD server URL; empty when `argocd.url` is not set (ArgoCD is then not collected).
    pub url: String,
    /// Token from the environment variable named by `argocd.token_env`, if set.
    pub token: Option<Secret>,
    /// Label selector of the production Applications.
    pub production_selector: String,
    /// How images of config-repository Applications name their repository and commit.
    pub gitops: GitOps,
    /// `argocd.config_repos`: GitOps config repositories (`owner/repo`), never services.
    pub config_repos: Vec<String>,
}

/// Which orchestrator dxs polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrchestratorKind {
    /// Backstage scaffolder: polled through its API.
    Backstage,
    /// Any other orchestrator: it sends `POST /webhooks/orchestrator`.
    Webhook,
}

/// Platform orchestrator settings.
#[derive(Debug, Clone)]
pub struct OrchestratorConfig {
    /// Which orchestrator.
    pub kind: OrchestratorKind,
    /// Its base URL (Backstage); empty when `orchestrator.url` is not set (nothing is polled).
    pub url: String,
    /// Token from the environment variable named by `orchestrator.token_env`, if set.
    pub token: Option<Secret>,
    /// HMAC key of the webhooks, from `orchestrator.webhook_secret_env`.
    pub webhook_secret: Option<Secret>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    listen: Option<String>,
    database_url: Option<String>,
    github: RawGithub,
    argocd: RawArgoCd,
    orchestrator: RawOrchestrator,
    roster: RawRoster,
    score: RawScore,
    auth: RawAuth,
    metrics: RawMetrics,
    survey: RawSurvey,
    collect: RawCollect,
    kubernetes: RawKubernetes,
    incidents: incidents::RawIncidents,
    adoption: adoption::RawAdoption,
    services: Vec<delivery::RawService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawArgoCd {
    url: String,
    token_env: String,
    production_selector: String,
    image_tag_pattern: String,
    images: BTreeMap<String, String>,
    config_repos: Vec<String>,
}

impl Default for RawArgoCd {
    /// No URL: ArgoCD is not configured until `argocd.url` is set.
    fn default() -> Self {
        RawArgoCd {
            url: String::new(),
            token_env: "ARGOCD_TOKEN".into(),
            production_selector: "env=production".into(),
            image_tag_pattern: DEFAULT_IMAGE_TAG_PATTERN.into(),
            images: BTreeMap::new(),
            config_repos: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawOrchestrator {
    kind: String,
    url: String,
    token_env: String,
    webhook_secret_env: String,
}

impl Default for RawOrchestrator {
    /// No URL: Backstage is not polled until `orchestrator.url` is set.
    fn default() -> Self {
        RawOrchestrator {
            kind: "backstage".into(),
            url: String::new(),
            token_env: "BACKSTAGE_TOKEN".into(),
            webhook_secret_env: "DXS_WEBHOOK_SECRET".into(),
        }
    }
}

/// Sections whose keys may be overridden with `DXS_SECTION__KEY`.
const SECTIONS: [&str; 12] = [
    "github",
    "argocd",
    "orchestrator",
    "roster",
    "score",
    "auth",
    "metrics",
    "survey",
    "collect",
    "kubernetes",
    "incidents",
    "adoption",
];
/// Top-level keys that may be overridden with `DXS_KEY`.
const TOP_LEVEL_KEYS: [&str; 2] = ["listen", "database_url"];

impl Config {
    /// Loads the configuration from `path` (if it exists, or must exist when `required`) and the
    /// process environment.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => String::new(),
            Err(e) => {
                return Err(ConfigError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        Self::from_parts(&text, vars, |name| std::env::var(name).ok())
    }

    /// Builds the configuration from a TOML text, the `DXS_*` variables of `vars`, and `secret`,
    /// which reads the environment variables that hold secrets.
    pub fn from_parts(
        text: &str,
        vars: impl IntoIterator<Item = (String, String)>,
        secret: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let key = "dxs.toml";
            invalid(key, e.message().to_string())
        })?;
        apply_overrides(&mut table, vars)?;
        let raw = RawConfig::deserialize(toml::Value::Table(table))
            .map_err(|e| invalid("dxs.toml", e.message().to_string()))?;
        validate(raw, &secret)
    }
}

/// Applies `DXS_KEY` and `DXS_SECTION__KEY` variables. Variables that name no known key or
/// section (such as `DXS_ADMIN_TOKEN`, a secret) are left alone; a variable that names a known
/// section but an unknown key is still rejected later by `deny_unknown_fields`.
fn apply_overrides(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("DXS_") else {
            continue;
        };
        let rest = rest.to_ascii_lowercase();
        let parsed = parse_env_value(&value);
        match rest.split_once("__") {
            Some((section, key)) if SECTIONS.contains(&section) => {
                let entry = table
                    .entry(section.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let toml::Value::Table(section_table) = entry else {
                    return Err(invalid(section, "expected a table"));
                };
                section_table.insert(key.to_string(), parsed);
            }
            None if TOP_LEVEL_KEYS.contains(&rest.as_str()) => {
                table.insert(rest, parsed);
            }
            _ => {}
        }
    }
    Ok(())
}

/// An environment value is read as a TOML value when it is one (`5`, `["a"]`, `{ nps = 1 }`),
/// otherwise as a plain string.
fn parse_env_value(value: &str) -> toml::Value {
    format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
}

fn validate(
    raw: RawConfig,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let listen = raw.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen: SocketAddr = listen.parse().map_err(|_| {
        invalid(
            "listen",
            format!("expected host:port such as 127.0.0.1:8080, got {listen:?}"),
        )
    })?;
    let database_url = raw.database_url.unwrap_or_else(|| "sqlite://dxs.db".into());
    check_database_url("database_url", &database_url)?;

    let read_secret = |key: &str, env: &str| -> Result<Option<Secret>, ConfigError> {
        if env.is_empty() {
            return Ok(None);
        }
        if !env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid(
                key,
                format!("expected an environment variable name, got {env:?}"),
            ));
        }
        Ok(secret(env).filter(|v| !v.is_empty()).map(Secret::new))
    };

    let key = read_secret(
        "github.app_private_key_env",
        &raw.github.app_private_key_env,
    )?;
    let app = validate_github_app(&raw.github, key)?;
    let github = GithubConfig {
        api_url: check_url("github.api_url", raw.github.api_url)?,
        token: read_secret("github.token_env", &raw.github.token_env)?,
        org: raw.github.org.trim().to_string(),
        repos: repositories("github.repos", raw.github.repos)?,
        production_environments: production_environments(raw.github.production_environments)?,
        bot_logins: raw.github.bot_logins,
        webhook_secret: read_secret("github.webhook_secret_env", &raw.github.webhook_secret_env)?,
        app,
    };
    if github.org.is_empty() && !github.repos.is_empty() {
        return Err(invalid(
            "github.repos",
            "needs github.org, the organisation they belong to",
        ));
    }
    let argocd = ArgoCdConfig {
        url: optional_url("argocd.url", raw.argocd.url)?,
        token: read_secret("argocd.token_env", &raw.argocd.token_env)?,
        production_selector: non_empty(
            "argocd.production_selector",
            raw.argocd.production_selector,
        )?,
        gitops: delivery::gitops(&raw.argocd.image_tag_pattern, raw.argocd.images)?,
        config_repos: repositories("argocd.config_repos", raw.argocd.config_repos)?,
    };
    let kind = match raw.orchestrator.kind.as_str() {
        "backstage" => OrchestratorKind::Backstage,
        "webhook" => OrchestratorKind::Webhook,
        other => {
            return Err(invalid(
                "orchestrator.kind",
                format!("expected \"backstage\" or \"webhook\", got {other:?}"),
            ))
        }
    };
    let orchestrator = OrchestratorConfig {
        kind,
        url: optional_url("orchestrator.url", raw.orchestrator.url)?,
        token: read_secret("orchestrator.token_env", &raw.orchestrator.token_env)?,
        webhook_secret: read_secret(
            "orchestrator.webhook_secret_env",
            &raw.orchestrator.webhook_secret_env,
        )?,
    };
    let score = validate_score(raw.score)?;
    let auth = validate_auth(raw.auth, &read_secret)?;
    let metrics = validate_metrics(raw.metrics, &read_secret)?;
    let survey_secret = read_secret("survey.secret_env", &raw.survey.secret_env)?;
    let previous = read_secret(
        "survey.previous_secret_env",
        &raw.survey.previous_secret_env,
    )?;
    let survey = validate_survey(raw.survey, survey_secret, previous)?;
    let kubernetes = validate_kubernetes(raw.kubernetes)?;
    let incidents = raw.incidents.validate(read_secret)?;
    if score.adoption_basis == AdoptionBasis::Namespaces && !kubernetes.enabled {
        return Err(invalid(
            "score.adoption_basis",
            "\"namespaces\" needs [kubernetes] enabled = true",
        ));
    }
    Ok(Config {
        listen,
        database_url,
        github,
        argocd,
        orchestrator,
        roster: validate_roster(raw.roster)?,
        score,
        auth,
        metrics,
        survey,
        collect: validate_collect(raw.collect)?,
        kubernetes,
        incidents,
        adoption: raw.adoption.validate()?,
        services: delivery::services(raw.services)?,
    })
}

/// Checks a database URL: `sqlite:` or `postgres(ql)://`.
pub fn check_database_url(key: &str, url: &str) -> Result<(), ConfigError> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!("expected sqlite://FILE or postgres://USER@HOST/DB, got {url:?}"),
        ))
    }
}

fn check_url(key: &str, url: String) -> Result<String, ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => {
            Ok(url.trim_end_matches('/').to_string())
        }
        _ => Err(invalid(
            key,
            format!("expected an http:// or https:// URL, got {url:?}"),
        )),
    }
}

/// An URL that may be left unset (`""`: the source is not configured), else checked.
fn optional_url(key: &str, url: String) -> Result<String, ConfigError> {
    match url.trim() {
        "" => Ok(String::new()),
        _ => check_url(key, url),
    }
}

/// Each of `repos` as `owner/name`, checked ([`RepoSlug`]).
fn repositories(key: &str, repos: Vec<String>) -> Result<Vec<String>, ConfigError> {
    repos
        .into_iter()
        .enumerate()
        .map(|(i, repo)| {
            let slug: RepoSlug = repo
                .parse()
                .map_err(|e: NameError| invalid(format!("{key}[{i}]"), e.to_string()))?;
            Ok(slug.into())
        })
        .collect()
}

fn non_empty(key: &str, value: String) -> Result<String, ConfigError> {
    if value.trim().is_empty() {
        Err(invalid(key, "expected a non-empty value"))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests;
