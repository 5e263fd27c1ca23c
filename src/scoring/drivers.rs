//! What moved the DXS (DESIGN §7 `drivers`): each weighted component's contribution to the
//! change of a DXS since the previous quarter, `wᵢ·Δcᵢ / Σ wᵢ`, largest magnitude first.
//!
//! The DXS renormalises over the components that have data, which is the same as scoring a
//! component without data at the DXS itself. The drivers say so openly: a component with data
//! in only one of the two quarters counts, in the other, at that quarter's DXS, and `Σ wᵢ` is the
//! weight of every component with data in either quarter. So the contributions add up to the
//! change exactly (before rounding each to 0.01): a component measured for the first time
//! contributes what it scores above or below the old DXS, one no longer measured what the new
//! DXS gains or loses without it. Components without data in both quarters and components
//! weighing 0 contribute nothing and are not listed.
//!
//! Without a DXS in either quarter (no previous quarter, no data, or a partial score below
//! `score.min_coverage`) there is no change to explain, and no drivers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::normalise::{round, Weights};
use super::score::{Score, TeamScore};

/// One component's contribution to the DXS change since the previous quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// The component.
    pub component: String,
    /// Points of DXS it added (positive) or took away (negative), rounded to 0.01.
    pub contribution: f64,
}

/// Sets the drivers of the organisation and of each team of `score` against the same group in
/// `previous`.
pub fn add_drivers(score: &mut Score, previous: &Score, weights: &Weights) {
    score.org.drivers = drivers(&score.org, Some(&previous.org), weights);
    for team in &mut score.teams {
        team.drivers = drivers(team, previous.team(&team.team), weights);
    }
}

/// The drivers of the change from `then` to `now`; empty when either has no DXS.
pub fn drivers(now: &TeamScore, then: Option<&TeamScore>, weights: &Weights) -> Vec<Driver> {
    let Some(then) = then.filter(|t| t.dxs.is_some() && now.dxs.is_some()) else {
        return Vec::new();
    };
    contributions(&now.components, &then.components, weights)
}

