//! The report's stability parts: which rollouts failed and why, summarised by team and cause
//! with the full list folded, and the incidents that name a service dxs does not know (the
//! data-quality section). Formatted from the snapshot only.

use std::collections::BTreeMap;

use crate::delivery::failures::{Cause, FailedRollout};
use crate::scoring::{Score, TeamScore};

/// The failed rollouts of one team, counted by cause (a rollout with two causes counts under
/// each, once in `failed`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureSummary {
    /// The team, or `no team` for a service no team owns.
    pub team: String,
    /// Failed by an incident.
    pub incidents: usize,
    /// Failed by a rollback.
    pub rollbacks: usize,
    /// Failed by a revert.
    pub reverts: usize,
    /// Failed rollouts.
    pub failed: usize,
    /// Of which not recovered yet.
    pub open: usize,
}

/// The organisation's failed rollouts by team (most first) and cause.
pub fn summary(score: &Score) -> Vec<FailureSummary> {
    let team_of: BTreeMap<&str, &str> = score
        .teams
        .iter()
        .flat_map(|t| {
            t.services
                .iter()
                .map(|s| (s.service.as_str(), t.team.as_str()))
        })
        .collect();
    let mut by_team: BTreeMap<&str, FailureSummary> = BTreeMap::new();
    for f in &score.org.change_failure.failures {
        let team = team_of
            .get(f.service.as_str())
            .copied()
            .unwrap_or("no team");
        let row = by_team.entry(team).or_insert_with(|| FailureSummary {
            team: team.to_string(),
            ..FailureSummary::default()
        });
        row.failed += 1;
        row.open += usize::from(f.recovered_at.is_none());
        let has = |kind: fn(&Cause) -> bool| usize::from(f.causes.iter().any(kind));
        row.incidents += has(|c| matches!(c, Cause::Incident { .. }));
        row.rollbacks += has(|c| matches!(c, Cause::Rollback { .. }));
        row.reverts += has(|c| matches!(c, Cause::Revert { .. }));
    }
    let mut rows: Vec<FailureSummary> = by_team.into_values().collect();
    rows.sort_by(|a, b| b.failed.cmp(&a.failed).then_with(|| a.team.cmp(&b.team)));
    rows
}

/// A failed rollout, formatted.
pub struct FailedRow {
    /// The service.
    pub service: String,
    /// The rollout's commit, abbreviated.
    pub commit: String,
    /// When it finished, `YYYY-MM-DD HH:MM` UTC.
    pub finished: String,
    /// Why it failed: incidents by id, the rollback, the revert.
    pub why: String,
    /// Recovery hours, or `open` with the age.
    pub recovery: String,
}

/// The failed rollouts of `org` (the organisation's score), by finish.
pub fn failed_rows(org: &TeamScore) -> Vec<FailedRow> {
    org.change_failure
        .failures
        .iter()
        .map(|f| FailedRow {
            service: f.service.clone(),
            commit: short(&f.sha),
            finished: time(f.finished_at),
            why: why(f),
            recovery: f
                .recovery_hours()
                .map_or("open".into(), |h| format!("{h:.1} h")),
        })
        .collect()
}

/// `service (incident id)` of each incident naming a service dxs does not know.
pub fn unknown_services(org: &TeamScore) -> Vec<String> {
    org.change_failure
        .unknown_services
        .iter()
        .map(|u| format!("{} ({})", u.service, u.id))
        .collect()
}

fn why(f: &FailedRollout) -> String {
    let causes: Vec<String> = f
        .causes
        .iter()
        .map(|c| match c {
            Cause::Incident { id } => format!("incident {id}"),
            Cause::Rollback { sha, .. } => format!("rollback to {}", short(sha)),
            Cause::Revert { sha, .. } => format!("reverted by {}", short(sha)),
        })
        .collect();
    causes.join(", ")
}

fn short(sha: &str) -> String {
    sha.chars().take(7).collect()
}

fn time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
