//! `[kubernetes]` (DESIGN §4): the namespace and Crossplane claim collector.

use std::path::PathBuf;

use serde::Deserialize;

use super::{invalid, non_empty, ConfigError};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawKubernetes {
    pub(super) enabled: bool,
    pub(super) kubeconfig: String,
    pub(super) managed_label: String,
    pub(super) team_label: String,
    pub(super) claims: Vec<String>,
    pub(super) claim_timeout_minutes: i64,
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

pub(super) fn validate_kubernetes(raw: RawKubernetes) -> Result<KubernetesConfig, ConfigError> {
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
