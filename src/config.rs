//! Configuration: `dxs.toml` plus `DXS_*` environment overrides, validated once at start.
//!
//! Loading happens in three steps: the TOML file (optional) is read into a table, every
//! `DXS_KEY` / `DXS_SECTION__KEY` variable that names a known key overrides it, and the result
//! is validated into typed fields. Secrets are never in the file: the file names the environment
//! variable that holds each one, and [`Secret`] never prints its value.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::Service;
pub use crate::secret::Secret;
use crate::survey::{DefinitionError, SurveyDefinition};

mod incidents;

pub use incidents::IncidentsConfig;

mod delivery;

pub use delivery::{GitOps, DEFAULT_IMAGE_TAG_PATTERN};

mod auth;

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
    /// Paths of repositories deployed as services of their own (`[[services]]`).
    pub services: Vec<Service>,
}

/// The kubernetes collector (DESIGN §4 `[kubernetes]`).
#[derive(Debug, Clone)]
pub struct KubernetesConfig {
    /// Collect namespaces at all.
    pub enabled: bool,
    /// A kubeconfig file; `None`: the in-cluster config, else `KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// The label whose value `"true"` marks a namespace provisioned and managed by the platform.
    pub managed_label: String,
    /// The label naming a namespace's team.
    pub team_label: String,
    /// Crossplane claim resources read as self-service requests (`plural.group/version`).
    pub claims: Vec<ClaimResource>,
    /// A claim not Ready this long after its creation is a failed request.
    pub claim_timeout_minutes: u32,
}

/// A Crossplane claim resource, from `kubernetes.claims` (`plural.group/version`, as kubectl
/// names it: `postgresqlinstances.platform.acme.io/v1alpha1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimResource {
    /// The API group, e.g. `platform.acme.io`.
    pub group: String,
    /// The version, e.g. `v1alpha1`.
    pub version: String,
    /// The plural resource name, e.g. `postgresqlinstances`.
    pub plural: String,
}

impl ClaimResource {
    /// Parses `plural.group/version`.
    pub fn parse(text: &str) -> Option<ClaimResource> {
        let (resource, version) = text.split_once('/')?;
        let (plural, group) = resource.split_once('.')?;
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        };
        (valid(plural) && valid(group) && valid(version)).then(|| ClaimResource {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
        })
    }
}

/// What adoption counts (`score.adoption_basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptionBasis {
    /// Active repositories deployed through the platform / all active repositories.
    Repositories,
    /// Namespaces managed by the platform / all namespaces with a team (needs `[kubernetes]`).
    Namespaces,
}

impl AdoptionBasis {
    /// The config value: `repositories` or `namespaces`.
    pub fn name(self) -> &'static str {
        match self {
            AdoptionBasis::Repositories => "repositories",
            AdoptionBasis::Namespaces => "namespaces",
        }
    }
}

/// Collection schedule and how the shared HTTP client retries.
#[derive(Debug, Clone)]
pub struct CollectConfig {
    /// Seconds between two collections in `dxs serve`; 0 turns the schedule off.
    pub interval_secs: u64,
    /// A request that takes longer is abandoned (and retried).
    pub request_timeout_ms: u64,
    /// Retries of a request that failed with a 5xx, a timeout or a rate limit.
    pub max_retries: u32,
    /// First backoff delay; doubled at each retry, with jitter (tests set it tiny).
    pub retry_base_ms: u64,
    /// Longest single wait (backoff or rate-limit reset); a longer reset fails the source.
    pub max_wait_secs: u64,
    /// Most pages read of one listing; a longer listing fails its source, named.
    pub max_pages: u32,
    /// Largest response body read; a larger one fails its source, named, and is never held.
    pub max_body_bytes: u64,
}

/// GitHub collector settings.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// REST API base URL; GitHub Enterprise and test servers set their own.
    pub api_url: String,
    /// Token from the environment variable named by `github.token_env`, if set.
    pub token: Option<Secret>,
    /// Organisation whose repositories are measured.
    pub org: String,
    /// Repositories to measure; empty means every non-archived repository of the org.
    pub repos: Vec<String>,
    /// Deployment environments that count as production.
    pub production_environments: Vec<String>,
    /// Logins treated as bots besides any login ending in `[bot]`.
    pub bot_logins: Vec<String>,
    /// Secret for `POST /webhooks/github`; the orchestrator's secret when not set.
    pub webhook_secret: Option<Secret>,
    /// A GitHub App installation to authenticate as, instead of `token`.
    pub app: Option<GithubApp>,
}

