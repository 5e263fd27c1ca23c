//! Reading score snapshots (the JSON of DESIGN §7) for the metrics, with only the §7 field names.
//!
//! A stored snapshot body is either the whole §7 document (`org` and `teams`) or one team's
//! object of it; both are read. Every figure is optional: a component without data is absent or
//! `null`, and a hidden team keeps its survey figures to itself.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The organisation's pseudo-team in snapshots and metric labels.
pub const ORG_TEAM: &str = "all";

/// One team's (or the organisation's) score, as far as the metrics use it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TeamScore {
    /// The team; absent on the `org` object.
    #[serde(default)]
    pub team: Option<String>,
    /// The DXS, 0–100.
    #[serde(default)]
    pub dxs: Option<f64>,
    /// Component scores, 0–100; `null` for a component without data.
    #[serde(default)]
    pub components: BTreeMap<String, Option<f64>>,
    /// Survey responses counted.
    #[serde(default)]
    pub responses: Option<f64>,
    /// Lead time for changes, hours.
    #[serde(default)]
    pub lead_time_hours: Option<LeadTimeHours>,
    /// Onboarding time, hours.
    #[serde(default)]
    pub onboarding_hours: Option<OnboardingHours>,
    /// Finished self-service requests that succeeded with no help, 0–1.
    #[serde(default)]
    pub self_service_rate: Option<f64>,
    /// Net Promoter Score, −100–100.
    #[serde(default)]
    pub nps: Option<f64>,
    /// Survey figures hidden: fewer responses than `min_group_size`.
    #[serde(default)]
    pub hidden: bool,
    /// Change failure rate and recovery time.
    #[serde(default)]
    pub change_failure: Option<ChangeFailure>,
}

/// `change_failure` of the score JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ChangeFailure {
    /// Failed rollouts / rollouts.
    #[serde(default)]
    pub rate: Option<f64>,
    /// Recovery time, hours.
    #[serde(default)]
    pub recovery_hours: RecoveryHours,
    /// Incidents opened in the quarter.
    #[serde(default)]
    pub incidents: i64,
}

/// `change_failure.recovery_hours` of the score JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RecoveryHours {
    /// Median over recovered failures.
    #[serde(default)]
    pub median: Option<f64>,
    /// 90th percentile.
    #[serde(default)]
    pub p90: Option<f64>,
    /// Age of the oldest open failure.
    #[serde(default)]
    pub open_max_hours: Option<f64>,
}

/// `lead_time_hours` of §7.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LeadTimeHours {
    /// Median lead time.
    #[serde(default)]
    pub median: Option<f64>,
    /// 90th percentile.
    #[serde(default)]
    pub p90: Option<f64>,
}

/// `onboarding_hours` of §7.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct OnboardingHours {
    /// Median hours from start date to first commit.
    #[serde(default)]
    pub median: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Body {
    Document {
        org: TeamScore,
        #[serde(default)]
        teams: Vec<TeamScore>,
    },
    Team(TeamScore),
}

/// Reads one stored snapshot body of `team` into `(team, score)` pairs: the org as
/// [`ORG_TEAM`], then each team. A team object without a `team` field is `team`'s.
pub fn parse_body(team: &str, body: &str) -> serde_json::Result<Vec<(String, TeamScore)>> {
    Ok(match serde_json::from_str(body)? {
        Body::Document { org, teams } => std::iter::once((ORG_TEAM.to_string(), org))
            .chain(teams.into_iter().filter_map(|t| Some((t.team.clone()?, t))))
            .collect(),
        Body::Team(score) => {
            let name = score.team.clone().unwrap_or_else(|| team.to_string());
            vec![(name, score)]
        }
    })
}

impl TeamScore {
    /// The component `name`, when it has data.
    pub fn component(&self, name: &str) -> Option<f64> {
        self.components.get(name).copied().flatten()
    }

    /// The NPS, unless the team's survey figures are hidden.
    pub fn visible_nps(&self) -> Option<f64> {
        self.nps.filter(|_| !self.hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"{ "quarter": "2026-Q4", "computed_at": "2026-11-25T10:00:00Z",
        "org": { "dxs": 71.4, "components": { "deploy_ease": 80.0, "adoption": null },
                 "missing": ["adoption"], "responses": 143,
                 "lead_time_hours": { "median": 20.5, "p90": 96.0, "changes": 1840 },
                 "onboarding_hours": { "median": 30.0, "open": 2 },
                 "self_service_rate": 0.93, "nps": 24.0 },
        "teams": [ { "team": "payments", "dxs": 65.0, "components": {}, "nps": 10.0,
                     "hidden": true } ] }"#;

    #[test]
    fn a_whole_document_gives_the_org_and_every_team() {
        let scores = parse_body("all", DOCUMENT).unwrap();
        assert_eq!(scores.len(), 2);
        let (name, org) = &scores[0];
        assert_eq!(name, "all");
        assert_eq!(org.dxs, Some(71.4));
        assert_eq!(org.component("deploy_ease"), Some(80.0));
        assert_eq!(org.component("adoption"), None, "null is no data");
        assert_eq!(org.component("nps"), None, "absent is no data");
        assert_eq!(org.responses, Some(143.0));
        assert_eq!(org.lead_time_hours.as_ref().unwrap().p90, Some(96.0));
        assert_eq!(org.onboarding_hours.as_ref().unwrap().median, Some(30.0));
        assert_eq!(org.visible_nps(), Some(24.0));
        let (name, payments) = &scores[1];
        assert_eq!(name, "payments");
        assert_eq!(payments.nps, Some(10.0));
        assert_eq!(
            payments.visible_nps(),
            None,
            "a hidden team's NPS stays hidden"
        );
    }

    #[test]
    fn a_team_object_is_the_rows_team() {
        let scores = parse_body("search", r#"{ "dxs": 50.5, "self_service_rate": null }"#).unwrap();
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].0, "search");
        assert_eq!(scores[0].1.dxs, Some(50.5));
        assert_eq!(scores[0].1.self_service_rate, None);
        let named = parse_body("x", r#"{ "team": "web", "dxs": 1 }"#).unwrap();
        assert_eq!(named[0].0, "web");
    }

    #[test]
    fn a_body_that_is_not_json_is_an_error() {
        assert!(parse_body("all", "not json").is_err());
        assert!(parse_body("all", "[1, 2]").is_err());
    }
}
