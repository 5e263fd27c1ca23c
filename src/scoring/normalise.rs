//! Normalisation of each figure to a 0–100 component, and the DXS as the weighted mean of the
//! components that have data. Pure functions of plain numbers: the rules are data, not code.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{ConfigError, ScoreConfig};

/// The telemetry components, always known besides those of the survey definition.
pub const TELEMETRY_COMPONENTS: [&str; 6] = [
    "lead_time",
    "onboarding",
    "self_service",
    "adoption",
    "change_failure",
    "recovery",
];

/// Log-linear bounds: at or below `best` a figure scores 100, at or above `worst` 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Value that scores 100 (e.g. 1 hour).
    pub best: f64,
    /// Value that scores 0 (e.g. 720 hours).
    pub worst: f64,
}

impl Bounds {
    /// 100·(ln worst − ln x)/(ln worst − ln best), clamped to 0–100.
    pub fn score(self, x: f64) -> f64 {
        if x <= self.best {
            return 100.0;
        }
        if x >= self.worst {
            return 0.0;
        }
        100.0 * (self.worst.ln() - x.ln()) / (self.worst.ln() - self.best.ln())
    }
}

/// Component weights, checked against the known components.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights(BTreeMap<String, f64>);

impl Weights {
    /// Checks the configured weights: every key must name a telemetry component or a component
    /// of the survey, every weight must be ≥ 0 and one at least above 0.
    pub fn new(
        config: &ScoreConfig,
        survey_components: &BTreeSet<String>,
    ) -> Result<Weights, ConfigError> {
        Self::from_map(&config.weights, survey_components)
    }

    /// As [`Weights::new`], from a plain map.
    pub fn from_map(
        weights: &BTreeMap<String, f64>,
        survey_components: &BTreeSet<String>,
    ) -> Result<Weights, ConfigError> {
        let known =
            |name: &str| TELEMETRY_COMPONENTS.contains(&name) || survey_components.contains(name);
        for (name, weight) in weights {
            let key = format!("score.weights.{name}");
            if !known(name) {
                let mut all: Vec<&str> = TELEMETRY_COMPONENTS.to_vec();
                all.extend(survey_components.iter().map(String::as_str));
                all.sort_unstable();
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("unknown component; expected one of {}", all.join(", ")),
                });
            }
            if !weight.is_finite() || *weight < 0.0 {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("expected a weight >= 0, got {weight}"),
                });
            }
        }
        if !weights.values().any(|w| *w > 0.0) {
            return Err(ConfigError::Invalid {
                key: "score.weights".into(),
                reason: "expected at least one weight above 0".into(),
            });
        }
        Ok(Weights(weights.clone()))
    }

    /// Weight of `component` (0 when not configured).
    pub fn of(&self, component: &str) -> f64 {
        self.0.get(component).copied().unwrap_or(0.0)
    }

    /// Components with a weight above 0 that are not in `components`, by name.
    pub fn missing(&self, components: &BTreeMap<String, f64>) -> Vec<String> {
        self.0
            .iter()
            .filter(|(name, w)| **w > 0.0 && !components.contains_key(*name))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The share of the weight that `components` carry, 0–1: Σ wᵢ over the components present
    /// / Σ wᵢ over every weighted component.
    pub fn coverage(&self, components: &BTreeMap<String, f64>) -> f64 {
        let total: f64 = self.0.values().sum();
        let present: f64 = components.keys().map(|name| self.of(name)).sum();
        if total > 0.0 {
            present / total
        } else {
            0.0
        }
    }

    /// The components with a weight above 0, by name.
    pub fn weighted(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0
            .iter()
            .filter(|(_, w)| **w > 0.0)
            .map(|(name, w)| (name.as_str(), *w))
    }

    /// The DXS: Σ wᵢ·cᵢ / Σ wᵢ over the components present; `None` when no weighted one is.
    pub fn dxs(&self, components: &BTreeMap<String, f64>) -> Option<f64> {
        let (sum, total) = components
            .iter()
            .map(|(name, value)| (self.of(name), value))
            .filter(|(w, _)| *w > 0.0)
            .fold((0.0, 0.0), |(s, t), (w, v)| (s + w * v, t + w));
        (total > 0.0).then(|| (sum / total).clamp(0.0, 100.0))
    }
}

