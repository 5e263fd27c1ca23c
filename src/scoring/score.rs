//! The score document of DESIGN §7: what `dxs score --format json`, `/api/v1/score`, the
//! snapshot bodies, `/metrics` and the report all read. Field names are part of the contract;
//! fields beyond §7 (counts, distributions, tiers, deltas) are additions, never renames.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::attribution::UnattributedIncident;
pub use super::change_failure::{ChangeFailure, Recovery, UnknownIncident};
pub use super::drivers::Driver;

/// Name of the organisation in snapshots and metrics.
pub const ORG: &str = "all";

/// The score of one quarter: the organisation and every team.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Quarter, e.g. `2026-Q4`.
    pub quarter: String,
    /// When it was computed, RFC 3339 UTC.
    pub computed_at: String,
    /// The organisation (`team` is `all`).
    pub org: TeamScore,
    /// Every team, by name.
    pub teams: Vec<TeamScore>,
}

/// The score and its evidence for one team, or for the organisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamScore {
    /// Team name, `all` for the organisation.
    pub team: String,
    /// The DXS, 0–100: weighted mean of the components that have data; `None` when none has,
    /// or when they carry less than `score.min_coverage` of the weight (`partial`).
    pub dxs: Option<f64>,
    /// The share of the weight whose components had data, 0–1.
    #[serde(default)]
    pub coverage: f64,
    /// The components with data carry less than `score.min_coverage` of the weight: no DXS is
    /// published (`dxs` is null), so the team is never ranked beside complete ones.
    #[serde(default)]
    pub partial: bool,
    /// Each component with data, 0–100.
    pub components: BTreeMap<String, f64>,
    /// Weighted components left out of the DXS: no data, or hidden survey figures.
    pub missing: Vec<String>,
    /// Responses of the closed survey whose figures are shown (`survey.figures_quarter`); the
    /// participation of the latest survey is `survey.responses`.
    pub responses: i64,
    /// Lead time for changes deployed in the quarter.
    pub lead_time_hours: LeadTime,
    /// Onboarding of developers who started in the trailing window.
    pub onboarding_hours: Onboarding,
    /// Self-service requests that succeeded with no human help / finished requests.
    pub self_service_rate: Option<f64>,
    /// Net Promoter Score, −100 to 100 (`None` without answers or when hidden).
    pub nps: Option<f64>,
    /// The survey figures are hidden: fewer than `min_group_size` responses, or a smaller
    /// team's would follow by subtracting this team's from the organisation's (DESIGN §10).
    pub hidden: bool,
    /// Self-service request counts behind `self_service_rate`.
    pub self_service: Requests,
    /// Rollouts in the quarter (DESIGN §5: one per service and commit).
    pub deployments: Deployments,
    /// Each service the team (or, for the organisation, anyone) rolled out or changed in the
    /// quarter, by name.
    #[serde(default)]
    pub services: Vec<ServiceScore>,
    /// Platform adoption over the trailing window.
    pub adoption: Adoption,
    /// Survey aggregates (empty when hidden).
    pub survey: SurveyFigures,
    /// How many observations each component rests on (changes, developers, requests,
    /// repositories, answers).
    pub basis: BTreeMap<String, i64>,
    /// DORA performance tiers.
    pub dora: Dora,
    /// Change failure rate and failed deployment recovery time, with the failed rollouts.
    #[serde(default)]
    pub change_failure: ChangeFailure,
    /// Incidents of the quarter no service could be charged with, with why (the organisation
    /// only): counted as incidents, failing no rollout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unattributed_incidents: Vec<UnattributedIncident>,
    /// Change against the previous quarter, when it has a score.
    pub delta: Option<Delta>,
    /// What moved the DXS since the previous quarter: each weighted component's contribution
    /// to `delta.dxs`, largest magnitude first, adding up to it; empty when either quarter has
    /// no DXS (no previous quarter, no data, or partial).
    #[serde(default)]
    pub drivers: Vec<Driver>,
}

/// Lead time for changes, in hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadTime {
    /// Median (linear interpolation, as PostgreSQL's `percentile_cont`).
    pub median: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Changes counted.
    pub changes: i64,
}

/// Onboarding time (start date → first commit), in hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Onboarding {
    /// Median over the developers who have committed.
    pub median: Option<f64>,
    /// Developers of the cohort without a first commit yet.
    pub open: i64,
    /// Developers of the cohort who have committed.
    pub onboarded: i64,
    /// Age of the oldest open one, in hours.
    pub open_max_hours: Option<f64>,
}

impl TeamScore {
    /// True when the team has any figure in the period: a component, a survey invite or
    /// response, a deployment, a developer of the onboarding cohort, a request, or something
    /// adoption counts.
    pub fn has_figures(&self) -> bool {
        !self.components.is_empty()
            || self.responses > 0
            || self.survey.invites > 0
            || self.deployments.count > 0
            || self.onboarding_hours.open + self.onboarding_hours.onboarded > 0
            || self.self_service.finished > 0
            || self.adoption.active_repositories + self.adoption.namespaces > 0
            || self.change_failure.rollouts + self.change_failure.incidents > 0
    }
}

/// Finished self-service requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// Finished in the quarter.
    pub finished: i64,
    /// Of which succeeded with no human intervention.
    pub succeeded: i64,
}

