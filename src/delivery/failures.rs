//! Failed rollouts (DESIGN §5, change failure rate and failed deployment recovery time): a pure
//! function of rollouts, incidents and reverts, so the rule is tested apart from any I/O.
//!
//! A rollout D of a service failed when (a) an incident of its service opened after D finished
//! and before the service's next rollout or rollback, (b) that next one is a rollback, or (c) a
//! later rollout of the service ships a commit reverting one of D's commits (`This reverts
//! commit <sha>`). Each failed rollout counts once, whatever the number of causes. Its failure
//! starts at the earliest cause (an incident's opening; D's finish for a rollback or revert)
//! and is recovered when every cause is over (the incidents resolved, the rollback or the
//! revert live); until then it is open. A revert fails D only when it ships within the revert
//! window of D's finish (`incidents.revert_window_days`); a revert of a revert re-lands the
//! change and fails nothing. An incident before any rollout of its service, or of
//! a service dxs does not know, fails nothing: it is still an incident.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A change of what is live in production for a service: a rollout (a new commit, at its
/// earliest finish) or a rollback (back to an older commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// The service.
    pub service: String,
    /// The commit that went live.
    pub sha: String,
    /// When it went live.
    pub finished_at: i64,
    /// A rollback, not a rollout.
    pub rollback: bool,
}

/// Why a rollout failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Cause {
    /// An incident opened while the rollout was live.
    Incident {
        /// `source:external_id` of the incident.
        id: String,
    },
    /// The next deployment of the service went back to an older commit.
    Rollback {
        /// The commit rolled back to.
        sha: String,
        /// When the rollback finished.
        at: i64,
    },
    /// A later rollout shipped a commit reverting one of the rollout's commits.
    Revert {
        /// The reverting commit.
        sha: String,
        /// When the rollout shipping it finished.
        at: i64,
    },
}

/// A rollout that failed, with its causes and its recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRollout {
    /// The service.
    pub service: String,
    /// The commit of the failed rollout.
    pub sha: String,
    /// When the rollout finished.
    pub finished_at: i64,
    /// Every cause, incidents first, then the rollback and reverts.
    pub causes: Vec<Cause>,
    /// The failure's start.
    pub started_at: i64,
    /// When every cause was over; `None` while open.
    pub recovered_at: Option<i64>,
}

impl FailedRollout {
    /// Hours from the failure to its recovery (`None` while open).
    pub fn recovery_hours(&self) -> Option<f64> {
        self.recovered_at
            .map(|r| (r - self.started_at).max(0) as f64 / 3600.0)
    }
}

/// An incident resolved to a known service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceIncident {
    /// The service it names.
    pub service: String,
    /// `source:external_id`.
    pub id: String,
    /// Opened.
    pub opened_at: i64,
    /// Resolved, if it is.
    pub resolved_at: Option<i64>,
}

/// A commit that reverts another, and where it shipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revert {
    /// The service whose change it is.
    pub service: String,
    /// The reverting commit.
    pub sha: String,
    /// The reverted commit, as the message names it (a full or abbreviated SHA).
    pub reverted: String,
    /// When the reverting commit first reached production (its change's `deployed_at`).
    pub deployed_at: i64,
}

/// A commit shipped as a change of a service (its first production deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipped {
    /// The service.
    pub service: String,
    /// The commit.
    pub sha: String,
    /// When it first reached production.
    pub deployed_at: i64,
}

/// Everything the rule reads.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Rollouts and rollbacks of every service, any order.
    pub rollouts: &'a [Live],
    /// Incidents of known services.
    pub incidents: &'a [ServiceIncident],
    /// Changes, to know which rollout shipped a commit.
    pub shipped: &'a [Shipped],
    /// Reverting commits.
    pub reverts: &'a [Revert],
    /// A revert fails a rollout only when it ships within this many seconds of its finish.
    pub revert_window: i64,
}

