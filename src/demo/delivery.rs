//! The demo's delivery shapes (DESIGN §5), all of the checkout team: the monorepo `acme/shop`
//! with two services deployed apart through GitHub (`cart` and `storefront`, paths of it), and
//! the GitOps Applications `pricing` (eu) and `pricing-us` over the config repository
//! `acme/pricing-deploy`, whose revisions deploy `acme/pricing` by image tag, us half an hour
//! after eu (a staggered rollout: no rollback). `acme/pricing` squash-merges pull requests: each
//! of its commits is one, started hours or days before. In the last four weeks, one redeploy of
//! a live commit, one re-sync and one rollback (eu only). The facts are those the collectors
//! write (services, commits, deployments, the changes of each service and their pull requests),
//! drawn from random streams of their own, so the rest of the demo is as it was.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::org::{hex_id, seeded, Org, ORG, TEAMS};
use crate::model::{
    Commit, CommitPull, Deployment, DeploymentChange, PullState, Repository, Service,
};
use crate::quarter::midnight_utc;
use crate::store::FactBatch;

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// The team owning the monorepo and the GitOps Application.
pub const TEAM: &str = "checkout";
/// The monorepo's services: name and path.
pub const SERVICES: [(&str, &str); 2] = [
    ("cart", "services/cart/"),
    ("storefront", "services/storefront/"),
];
/// The GitOps Application; it deploys `acme/pricing` from `acme/pricing-deploy`, and so does
/// its twin in a second region (`pricing-us`).
pub const APP: &str = "pricing";
/// How long after eu a revision reaches us.
const US_LAG: i64 = 1_800;

/// Something deployed: a monorepo service or the Application's repository, with the commits
/// waiting for its next rollout and the commits live now and before.
struct Target {
    service: String,
    repo: String,
    pending: Vec<(String, i64)>,
    live: Option<String>,
    before: Option<String>,
}

impl Target {
    fn new(service: &str, repo: &str) -> Target {
        Target {
            service: service.into(),
            repo: repo.into(),
            pending: Vec::new(),
            live: None,
            before: None,
        }
    }

    /// A production deployment of this target at `sha`: an ArgoCD one names its Application
    /// (`argocd/pricing:…` deploys to `argocd/pricing`).
    fn deployment(&self, source: &str, id: String, sha: &str, at: i64) -> Deployment {
        let environment = match (source, self.service == self.repo) {
            ("github", false) => format!("production/{}", self.service),
            ("argocd", _) => id.split(':').next().unwrap_or_default().to_string(),
            _ => "production".into(),
        };
        Deployment {
            source: source.into(),
            external_id: id,
            repo: self.repo.clone(),
            service: self.service.clone(),
            sha: sha.into(),
            environment,
            finished_at: at,
        }
    }

    /// Rolls out `d`, a new commit: the commits waiting are its changes.
    fn roll_out(&mut self, d: Deployment, facts: &mut FactBatch) {
        facts.changes.extend(
            self.pending
                .drain(..)
                .map(|(sha, committed_at)| DeploymentChange {
                    service: d.service.clone(),
                    repo: d.repo.clone(),
                    sha,
                    deployment_source: d.source.clone(),
                    deployment_id: d.external_id.clone(),
                    committed_at,
                    deployed_at: d.finished_at,
                }),
        );
        self.before = self.live.replace(d.sha.clone());
        facts.deployments.push(d);
    }
}

/// Commits by the team's developers who have made their first commit.
struct Authors<'a> {
    rng: ChaCha8Rng,
    developers: Vec<(&'a str, i64)>,
}

impl Authors<'_> {
    /// A commit to `repo` at `at` by a developer who made their first commit a day before or
    /// earlier (so onboarding figures stay), or `None` when nobody has.
    fn commit(&mut self, repo: &str, at: i64, facts: &mut FactBatch) -> Option<(String, i64)> {
        let ready: Vec<&str> = self
            .developers
            .iter()
            .filter(|(_, first)| first + DAY < at)
            .map(|(login, _)| *login)
            .collect();
        if ready.is_empty() {
            return None;
        }
        let author = ready[self.rng.random_range(0..ready.len())];
        let sha = hex_id(&mut self.rng, 20);
        facts.commits.push(Commit {
            repo: repo.into(),
            sha: sha.clone(),
            author_login: Some(author.into()),
            authored_at: at - self.rng.random_range(0..HOUR),
            committed_at: at,
            is_bot: false,
        });
        Some((sha, at))
    }
}

