//! The team table of the report: one row per team, sortable by any column through the query
//! string (`?sort=lead_time&order=asc`), so it needs no script.

use std::cmp::Ordering;

use super::summary::{
    costliest, driver_rows, hours, label, participation, tier, why_no_drivers, DriverRow,
};
use crate::scoring::{ChangeFailure, Rules, Score, TeamScore, Tier};

/// Which column orders the team table, and which way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// `team`, `dxs`, `lead_time`, `onboarding`, `self_service`, `adoption`, `responses`, or
    /// a component id (`component:NAME`).
    pub column: String,
    /// Largest first.
    pub descending: bool,
}

impl Default for SortKey {
    fn default() -> Self {
        SortKey {
            column: "dxs".into(),
            descending: true,
        }
    }
}

impl SortKey {
    /// From the query parameters; unknown columns fall back to DXS, highest first.
    pub fn parse(column: Option<&str>, order: Option<&str>) -> SortKey {
        let column = column.unwrap_or("dxs");
        let valid = [
            "team",
            "dxs",
            "lead_time",
            "onboarding",
            "self_service",
            "adoption",
            "responses",
        ]
        .contains(&column)
            || column
                .strip_prefix("component:")
                .is_some_and(|c| c.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        if !valid {
            return SortKey::default();
        }
        let descending = match order {
            Some("asc") => false,
            Some("desc") => true,
            // Names read A→Z; lead and onboarding times are best when short.
            _ => !matches!(column, "team" | "lead_time" | "onboarding"),
        };
        SortKey {
            column: column.to_string(),
            descending,
        }
    }

    /// Query string that sorts by `column`, flipping the order when it already sorts by it.
    pub fn link(&self, column: &str) -> String {
        let order = if self.column == column {
            if self.descending {
                "asc"
            } else {
                "desc"
            }
        } else {
            match column {
                "team" | "lead_time" | "onboarding" => "asc",
                _ => "desc",
            }
        };
        format!("?sort={column}&order={order}")
    }

    /// `aria-sort` value of `column`'s header.
    pub fn aria(&self, column: &str) -> &'static str {
        match (self.column == column, self.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        }
    }
}

/// A team's row, formatted: one line of the team list, with its details folded under it.
pub struct TeamRow {
    /// Team.
    pub team: String,
    /// DXS, "partial" or "no data".
    pub dxs: String,
    /// The DXS is partial: components without a score.
    pub partial: bool,
    /// Share of the weight with data, percent.
    pub coverage: String,
    /// Change since last quarter.
    pub delta: String,
    /// The component that costs the team most points of DXS.
    pub costliest: String,
    /// DORA lead-time tier.
    pub lead_tier: String,
    /// DORA deployment-frequency tier.
    pub deploy_tier: String,
    /// DORA change-failure tier.
    pub change_failure_tier: String,
    /// DORA recovery tier.
    pub recovery_tier: String,
    /// What moved the team's DXS.
    pub drivers: Vec<DriverRow>,
    /// Why there are no drivers, when there are none.
    pub no_drivers: String,
    /// Each component with data: label and value.
    pub components: Vec<(String, String)>,
    /// The team's figures: label and value (lead time, rollouts, failures, recovery,
    /// onboarding, self-service, adoption, responses).
    pub figures: Vec<(&'static str, String)>,
    /// Survey figures hidden.
    pub hidden: bool,
    /// Fewer than `min_group_size` responses (else hidden so that a smaller team's figures do
    /// not follow by subtraction).
    pub few_responses: bool,
    /// The team's services, by name.
    pub services: Vec<ServiceRow>,
}

/// One service of a team: its lead time and rollouts with their DORA tiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    /// The service (a `[[services]]` or catalog name, or a repository's slug).
    pub service: String,
    /// Lead time median / p90 with its tier.
    pub lead: String,
    /// Rollouts and rollbacks in the quarter, per week.
    pub rollouts: String,
    /// Change failure rate with failed / rollouts, and its tier.
    pub change_failure: String,
    /// Failed deployment recovery median / p90, the open ones, and its tier.
    pub recovery: String,
}