/// Rollouts: one (service, commit) reaching production at its earliest finish, whichever
/// sources saw it; re-syncs, redeploys and rollbacks are not rollouts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deployments {
    /// Rollouts in the quarter.
    pub count: i64,
    /// Rollouts per week.
    pub per_week: f64,
    /// Repositories rolled out at least once.
    pub repositories: i64,
    /// Rollouts per week per rolled-out repository.
    pub per_repository_week: Option<f64>,
    /// Services rolled out at least once (a repository, or a path of one).
    #[serde(default)]
    pub services: i64,
    /// Rollouts per week per rolled-out service: the DORA frequency.
    #[serde(default)]
    pub per_service_week: Option<f64>,
    /// Rollbacks in the quarter (a commit older than the live one deployed again).
    #[serde(default)]
    pub rollbacks: i64,
}

/// Delivery figures of one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceScore {
    /// The service: a `[[services]]` or catalog name, or a repository's slug.
    pub service: String,
    /// Its repository.
    pub repo: String,
    /// Lead time of its changes deployed in the quarter.
    pub lead_time_hours: LeadTime,
    /// Rollouts in the quarter.
    pub rollouts: i64,
    /// Rollbacks in the quarter.
    pub rollbacks: i64,
    /// Rollouts per week.
    pub per_week: f64,
    /// DORA tiers of the service.
    pub dora: Dora,
    /// Change failure rate and recovery time of the service.
    #[serde(default)]
    pub change_failure: ChangeFailure,
}

/// Platform adoption: repositories deployed through the platform / active repositories, or
/// (`score.adoption_basis = "namespaces"`) managed namespaces / namespaces with a team label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Adoption {
    /// The ratio, 0–1, of the basis.
    pub ratio: Option<f64>,
    /// What the ratio counts: `repositories` or `namespaces`.
    #[serde(default)]
    pub basis: String,
    /// Repositories deployed through ArgoCD or the orchestrator in the window.
    pub platform_repositories: i64,
    /// Deployable services (repositories; see `crate::delivery::adoption`) pushed to or
    /// deployed in the window: the denominator.
    pub active_repositories: i64,
    /// The same: the deployable services adoption divides by (DESIGN §7 `services`).
    #[serde(default)]
    pub services: i64,
    /// Repositories active in the window that are not deployable services, and why (the
    /// organisation only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<crate::delivery::adoption::Excluded>,
    /// Namespaces managed by the platform at the period's end (basis `namespaces`).
    #[serde(default)]
    pub managed_namespaces: i64,
    /// Namespaces with a team label at the period's end (basis `namespaces`).
    #[serde(default)]
    pub namespaces: i64,
}

/// The survey of a team or the organisation (DESIGN §7 `survey`): the participation and status
/// of the latest survey at or before the score's quarter (`quarter`, `status`, `responses`,
/// `invites`, `response_rate`), and the answer figures of the latest closed one
/// (`figures_quarter`: `means`, `nps_counts`, `choices`, like the survey components, the NPS,
/// the themes, the team's `responses` and `hidden`). While a survey is open only its
/// participation is published; its figures publish once, at its close, and never change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyFigures {
    /// The survey whose participation this shows: the latest at or before the score's
    /// quarter; none before its first invite.
    #[serde(default)]
    pub quarter: Option<String>,
    /// `open` while that survey takes answers (or is closing), `closed` once its figures are
    /// published.
    #[serde(default)]
    pub status: Option<SurveyStatus>,
    /// Its responses so far (held ones included); none while it is open with 1 to k − 1.
    #[serde(default)]
    pub responses: Option<i64>,
    /// While it is open with 1 to k − 1 responses: k (`score.min_group_size`), the report's
    /// "fewer than k".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fewer_than: Option<i64>,
    /// When it closes (unless closed sooner) or closed, RFC 3339.
    #[serde(default)]
    pub closes_at: Option<String>,
    /// Invites issued for that survey.
    pub invites: i64,
    /// Its responses / invites; none while `responses` is.
    pub response_rate: Option<f64>,
    /// The closed survey whose answer figures this score shows; none before the first close.
    #[serde(default)]
    pub figures_quarter: Option<String>,
    /// Mean answer of each numeric question (scale 1–10, nps 0–10).
    pub means: BTreeMap<String, f64>,
    /// NPS answer groups.
    pub nps_counts: Option<NpsCounts>,
    /// Answer counts of each choice question, by choice value (the wait distribution).
    pub choices: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Whether a survey takes answers or has published its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyStatus {
    /// Taking answers: only participation is published.
    Open,
    /// Closed: its figures are published, frozen.
    Closed,
}

/// Promoters (9–10), passives (7–8) and detractors (0–6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsCounts {
    /// Answers 9 and 10.
    pub promoters: i64,
    /// Answers 7 and 8.
    pub passives: i64,
    /// Answers 0 to 6.
    pub detractors: i64,
}

/// A DORA performance tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Best.
    Elite,
    /// Second.
    High,
    /// Third.
    Medium,
    /// Last.
    Low,
}

/// DORA tiers of a team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dora {
    /// From the median lead time.
    pub lead_time: Option<Tier>,
    /// From the rollouts per week per rolled-out service.
    pub deployment_frequency: Option<Tier>,
    /// From the change failure rate.
    #[serde(default)]
    pub change_failure: Option<Tier>,
    /// From the median failed deployment recovery time.
    #[serde(default)]
    pub recovery: Option<Tier>,
}

/// Quarter-over-quarter change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// The quarter compared with.
    pub previous_quarter: String,
    /// DXS now − DXS then, when both exist.
    pub dxs: Option<f64>,
    /// Component now − then, for components present in both.
    pub components: BTreeMap<String, f64>,
}

impl Score {
    /// The team's score, or the organisation's for `all`.
    pub fn team(&self, team: &str) -> Option<&TeamScore> {
        if team == ORG {
            return Some(&self.org);
        }
        self.teams.iter().find(|t| t.team == team)
    }
}
