//! The team table of the report: one row per team, sortable by any column through the query
//! string (`?sort=lead_time&order=asc`), so it needs no script.

use std::cmp::Ordering;

use crate::scoring::{ChangeFailure, Score, TeamScore, Tier};

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

/// A team's row, formatted.
pub struct TeamRow {
    /// Team.
    pub team: String,
    /// DXS.
    pub dxs: String,
    /// Change since last quarter.
    pub delta: String,
    /// Component values in the table's column order.
    pub components: Vec<String>,
    /// Lead time median, hours.
    pub lead_median: String,
    /// Lead time p90, hours.
    pub lead_p90: String,
    /// DORA lead-time tier.
    pub lead_tier: String,
    /// Deployments per week.
    pub deploys: String,
    /// DORA deployment-frequency tier.
    pub deploy_tier: String,
    /// Change failure rate with failed / rollouts.
    pub change_failure: String,
    /// DORA change-failure tier.
    pub change_failure_tier: String,
    /// Failed deployment recovery median / p90, and the open ones.
    pub recovery: String,
    /// DORA recovery tier.
    pub recovery_tier: String,
    /// Onboarding median hours and open count.
    pub onboarding: String,
    /// Self-service success rate.
    pub self_service: String,
    /// Adoption ratio.
    pub adoption: String,
    /// Responses and response rate.
    pub responses: String,
    /// Survey figures hidden.
    pub hidden: bool,
    /// Fewer than `min_group_size` responses (else hidden so that a smaller team's figures do
    /// not follow by subtraction).
    pub few_responses: bool,
    /// The team's services, by name, shown under its row.
    pub services: Vec<ServiceRow>,
}

/// One service under its team's row: its lead time and rollouts with their DORA tiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    /// The service (a `[[services]]` or catalog name, or a repository's slug).
    pub service: String,
    /// Columns spanned before the lead time (DXS, change and the components).
    pub span: usize,
    /// Lead time median, hours.
    pub lead_median: String,
    /// Lead time p90, hours.
    pub lead_p90: String,
    /// DORA lead-time tier.
    pub lead_tier: String,
    /// Rollouts per week.
    pub deploys: String,
    /// DORA deployment-frequency tier.
    pub deploy_tier: String,
    /// Rollouts and rollbacks in the quarter.
    pub rollouts: String,
    /// Change failure rate with failed / rollouts.
    pub change_failure: String,
    /// DORA change-failure tier.
    pub change_failure_tier: String,
    /// Failed deployment recovery median / p90, and the open ones.
    pub recovery: String,
    /// DORA recovery tier.
    pub recovery_tier: String,
}

fn tier(t: Option<Tier>) -> String {
    t.map_or(String::new(), |t| format!("{t:?}").to_lowercase())
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

/// The team rows of `score`, sorted by `sort` (teams without a value last, then by name), with
/// the values of `components` in that order.
pub fn rows(
    score: &Score,
    sort: &SortKey,
    components: &[String],
    min_group_size: i64,
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
    teams
        .into_iter()
        .map(|t| row(t, components, min_group_size))
        .collect()
}

fn hours(h: Option<f64>) -> String {
    h.map_or("–".into(), |h| {
        if h >= 48.0 {
            format!("{:.1} d", h / 24.0)
        } else {
            format!("{h:.1} h")
        }
    })
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

fn row(t: &TeamScore, components: &[String], min_group_size: i64) -> TeamRow {
    TeamRow {
        team: t.team.clone(),
        dxs: match (t.dxs, t.partial) {
            (Some(v), _) => format!("{v:.1}"),
            (None, true) if !t.components.is_empty() => {
                format!("partial ({:.0}% of the weight)", t.coverage * 100.0)
            }
            (None, _) => "no data".into(),
        },
        delta: t
            .delta
            .as_ref()
            .and_then(|d| d.dxs)
            .map_or(String::new(), |d| format!("{d:+.1}")),
        components: components
            .iter()
            .map(|c| {
                t.components
                    .get(c)
                    .map_or("–".into(), |v| format!("{v:.1}"))
            })
            .collect(),
        lead_median: hours(t.lead_time_hours.median),
        lead_p90: hours(t.lead_time_hours.p90),
        lead_tier: tier(t.dora.lead_time),
        deploys: format!("{:.1}", t.deployments.per_week),
        deploy_tier: tier(t.dora.deployment_frequency),
        change_failure: change_failure(&t.change_failure),
        change_failure_tier: tier(t.change_failure.tier),
        recovery: recovery(&t.change_failure),
        recovery_tier: tier(t.change_failure.recovery_tier),
        onboarding: match (t.onboarding_hours.median, t.onboarding_hours.open) {
            (m, 0) => hours(m),
            (m, open) => format!("{} ({open} open)", hours(m)),
        },
        self_service: percent(t.self_service_rate),
        adoption: percent(t.adoption.ratio),
        responses: match t.survey.response_rate {
            Some(rate) => format!("{} ({:.0}%)", t.responses, rate * 100.0),
            None => t.responses.to_string(),
        },
        hidden: t.hidden,
        few_responses: t.responses < min_group_size,
        services: t
            .services
            .iter()
            .map(|s| ServiceRow {
                service: s.service.clone(),
                span: 2 + components.len(),
                lead_median: hours(s.lead_time_hours.median),
                lead_p90: hours(s.lead_time_hours.p90),
                lead_tier: tier(s.dora.lead_time),
                deploys: format!("{:.1}", s.per_week),
                deploy_tier: tier(s.dora.deployment_frequency),
                change_failure: change_failure(&s.change_failure),
                change_failure_tier: tier(s.change_failure.tier),
                recovery: recovery(&s.change_failure),
                recovery_tier: tier(s.change_failure.recovery_tier),
                rollouts: match s.rollbacks {
                    0 => format!("{} rollouts", s.rollouts),
                    n => format!("{} rollouts, {n} rolled back", s.rollouts),
                },
            })
            .collect(),
    }
}
