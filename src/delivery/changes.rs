//! Changes from shipped commits (DESIGN §5, third round): the unit of lead time is a merged pull
//! request, or a commit pushed to the default branch outside any. A pure function of the
//! commits shipped to one or more services and what GitHub said of each; the store runs it
//! whenever either changes and keeps its result in `changes`.
//!
//! * A commit of pull request N belongs to change `#N` of its service, merge commits included;
//!   the change starts at the earliest author date among its commits (the pull request's first
//!   commit, as GitHub lists them, or an earlier-authored one shipped) and is deployed at the
//!   first deployment that shipped any of them. A merge, a squash and a rebase of the same work
//!   are therefore the same change, with the same lead time.
//! * A commit pushed outside any pull request is a change of its own, from its committer date.
//! * A commit whose pull request is not known yet (its lookup failed) is no change until it is:
//!   never a lead time from a guess. A commit of which nothing was ever asked (facts written
//!   before pull requests were asked, the demo) is a change of its own.

use std::collections::BTreeMap;

use crate::model::{Change, PullState};

/// A commit shipped to a service, with what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipped {
    /// The service.
    pub service: String,
    /// `owner/name` of its repository.
    pub repo: String,
    /// The commit.
    pub sha: String,
    /// The deployment that first shipped it to the service: source and external id.
    pub deployment: (String, String),
    /// When that deployment finished.
    pub deployed_at: i64,
    /// Its committer date.
    pub committed_at: i64,
    /// Its author date, when the commit is stored.
    pub authored_at: Option<i64>,
    /// What GitHub said of it; `None` when it was never asked.
    pub pull: Option<PullState>,
}

impl crate::model::DeploymentChange {
    /// The commit as the rule reads it, with what GitHub said of it (`None`: never asked) and
    /// no author date.
    pub fn shipped(&self, pull: Option<PullState>) -> Shipped {
        Shipped {
            service: self.service.clone(),
            repo: self.repo.clone(),
            sha: self.sha.clone(),
            deployment: (self.deployment_source.clone(), self.deployment_id.clone()),
            deployed_at: self.deployed_at,
            committed_at: self.committed_at,
            authored_at: None,
            pull,
        }
    }
}

/// The changes of `shipped` (any services, any order), ordered by service and id.
pub fn derive(shipped: &[Shipped]) -> Vec<Change> {
    let mut changes: BTreeMap<(&str, String), Change> = BTreeMap::new();
    for c in shipped {
        let (id, start) = match c.pull {
            Some(PullState::Pending) => continue,
            Some(PullState::Pull { number, started_at }) => (
                format!("#{number}"),
                c.authored_at.map_or(started_at, |a| a.min(started_at)),
            ),
            Some(PullState::Direct) | None => (c.sha.clone(), c.committed_at),
        };
        let change = changes
            .entry((c.service.as_str(), id.clone()))
            .or_insert_with(|| Change {
                service: c.service.clone(),
                repo: c.repo.clone(),
                change_id: id,
                started_at: start,
                deployment_source: c.deployment.0.clone(),
                deployment_id: c.deployment.1.clone(),
                deployed_at: c.deployed_at,
                commits: 0,
            });
        change.commits += 1;
        change.started_at = change.started_at.min(start);
        let first = (
            change.deployed_at,
            &change.deployment_source,
            &change.deployment_id,
        );
        if (c.deployed_at, &c.deployment.0, &c.deployment.1) < first {
            change.deployed_at = c.deployed_at;
            change.deployment_source = c.deployment.0.clone();
            change.deployment_id = c.deployment.1.clone();
        }
    }
    changes.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600;
    const MON: i64 = 1_791_190_800; // 2026-10-05 09:00 UTC, a Monday

    fn shipped(repo: &str, sha: &str, authored: i64, committed: i64, pull: PullState) -> Shipped {
        Shipped {
            service: repo.into(),
            repo: repo.into(),
            sha: sha.into(),
            deployment: ("github".into(), format!("{repo}:1")),
            deployed_at: MON + 49 * H,
            committed_at: committed,
            authored_at: Some(authored),
            pull: Some(pull),
        }
    }

    fn leads(changes: &[Change]) -> Vec<(&str, &str, i64, i64)> {
        changes
            .iter()
            .map(|c| {
                let hours = c.lead_time_seconds() / H;
                (c.service.as_str(), c.change_id.as_str(), hours, c.commits)
            })
            .collect()
    }

    #[test]
    fn merge_squash_and_rebase_of_the_same_work_are_one_change_with_one_lead_time() {
        // Pull request 7: commits authored Monday 09:00 and Tuesday 10:00, merged Wednesday
        // 09:00, deployed Wednesday 10:00 (49 h after its first commit).
        let pr = PullState::Pull {
            number: 7,
            started_at: MON,
        };
        let merged = MON + 48 * H;
        let commits = [
            // merge: the two commits as written, and the merge commit.
            shipped("acme/merge", "m1", MON, MON, pr),
            shipped("acme/merge", "m2", MON + 25 * H, MON + 25 * H, pr),
            shipped("acme/merge", "mm", merged, merged, pr),
            // squash: one commit, authored and committed at the merge.
            shipped("acme/squash", "s1", merged, merged, pr),
            // rebase: the two commits again, authored as written, committed at the merge.
            shipped("acme/rebase", "r1", MON, merged, pr),
            shipped("acme/rebase", "r2", MON + 25 * H, merged, pr),
        ];
        assert_eq!(
            leads(&derive(&commits)),
            vec![
                ("acme/merge", "#7", 49, 3),
                ("acme/rebase", "#7", 49, 2),
                ("acme/squash", "#7", 49, 1),
            ]
        );
        // Counted commit by commit from their committer dates, as before, the three disagree.
        let by_commit: Vec<i64> = commits
            .iter()
            .map(|c| (c.deployed_at - c.committed_at) / H)
            .collect();
        assert_eq!(by_commit, [49, 24, 1, 1, 1, 1]);
    }

    #[test]
    fn direct_commits_count_alone_and_pending_ones_not_yet() {
        let direct = shipped("acme/api", "d1", MON, MON + H, PullState::Direct);
        let pending = shipped("acme/api", "p1", MON, MON, PullState::Pending);
        let mut never_asked = shipped("acme/api", "n1", MON, MON + 2 * H, PullState::Direct);
        never_asked.pull = None;
        assert_eq!(
            leads(&derive(&[direct, pending, never_asked])),
            vec![("acme/api", "d1", 48, 1), ("acme/api", "n1", 47, 1)]
        );
    }

    #[test]
    fn a_pull_request_counts_at_its_first_deployment_from_its_earliest_author_date() {
        let pr = PullState::Pull {
            number: 9,
            started_at: MON + 2 * H,
        };
        let mut early = shipped("acme/api", "a", MON + 3 * H, MON + 3 * H, pr);
        early.deployed_at = MON + 10 * H;
        early.deployment.1 = "early".into();
        // Authored before the pull request's first commit as GitHub lists it (reordered).
        let late = shipped("acme/api", "b", MON, MON + 4 * H, pr);
        let changes = derive(&[late, early]);
        assert_eq!(leads(&changes), vec![("acme/api", "#9", 10, 2)]);
        assert_eq!(changes[0].deployment_id, "early");
    }
}
