//! `[score]` (DESIGN §4, §5): weights, bounds, DORA tiers and what adoption counts.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{invalid, ConfigError};

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

/// Score weights and rules.
#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// Weight of each component; normalised when the score is computed.
    pub weights: BTreeMap<String, f64>,
    /// A team's survey figures are hidden below this many responses.
    pub min_group_size: u32,
    /// A DXS is published only when the components with data carry at least this share of
    /// the weight (0–1); below it the DXS is null and marked partial.
    pub min_coverage: f64,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawScore {
    pub(super) weights: BTreeMap<String, f64>,
    pub(super) min_group_size: i64,
    pub(super) min_coverage: f64,
    pub(super) window_days: i64,
    pub(super) lead_time_hours: [f64; 2],
    pub(super) onboarding_hours: [f64; 2],
    pub(super) dora_lead_time_hours: [f64; 3],
    pub(super) dora_deploys_per_week: [f64; 3],
    pub(super) adoption_basis: String,
    pub(super) recovery_hours: [f64; 2],
    pub(super) dora_change_failure: [f64; 3],
    pub(super) dora_recovery_hours: [f64; 3],
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

/// Default of `score.min_group_size`.
pub const DEFAULT_MIN_GROUP_SIZE: u32 = 5;

impl Default for RawScore {
    fn default() -> Self {
        RawScore {
            weights: DEFAULT_WEIGHTS
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            min_group_size: DEFAULT_MIN_GROUP_SIZE.into(),
            min_coverage: 0.6,
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

pub(super) fn validate_score(raw: RawScore) -> Result<ScoreConfig, ConfigError> {
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
    if !(0.0..=1.0).contains(&raw.min_coverage) {
        return Err(invalid(
            "score.min_coverage",
            format!(
                "expected a share of the weight from 0 to 1, got {}",
                raw.min_coverage
            ),
        ));
    }
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
        min_coverage: raw.min_coverage,
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