/// A cause of a rollout's failure with its start and its end (`None` while open), keyed by the
/// rollout's (service, finish).
type Found = (Cause, i64, Option<i64>);

/// The failed rollouts, ordered by service and finish.
pub fn failed(facts: Facts<'_>) -> Vec<FailedRollout> {
    let mut by_service: BTreeMap<&str, Vec<&Live>> = BTreeMap::new();
    for r in facts.rollouts {
        by_service.entry(r.service.as_str()).or_default().push(r);
    }
    for list in by_service.values_mut() {
        list.sort_by(|a, b| (a.finished_at, &a.sha).cmp(&(b.finished_at, &b.sha)));
    }
    // Each service's incidents by opening, so a rollout finds those of its watch by search.
    let mut incidents: BTreeMap<&str, Vec<&ServiceIncident>> = BTreeMap::new();
    for x in facts.incidents {
        incidents.entry(x.service.as_str()).or_default().push(x);
    }
    for list in incidents.values_mut() {
        list.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
    }
    let mut causes: BTreeMap<(&str, i64), Vec<Found>> = BTreeMap::new();
    for (service, list) in &by_service {
        let opened = incidents.get(service).map_or(&[][..], Vec::as_slice);
        for (i, d) in list.iter().enumerate() {
            if d.rollback {
                continue;
            }
            let next = list.get(i + 1);
            let until = next.map_or(i64::MAX, |n| n.finished_at);
            let key = (*service, d.finished_at);
            let from = opened.partition_point(|x| x.opened_at <= d.finished_at);
            let to = opened.partition_point(|x| x.opened_at < until);
            for x in &opened[from..to.max(from)] {
                causes.entry(key).or_default().push((
                    Cause::Incident { id: x.id.clone() },
                    x.opened_at,
                    x.resolved_at,
                ));
            }
            if let Some(n) = next.filter(|n| n.rollback) {
                causes.entry(key).or_default().push((
                    Cause::Rollback {
                        sha: n.sha.clone(),
                        at: n.finished_at,
                    },
                    d.finished_at,
                    Some(n.finished_at),
                ));
            }
        }
    }
    for revert in facts.reverts {
        // A revert of a revert re-lands the change: it fails nothing.
        let relands = facts
            .reverts
            .iter()
            .any(|r| r.service == revert.service && same_commit(&r.sha, &revert.reverted));
        let Some(list) = by_service.get(revert.service.as_str()).filter(|_| !relands) else {
            continue;
        };
        let Some(fix) = shipped_by(list, revert.deployed_at) else {
            continue;
        };
        let reverted = facts
            .shipped
            .iter()
            .filter(|s| s.service == revert.service && same_commit(&s.sha, &revert.reverted))
            .filter_map(|s| shipped_by(list, s.deployed_at))
            .chain(
                list.iter()
                    .copied()
                    .filter(|r| !r.rollback && same_commit(&r.sha, &revert.reverted)),
            )
            .min_by_key(|r| r.finished_at);
        let in_window = |d: &&Live| revert.deployed_at - d.finished_at <= facts.revert_window;
        if let Some(d) = reverted.filter(|d| d.finished_at < fix.finished_at && in_window(d)) {
            causes
                .entry((revert.service.as_str(), d.finished_at))
                .or_default()
                .push((
                    Cause::Revert {
                        sha: revert.sha.clone(),
                        at: fix.finished_at,
                    },
                    d.finished_at,
                    Some(fix.finished_at),
                ));
        }
    }
    causes
        .into_iter()
        .filter_map(|((service, finished_at), mut found)| {
            let d = by_service[service]
                .iter()
                .find(|r| r.finished_at == finished_at && !r.rollback)?;
            found.dedup_by(|a, b| a.0 == b.0);
            let started_at = found.iter().map(|c| c.1).min()?;
            let recovered_at = found
                .iter()
                .map(|c| c.2)
                .try_fold(i64::MIN, |end, c| c.map(|c| end.max(c)));
            Some(FailedRollout {
                service: service.to_string(),
                sha: d.sha.clone(),
                finished_at,
                causes: found.into_iter().map(|c| c.0).collect(),
                started_at,
                recovered_at,
            })
        })
        .collect()
}