/// `wᵢ·(cᵢ now − cᵢ then) / Σ wᵢ` of each weighted component with data in either quarter, a
/// missing value counted at its quarter's DXS; largest magnitude first, then by name.
fn contributions(
    now: &BTreeMap<String, f64>,
    then: &BTreeMap<String, f64>,
    weights: &Weights,
) -> Vec<Driver> {
    let (Some(dxs_now), Some(dxs_then)) = (weights.dxs(now), weights.dxs(then)) else {
        return Vec::new();
    };
    let measured: Vec<(&str, f64)> = weights
        .weighted()
        .filter(|(c, _)| now.contains_key(*c) || then.contains_key(*c))
        .collect();
    let total: f64 = measured.iter().map(|(_, w)| w).sum();
    let mut drivers: Vec<Driver> = measured
        .into_iter()
        .map(|(component, w)| {
            let a = now.get(component).copied().unwrap_or(dxs_now);
            let b = then.get(component).copied().unwrap_or(dxs_then);
            Driver {
                component: component.to_string(),
                contribution: round(w * (a - b) / total, 2),
            }
        })
        .collect();
    drivers.sort_by(|a, b| {
        b.contribution
            .abs()
            .total_cmp(&a.contribution.abs())
            .then_with(|| a.component.cmp(&b.component))
    });
    drivers
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// Weights 0.4 / 0.3 / 0.2 / 0.1 over four components, and one weighing 0.
    fn weights() -> Weights {
        let survey: BTreeSet<String> = ["deploy_ease", "wait_time"].map(String::from).into();
        Weights::from_map(
            &map(&[
                ("deploy_ease", 0.4),
                ("wait_time", 0.3),
                ("lead_time", 0.2),
                ("adoption", 0.1),
                ("recovery", 0.0),
            ]),
            &survey,
        )
        .unwrap()
    }

    fn pairs(drivers: &[Driver]) -> Vec<(&str, f64)> {
        drivers
            .iter()
            .map(|d| (d.component.as_str(), d.contribution))
            .collect()
    }

    fn sum(drivers: &[Driver]) -> f64 {
        drivers.iter().map(|d| d.contribution).sum()
    }

    /// Every component in both quarters: wᵢ·Δcᵢ / Σ w.
    /// Then: 0.4·50 + 0.3·60 + 0.2·70 + 0.1·80 = 20 + 18 + 14 + 8 = 60.
    /// Now:  0.4·55 + 0.3·45 + 0.2·70 + 0.1·90 = 22 + 13.5 + 14 + 9 = 58.5; change −1.5.
    /// Drivers: wait_time 0.3·(−15) = −4.5, deploy_ease 0.4·5 = +2, adoption 0.1·10 = +1,
    /// lead_time 0; recovery weighs 0 and is not listed.
    #[test]
    fn each_component_contributes_its_weighted_change() {
        let then = map(&[
            ("deploy_ease", 50.0),
            ("wait_time", 60.0),
            ("lead_time", 70.0),
            ("adoption", 80.0),
            ("recovery", 10.0),
        ]);
        let now = map(&[
            ("deploy_ease", 55.0),
            ("wait_time", 45.0),
            ("lead_time", 70.0),
            ("adoption", 90.0),
            ("recovery", 90.0),
        ]);
        let d = contributions(&now, &then, &weights());
        assert_eq!(
            pairs(&d),
            [
                ("wait_time", -4.5),
                ("deploy_ease", 2.0),
                ("adoption", 1.0),
                ("lead_time", 0.0)
            ]
        );
        assert!((sum(&d) - (58.5 - 60.0)).abs() < 1e-9);
    }

    /// Adoption has no data last quarter and lead time none this quarter.
    /// Then (deploy_ease, wait_time, lead_time): (0.4·50 + 0.3·60 + 0.2·70) / 0.9 = 52 / 0.9
    /// = 57.777…; now (deploy_ease, wait_time, adoption): (0.4·55 + 0.3·45 + 0.1·90) / 0.8 =
    /// 44.5 / 0.8 = 55.625; change −2.152…
    /// Σ w over the four measured in either quarter = 1.0. The missing values count at their
    /// quarter's DXS: adoption then = 57.777…, lead time now = 55.625.
    /// deploy_ease 0.4·(55 − 50) = +2; wait_time 0.3·(45 − 60) = −4.5;
    /// lead_time 0.2·(55.625 − 70) = −2.875 → −2.88; adoption 0.1·(90 − 57.777…) = +3.222… → +3.22.
    /// Sum: 2 − 4.5 − 2.875 + 3.2222 = −2.1528 = the change.
    #[test]
    fn a_component_missing_in_one_quarter_counts_there_at_that_quarters_dxs() {
        let then = map(&[
            ("deploy_ease", 50.0),
            ("wait_time", 60.0),
            ("lead_time", 70.0),
        ]);
        let now = map(&[
            ("deploy_ease", 55.0),
            ("wait_time", 45.0),
            ("adoption", 90.0),
        ]);
        let w = weights();
        let change = w.dxs(&now).unwrap() - w.dxs(&then).unwrap();
        assert!((change - (55.625 - 52.0 / 0.9)).abs() < 1e-9);
        let d = contributions(&now, &then, &w);
        assert_eq!(
            pairs(&d),
            [
                ("wait_time", -4.5),
                ("adoption", 3.22),
                ("lead_time", -2.88),
                ("deploy_ease", 2.0)
            ]
        );
        assert!((sum(&d) - change).abs() < 0.01, "{} vs {change}", sum(&d));
    }

    fn team(dxs: Option<f64>, components: &[(&str, f64)]) -> TeamScore {
        TeamScore {
            team: "web".into(),
            dxs,
            components: map(components),
            ..TeamScore::default()
        }
    }

    #[test]
    fn no_drivers_without_a_dxs_in_both_quarters() {
        let w = weights();
        let now = team(Some(60.0), &[("deploy_ease", 60.0)]);
        let then = team(Some(50.0), &[("deploy_ease", 50.0)]);
        // Only deploy_ease is measured: it carries the whole change, 0.4·10 / 0.4 = 10.
        assert_eq!(
            pairs(&drivers(&now, Some(&then), &w)),
            [("deploy_ease", 10.0)]
        );
        // No previous quarter.
        assert!(drivers(&now, None, &w).is_empty());
        // The previous quarter was partial (components, but no DXS published).
        let partial = team(None, &[("adoption", 50.0)]);
        assert!(drivers(&now, Some(&partial), &w).is_empty());
        assert!(drivers(&partial, Some(&then), &w).is_empty());
    }
}
