//! The stability keys of a group (a service, a team, the organisation) for a quarter: change
//! failure rate and failed deployment recovery time (DESIGN §5), from the failed rollouts of
//! [`crate::stability`]. Pure: the caller picks the group's rollouts, failures and incidents.

use serde::{Deserialize, Serialize};

use super::dora::DoraThresholds;
use super::normalise::round;
use super::score::Tier;
use crate::stability::FailedRollout;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stability::Cause;

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
        assert_eq!((none.rate, none.tier, none.recovery_hours.median), (None, None, None));
    }
}
