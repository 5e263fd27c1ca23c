//! The stability keys of a group (a service, a team, the organisation) for a quarter: change
//! failure rate and failed deployment recovery time (DESIGN §5), from the failed rollouts of
//! [`crate::delivery::failures`], added to a computed score by [`apply`]. Pure: the facts are read by
//! the caller.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::attribution::{Resolver, UnattributedIncident, NO_SERVICE};
use super::dora::DoraThresholds;
use super::normalise::round;
use super::rules::Rules;
use super::score::{Score, TeamScore, Tier};
use super::telemetry::Period;
use crate::delivery::failures::{
    failed, Facts, FailedRollout, Live, Revert, ServiceIncident, Shipped,
};
use crate::model::Incident;
use crate::store::ScoringFacts;

/// Change failure rate and recovery time of a group in a quarter (`change_failure` in the JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeFailure {
    /// Rollouts (not rollbacks) that went live in the quarter.
    pub rollouts: i64,
    /// Of which failed (each once, whatever the number of causes).
    pub failed: i64,
    /// `failed / rollouts`; `None` without rollouts.
    pub rate: Option<f64>,
    /// Failed deployment recovery time.
    pub recovery_hours: Recovery,
    /// DORA tier of the rate (`score.dora_change_failure`).
    pub tier: Option<Tier>,
    /// DORA tier of the median recovery time (`score.dora_recovery_hours`).
    pub recovery_tier: Option<Tier>,
    /// Incidents opened in the quarter (with or without a rollout before them).
    pub incidents: i64,
    /// Which rollouts failed and why, by finish.
    pub failures: Vec<FailedRollout>,
    /// Incidents of the period naming a service dxs does not know (the organisation only):
    /// counted as incidents, failing no rollout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_services: Vec<UnknownIncident>,
}

/// Failed deployment recovery time, in hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// Median over the recovered failures (linear interpolation).
    pub median: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Failures not recovered yet.
    pub open: i64,
    /// Age of the oldest open one at `as_of`, in hours.
    pub open_max_hours: Option<f64>,
}

impl ChangeFailure {
    /// The figures of `rollouts` rollouts of which `failures` failed, with `incidents` incidents,
    /// judged at `as_of` (the open failures' age).
    pub fn new(
        rollouts: i64,
        failures: Vec<FailedRollout>,
        incidents: i64,
        as_of: i64,
        dora: &DoraThresholds,
    ) -> ChangeFailure {
        let failed = failures.len() as i64;
        let rate = (rollouts > 0).then(|| failed as f64 / rollouts as f64);
        let mut hours: Vec<f64> = failures
            .iter()
            .filter_map(FailedRollout::recovery_hours)
            .collect();
        hours.sort_by(f64::total_cmp);
        let open_max_hours = failures
            .iter()
            .filter(|f| f.recovered_at.is_none())
            .map(|f| (as_of - f.started_at).max(0) as f64 / 3600.0)
            .reduce(f64::max);
        let median = percentile(&hours, 0.5);
        ChangeFailure {
            rollouts,
            failed,
            rate: rate.map(|r| round(r, 4)),
            recovery_hours: Recovery {
                median: median.map(|h| round(h, 2)),
                p90: percentile(&hours, 0.9).map(|h| round(h, 2)),
                open: failures.iter().filter(|f| f.recovered_at.is_none()).count() as i64,
                open_max_hours: open_max_hours.map(|h| round(h, 2)),
            },
            tier: rate.map(|r| dora.change_failure(r)),
            recovery_tier: median.map(|h| dora.recovery(h)),
            incidents,
            failures,
            unknown_services: Vec::new(),
        }
    }
}

/// The `q` quantile of sorted `values`, interpolated linearly (as `percentile_cont`).
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// An incident naming a service dxs does not know (the report's data-quality section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownIncident {
    /// The incident's id.
    pub id: String,
    /// The service it names.
    pub service: String,
}

/// What the change failure keys of a period read, taken out of the loaded facts before the
/// frames consume them, with every service's name and team decoded once.
pub struct FailureInputs {
    /// The period's rollouts and rollbacks, then the later ones.
    live: Vec<Live>,
    /// How many of `live` are the period's.
    in_period: usize,
    /// The team of each service.
    team_of: HashMap<String, Option<String>>,
    resolver: Resolver,
    incidents: Vec<Incident>,
    shipped: Vec<Shipped>,
    reverts: Vec<Revert>,
}