/// Adds the monorepo, the GitOps Application and their activity from the window start to
/// `today` (excluded) to `facts`.
pub fn add(org: &Org, seed: u64, today: NaiveDate, facts: &mut FactBatch) {
    let team = TEAMS.iter().position(|t| t.name == TEAM);
    // Pull requests draw from a stream of their own: the rest is as it was without them.
    let mut reviews = seeded(seed, 12);
    let mut pull = 500;
    let mut authors = Authors {
        rng: seeded(seed, 11),
        developers: org
            .developers
            .iter()
            .filter(|d| Some(d.team) == team)
            .map(|d| (d.login.as_str(), d.first_commit_at()))
            .collect(),
    };
    let special_from = midnight_utc(today - Days::new(28));
    let (shop, pricing) = (format!("{ORG}/shop"), format!("{ORG}/{APP}"));
    let mut services: Vec<Target> = SERVICES.iter().map(|s| Target::new(s.0, &shop)).collect();
    let mut app = Target::new(&pricing, &pricing);
    let (mut shop_head, mut app_head): (Option<String>, Option<String>) = (None, None);
    let (mut pushed, mut synced) = ([None, None], None);
    let (mut deployment_id, mut history) = (3_000_000u64, 0u64);
    let (mut redeployed, mut resynced, mut rolled_back) = (false, false, false);
    let mut day = org.window_start;
    while day < today {
        let (day0, weekday) = (midnight_utc(day), day.weekday());
        day = day + Days::new(1);
        if matches!(weekday, Weekday::Sat | Weekday::Sun) {
            continue;
        }
        // The monorepo: each commit touches cart, storefront, both, or neither (docs, CI).
        for _ in 0..authors.rng.random_range(0..4) {
            let at = day0 + 9 * HOUR + authors.rng.random_range(0..8 * HOUR);
            let touches = match authors.rng.random_range(0..10) {
                0..=3 => [true, false],
                4..=7 => [false, true],
                8 => [true, true],
                _ => [false, false],
            };
            if let Some(commit) = authors.commit(&shop, at, facts) {
                for (service, _) in services.iter_mut().zip(touches).filter(|(_, t)| *t) {
                    service.pending.push(commit.clone());
                }
                shop_head = Some(commit.0);
                pushed[0] = Some(at);
            }
        }
        // Each service deploys the monorepo's head on its own, when it has changes waiting.
        for service in &mut services {
            let Some(head) = shop_head.as_deref() else {
                continue;
            };
            if service.pending.is_empty() || !authors.rng.random_bool(0.5) {
                continue;
            }
            let at = day0 + 17 * HOUR + authors.rng.random_range(0..HOUR);
            deployment_id += 1;
            service.roll_out(
                service.deployment("github", deployment_id.to_string(), head, at),
                facts,
            );
            if !redeployed && at >= special_from {
                // The same commit deployed again that evening: a redeploy, not a rollout.
                redeployed = true;
                deployment_id += 1;
                let id = deployment_id.to_string();
                facts
                    .deployments
                    .push(service.deployment("github", id, head, at + 3 * HOUR));
            }
        }
        // The app repository; CI tags its image `sha-<commit>` and bumps the config repository.
        for _ in 0..authors.rng.random_range(0..3) {
            let at = day0 + 9 * HOUR + authors.rng.random_range(0..7 * HOUR);
            if let Some(commit) = authors.commit(&pricing, at, facts) {
                // A squash of pull request `pull`, whose first commit came hours or days before.
                pull += 1;
                facts.pulls.push(CommitPull {
                    repo: pricing.clone(),
                    sha: commit.0.clone(),
                    state: PullState::Pull {
                        number: pull,
                        started_at: at - reviews.random_range(2 * HOUR..72 * HOUR),
                    },
                    shipped_at: at,
                });
                app.pending.push(commit.clone());
                app_head = Some(commit.0);
                pushed[1] = Some(at);
            }
        }
        let Some(head) = app_head.clone() else {
            continue;
        };
        if app.pending.is_empty() || !authors.rng.random_bool(0.6) {
            continue;
        }
        // ArgoCD syncs each config revision: a history entry, linked to the image's commit.
        let mut sync = |app: &Target, name: &str, sha: &str, at: i64| {
            history += 1;
            synced = Some(at);
            let id = format!("argocd/{name}:{history}:{pricing}");
            app.deployment("argocd", id, sha, at)
        };
        let at = day0 + 16 * HOUR + authors.rng.random_range(0..2 * HOUR);
        let d = sync(&app, APP, &head, at);
        app.roll_out(d, facts);
        let us = sync(&app, &format!("{APP}-us"), &head, at + US_LAG);
        facts.deployments.push(us);
        if !resynced && at >= special_from {
            // A revision changing only the replicas: the same image synced again.
            resynced = true;
            facts
                .deployments
                .push(sync(&app, APP, &head, at + 2 * HOUR));
        } else if resynced && !rolled_back && at >= special_from + 7 * DAY {
            // The config repository's bump reverted: back to the image live before.
            if let Some(back) = app.before.clone() {
                rolled_back = true;
                facts.deployments.push(sync(&app, APP, &back, at + HOUR));
                app.live = Some(back);
            }
        }
    }
    let path_services = SERVICES.iter().map(|(name, path)| Service {
        name: (*name).into(),
        repo: shop.clone(),
        path: (*path).into(),
        team: Some(TEAM.into()),
        source: "demo".into(),
    });
    facts.services.extend(path_services);
    let config = format!("{ORG}/{APP}-deploy");
    let repos = [(shop, pushed[0]), (pricing, pushed[1]), (config, synced)];
    facts
        .repositories
        .extend(repos.into_iter().map(|(slug, pushed_at)| Repository {
            slug,
            team: Some(TEAM.into()),
            team_source: Some("catalog".into()),
            archived: false,
            pushed_at,
            ..Default::default()
        }));
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::RolloutKind;

    #[test]
    fn the_demo_has_a_monorepo_a_gitops_app_a_redeploy_a_resync_and_a_rollback() {
        let today: NaiveDate = "2026-11-25".parse().unwrap();
        let facts = crate::demo::generate(crate::demo::DEFAULT_SEED, today).facts;
        let names: Vec<&str> = facts.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["cart", "storefront"]);
        let since = midnight_utc(today - Days::new(28));
        // (rollouts, rollbacks, deployments, deployments since four weeks, changes) per service.
        let figures = |service: &str| {
            let deployments: Vec<Deployment> = facts
                .deployments
                .iter()
                .filter(|d| d.service == service)
                .cloned()
                .collect();
            let shipped: HashMap<String, i64> = facts
                .changes
                .iter()
                .filter(|c| c.service == service)
                .map(|c| (c.sha.clone(), c.deployed_at))
                .collect();
            let rollouts = crate::delivery::rollouts::derive(&deployments, &shipped);
            let kind = |k| rollouts.iter().filter(|r| r.kind == k).count();
            let recent = deployments.iter().filter(|d| d.finished_at >= since);
            (
                kind(RolloutKind::Rollout),
                kind(RolloutKind::Rollback),
                deployments.len(),
                recent.count(),
                shipped.len(),
            )
        };
        let (cart, storefront, pricing) = (
            figures("cart"),
            figures("storefront"),
            figures("acme/pricing"),
        );
        // One redeploy among the two services: one deployment more than rollouts.
        assert_eq!(cart.2 + storefront.2, cart.0 + storefront.0 + 1);
        assert_eq!((cart.1, storefront.1), (0, 0));
        // The Applications: eu has one re-sync and one rollback besides its rollouts; us gets
        // each rollout half an hour later, and that staggered rollout is no rollback.
        let us = facts
            .deployments
            .iter()
            .filter(|d| d.environment == "argocd/pricing-us")
            .count();
        assert_eq!(pricing.1, 1);
        assert_eq!(us, pricing.0);
        assert_eq!(pricing.2, 2 * pricing.0 + 2);
        // Every pricing commit is a squashed pull request, started before it was committed.
        let pulls: Vec<&CommitPull> = facts.pulls.iter().collect();
        assert!(pulls.len() >= pricing.4 && pulls.iter().all(|p| p.repo == "acme/pricing"));
        assert!(pulls.iter().all(|p| matches!(p.state,
            PullState::Pull { started_at, .. } if started_at + 2 * HOUR <= p.shipped_at)));
        for (rollouts, _, _, recent, changes) in [cart, storefront, pricing] {
            assert!(
                rollouts > 50 && recent > 3 && changes >= rollouts,
                "{rollouts} {recent}"
            );
        }
        let gitops = facts.deployments.iter().filter(|d| d.source == "argocd");
        assert!(gitops
            .filter(|d| d.repo == "acme/pricing")
            .all(|d| d.external_id.starts_with(&format!("{}:", d.environment))));
    }
}
