//! DORA performance tiers (elite, high, medium, low) for lead time and deployment frequency.
//! The thresholds are data ([`DoraThresholds`]), after the State of DevOps reports.

use super::score::Tier;

/// Tier bounds: lead time in hours (upper bounds), frequency in deployments per week per
/// deployed repository (lower bounds), each for elite, high and medium; the rest is low.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoraThresholds {
    /// Median lead time at most this many hours: elite, high, medium.
    pub lead_time_hours: [f64; 3],
    /// At least this many deployments per week per repository: elite, high, medium.
    pub deploys_per_week: [f64; 3],
}

impl Default for DoraThresholds {
    /// Elite: under a day and daily deployments; high: under a week and weekly; medium: under a
    /// month and monthly (12/52 a week).
    fn default() -> Self {
        DoraThresholds {
            lead_time_hours: [24.0, 168.0, 720.0],
            deploys_per_week: [7.0, 1.0, 12.0 / 52.0],
        }
    }
}

const TIERS: [Tier; 3] = [Tier::Elite, Tier::High, Tier::Medium];

impl DoraThresholds {
    /// Tier of a median lead time in hours.
    pub fn lead_time(&self, hours: f64) -> Tier {
        TIERS
            .into_iter()
            .zip(self.lead_time_hours)
            .find(|(_, bound)| hours <= *bound)
            .map_or(Tier::Low, |(tier, _)| tier)
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
    }
}