/// The rollout (not a rollback) of `list` that shipped a change deployed at `at`: the last one
/// finished at or before it.
fn shipped_by<'a>(list: &[&'a Live], at: i64) -> Option<&'a Live> {
    list.iter()
        .copied()
        .filter(|r| !r.rollback && r.finished_at <= at)
        .max_by_key(|r| r.finished_at)
}

/// True when `full` is the commit `named` names (full, or abbreviated to 7 or more digits).
fn same_commit(full: &str, named: &str) -> bool {
    named.len() >= 7 && full.len() >= named.len() && full[..named.len()].eq_ignore_ascii_case(named)
}

/// The commits a message reverts: each `This reverts commit <sha>` (7 to 40 hex digits).
pub fn reverted_commits(message: &str) -> Vec<String> {
    const MARK: &str = "This reverts commit ";
    let mut found = Vec::new();
    let mut rest = message;
    while let Some(i) = rest.find(MARK) {
        rest = &rest[i + MARK.len()..];
        let sha: String = rest
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .take(41)
            .collect();
        if (7..=40).contains(&sha.len()) {
            found.push(sha.to_ascii_lowercase());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn rollout(sha: &str, rollback: bool, at: i64) -> Live {
        Live {
            service: "pay".into(),
            sha: sha.into(),
            finished_at: at,
            rollback,
        }
    }

    fn incident(id: &str, opened_at: i64, resolved_at: Option<i64>) -> ServiceIncident {
        ServiceIncident {
            service: "pay".into(),
            id: id.into(),
            opened_at,
            resolved_at,
        }
    }

    fn shipped(sha: &str, at: i64) -> Shipped {
        Shipped {
            service: "pay".into(),
            sha: sha.into(),
            deployed_at: at,
        }
    }

    #[test]
    fn each_failed_rollout_counts_once_with_every_cause_and_its_recovery() {
        let (new, back) = (false, true);
        let rollouts = [
            rollout("a1", new, 100),
            rollout("a2", new, 200),
            rollout("a1", back, 300),
            rollout("a3", new, 400),
            rollout("a4", new, 500),
            rollout("a5", new, 600),
        ];
        let incidents = [
            incident("webhook:INC-0", 50, Some(60)), // before any rollout: fails nothing
            incident("webhook:INC-1", 150, Some(180)),
            incident("github:acme/pay#2", 160, Some(190)), // the same rollout: counted once
            incident("webhook:INC-3", 450, None),          // still open
        ];
        let changes = [
            shipped("a4b0c1d2e3f4", 500),
            shipped("ffee00112233", 500),
            shipped("r1r1r1r", 600),
        ];
        let reverts = [Revert {
            service: "pay".into(),
            sha: "r1r1r1r".into(),
            reverted: "a4b0c1d".into(),
            deployed_at: 600,
        }];
        let failed = failed(Facts {
            rollouts: &rollouts,
            incidents: &incidents,
            shipped: &changes,
            reverts: &reverts,
            revert_window: 14 * DAY,
        });
        let summary: Vec<(&str, i64, Option<i64>, usize)> = failed
            .iter()
            .map(|f| (f.sha.as_str(), f.started_at, f.recovered_at, f.causes.len()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a1", 150, Some(190), 2),
                ("a2", 200, Some(300), 1),
                ("a3", 450, None, 1),
                ("a4", 500, Some(600), 1),
            ]
        );
        assert_eq!(
            failed[1].causes,
            vec![Cause::Rollback {
                sha: "a1".into(),
                at: 300
            }]
        );
        assert_eq!(
            failed[3].causes,
            vec![Cause::Revert {
                sha: "r1r1r1r".into(),
                at: 600
            }]
        );
        assert_eq!(failed[0].recovery_hours(), Some(40.0 / 3600.0));
        assert_eq!(failed[2].recovery_hours(), None);
    }

    #[test]
    fn a_revert_shipped_with_the_reverted_commit_fails_nothing() {
        let rollouts = [rollout("a1", false, 100)];
        let changes = [shipped("abcdef0123", 100), shipped("r2", 100)];
        let reverts = [Revert {
            service: "pay".into(),
            sha: "r2".into(),
            reverted: "abcdef0".into(),
            deployed_at: 100,
        }];
        let facts = Facts {
            rollouts: &rollouts,
            incidents: &[],
            shipped: &changes,
            reverts: &reverts,
            revert_window: 14 * DAY,
        };
        assert_eq!(failed(facts), vec![]);
    }

    #[test]
    fn a_revert_shipped_after_the_window_fails_nothing_one_within_it_fails_the_rollout() {
        let rollouts = [
            rollout("a1", false, 0),
            rollout("a2", false, 14 * DAY),
            rollout("a3", false, 14 * DAY + 1),
        ];
        let changes = [shipped("abcdef0123", 0)];
        let revert = |sha: &str, at: i64| Revert {
            service: "pay".into(),
            sha: sha.into(),
            reverted: "abcdef0".into(),
            deployed_at: at,
        };
        let facts = |reverts: &[Revert]| {
            failed(Facts {
                rollouts: &rollouts,
                incidents: &[],
                shipped: &changes,
                reverts,
                revert_window: 14 * DAY,
            })
        };
        // Shipped 14 days after a1's finish: inside the window (its end included).
        let within = facts(&[revert("r1", 14 * DAY)]);
        assert_eq!(
            within
                .iter()
                .map(|f| (f.sha.as_str(), f.recovered_at))
                .collect::<Vec<_>>(),
            vec![("a1", Some(14 * DAY))]
        );
        // One second later: a revert of an old commit, not a failure of its rollout.
        assert_eq!(facts(&[revert("r2", 14 * DAY + 1)]), vec![]);
    }

    #[test]
    fn a_revert_of_a_revert_re_lands_the_change_and_fails_nothing() {
        // a1 shipped c1; a2 shipped r1 (reverting c1); a3 shipped r2 (reverting r1).
        let rollouts = [
            rollout("a1", false, 0),
            rollout("a2", false, DAY),
            rollout("a3", false, 2 * DAY),
        ];
        let changes = [
            shipped("c1c1c1c1", 0),
            shipped("r1r1r1r1", DAY),
            shipped("r2r2r2r2", 2 * DAY),
        ];
        let revert = |sha: &str, reverted: &str, at: i64| Revert {
            service: "pay".into(),
            sha: sha.into(),
            reverted: reverted.into(),
            deployed_at: at,
        };
        let reverts = [
            revert("r1r1r1r1", "c1c1c1c", DAY),
            revert("r2r2r2r2", "r1r1r1r", 2 * DAY),
        ];
        let failed = failed(Facts {
            rollouts: &rollouts,
            incidents: &[],
            shipped: &changes,
            reverts: &reverts,
            revert_window: 14 * DAY,
        });
        // Only a1 failed (r1 reverted it); a2, whose r1 r2 reverts, did not.
        let summary: Vec<(&str, Option<i64>)> = failed
            .iter()
            .map(|f| (f.sha.as_str(), f.recovered_at))
            .collect();
        assert_eq!(summary, vec![("a1", Some(DAY))]);
    }

    #[test]
    fn revert_messages_name_full_or_abbreviated_commits() {
        let message = "Revert \"Add retries\"\n\nThis reverts commit \
                       1A2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d.\n\
                       This reverts commit 89abcde, and This reverts commit 12ab.";
        assert_eq!(
            reverted_commits(message),
            vec![
                "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d".to_string(),
                "89abcde".to_string()
            ]
        );
        assert!(reverted_commits("Fix the revert of the cache").is_empty());
    }
}
