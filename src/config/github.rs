//! `[github]` (DESIGN §4): the organisation, its token or GitHub App, production environments.

use serde::Deserialize;

use super::{invalid, ConfigError, Secret};
use crate::glob::Glob;

/// GitHub collector settings.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// REST API base URL; GitHub Enterprise and test servers set their own.
    pub api_url: String,
    /// Token from the environment variable named by `github.token_env`, if set.
    pub token: Option<Secret>,
    /// Organisation whose repositories are measured; empty when `github.org` is not set (GitHub
    /// is then not collected). Compared with GitHub's names case-insensitively.
    pub org: String,
    /// Repositories to measure; empty means every non-archived repository of the org.
    pub repos: Vec<String>,
    /// Deployment environments that count as production: case-insensitive globs. An environment
    /// is production when it, or its part before `/`, matches one.
    pub production_environments: Vec<Glob>,
    /// Logins treated as bots besides any login ending in `[bot]`.
    pub bot_logins: Vec<String>,
    /// Secret for `POST /webhooks/github`; the orchestrator's secret when not set.
    pub webhook_secret: Option<Secret>,
    /// A GitHub App installation to authenticate as, instead of `token`.
    pub app: Option<GithubApp>,
}

impl GithubConfig {
    /// A repository dxs measures: of the org, or of `github.repos` when that is set. Names
    /// compare as GitHub compares them, ignoring case (`org = "Acme"` measures `acme/api`).
    pub fn in_scope(&self, slug: &str) -> bool {
        if self.repos.is_empty() {
            slug.split_once('/').is_some_and(|(owner, _)| {
                !self.org.is_empty() && owner.eq_ignore_ascii_case(&self.org)
            })
        } else {
            self.repos.iter().any(|r| r.eq_ignore_ascii_case(slug))
        }
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawGithub {
    pub(super) api_url: String,
    pub(super) token_env: String,
    pub(super) org: String,
    pub(super) repos: Vec<String>,
    pub(super) production_environments: Vec<String>,
    pub(super) bot_logins: Vec<String>,
    pub(super) webhook_secret_env: String,
    pub(super) app_id: i64,
    pub(super) app_private_key_env: String,
    pub(super) installation_id: i64,
}

impl Default for RawGithub {
    fn default() -> Self {
        RawGithub {
            api_url: "https://api.github.com".into(),
            token_env: "GITHUB_TOKEN".into(),
            org: String::new(),
            repos: vec![],
            production_environments: DEFAULT_PRODUCTION_ENVIRONMENTS
                .iter()
                .map(|e| e.to_string())
                .collect(),
            bot_logins: vec![],
            webhook_secret_env: String::new(),
            app_id: 0,
            app_private_key_env: String::new(),
            installation_id: 0,
        }
    }
}

/// `github.production_environments` when the configuration sets none (DESIGN §4).
pub const DEFAULT_PRODUCTION_ENVIRONMENTS: [&str; 7] = [
    "production",
    "production-*",
    "production/*",
    "prod",
    "prod-*",
    "prd",
    "live",
];

/// `github.production_environments` as globs, each checked: at least one, none empty.
pub(super) fn production_environments(raw: Vec<String>) -> Result<Vec<Glob>, ConfigError> {
    let key = "github.production_environments";
    if raw.is_empty() {
        return Err(invalid(
            key,
            "expected at least one environment name or glob",
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(i, e)| {
            e.parse()
                .map_err(|g| invalid(format!("{key}[{i}]"), format!("{g}")))
        })
        .collect()
}

/// The GitHub App of `github.app_id`, its key read from `github.app_private_key_env` (a PEM
/// whose newlines may be written `\n`) and parsed now, so a bad key stops dxs at start.
pub(super) fn validate_github_app(
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
