//! The demo's day-by-day activity: commits (bots included), production deployments through
//! GitHub or ArgoCD with the changes they ship, and self-service requests.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::org::{hex_id, lognormal, seeded, Org, ORG, TEAMS};
use crate::model::{Commit, Deployment, DeploymentChange, RequestStatus, SelfServiceRequest};
use crate::quarter::midnight_utc;
use crate::store::FactBatch;

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const BOTS: [&str; 2] = ["dependabot[bot]", "renovate[bot]"];
const REQUEST_KINDS: [&str; 5] = [
    "create-service",
    "create-database",
    "add-environment",
    "rotate-secret",
    "grant-access",
];

/// A commit waiting for its first production deployment.
struct Pending {
    sha: String,
    committed_at: i64,
    is_bot: bool,
}

/// Simulates every day from the window start to `today` (excluded) into `facts`; returns each
/// repository's last push.
pub fn simulate(org: &Org, seed: u64, today: NaiveDate, facts: &mut FactBatch) -> Vec<Option<i64>> {
    let mut rng = seeded(seed, 1);
    let end = midnight_utc(today);
    let mut pending: Vec<Vec<Pending>> = org.repos.iter().map(|_| Vec::new()).collect();
    let mut last_push: Vec<Option<i64>> = vec![None; org.repos.len()];
    let team_repos: Vec<Vec<usize>> = (0..TEAMS.len()).map(|t| org.repos_of(t)).collect();
    let mut deployment_seq = 0u64;
    let mut day = org.window_start;
    while day < today {
        let day0 = midnight_utc(day);
        let weekday = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        for dev in &org.developers {
            let active_from = dev.first_commit_at();
            if active_from >= end || active_from >= day0 + DAY {
                continue;
            }
            let mut times = Vec::new();
            if active_from >= day0 {
                times.push(active_from); // the first commit, whatever the day
            } else if weekday {
                for _ in 0..poisson(&mut rng, 1.1) {
                    times.push(day0 + 8 * HOUR + rng.random_range(0..10 * HOUR));
                }
            }
            for at in times.into_iter().filter(|at| *at < end) {
                let own = &team_repos[dev.team];
                let repo = if rng.random_bool(0.9) {
                    own[rng.random_range(0..own.len())]
                } else {
                    rng.random_range(0..org.repos.len())
                };
                commit(
                    facts,
                    &mut pending,
                    &mut last_push,
                    org,
                    repo,
                    Some(dev.login.clone()),
                    at,
                    &mut rng,
                );
            }
        }
        if weekday {
            for repo in 0..org.repos.len() {
                if rng.random_bool(0.08) {
                    let bot = BOTS[rng.random_range(0..BOTS.len())].to_string();
                    let at = day0 + 6 * HOUR + rng.random_range(0..HOUR);
                    commit(
                        facts,
                        &mut pending,
                        &mut last_push,
                        org,
                        repo,
                        Some(bot),
                        at,
                        &mut rng,
                    );
                }
            }
            for (repo, waiting) in pending.iter_mut().enumerate() {
                let maturity = org.maturity(org.repos[repo].team, day);
                if rng.random_bool(0.08 + 0.6 * maturity) {
                    let at = day0 + 10 * HOUR + rng.random_range(0..8 * HOUR);
                    deployment_seq += 1;
                    deploy(facts, waiting, org, repo, at, deployment_seq);
                }
            }
            for (team, profile) in TEAMS.iter().enumerate() {
                let maturity = org.maturity(team, day);
                let mean = (0.3 + 0.6 * maturity) * profile.developers as f64 / 20.0;
                for _ in 0..poisson(&mut rng, mean) {
                    facts
                        .requests
                        .push(request(&mut rng, profile.name, maturity, day0, end));
                }
            }
        }
        day = day + Days::new(1);
    }
    last_push
}

#[allow(clippy::too_many_arguments)]
fn commit(
    facts: &mut FactBatch,
    pending: &mut [Vec<Pending>],
    last_push: &mut [Option<i64>],
    org: &Org,
    repo: usize,
    author: Option<String>,
    at: i64,
    rng: &mut ChaCha8Rng,
) {
    let sha = hex_id(rng, 20);
    let is_bot = author.as_deref().is_some_and(|a| a.ends_with("[bot]"));
    facts.commits.push(Commit {
        repo: org.repos[repo].slug.clone(),
        sha: sha.clone(),
        author_login: author,
        authored_at: at - rng.random_range(0..4 * HOUR),
        committed_at: at,
        is_bot,
    });
    pending[repo].push(Pending {
        sha,
        committed_at: at,
        is_bot,
    });
    last_push[repo] = Some(last_push[repo].map_or(at, |p| p.max(at)));
}

/// Deploys every commit of `repo` committed before `at`; nothing to deploy means no deployment.
fn deploy(
    facts: &mut FactBatch,
    pending: &mut Vec<Pending>,
    org: &Org,
    repo: usize,
    at: i64,
    seq: u64,
) {
    let (shipped, waiting): (Vec<Pending>, Vec<Pending>) =
        pending.drain(..).partition(|p| p.committed_at < at);
    *pending = waiting;
    let Some(head) = shipped.iter().max_by_key(|p| p.committed_at) else {
        return;
    };
    let slug = &org.repos[repo].slug;
    let on_platform = org.repos[repo]
        .platform_since
        .is_some_and(|since| since <= at);
    let (source, external_id) = if on_platform {
        let app = slug.trim_start_matches(&format!("{ORG}/"));
        ("argocd", format!("{app}-production/{seq}"))
    } else {
        ("github", format!("{}", 1_000_000 + seq))
    };
    facts.deployments.push(Deployment {
        source: source.into(),
        external_id: external_id.clone(),
        repo: slug.clone(),
        service: slug.clone(),
        sha: head.sha.clone(),
        environment: "production".into(),
        finished_at: at,
    });
    facts.changes.extend(
        shipped
            .iter()
            .filter(|p| !p.is_bot)
            .map(|p| DeploymentChange {
                service: slug.clone(),
                repo: slug.clone(),
                sha: p.sha.clone(),
                deployment_source: source.into(),
                deployment_id: external_id.clone(),
                committed_at: p.committed_at,
                deployed_at: at,
            }),
    );
}

fn request(
    rng: &mut ChaCha8Rng,
    team: &str,
    maturity: f64,
    day0: i64,
    end: i64,
) -> SelfServiceRequest {
    let created_at = day0 + 9 * HOUR + rng.random_range(0..8 * HOUR);
    let minutes = lognormal(rng, 8.0, 0.8);
    let finished_at = created_at + (minutes * 60.0) as i64;
    let success = rng.random_bool(0.78 + 0.2 * maturity);
    let status = match (finished_at < end, success) {
        (false, _) => RequestStatus::Running,
        (true, true) => RequestStatus::Succeeded,
        (true, false) if rng.random_bool(0.6) => RequestStatus::Failed,
        (true, false) => RequestStatus::Cancelled,
    };
    SelfServiceRequest {
        source: "backstage".into(),
        external_id: hex_id(rng, 16),
        team: team.into(),
        kind: REQUEST_KINDS[rng.random_range(0..REQUEST_KINDS.len())].into(),
        status,
        human_intervention: status == RequestStatus::Succeeded
            && rng.random_bool(0.15 * (1.0 - maturity)),
        created_at,
        finished_at: (status != RequestStatus::Running).then_some(finished_at),
    }
}

/// A Poisson draw (Knuth), for small means.
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let mut product: f64 = rng.random();
    let mut n = 0;
    while product > limit {
        n += 1;
        product *= rng.random::<f64>();
    }
    n
}