fn value(team: &TeamScore, column: &str) -> Option<f64> {
    match column {
        "dxs" => team.dxs,
        "lead_time" => team.lead_time_hours.median,
        "onboarding" => team.onboarding_hours.median,
        "self_service" => team.self_service_rate,
        "adoption" => team.adoption.ratio,
        "responses" => Some(team.responses as f64),
        other => other
            .strip_prefix("component:")
            .and_then(|c| team.components.get(c).copied()),
    }
}

/// The team rows of `score`, sorted by `sort` (teams without a value last, then by name), each
/// against the same team in `previous`.
pub fn rows(
    score: &Score,
    previous: Option<&Score>,
    sort: &SortKey,
    components: &[String],
    rules: &Rules,
) -> Vec<TeamRow> {
    let mut teams: Vec<&TeamScore> = score.teams.iter().collect();
    teams.sort_by(|a, b| {
        let by_value = if sort.column == "team" {
            a.team.cmp(&b.team)
        } else {
            match (value(a, &sort.column), value(b, &sort.column)) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                (Some(_), None) => return Ordering::Less,
                (None, Some(_)) => return Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        };
        let by_value = if sort.descending {
            by_value.reverse()
        } else {
            by_value
        };
        by_value.then_with(|| a.team.cmp(&b.team))
    });
    let prev_name = score
        .quarter
        .parse::<crate::quarter::Quarter>()
        .map(|q| q.prev().to_string())
        .unwrap_or_default();
    teams
        .into_iter()
        .map(|t| {
            let then = previous.and_then(|p| p.team(&t.team));
            row(t, then, &prev_name, components, rules)
        })
        .collect()
}

/// `12.5% (1/8)`: the rate with failed / rollouts.
fn change_failure(c: &ChangeFailure) -> String {
    match c.rate {
        Some(rate) => format!("{:.1}% ({}/{})", rate * 100.0, c.failed, c.rollouts),
        None => "–".into(),
    }
}

/// `6.0 h / 39.6 h (1 open)`: recovery median / p90 and the failures still open.
fn recovery(c: &ChangeFailure) -> String {
    let r = &c.recovery_hours;
    let both = format!("{} / {}", hours(r.median), hours(r.p90));
    match r.open {
        0 => both,
        open => format!("{both} ({open} open)"),
    }
}

fn percent(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{:.0}%", r * 100.0))
}

/// `value, tier` or the value alone.
fn with_tier(value: String, t: Option<Tier>) -> String {
    match t {
        Some(_) => format!("{value}, {}", tier(t)),
        None => value,
    }
}

