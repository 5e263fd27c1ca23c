//! Rollouts from deployments (DESIGN §5): what deployment frequency and the change failure rate
//! count. A pure function of one service's deployments and shipped changes; the store runs it
//! whenever they change and keeps its result in `rollouts`.
//!
//! A service may run on several production targets (GitHub environments `production/eu` and
//! `production/us`, ArgoCD Applications `api-eu` and `api-us`): each deployment reached one
//! ([`target`]). Walking a service's deployments by finish time, with the commit live on each
//! target after each:
//! * the commit live on the target deployed again (re-synced, redeployed) is nothing;
//! * a commit older than the one live on the target is a **rollback**: one shipped (as a
//!   change) or rolled out before that commit went live, or shipped by the very rollout of it;
//! * a commit rolled out before (on any target) that is not older than the target's live one
//!   (a staggered rollout reaching the next region, or rolling forward again after a rollback)
//!   moves the target's live commit and counts nothing: it was counted at its first rollout;
//! * any other commit is a **rollout**, at this (its earliest) finish.
//!
//! The same rollback seen on several targets or by two sources in a row (back to the same
//! commit from the same one, with nothing in between) is one rollback.

use std::collections::{HashMap, HashSet};

use crate::model::{Deployment, Rollout, RolloutKind};

/// The production target `d` reached, on which its rollbacks are judged: its source and its
/// environment in lowercase (an ArgoCD Application's `namespace/name`; a GitHub environment
/// without a part after `/` that names the deployment's service: `production/checkout-web` of
/// service checkout-web is `production`, `production/us-east-1` stays whole).
pub fn target(d: &Deployment) -> (String, String) {
    let environment = d.environment.trim().to_ascii_lowercase();
    let environment = match environment.split_once('/') {
        Some((base, part)) if d.source == "github" && part.eq_ignore_ascii_case(&d.service) => {
            base.to_string()
        }
        _ => environment,
    };
    (d.source.clone(), environment)
}

/// The rollouts and rollbacks of one service, oldest first. `deployments` are that service's
/// deployments (any order, any source, any target); `shipped` maps each commit counted as a
/// change of the service to the finish of the deployment that first shipped it.
pub fn derive(deployments: &[Deployment], shipped: &HashMap<String, i64>) -> Vec<Rollout> {
    let mut sorted: Vec<&Deployment> = deployments.iter().collect();
    sorted.sort_by(|a, b| {
        (a.finished_at, &a.source, &a.external_id).cmp(&(b.finished_at, &b.source, &b.external_id))
    });
    let mut first_live: HashMap<&str, i64> = HashMap::new();
    let mut live: HashMap<(String, String), &str> = HashMap::new();
    let mut last: Option<&str> = None;
    let mut out: Vec<Rollout> = Vec::new();
    let mut seen: HashSet<(i64, &str)> = HashSet::new();
    for d in sorted {
        let sha = d.sha.as_str();
        let on = target(d);
        let current = live.get(&on).copied();
        let kind = match current {
            Some(c) if c == sha => continue,
            Some(c) if older(sha, c, shipped, &first_live) => Some(RolloutKind::Rollback),
            _ if first_live.contains_key(sha) => None,
            _ => Some(RolloutKind::Rollout),
        };
        let previous = match kind {
            Some(RolloutKind::Rollback) => current,
            _ => current.or(last),
        };
        let repeated = out.last().is_some_and(|r| {
            kind == Some(RolloutKind::Rollback)
                && r.kind == RolloutKind::Rollback
                && r.sha == sha
                && r.previous_sha.as_deref() == previous
        });
        // Two rollbacks to the same commit in the same second (two targets) are one row.
        let kind = kind.filter(|_| !repeated && seen.insert((d.finished_at, sha)));
        if let Some(kind) = kind {
            out.push(Rollout {
                service: d.service.clone(),
                repo: d.repo.clone(),
                sha: d.sha.clone(),
                kind,
                finished_at: d.finished_at,
                source: d.source.clone(),
                external_id: d.external_id.clone(),
                previous_sha: previous.map(str::to_string),
            });
        }
        last = Some(sha);
        first_live.entry(sha).or_insert(d.finished_at);
        live.insert(on, sha);
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
        on(source, "production", id, sha, at)
    }

    fn on(source: &str, environment: &str, id: &str, sha: &str, at: i64) -> Deployment {
        Deployment {
            source: source.into(),
            external_id: id.into(),
            repo: "acme/shop".into(),
            service: "checkout".into(),
            sha: sha.into(),
            environment: environment.into(),
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
            d("github", "3", "a2", 200),
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

    #[test]
    fn targets_are_the_source_and_the_environment_without_the_service() {
        let mut cart = on("github", "Production/Checkout", "1", "a1", 1);
        assert_eq!(target(&cart), ("github".into(), "production".into()));
        cart.environment = "production/us-east-1".into();
        assert_eq!(
            target(&cart),
            ("github".into(), "production/us-east-1".into())
        );
        let app = on("argocd", "argocd/checkout", "argocd/checkout:1", "a1", 1);
        assert_eq!(target(&app), ("argocd".into(), "argocd/checkout".into()));
    }

    #[test]
    fn a_staggered_two_region_rollout_has_no_rollback_and_a_real_one_counts_once() {
        // eu gets c1, c2, c3 a day apart; us each one a day later. Then us goes back from c3 to
        // c2 on day 5, and eu does the same an hour later: one rollback decision.
        const DAY: i64 = 86_400;
        let eu = |id: &str, sha: &str, day: i64| on("argocd", "argocd/api-eu", id, sha, day * DAY);
        let us = |id: &str, sha: &str, at: i64| on("argocd", "argocd/api-us", id, sha, at);
        let staggered = vec![
            eu("eu:1", "c1", 1),
            eu("eu:2", "c2", 2),
            eu("eu:3", "c3", 3),
            us("us:1", "c1", 2 * DAY + 3_600),
            us("us:2", "c2", 3 * DAY + 3_600),
            us("us:3", "c3", 4 * DAY + 3_600),
        ];
        let shipped: HashMap<String, i64> = [("c1", 1), ("c2", 2), ("c3", 3)]
            .into_iter()
            .map(|(s, day)| (s.to_string(), day * DAY))
            .collect();
        use RolloutKind::{Rollback, Rollout};
        assert_eq!(
            kinds(&derive(&staggered, &shipped)),
            vec![
                ("c1", Rollout, DAY, None),
                ("c2", Rollout, 2 * DAY, Some("c1")),
                ("c3", Rollout, 3 * DAY, Some("c2")),
            ]
        );
        let mut rolled_back = staggered.clone();
        rolled_back.push(us("us:4", "c2", 5 * DAY));
        rolled_back.push(eu("eu:4", "c2", 5));
        rolled_back.last_mut().unwrap().finished_at += 3_600;
        let r = derive(&rolled_back, &shipped);
        assert_eq!(kinds(&r)[3..], [("c2", Rollback, 5 * DAY, Some("c3"))]);
        assert_eq!(r[3].external_id, "us:4");
        // Had the two regions been one target, us getting c1 after eu's c2 would have been a
        // rollback: the same deployments on one environment say so.
        let one: Vec<Deployment> = staggered
            .iter()
            .cloned()
            .map(|mut d| {
                d.environment = "argocd/api".into();
                d
            })
            .collect();
        let back = derive(&one, &shipped)
            .into_iter()
            .filter(|r| r.kind == Rollback)
            .count();
        assert_eq!(back, 2);
    }
}
