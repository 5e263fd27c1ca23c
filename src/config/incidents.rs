//! `[incidents]` (DESIGN §4): where incidents come from (GitHub issues carrying a label, and the
//! signed `POST /webhooks/incident`), how a GitHub incident names its service (central incident
//! repositories, a `service:` label).

use serde::Deserialize;

use super::{invalid, ConfigError, Secret};

/// Incident sources.
#[derive(Debug, Clone)]
pub struct IncidentsConfig {
    /// Issues with this label in the org's repositories are incidents; `None` (`""`) = off.
    pub github_label: Option<String>,
    /// The HMAC key of `POST /webhooks/incident`; `None`: the orchestrator's webhook secret.
    pub webhook_secret: Option<Secret>,
    /// Central incident repositories (`owner/repo`): their issues name their service with a
    /// label, else they are unattributed.
    pub repos: Vec<String>,
    /// A label `<prefix><service>` names a GitHub incident's service (`service:pay-api`).
    pub service_label_prefix: String,
    /// A revert shipped later than this many days after a rollout's finish does not fail it.
    pub revert_window_days: u32,
}

impl IncidentsConfig {
    /// True when `repo` is one of `incidents.repos` (case-insensitive, as GitHub compares).
    pub fn is_central(&self, repo: &str) -> bool {
        self.repos.iter().any(|r| r.eq_ignore_ascii_case(repo))
    }

    /// The service a label names (`service:pay-api` → `pay-api`), if it carries the prefix.
    pub fn service_of_label<'a>(&self, label: &'a str) -> Option<&'a str> {
        let prefix = self.service_label_prefix.as_str();
        let head = label.get(..prefix.len())?;
        let name = label[prefix.len()..].trim();
        (head.eq_ignore_ascii_case(prefix) && !name.is_empty()).then_some(name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawIncidents {
    github_label: String,
    webhook_secret_env: String,
    repos: Vec<String>,
    service_label_prefix: String,
    revert_window_days: u32,
}

impl Default for RawIncidents {
    fn default() -> Self {
        RawIncidents {
            github_label: "incident".into(),
            webhook_secret_env: String::new(),
            repos: Vec::new(),
            service_label_prefix: "service:".into(),
            revert_window_days: 14,
        }
    }
}

impl RawIncidents {
    /// Validates the section; `read_secret(key, env)` reads a secret's variable.
    pub(super) fn validate(
        self,
        read_secret: impl Fn(&str, &str) -> Result<Option<Secret>, ConfigError>,
    ) -> Result<IncidentsConfig, ConfigError> {
        let label = self.github_label.trim().to_string();
        // A label with a double quote cannot be put in a search query.
        if label.contains('"') {
            return Err(invalid(
                "incidents.github_label",
                format!("expected a label name without '\"', got {label:?}"),
            ));
        }
        if self.service_label_prefix.trim().is_empty() {
            return Err(invalid(
                "incidents.service_label_prefix",
                "expected a label prefix such as \"service:\"",
            ));
        }
        if !(1..=366).contains(&self.revert_window_days) {
            return Err(invalid(
                "incidents.revert_window_days",
                format!("expected 1 to 366 days, got {}", self.revert_window_days),
            ));
        }
        Ok(IncidentsConfig {
            github_label: (!label.is_empty()).then_some(label),
            webhook_secret: read_secret("incidents.webhook_secret_env", &self.webhook_secret_env)?,
            repos: super::repositories("incidents.repos", self.repos)?,
            service_label_prefix: self.service_label_prefix.trim().to_string(),
            revert_window_days: self.revert_window_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::load;

    #[test]
    fn the_label_defaults_to_incident_and_empty_turns_github_incidents_off() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.incidents.github_label.as_deref(), Some("incident"));
        assert!(c.incidents.webhook_secret.is_none());
        assert_eq!(c.incidents.revert_window_days, 14);
        let off = load("[incidents]\ngithub_label = \"\"\n", &[]).unwrap();
        assert_eq!(off.incidents.github_label, None);
        let env = load("", &[("DXS_INCIDENTS__GITHUB_LABEL", "sev")]).unwrap();
        assert_eq!(env.incidents.github_label.as_deref(), Some("sev"));
    }

    #[test]
    fn central_repositories_and_service_labels() {
        let c = load("[incidents]\nrepos = [\"acme/incidents\"]\n", &[])
            .unwrap()
            .incidents;
        assert!(c.is_central("Acme/Incidents"));
        assert!(!c.is_central("acme/api"));
        assert_eq!(c.service_of_label("service:pay-api"), Some("pay-api"));
        assert_eq!(c.service_of_label("Service: pay-api"), Some("pay-api"));
        assert_eq!(c.service_of_label("service:"), None);
        assert_eq!(c.service_of_label("sev1"), None);
    }

    #[test]
    fn the_webhook_secret_comes_from_the_named_variable_and_bad_keys_are_named() {
        let c = load(
            "[incidents]\nwebhook_secret_env = \"INCIDENT_SECRET\"\n",
            &[("INCIDENT_SECRET", "s3cret")],
        )
        .unwrap();
        assert_eq!(c.incidents.webhook_secret.unwrap().expose(), "s3cret");
        for (text, key) in [
            (
                "[incidents]\nwebhook_secret_env = \"not a name\"\n",
                "incidents.webhook_secret_env",
            ),
            (
                "[incidents]\ngithub_label = \"a\\\"b\"\n",
                "incidents.github_label",
            ),
        ] {
            let err = load(text, &[]).unwrap_err().to_string();
            assert!(err.starts_with(key), "{err}");
        }
        for (text, key) in [
            (
                "[incidents]\nrepos = [\"incidents\"]\n",
                "incidents.repos[0]",
            ),
            (
                "[incidents]\nservice_label_prefix = \" \"\n",
                "incidents.service_label_prefix",
            ),
            (
                "[incidents]\nrevert_window_days = 0\n",
                "incidents.revert_window_days",
            ),
        ] {
            let err = load(text, &[]).unwrap_err().to_string();
            assert!(err.starts_with(key), "{err}");
        }
        let unknown = load("[incidents]\nlabel = \"x\"\n", &[]).unwrap_err();
        assert!(unknown.to_string().contains("label"), "{unknown}");
    }
}