fn row(
    t: &TeamScore,
    then: Option<&TeamScore>,
    prev_name: &str,
    components: &[String],
    rules: &Rules,
) -> TeamRow {
    let lead = &t.lead_time_hours;
    TeamRow {
        team: t.team.clone(),
        dxs: match t.dxs {
            Some(v) => format!("{v:.1}"),
            None if t.partial && !t.components.is_empty() => "partial".into(),
            None => "no data".into(),
        },
        partial: t.dxs.is_none() && t.partial && !t.components.is_empty(),
        coverage: format!("{:.0}%", t.coverage * 100.0),
        delta: t
            .delta
            .as_ref()
            .and_then(|d| d.dxs)
            .map_or("–".into(), |d| format!("{d:+.1}")),
        costliest: costliest(t, rules),
        lead_tier: tier(t.dora.lead_time),
        deploy_tier: tier(t.dora.deployment_frequency),
        change_failure_tier: tier(t.change_failure.tier),
        recovery_tier: tier(t.change_failure.recovery_tier),
        drivers: driver_rows(&t.drivers, rules),
        no_drivers: why_no_drivers(t, then, prev_name),
        components: components
            .iter()
            .filter_map(|c| {
                let v = t.components.get(c)?;
                Some((label(c, rules), format!("{v:.1}")))
            })
            .collect(),
        figures: vec![
            (
                "Lead time median / p90",
                with_tier(
                    format!("{} / {}", hours(lead.median), hours(lead.p90)),
                    t.dora.lead_time,
                ),
            ),
            (
                "Rollouts",
                with_tier(
                    format!(
                        "{} ({:.1} a week, {} rolled back)",
                        t.deployments.count, t.deployments.per_week, t.deployments.rollbacks
                    ),
                    t.dora.deployment_frequency,
                ),
            ),
            (
                "Change failure",
                with_tier(change_failure(&t.change_failure), t.change_failure.tier),
            ),
            (
                "Recovery median / p90",
                with_tier(recovery(&t.change_failure), t.change_failure.recovery_tier),
            ),
            (
                "Onboarding",
                match (t.onboarding_hours.median, t.onboarding_hours.open) {
                    (m, 0) => hours(m),
                    (m, open) => format!("{} ({open} open)", hours(m)),
                },
            ),
            ("Self-service", percent(t.self_service_rate)),
            ("Adoption", percent(t.adoption.ratio)),
            ("Survey", participation(t)),
        ],
        hidden: t.hidden,
        few_responses: t.responses < rules.min_group_size,
        services: t
            .services
            .iter()
            .map(|s| ServiceRow {
                service: s.service.clone(),
                lead: with_tier(
                    format!(
                        "{} / {}",
                        hours(s.lead_time_hours.median),
                        hours(s.lead_time_hours.p90)
                    ),
                    s.dora.lead_time,
                ),
                rollouts: with_tier(
                    match s.rollbacks {
                        0 => format!("{} ({:.1}/wk)", s.rollouts, s.per_week),
                        n => format!("{} ({:.1}/wk), {n} rolled back", s.rollouts, s.per_week),
                    },
                    s.dora.deployment_frequency,
                ),
                change_failure: with_tier(change_failure(&s.change_failure), s.change_failure.tier),
                recovery: with_tier(recovery(&s.change_failure), s.change_failure.recovery_tier),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::scoring::Driver;

    fn rules() -> Rules {
        Rules::load(&Config::from_parts("", Vec::new(), |_| None).unwrap()).unwrap()
    }

    fn score(teams: Vec<TeamScore>) -> Score {
        Score {
            quarter: "2026-Q1".into(),
            teams,
            ..Score::default()
        }
    }

    /// A team with no data shows "no data", never 0; a partial one "partial" with its
    /// coverage; neither has drivers, and each says why.
    #[test]
    fn no_data_and_partial_teams_show_no_score_and_say_why_they_have_no_drivers() {
        let empty = TeamScore {
            team: "empty".into(),
            partial: true,
            ..TeamScore::default()
        };
        let partial = TeamScore {
            team: "partial".into(),
            partial: true,
            coverage: 0.3,
            components: [("lead_time".to_string(), 50.0)].into(),
            ..TeamScore::default()
        };
        let full = TeamScore {
            team: "full".into(),
            dxs: Some(60.0),
            coverage: 1.0,
            components: [("lead_time".to_string(), 60.0)].into(),
            ..TeamScore::default()
        };
        let now = score(vec![empty, full.clone(), partial]);
        let rules = rules();
        let rows = rows(&now, None, &SortKey::default(), &[], &rules);
        let by = |name: &str| rows.iter().find(|r| r.team == name).unwrap();
        assert_eq!(
            (by("empty").dxs.as_str(), by("empty").partial),
            ("no data", false)
        );
        assert_eq!(
            (
                by("partial").dxs.as_str(),
                by("partial").partial,
                by("partial").coverage.as_str()
            ),
            ("partial", true, "30%")
        );
        assert_eq!(by("full").dxs, "60.0");
        assert_eq!(by("full").delta, "–");
        // 2026-Q1 is the first quarter: nothing to compare with.
        assert_eq!(
            by("full").no_drivers,
            "No drivers: 2025-Q4 has no score to compare with."
        );
        assert_eq!(
            by("partial").no_drivers,
            "No drivers: this quarter's DXS is partial (30% of the weight has data)."
        );
        assert_eq!(by("empty").no_drivers, "No drivers: no DXS this quarter.");
        // With drivers, none of that.
        let mut moved = full;
        moved.drivers = vec![Driver {
            component: "lead_time".into(),
            contribution: -1.5,
        }];
        let rows = rows_of(moved, &rules);
        assert_eq!(rows[0].no_drivers, "");
        assert_eq!(rows[0].drivers[0].contribution, "-1.50");
        assert!(!rows[0].drivers[0].up);
    }

    fn rows_of(team: TeamScore, rules: &Rules) -> Vec<TeamRow> {
        rows(&score(vec![team]), None, &SortKey::default(), &[], rules)
    }
}