/// A GitHub App installation (`github.app_id` ≠ 0): dxs signs a JWT with the app's private key
/// and exchanges it for short-lived installation tokens.
#[derive(Debug, Clone)]
pub struct GithubApp {
    /// The app's id (`github.app_id`), the JWT's `iss`.
    pub app_id: u64,
    /// The app's RSA private key in PEM, from the variable `github.app_private_key_env` names;
    /// checked to parse when the config loads.
    pub private_key: Secret,
    /// `github.installation_id`; 0 = the installation on `github.org`.
    pub installation_id: u64,
}

/// ArgoCD collector settings.
#[derive(Debug, Clone)]
pub struct ArgoCdConfig {
    /// ArgoCD server URL.
    pub url: String,
    /// Token from the environment variable named by `argocd.token_env`, if set.
    pub token: Option<Secret>,
    /// Label selector of the production Applications.
    pub production_selector: String,
    /// How images of config-repository Applications name their repository and commit.
    pub gitops: GitOps,
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
    /// Its base URL (Backstage).
    pub url: String,
    /// Token from the environment variable named by `orchestrator.token_env`, if set.
    pub token: Option<Secret>,
    /// HMAC key of the webhooks, from `orchestrator.webhook_secret_env`.
    pub webhook_secret: Option<Secret>,
}

/// The roster file.
#[derive(Debug, Clone)]
pub struct RosterConfig {
    /// CSV with `login,team,start_date[,email]`.
    pub file: PathBuf,
}

/// Score weights and rules.
#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// Weight of each component; normalised when the score is computed.
    pub weights: BTreeMap<String, f64>,
    /// A team's survey figures are hidden below this many responses.
    pub min_group_size: u32,
    /// Trailing window for telemetry such as adoption, in days.
    pub window_days: u32,
    /// Log-linear bounds of the lead time component, hours: `[100 at or below, 0 at or above]`.
    pub lead_time_hours: [f64; 2],
    /// Log-linear bounds of the onboarding component, hours.
    pub onboarding_hours: [f64; 2],
    /// DORA lead time tiers: elite, high, medium at most this many hours (median).
    pub dora_lead_time_hours: [f64; 3],
    /// DORA frequency tiers: elite, high, medium from this many deployments per week per
    /// deployed repository.
    pub dora_deploys_per_week: [f64; 3],
    /// Log-linear bounds of the `recovery` component: median hours scoring 100 and 0.
    pub recovery_hours: [f64; 2],
    /// DORA change failure tiers: elite, high, medium at most this rate (failed / rollouts).
    pub dora_change_failure: [f64; 3],
    /// DORA recovery tiers: elite, high, medium at most this median, in hours.
    pub dora_recovery_hours: [f64; 3],
    /// What adoption counts: repositories (default) or Kubernetes namespaces.
    pub adoption_basis: AdoptionBasis,
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
    /// Key of the form's CSRF token: `secret`, or a random key for this process when it is not
    /// set (forms then fail after a restart and across replicas).
    pub form_key: Secret,
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
    services: Vec<delivery::RawService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawKubernetes {
    enabled: bool,
    kubeconfig: String,
    managed_label: String,
    team_label: String,
    claims: Vec<String>,
    claim_timeout_minutes: i64,
}