/// Rounds to `digits` decimals (the JSON shows 1 for scores, 2 for hours, 4 for ratios).
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0 // no "-0.0" in the JSON
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> BTreeSet<String> {
        ["deploy_ease", "wait_time", "docs_clarity", "nps"]
            .map(String::from)
            .into()
    }

    fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// The defaults of DESIGN §5: lead time 1 h → 100, 30 days → 0; onboarding 4 h → 100,
    /// 14 days → 0.
    const LEAD_TIME_BOUNDS: Bounds = Bounds {
        best: 1.0,
        worst: 720.0,
    };
    const ONBOARDING_BOUNDS: Bounds = Bounds {
        best: 4.0,
        worst: 336.0,
    };

    #[test]
    fn log_linear_bounds() {
        assert_eq!(LEAD_TIME_BOUNDS.score(0.0), 100.0);
        assert_eq!(LEAD_TIME_BOUNDS.score(1.0), 100.0);
        assert_eq!(LEAD_TIME_BOUNDS.score(720.0), 0.0);
        assert_eq!(LEAD_TIME_BOUNDS.score(5000.0), 0.0);
        // sqrt(720) h is half-way on a log scale.
        assert!((LEAD_TIME_BOUNDS.score(720f64.sqrt()) - 50.0).abs() < 1e-9);
        // 24 h: 100·ln(30)/ln(720) = 51.6958…
        assert!((LEAD_TIME_BOUNDS.score(24.0) - 51.695_8).abs() < 1e-4);
        // Onboarding: 4 h → 100, 336 h → 0, 8 h → 100·ln(42)/ln(84) = 84.356…
        assert_eq!(ONBOARDING_BOUNDS.score(4.0), 100.0);
        assert_eq!(ONBOARDING_BOUNDS.score(336.0), 0.0);
        assert!((ONBOARDING_BOUNDS.score(8.0) - 84.356_22).abs() < 1e-4);
    }

    #[test]
    fn dxs_renormalises_over_the_components_present() {
        let defaults = crate::config::DEFAULT_WEIGHTS.map(|(k, v)| (k, v));
        let w = Weights::from_map(&map(&defaults), &survey()).unwrap();
        let all = map(&[
            ("deploy_ease", 80.0),
            ("wait_time", 50.0),
            ("docs_clarity", 60.0),
            ("nps", 40.0),
            ("lead_time", 70.0),
            ("onboarding", 90.0),
            ("self_service", 100.0),
            ("adoption", 20.0),
        ]);
        // 0.25·80 + 0.25·50 + 0.1·60 + 0.1·40 + 0.1·70 + 0.1·90 + 0.05·100 + 0.05·20 = 64.5
        assert!((w.dxs(&all).unwrap() - 64.5).abs() < 1e-9);
        assert!(w.missing(&all).is_empty());
        // Without adoption and nps: (20 + 12.5 + 6 + 7 + 9 + 5) / 0.85 = 70.0
        let mut some = all.clone();
        some.remove("adoption");
        some.remove("nps");
        assert!((w.dxs(&some).unwrap() - 59.5 / 0.85).abs() < 1e-9);
        assert_eq!(w.missing(&some), ["adoption", "nps"]);
        // Coverage: 1 − 0.05 − 0.1 of a total weight of 1.
        assert!((w.coverage(&all) - 1.0).abs() < 1e-9);
        assert!((w.coverage(&some) - 0.85).abs() < 1e-9);
        assert_eq!(w.coverage(&BTreeMap::new()), 0.0);
        assert_eq!(w.dxs(&BTreeMap::new()), None);
    }

    #[test]
    fn invalid_weights_name_the_key() {
        let err = |pairs: &[(&str, f64)]| match Weights::from_map(&map(pairs), &survey()) {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(&[("deploy_speed", 1.0)]), "score.weights.deploy_speed");
        assert_eq!(err(&[("nps", -0.5)]), "score.weights.nps");
        assert_eq!(err(&[("nps", 0.0), ("adoption", 0.0)]), "score.weights");
        assert!(Weights::from_map(&map(&[("nps", 1.0)]), &survey()).is_ok());
    }

    #[test]
    fn rounding() {
        assert_eq!(round(71.449, 1), 71.4);
        assert_eq!(round(-0.01, 1), 0.0);
        assert_eq!(round(0.93333, 4), 0.9333);
    }
}
