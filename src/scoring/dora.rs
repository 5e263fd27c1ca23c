//! DORA performance tiers (elite, high, medium, low) for lead time, deployment frequency,
//! change failure rate and failed deployment recovery time.
//! The thresholds are data ([`DoraThresholds`]), after the State of DevOps reports.

use super::score::Tier;

/// Tier bounds, from `[score] dora_*`: lead time in hours (upper bounds) and frequency in
/// deployments per week per deployed repository (lower bounds), each for elite, high and
/// medium; the rest is low. By default elite is under a day and daily, high under a week and
/// weekly, medium under a month and monthly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoraThresholds {
    /// Median lead time at most this many hours: elite, high, medium.
    pub lead_time_hours: [f64; 3],
    /// At least this many deployments per week per repository: elite, high, medium.
    pub deploys_per_week: [f64; 3],
    /// Change failure rate (failed / rollouts) at most this: elite, high, medium.
    pub change_failure: [f64; 3],
    /// Median failed deployment recovery time at most this many hours: elite, high, medium.
    pub recovery_hours: [f64; 3],
}

const TIERS: [Tier; 3] = [Tier::Elite, Tier::High, Tier::Medium];

impl DoraThresholds {
    /// Tier of a median lead time in hours.
    pub fn lead_time(&self, hours: f64) -> Tier {
        at_most(hours, self.lead_time_hours)
    }

    /// Tier of a change failure rate (0–1).
    pub fn change_failure(&self, rate: f64) -> Tier {
        at_most(rate, self.change_failure)
    }

    /// Tier of a median failed deployment recovery time in hours.
    pub fn recovery(&self, hours: f64) -> Tier {
        at_most(hours, self.recovery_hours)
    }

    /// Tier of a deployment frequency (per week per deployed repository).
    pub fn frequency(&self, per_week: f64) -> Tier {
        TIERS
            .into_iter()
            .zip(self.deploys_per_week)
            .find(|(_, bound)| per_week >= *bound)
            .map_or(Tier::Low, |(tier, _)| tier)
    }
}

/// The first tier whose upper bound `value` does not pass; low past them all.
fn at_most(value: f64, bounds: [f64; 3]) -> Tier {
    TIERS
        .into_iter()
        .zip(bounds)
        .find(|(_, bound)| value <= *bound)
        .map_or(Tier::Low, |(tier, _)| tier)
}

impl Default for DoraThresholds {
    /// The defaults of DESIGN §4.
    fn default() -> Self {
        DoraThresholds {
            lead_time_hours: [24.0, 168.0, 720.0],
            deploys_per_week: [7.0, 1.0, 12.0 / 52.0],
            change_failure: [0.05, 0.10, 0.15],
            recovery_hours: [1.0, 24.0, 168.0],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_thresholds() {
        let t = DoraThresholds::default();
        assert_eq!(t.lead_time(3.0), Tier::Elite);
        assert_eq!(t.lead_time(24.0), Tier::Elite);
        assert_eq!(t.lead_time(24.5), Tier::High);
        assert_eq!(t.lead_time(500.0), Tier::Medium);
        assert_eq!(t.lead_time(721.0), Tier::Low);
        assert_eq!(t.frequency(10.0), Tier::Elite);
        assert_eq!(t.frequency(1.0), Tier::High);
        assert_eq!(t.frequency(0.5), Tier::Medium);
        assert_eq!(t.frequency(0.1), Tier::Low);
        let strict = DoraThresholds {
            lead_time_hours: [1.0, 24.0, 168.0],
            ..t
        };
        assert_eq!(strict.lead_time(3.0), Tier::High);
        assert_eq!(t.change_failure(0.0), Tier::Elite);
        assert_eq!(t.change_failure(0.05), Tier::Elite);
        assert_eq!(t.change_failure(0.1), Tier::High);
        assert_eq!(t.change_failure(0.15), Tier::Medium);
        assert_eq!(t.change_failure(0.2), Tier::Low);
        assert_eq!(t.recovery(0.5), Tier::Elite);
        assert_eq!(t.recovery(4.0), Tier::High);
        assert_eq!(t.recovery(100.0), Tier::Medium);
        assert_eq!(t.recovery(200.0), Tier::Low);
    }
}