impl Default for RawKubernetes {
    fn default() -> Self {
        RawKubernetes {
            enabled: false,
            kubeconfig: String::new(),
            managed_label: "platform_managed".into(),
            team_label: "team".into(),
            claims: vec![],
            claim_timeout_minutes: 60,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCollect {
    interval_secs: i64,
    request_timeout_ms: i64,
    max_retries: i64,
    retry_base_ms: i64,
    max_wait_secs: i64,
    max_pages: i64,
    max_body_bytes: i64,
}

impl Default for RawCollect {
    fn default() -> Self {
        RawCollect {
            interval_secs: 3600,
            request_timeout_ms: 30_000,
            max_retries: 5,
            retry_base_ms: 500,
            max_wait_secs: 900,
            max_pages: 1000,
            max_body_bytes: 32 << 20,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawGithub {
    api_url: String,
    token_env: String,
    org: String,
    repos: Vec<String>,
    production_environments: Vec<String>,
    bot_logins: Vec<String>,
    webhook_secret_env: String,
    app_id: i64,
    app_private_key_env: String,
    installation_id: i64,
}

impl Default for RawGithub {
    fn default() -> Self {
        RawGithub {
            api_url: "https://api.github.com".into(),
            token_env: "GITHUB_TOKEN".into(),
            org: "acme".into(),
            repos: vec![],
            production_environments: vec!["production".into(), "prod".into()],
            bot_logins: vec![],
            webhook_secret_env: String::new(),
            app_id: 0,
            app_private_key_env: String::new(),
            installation_id: 0,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawArgoCd {
    url: String,
    token_env: String,
    production_selector: String,
    image_tag_pattern: String,
    images: BTreeMap<String, String>,
}

impl Default for RawArgoCd {
    fn default() -> Self {
        RawArgoCd {
            url: "https://argocd.example.com".into(),
            token_env: "ARGOCD_TOKEN".into(),
            production_selector: "env=production".into(),
            image_tag_pattern: DEFAULT_IMAGE_TAG_PATTERN.into(),
            images: BTreeMap::new(),
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
    fn default() -> Self {
        RawOrchestrator {
            kind: "backstage".into(),
            url: "https://backstage.example.com".into(),
            token_env: "BACKSTAGE_TOKEN".into(),
            webhook_secret_env: "DXS_WEBHOOK_SECRET".into(),
        }
    }
}

const DEFAULT_ROSTER_FILE: &str = "surveys/roster.csv";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawRoster {
    file: PathBuf,
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
struct RawScore {
    weights: BTreeMap<String, f64>,
    min_group_size: i64,
    window_days: i64,
    lead_time_hours: [f64; 2],
    onboarding_hours: [f64; 2],
    dora_lead_time_hours: [f64; 3],
    dora_deploys_per_week: [f64; 3],
    adoption_basis: String,
    recovery_hours: [f64; 2],
    dora_change_failure: [f64; 3],
    dora_recovery_hours: [f64; 3],
}

/// The default component weights of DESIGN §4 (the stability components weigh 0: shown
/// everywhere, in the DXS only when a team weights them).
pub const DEFAULT_WEIGHTS: [(&str, f64); 10] = [
    ("deploy_ease", 0.25),
    ("wait_time", 0.25),
    ("docs_clarity", 0.10),
    ("nps", 0.10),
    ("lead_time", 0.10),
    ("onboarding", 0.10),
    ("self_service", 0.05),
    ("adoption", 0.05),
    ("change_failure", 0.0),
    ("recovery", 0.0),
];

impl Default for RawScore {
    fn default() -> Self {
        RawScore {
            weights: DEFAULT_WEIGHTS
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            min_group_size: 5,
            window_days: 90,
            lead_time_hours: [1.0, 720.0],
            onboarding_hours: [4.0, 336.0],
            dora_lead_time_hours: [24.0, 168.0, 720.0],
            dora_deploys_per_week: [7.0, 1.0, 12.0 / 52.0],
            adoption_basis: "repositories".into(),
            recovery_hours: [1.0, 168.0],
            dora_change_failure: [0.05, 0.10, 0.15],
            dora_recovery_hours: [1.0, 24.0, 168.0],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSurvey {
    file: PathBuf,
    base_url: String,
    secret_env: String,
}

/// Default place of the survey definition; when absent there, the shipped copy is used.
const DEFAULT_SURVEY_FILE: &str = "surveys/quarterly.toml";

impl Default for RawSurvey {
    fn default() -> Self {
        RawSurvey {
            file: DEFAULT_SURVEY_FILE.into(),
            base_url: "http://127.0.0.1:8080".into(),
            secret_env: "DXS_SURVEY_SECRET".into(),
        }
    }
}

/// Sections whose keys may be overridden with `DXS_SECTION__KEY`.
const SECTIONS: [&str; 11] = [
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
        org: non_empty("github.org", raw.github.org)?,
        repos: raw.github.repos,
        production_environments: raw.github.production_environments,
        bot_logins: raw.github.bot_logins,
        webhook_secret: read_secret("github.webhook_secret_env", &raw.github.webhook_secret_env)?,
        app,
    };
    if github.production_environments.is_empty() {
        return Err(invalid(
            "github.production_environments",
            "expected at least one environment name",
        ));
    }
    let argocd = ArgoCdConfig {
        url: check_url("argocd.url", raw.argocd.url)?,
        token: read_secret("argocd.token_env", &raw.argocd.token_env)?,
        production_selector: non_empty(
            "argocd.production_selector",
            raw.argocd.production_selector,
        )?,
        gitops: delivery::gitops(&raw.argocd.image_tag_pattern, raw.argocd.images)?,
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
        url: check_url("orchestrator.url", raw.orchestrator.url)?,
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
    let survey = validate_survey(raw.survey, survey_secret)?;
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
        services: delivery::services(raw.services)?,
    })
}

fn validate_kubernetes(raw: RawKubernetes) -> Result<KubernetesConfig, ConfigError> {
    let kubeconfig = (!raw.kubeconfig.is_empty()).then(|| PathBuf::from(raw.kubeconfig));
    if let Some(path) = kubeconfig.as_ref().filter(|_| raw.enabled) {
        std::fs::File::open(path).map_err(|e| {
            invalid(
                "kubernetes.kubeconfig",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
    }
    let claims = raw
        .claims
        .iter()
        .map(|c| {
            ClaimResource::parse(c).ok_or_else(|| {
                invalid(
                    "kubernetes.claims",
                    format!("expected plural.group/version such as postgresqlinstances.platform.acme.io/v1alpha1, got {c:?}"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let claim_timeout_minutes = u32::try_from(raw.claim_timeout_minutes)
        .ok()
        .filter(|m| *m >= 1)
        .ok_or_else(|| {
            invalid(
                "kubernetes.claim_timeout_minutes",
                format!("expected minutes >= 1, got {}", raw.claim_timeout_minutes),
            )
        })?;
    Ok(KubernetesConfig {
        claims,
        claim_timeout_minutes,
        enabled: raw.enabled,
        kubeconfig,
        managed_label: non_empty("kubernetes.managed_label", raw.managed_label)?,
        team_label: non_empty("kubernetes.team_label", raw.team_label)?,
    })
}

/// The GitHub App of `github.app_id`, its key read from `github.app_private_key_env` (a PEM
/// whose newlines may be written `\n`) and parsed now, so a bad key stops dxs at start.
fn validate_github_app(
    raw: &RawGithub,
    key: Option<Secret>,
) -> Result<Option<GithubApp>, ConfigError> {
    let id = |key: &str, value: i64| {
        u64::try_from(value)
            .map_err(|_| invalid(key, format!("expected 0 or a positive id, got {value}")))
    };
    let app_id = id("github.app_id", raw.app_id)?;
    let installation_id = id("github.installation_id", raw.installation_id)?;
    if app_id == 0 {
        return Ok(None);
    }
    let env = &raw.app_private_key_env;
    let Some(key) = key else {
        let reason = match env.is_empty() {
            true => "github.app_id is set: name the variable holding the app's private key".into(),
            false => format!("the variable {env} holding the app's private key is not set"),
        };
        return Err(invalid("github.app_private_key_env", reason));
    };
    let pem = key.expose().replace("\\n", "\n");
    if let Err(e) = octocrab::auth::EncodingKey::from_rsa_pem(pem.as_bytes()) {
        return Err(invalid(
            "github.app_private_key_env",
            format!("{env} does not hold an RSA private key in PEM: {e}"),
        ));
    }
    Ok(Some(GithubApp {
        app_id,
        private_key: Secret::new(pem),
        installation_id,
    }))
}

/// A roster file that is configured must be readable. The default one may be missing: dxs
/// then runs without a roster (the demo, a first start) and the GitHub collector says so.
fn validate_roster(raw: RawRoster) -> Result<RosterConfig, ConfigError> {
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

fn validate_survey(raw: RawSurvey, secret: Option<Secret>) -> Result<SurveyConfig, ConfigError> {
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
    Ok(SurveyConfig {
        file: raw.file,
        definition,
        base_url: check_url("survey.base_url", raw.base_url)?,
        secret,
        form_key,
    })
}

fn validate_collect(raw: RawCollect) -> Result<CollectConfig, ConfigError> {
    let range = |key: &str, value: i64, min: i64, max: i64| -> Result<u64, ConfigError> {
        if (min..=max).contains(&value) {
            Ok(value as u64)
        } else {
            Err(invalid(
                format!("collect.{key}"),
                format!("expected a whole number from {min} to {max}, got {value}"),
            ))
        }
    };
    Ok(CollectConfig {
        interval_secs: range("interval_secs", raw.interval_secs, 0, 7 * 86_400)?,
        request_timeout_ms: range("request_timeout_ms", raw.request_timeout_ms, 1, 600_000)?,
        max_retries: range("max_retries", raw.max_retries, 0, 20)? as u32,
        retry_base_ms: range("retry_base_ms", raw.retry_base_ms, 0, 60_000)?,
        max_wait_secs: range("max_wait_secs", raw.max_wait_secs, 0, 86_400)?,
        max_pages: range("max_pages", raw.max_pages, 1, 1_000_000)? as u32,
        max_body_bytes: range("max_body_bytes", raw.max_body_bytes, 1024, 1 << 30)?,
    })
}

fn validate_score(raw: RawScore) -> Result<ScoreConfig, ConfigError> {
    for (name, weight) in &raw.weights {
        let key = format!("score.weights.{name}");
        if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') || name.is_empty() {
            return Err(invalid(
                key,
                "expected a component name of lowercase letters and '_'",
            ));
        }
        if !weight.is_finite() || *weight < 0.0 {
            return Err(invalid(
                key,
                format!("expected a weight >= 0, got {weight}"),
            ));
        }
    }
    if raw.weights.values().all(|w| *w == 0.0) {
        return Err(invalid(
            "score.weights",
            "expected at least one weight above 0",
        ));
    }
    let min_group_size = u32::try_from(raw.min_group_size)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            invalid(
                "score.min_group_size",
                format!("expected a whole number >= 1, got {}", raw.min_group_size),
            )
        })?;
    let window_days = u32::try_from(raw.window_days)
        .ok()
        .filter(|n| (1..=3660).contains(n))
        .ok_or_else(|| {
            invalid(
                "score.window_days",
                format!("expected 1 to 3660 days, got {}", raw.window_days),
            )
        })?;
    let positive = |v: &[f64]| v.iter().all(|x| x.is_finite() && *x > 0.0);
    for (key, bounds) in [
        ("score.lead_time_hours", raw.lead_time_hours),
        ("score.onboarding_hours", raw.onboarding_hours),
        ("score.recovery_hours", raw.recovery_hours),
    ] {
        if !positive(&bounds) || bounds[0] >= bounds[1] {
            return Err(invalid(
                key,
                format!("expected [best, worst] hours with 0 < best < worst, got {bounds:?}"),
            ));
        }
    }
    let t = raw.dora_lead_time_hours;
    if !(positive(&t) && t[0] < t[1] && t[1] < t[2]) {
        return Err(invalid(
            "score.dora_lead_time_hours",
            format!("expected increasing hours [elite, high, medium] above 0, got {t:?}"),
        ));
    }
    let f = raw.dora_deploys_per_week;
    if !(positive(&f) && f[0] > f[1] && f[1] > f[2]) {
        return Err(invalid(
            "score.dora_deploys_per_week",
            format!("expected decreasing frequencies [elite, high, medium] above 0, got {f:?}"),
        ));
    }
    let r = raw.dora_recovery_hours;
    if !(positive(&r) && r[0] < r[1] && r[1] < r[2]) {
        return Err(invalid(
            "score.dora_recovery_hours",
            format!("expected increasing hours [elite, high, medium] above 0, got {r:?}"),
        ));
    }
    let c = raw.dora_change_failure;
    if !(c.iter().all(|x| (0.0..=1.0).contains(x)) && c[0] < c[1] && c[1] < c[2]) {
        return Err(invalid(
            "score.dora_change_failure",
            format!("expected increasing rates [elite, high, medium] from 0 to 1, got {c:?}"),
        ));
    }
    let adoption_basis = match raw.adoption_basis.as_str() {
        "repositories" => AdoptionBasis::Repositories,
        "namespaces" => AdoptionBasis::Namespaces,
        other => {
            return Err(invalid(
                "score.adoption_basis",
                format!("expected \"repositories\" or \"namespaces\", got {other:?}"),
            ))
        }
    };
    Ok(ScoreConfig {
        adoption_basis,
        weights: raw.weights,
        min_group_size,
        window_days,
        lead_time_hours: raw.lead_time_hours,
        onboarding_hours: raw.onboarding_hours,
        dora_lead_time_hours: t,
        dora_deploys_per_week: f,
        recovery_hours: raw.recovery_hours,
        dora_change_failure: c,
        dora_recovery_hours: r,
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

fn non_empty(key: &str, value: String) -> Result<String, ConfigError> {
    if value.trim().is_empty() {
        Err(invalid(key, "expected a non-empty value"))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = vars.clone();
        Config::from_parts(text, vars, move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn error_key(text: &str, vars: &[(&str, &str)]) -> String {
        match load(text, vars) {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("expected an invalid key, got {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_the_design() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://dxs.db");
        assert_eq!(c.github.api_url, "https://api.github.com");
        assert_eq!(c.github.production_environments, vec!["production", "prod"]);
        assert_eq!(c.orchestrator.kind, OrchestratorKind::Backstage);
        assert_eq!(c.score.weights["deploy_ease"], 0.25);
        assert_eq!(c.score.weights.len(), 10);
        assert_eq!(c.score.weights["change_failure"], 0.0);
        assert_eq!(c.score.weights["recovery"], 0.0);
        assert_eq!(c.score.recovery_hours, [1.0, 168.0]);
        assert_eq!(c.score.dora_change_failure, [0.05, 0.10, 0.15]);
        assert_eq!(c.score.dora_recovery_hours, [1.0, 24.0, 168.0]);
        assert_eq!(c.score.min_group_size, 5);
        assert_eq!(c.score.window_days, 90);
        assert!(c.auth.admin_token.is_none());
        assert_eq!(c.collect.interval_secs, 3600);
        assert_eq!(c.collect.max_retries, 5);
        assert_eq!(c.collect.retry_base_ms, 500);
        assert_eq!(c.collect.max_pages, 1000);
        assert_eq!(c.collect.max_body_bytes, 32 * 1024 * 1024);
        assert!(!c.kubernetes.enabled);
        assert_eq!(c.kubernetes.managed_label, "platform_managed");
        assert_eq!(c.kubernetes.team_label, "team");
        assert_eq!(c.score.adoption_basis, AdoptionBasis::Repositories);
    }

    #[test]
    fn adoption_by_namespaces_needs_the_kubernetes_collector() {
        let text = "[score]\nadoption_basis = \"namespaces\"\n";
        let err = load(text, &[]).unwrap_err().to_string();
        assert!(err.contains("score.adoption_basis"), "{err}");
        let on = load(text, &[("DXS_KUBERNETES__ENABLED", "true")]).unwrap();
        assert_eq!(on.score.adoption_basis, AdoptionBasis::Namespaces);
        let typo = load("[score]\nadoption_basis = \"pods\"\n", &[]).unwrap_err();
        assert!(typo.to_string().contains("score.adoption_basis"), "{typo}");
        let missing = load(
            "[kubernetes]\nenabled = true\nkubeconfig = \"/nonexistent/kc\"\n",
            &[],
        );
        assert!(missing
            .unwrap_err()
            .to_string()
            .contains("kubernetes.kubeconfig"));
        let claims = load(
            "[kubernetes]\nclaims = [\"postgresqlinstances.platform.acme.io/v1alpha1\"]\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            claims.kubernetes.claims,
            [ClaimResource {
                group: "platform.acme.io".into(),
                version: "v1alpha1".into(),
                plural: "postgresqlinstances".into()
            }]
        );
        assert_eq!(claims.kubernetes.claim_timeout_minutes, 60);
        for bad in ["postgresqlinstances", "x.acme.io", "X.acme.io/v1", "/v1"] {
            let text = format!("[kubernetes]\nclaims = [\"{bad}\"]\n");
            let err = load(&text, &[]).unwrap_err().to_string();
            assert!(err.contains("kubernetes.claims"), "{bad}: {err}");
        }
    }

    #[test]
    fn file_values_and_env_overrides() {
        let text = "listen = \"0.0.0.0:9000\"\n[github]\norg = \"globex\"\n";
        let c = load(
            text,
            &[
                ("DXS_GITHUB__ORG", "initech"),
                ("DXS_SCORE__MIN_GROUP_SIZE", "7"),
                ("DXS_SCORE__WEIGHTS", "{ nps = 1.0 }"),
                ("DXS_ADMIN_TOKEN", "not-a-config-key-but-a-long-secret"),
            ],
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.github.org, "initech");
        assert_eq!(c.score.min_group_size, 7);
        assert_eq!(c.score.weights.len(), 1);
        assert_eq!(
            c.auth.admin_token.as_ref().map(Secret::expose),
            Some("not-a-config-key-but-a-long-secret")
        );
    }

    #[test]
    fn secrets_come_from_the_named_variable_and_never_print() {
        let c = load(
            "[github]\ntoken_env = \"MY_GH\"\n",
            &[("MY_GH", "ghp_secret123")],
        )
        .unwrap();
        assert_eq!(c.github.token.as_ref().unwrap().expose(), "ghp_secret123");
        let printed = format!("{c:?}");
        assert!(!printed.contains("ghp_secret123"), "{printed}");
        assert!(printed.contains("Secret(***)"));
    }

    #[test]
    fn each_bad_key_is_named() {
        assert_eq!(error_key("listen = \"nope\"", &[]), "listen");
        assert_eq!(
            error_key("database_url = \"mysql://x\"", &[]),
            "database_url"
        );
        assert_eq!(
            error_key("", &[("DXS_DATABASE_URL", "redis://x")]),
            "database_url"
        );
        assert_eq!(
            error_key("[github]\napi_url = \"ftp://x\"", &[]),
            "github.api_url"
        );
        assert_eq!(error_key("[github]\norg = \"\"", &[]), "github.org");
        assert_eq!(
            error_key("[github]\nproduction_environments = []", &[]),
            "github.production_environments"
        );
        assert_eq!(
            error_key("[github]\ntoken_env = \"A B\"", &[]),
            "github.token_env"
        );
        assert_eq!(error_key("[argocd]\nurl = \"argocd\"", &[]), "argocd.url");
        assert_eq!(
            error_key("[argocd]\nproduction_selector = \" \"", &[]),
            "argocd.production_selector"
        );
        assert_eq!(
            error_key("[orchestrator]\nkind = \"jenkins\"", &[]),
            "orchestrator.kind"
        );
        assert_eq!(
            error_key("[orchestrator]\nurl = \"\"", &[]),
            "orchestrator.url"
        );
        assert_eq!(
            error_key("[score]\nweights = { nps = -1.0 }", &[]),
            "score.weights.nps"
        );
        assert_eq!(
            error_key("[score]\nweights = { nps = 0.0 }", &[]),
            "score.weights"
        );
        assert_eq!(
            error_key("[score]\nweights = { \"Bad\" = 1.0 }", &[]),
            "score.weights.Bad"
        );
        assert_eq!(
            error_key("[score]\nmin_group_size = 0", &[]),
            "score.min_group_size"
        );
        assert_eq!(
            error_key("[score]\nwindow_days = -3", &[]),
            "score.window_days"
        );
        assert_eq!(
            error_key("[score]\nlead_time_hours = [720, 1]", &[]),
            "score.lead_time_hours"
        );
        assert_eq!(
            error_key("[score]\nonboarding_hours = [0, 336]", &[]),
            "score.onboarding_hours"
        );
        assert_eq!(
            error_key("[score]\ndora_lead_time_hours = [24, 24, 720]", &[]),
            "score.dora_lead_time_hours"
        );
        assert_eq!(
            error_key("", &[("DXS_SCORE__DORA_DEPLOYS_PER_WEEK", "[1, 7, 0.2]")]),
            "score.dora_deploys_per_week"
        );
        assert_eq!(
            error_key("[score]\nrecovery_hours = [168, 1]", &[]),
            "score.recovery_hours"
        );
        assert_eq!(
            error_key("[score]\ndora_change_failure = [0.1, 0.05, 0.15]", &[]),
            "score.dora_change_failure"
        );
        assert_eq!(
            error_key("[score]\ndora_change_failure = [0.05, 0.1, 1.5]", &[]),
            "score.dora_change_failure"
        );
        assert_eq!(
            error_key("", &[("DXS_SCORE__DORA_RECOVERY_HOURS", "[1, 24, 24]")]),
            "score.dora_recovery_hours"
        );
        assert_eq!(
            error_key("[auth]\nadmin_token_env = \"x-y\"", &[]),
            "auth.admin_token_env"
        );
        assert_eq!(
            error_key("", &[("DXS_ADMIN_TOKEN", "sixteen-chars-ab")]),
            "auth.admin_token_env"
        );
        assert_eq!(
            error_key("[auth]\ntrusted_user_header = \"X-Forwarded-User\"", &[]),
            "auth.trusted_proxies"
        );
        assert_eq!(
            error_key("[auth]\ntrusted_proxies = [\"10.0.0.0/40\"]", &[]),
            "auth.trusted_proxies"
        );
        assert_eq!(
            error_key(
                "[auth]\ntrusted_user_header = \"X User\"\ntrusted_proxies = [\"10.0.0.1\"]",
                &[]
            ),
            "auth.trusted_user_header"
        );
        assert_eq!(
            error_key("[auth]\nsession_hours = 0", &[]),
            "auth.session_hours"
        );
        assert_eq!(
            error_key("[metrics]\ntoken_env = \"a-b\"", &[]),
            "metrics.token_env"
        );
        assert_eq!(
            error_key("[collect]\ninterval_secs = -1", &[]),
            "collect.interval_secs"
        );
        assert_eq!(
            error_key("[collect]\nrequest_timeout_ms = 0", &[]),
            "collect.request_timeout_ms"
        );
        assert_eq!(
            error_key("", &[("DXS_COLLECT__MAX_RETRIES", "99")]),
            "collect.max_retries"
        );
        assert_eq!(
            error_key("[collect]\nretry_base_ms = -5", &[]),
            "collect.retry_base_ms"
        );
        assert_eq!(
            error_key("[collect]\nmax_wait_secs = 999999", &[]),
            "collect.max_wait_secs"
        );
        assert_eq!(
            error_key("[collect]\nmax_pages = 0", &[]),
            "collect.max_pages"
        );
        assert_eq!(
            error_key("[collect]\nmax_body_bytes = 10", &[]),
            "collect.max_body_bytes"
        );
        assert_eq!(
            error_key("[survey]\nbase_url = \"dxs.example.com\"", &[]),
            "survey.base_url"
        );
        assert_eq!(
            error_key("[survey]\nsecret_env = \"not valid\"", &[]),
            "survey.secret_env"
        );
        assert_eq!(error_key("[survey]\nfile = \"\"", &[]), "survey.file");
    }

    #[test]
    fn auth_and_metrics_keys_are_read() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.auth.session_hours, 8);
        assert_eq!(c.auth.admins, Admins::Only(vec![]));
        assert!(c.metrics.token.is_none());
        let token = "0123456789abcdef0123456789abcdef";
        let c = load(
            "[auth]\ntrusted_user_header = \"X-Forwarded-User\"\n\
             trusted_proxies = [\"10.0.0.0/8\"]\nadmins = [\"*\"]\nsession_hours = 2\n\
             [metrics]\ntoken_env = \"SCRAPE\"",
            &[("DXS_ADMIN_TOKEN", token), ("SCRAPE", "scrape-token")],
        )
        .unwrap();
        assert_eq!(c.auth.admin_token.as_ref().map(Secret::expose), Some(token));
        assert_eq!(c.auth.admins, Admins::Everyone);
        assert_eq!(c.auth.session_hours, 2);
        assert!(c.auth.trusted_proxies[0].contains("10.9.8.7".parse().unwrap()));
        assert_eq!(
            c.metrics.token.as_ref().map(Secret::expose),
            Some("scrape-token")
        );
        let Err(e) = load("", &[("DXS_ADMIN_TOKEN", "sixteen-chars-ab")]) else {
            panic!()
        };
        assert!(e.to_string().contains("16 characters"), "{e}");
    }

    #[test]
    fn the_survey_section_reads_its_definition_and_secret() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.survey.definition.questions.len(), 5);
        assert_eq!(c.survey.base_url, "http://127.0.0.1:8080");
        assert!(c.survey.secret.is_none());
        assert_eq!(c.survey.form_key.expose().len(), 64, "a random key");
        let c = load(
            "[survey]\nbase_url = \"https://dxs.example.com/\"\nsecret_env = \"S\"",
            &[("S", "k1")],
        )
        .unwrap();
        assert_eq!(c.survey.base_url, "https://dxs.example.com");
        assert_eq!(c.survey.secret.as_ref().map(Secret::expose), Some("k1"));
        assert_eq!(c.survey.form_key.expose(), "k1");

        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("broken.toml");
        std::fs::write(
            &broken,
            crate::survey::definition::EMBEDDED.replace("score = 50", "score = -5"),
        )
        .unwrap();
        let text = format!("[survey]\nfile = {:?}", broken.display().to_string());
        let Err(e) = load(&text, &[]) else { panic!() };
        assert!(e.to_string().contains("question wait_time: choices"), "{e}");
        let Err(e) = load("[survey]\nfile = \"missing.toml\"", &[]) else {
            panic!()
        };
        assert!(e.to_string().starts_with("missing.toml: "), "{e}");
    }

    #[test]
    fn a_configured_roster_must_be_readable_and_the_default_may_be_missing() {
        let Err(e) = load("[roster]\nfile = \"missing-roster.csv\"", &[]) else {
            panic!()
        };
        assert!(
            e.to_string()
                .starts_with("roster.file: cannot read missing-roster.csv: "),
            "{e}"
        );
        let Err(e) = load("", &[("DXS_ROSTER__FILE", "/nonexistent/roster.csv")]) else {
            panic!()
        };
        assert!(e.to_string().starts_with("roster.file: "), "{e}");
        let config = load("", &[]).unwrap();
        assert_eq!(config.roster.file, Path::new(DEFAULT_ROSTER_FILE));
    }

    #[test]
    fn a_github_app_needs_a_parsable_private_key() {
        let pem = include_str!("../tests/fixtures/github/app-private-key.pem");
        let text = "[github]\napp_id = 42\napp_private_key_env = \"APP_KEY\"\n";
        let c = load(text, &[("APP_KEY", pem)]).unwrap();
        let app = c.github.app.unwrap();
        assert_eq!((app.app_id, app.installation_id), (42, 0));
        // Newlines written as `\n` (one line in a .env file) are the same key.
        let one_line = pem.replace('\n', "\\n");
        assert!(load(text, &[("APP_KEY", &one_line)])
            .unwrap()
            .github
            .app
            .is_some());
        assert!(load("", &[]).unwrap().github.app.is_none());
        for (text, vars) in [
            (
                text,
                vec![("APP_KEY", "-----BEGIN RSA PRIVATE KEY-----\nnope\n")],
            ),
            (text, vec![]),
            ("[github]\napp_id = 42\n", vec![]),
        ] {
            assert_eq!(
                error_key(text, &vars),
                "github.app_private_key_env",
                "{text}"
            );
        }
        let Err(e) = load(text, &[("APP_KEY", "not a key")]) else {
            panic!("a bad key loads")
        };
        assert!(
            e.to_string()
                .contains("APP_KEY does not hold an RSA private key"),
            "{e}"
        );
        assert!(
            !e.to_string().contains("not a key"),
            "the secret is never printed: {e}"
        );
        assert_eq!(error_key("[github]\napp_id = -1", &[]), "github.app_id");
        assert_eq!(
            error_key("[github]\ninstallation_id = -3", &[]),
            "github.installation_id"
        );
    }

    #[test]
    fn unknown_keys_and_bad_toml_are_refused() {
        let Err(e) = load("[github]\norgg = \"x\"", &[]) else {
            panic!()
        };
        assert!(e.to_string().contains("orgg"), "{e}");
        let Err(e) = load("", &[("DXS_GITHUB__ORGG", "x")]) else {
            panic!()
        };
        assert!(e.to_string().contains("orgg"), "{e}");
        let Err(e) = load("listen = ", &[]) else {
            panic!()
        };
        assert!(e.to_string().starts_with("dxs.toml: "), "{e}");
    }
}