impl FailureInputs {
    /// Takes the rollouts' commits and the [`crate::store::FailureFacts`] out of `facts`;
    /// `central`: the central incident repositories (`incidents.repos`).
    pub fn take(facts: &mut ScoringFacts, central: &[String]) -> FailureInputs {
        let shas = std::mem::take(&mut facts.rollout_sha);
        assert_eq!(
            shas.len(),
            facts.rollout_service.len(),
            "every rollout of the facts has its commit"
        );
        let failures = std::mem::take(&mut facts.failures);
        let name = |code: u32| facts.service_names.values[code as usize].clone();
        let period = facts
            .rollout_service
            .iter()
            .zip(shas)
            .zip(facts.rollout_at.iter().zip(&facts.rollout_back))
            .map(|((service, sha), (at, back))| (*service, sha, *back, *at));
        let later = failures
            .later
            .into_iter()
            .map(|r| (r.service, r.sha, r.back, r.at));
        let live: Vec<Live> = period
            .chain(later)
            .map(|(service, sha, rollback, finished_at)| Live {
                service: name(service),
                sha,
                finished_at,
                rollback,
            })
            .collect();
        FailureInputs {
            live,
            in_period: facts.rollout_service.len(),
            team_of: (0..facts.service_names.values.len() as u32)
                .map(|c| (name(c), facts.service_team(c).map(str::to_string)))
                .collect(),
            resolver: Resolver::new(facts, central),
            incidents: failures.incidents,
            shipped: failures
                .reverted
                .into_iter()
                .map(|c| Shipped {
                    service: name(c.service),
                    sha: c.sha,
                    deployed_at: c.deployed_at,
                })
                .collect(),
            reverts: failures
                .reverts
                .into_iter()
                .map(|r| Revert {
                    service: name(r.service),
                    sha: r.sha,
                    reverted: r.reverted,
                    deployed_at: r.deployed_at,
                })
                .collect(),
        }
    }
}

/// The change failure figures of every group: each service, each team, the organisation.
#[derive(Default)]
struct Groups {
    /// Rollouts of the period, failed rollouts and incidents, by service.
    services: HashMap<String, Group>,
    /// The same by team.
    teams: HashMap<String, Group>,
    /// The organisation's.
    org: Group,
}

/// Rollouts of the period, the failed ones (in failure order) and incidents opened.
#[derive(Default, Clone)]
struct Group {
    rollouts: i64,
    failed: Vec<FailedRollout>,
    incidents: i64,
}

impl Groups {
    /// The [`ChangeFailure`] of `team`, of `service`, or (neither) of the organisation.
    fn of(&self, group: Option<&Group>, as_of: i64, rules: &Rules) -> ChangeFailure {
        let g = group.cloned().unwrap_or_default();
        ChangeFailure::new(g.rollouts, g.failed, g.incidents, as_of, &rules.dora)
    }
}

