//! Rollouts from deployments (DESIGN §5): what deployment frequency and the change failure rate
//! count. A pure function of one service's deployments and shipped changes; the store runs it
//! whenever they change and keeps its result in `rollouts`.
//!
//! Walking a service's deployments by finish time, with the commit live after each:
//! * the live commit deployed again (seen by a second source, re-synced, redeployed) is nothing;
//! * a commit older than the live one is a **rollback**: one shipped (as a change) or rolled out
//!   before the live commit went live, or shipped by the very rollout of the live commit;
//! * a commit rolled out before that is newer than the live one (rolling forward again after a
//!   rollback) moves the live commit and counts nothing: it was counted at its first rollout;
//! * any other commit is a **rollout**, at this (its earliest) finish.

use std::collections::HashMap;

use crate::model::{Deployment, Rollout, RolloutKind};

/// The rollouts and rollbacks of one service, oldest first. `deployments` are that service's
/// deployments (any order, any source); `shipped` maps each commit counted as a change of the
/// service to the finish of the deployment that first shipped it.
pub fn derive(deployments: &[Deployment], shipped: &HashMap<String, i64>) -> Vec<Rollout> {
    let mut sorted: Vec<&Deployment> = deployments.iter().collect();
    sorted.sort_by(|a, b| {
        (a.finished_at, &a.source, &a.external_id).cmp(&(b.finished_at, &b.source, &b.external_id))
    });
    let mut first_live: HashMap<&str, i64> = HashMap::new();
    let mut live: Option<&str> = None;
    let mut out = Vec::new();
    for d in sorted {
        let sha = d.sha.as_str();
        let kind = match live {
            Some(current) if current == sha => continue,
            Some(current) if older(sha, current, shipped, &first_live) => {
                Some(RolloutKind::Rollback)
            }
            _ if first_live.contains_key(sha) => None,
            _ => Some(RolloutKind::Rollout),
        };
        if let Some(kind) = kind {
            out.push(Rollout {
                service: d.service.clone(),
                repo: d.repo.clone(),
                sha: d.sha.clone(),
                kind,
                finished_at: d.finished_at,
                source: d.source.clone(),
                external_id: d.external_id.clone(),
                previous_sha: live.map(str::to_string),
            });
        }
        first_live.entry(sha).or_insert(d.finished_at);
        live = Some(sha);
    }
    out
}

/// True when `sha` is older than the `live` commit: it appeared (shipped or went live) before
/// the live commit did, or it was shipped by the very rollout of the live commit.
fn older(
    sha: &str,
    live: &str,
    shipped: &HashMap<String, i64>,
    first_live: &HashMap<&str, i64>,
) -> bool {
    let age = |s: &str| {
        [shipped.get(s).copied(), first_live.get(s).copied()]
            .into_iter()
            .flatten()
            .min()
    };
    let (Some(age), Some(live_age)) = (age(sha), age(live)) else {
        return false;
    };
    age < live_age || (age == live_age && shipped.get(sha) == first_live.get(live))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(source: &str, id: &str, sha: &str, at: i64) -> Deployment {
        Deployment {
            source: source.into(),
            external_id: id.into(),
            repo: "acme/shop".into(),
            service: "checkout".into(),
            sha: sha.into(),
            environment: "production".into(),
            finished_at: at,
        }
    }

    fn kinds(rollouts: &[Rollout]) -> Vec<(&str, RolloutKind, i64, Option<&str>)> {
        rollouts
            .iter()
            .map(|r| {
                (
                    r.sha.as_str(),
                    r.kind,
                    r.finished_at,
                    r.previous_sha.as_deref(),
                )
            })
            .collect()
    }

    #[test]
    fn one_commit_seen_by_two_sources_resynced_and_redeployed_is_one_rollout_at_its_earliest_finish(
    ) {
        let deployments = [
            d("github", "1", "a1", 130),
            d("argocd", "app:1", "a1", 120),
            d("argocd", "app:2", "a1", 500),
            d("github", "2", "a1", 900),
        ];
        let r = derive(&deployments, &HashMap::new());
        assert_eq!(kinds(&r), vec![("a1", RolloutKind::Rollout, 120, None)]);
        assert_eq!(
            (r[0].source.as_str(), r[0].external_id.as_str()),
            ("argocd", "app:1")
        );
    }

    #[test]
    fn a_commit_deployed_before_or_an_ancestor_shipped_before_is_a_rollback() {
        // a2 and a3 ship with a3's rollout at 200; a4 at 300; back to a3 (deployed before) at
        // 400, to a2 (an ancestor shipped with a3) at 500, forward to a4 again at 600 (counted
        // at 300 already), then a new a5.
        let shipped: HashMap<String, i64> = [
            ("a1", 100),
            ("a2", 200),
            ("a3", 200),
            ("a4", 300),
            ("a5", 700),
        ]
        .into_iter()
        .map(|(s, t)| (s.to_string(), t))
        .collect();
        let deployments = [
            d("github", "1", "a1", 100),
            d("github", "2", "a3", 200),
            d("github", "3", "a4", 300),
            d("github", "4", "a3", 400),
            d("github", "5", "a2", 500),
            d("github", "6", "a4", 600),
            d("github", "7", "a5", 700),
        ];
        let r = derive(&deployments, &shipped);
        assert_eq!(
            kinds(&r),
            vec![
                ("a1", RolloutKind::Rollout, 100, None),
                ("a3", RolloutKind::Rollout, 200, Some("a1")),
                ("a4", RolloutKind::Rollout, 300, Some("a3")),
                ("a3", RolloutKind::Rollback, 400, Some("a4")),
                ("a2", RolloutKind::Rollback, 500, Some("a3")),
                ("a5", RolloutKind::Rollout, 700, Some("a4")),
            ]
        );
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_deployments_are_given_in() {
        let deployments = vec![
            d("github", "1", "a1", 100),
            d("argocd", "x:1", "a2", 200),
            d("github", "2", "a1", 300),
        ];
        let mut reversed = deployments.clone();
        reversed.reverse();
        assert_eq!(
            derive(&deployments, &HashMap::new()),
            derive(&reversed, &HashMap::new())
        );
        assert_eq!(
            kinds(&derive(&deployments, &HashMap::new()))[2],
            ("a1", RolloutKind::Rollback, 300, Some("a2"))
        );
    }
}
