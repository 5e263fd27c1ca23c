//! The report's stability parts: which rollouts failed and why, and the incidents that name a
//! service dxs does not know (the data-quality section). Formatted from the snapshot only.

use crate::delivery::failures::{Cause, FailedRollout};
use crate::scoring::TeamScore;

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