/// Adds the change failure keys of `period` to `score`: the `change_failure` block of the
/// organisation, each team and each service, the `change_failure` and `recovery` components
/// (the DXS and `missing` follow the weights), and their DORA tiers. Linear in the rollouts and
/// incidents: each is counted into its service, team and the organisation once.
pub fn apply(score: &mut Score, inputs: FailureInputs, rules: &Rules, period: &Period, now: i64) {
    let FailureInputs {
        live,
        in_period,
        team_of,
        resolver,
        incidents,
        shipped,
        reverts,
    } = inputs;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    let mut groups = Groups::default();
    let mut unattributed = Vec::new();
    for i in &incidents {
        let attributed = resolver.attribute(i);
        let resolved = attributed.as_ref().ok().copied();
        if i.opened_at < period.end {
            groups.org.incidents += 1;
            if let Err(why) = attributed {
                unattributed.push(UnattributedIncident {
                    id: i.external_id.clone(),
                    why: why.to_string(),
                });
            }
            match resolved {
                Some((service, team)) => {
                    groups
                        .services
                        .entry(service.clone())
                        .or_default()
                        .incidents += 1;
                    if let Some(team) = team {
                        groups.teams.entry(team.clone()).or_default().incidents += 1;
                    }
                }
                None if attributed == Err(NO_SERVICE) => unknown.push(UnknownIncident {
                    id: i.external_id.clone(),
                    service: i.service.clone(),
                }),
                None => {}
            }
        }
        if let Some((service, _)) = resolved {
            known.push(ServiceIncident {
                service: service.clone(),
                id: i.external_id.clone(),
                opened_at: i.opened_at,
                resolved_at: i.resolved_at,
            });
        }
    }
    let in_period_at = |at: i64| at >= period.start && at < period.end;
    let team = |service: &str| team_of.get(service).cloned().flatten();
    for r in live[..in_period].iter().filter(|r| !r.rollback) {
        groups.org.rollouts += 1;
        groups
            .services
            .entry(r.service.clone())
            .or_default()
            .rollouts += 1;
        if let Some(team) = team(&r.service) {
            groups.teams.entry(team).or_default().rollouts += 1;
        }
    }
    let failures = failed(Facts {
        rollouts: &live,
        incidents: &known,
        shipped: &shipped,
        reverts: &reverts,
        revert_window: rules.revert_window_days * 86_400,
    });
    for f in failures.into_iter().filter(|f| in_period_at(f.finished_at)) {
        if let Some(team) = team(&f.service) {
            groups.teams.entry(team).or_default().failed.push(f.clone());
        }
        groups
            .services
            .entry(f.service.clone())
            .or_default()
            .failed
            .push(f.clone());
        groups.org.failed.push(f);
    }
    let as_of = period.end.min(now);
    let weighted = rules.weights.of("change_failure") > 0.0 || rules.weights.of("recovery") > 0.0;
    let fill = |t: &mut TeamScore, c: ChangeFailure| {
        for s in &mut t.services {
            s.change_failure = groups.of(groups.services.get(&s.service), as_of, rules);
            s.dora.change_failure = s.change_failure.tier;
            s.dora.recovery = s.change_failure.recovery_tier;
        }
        if let Some(rate) = c.rate {
            t.components
                .insert("change_failure".into(), round((1.0 - rate) * 100.0, 1));
        }
        if let Some(median) = c.recovery_hours.median {
            t.components
                .insert("recovery".into(), round(rules.recovery.score(median), 1));
        }
        // Weighing 0 (the default), they leave the DXS exactly as it was.
        if weighted {
            let components = t.components.clone();
            super::assemble::settle(t, &components, rules);
        }
        t.dora.change_failure = c.tier;
        t.dora.recovery = c.recovery_tier;
        t.change_failure = c;
    };
    fill(&mut score.org, groups.of(Some(&groups.org), as_of, rules));
    score.org.change_failure.unknown_services = unknown;
    score.org.unattributed_incidents = unattributed;
    for t in &mut score.teams {
        let c = groups.of(groups.teams.get(&t.team), as_of, rules);
        fill(t, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::failures::Cause;

    fn failure(started_at: i64, recovered_at: Option<i64>) -> FailedRollout {
        FailedRollout {
            service: "pay".into(),
            sha: format!("s{started_at}"),
            finished_at: started_at,
            causes: vec![Cause::Incident {
                id: "webhook:INC-1".into(),
            }],
            started_at,
            recovered_at,
        }
    }

    #[test]
    fn rate_recovery_percentiles_open_age_and_tiers() {
        let dora = DoraThresholds::default();
        let h = 3600;
        let failures = vec![
            failure(0, Some(2 * h)),
            failure(10 * h, Some(14 * h)),
            failure(20 * h, Some(30 * h)),
            failure(40 * h, None),
        ];
        let c = ChangeFailure::new(20, failures, 5, 100 * h, &dora);
        assert_eq!((c.rollouts, c.failed, c.rate), (20, 4, Some(0.2)));
        // Recovered: 2, 4 and 10 hours.
        assert_eq!(c.recovery_hours.median, Some(4.0));
        assert_eq!(c.recovery_hours.p90, Some(8.8));
        assert_eq!(c.recovery_hours.open, 1);
        assert_eq!(c.recovery_hours.open_max_hours, Some(60.0));
        assert_eq!(c.tier, Some(Tier::Low));
        assert_eq!(c.recovery_tier, Some(Tier::High));
        assert_eq!(c.incidents, 5);
        let none = ChangeFailure::new(0, vec![], 1, 0, &dora);
        assert_eq!(
            (none.rate, none.tier, none.recovery_hours.median),
            (None, None, None)
        );
    }
}
