//! The demo's production trouble: incidents after some rollouts (one still open, one naming a
//! service dxs does not know), rollbacks, and commits reverting a rollout's head shipped with
//! the next rollout, so every stability figure, panel and report column has data.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::Rng;

use super::org::{hex_id, lognormal, seeded, ORG};
use crate::model::{Commit, CommitRevert, Deployment, DeploymentChange, Incident};
use crate::quarter::midnight_utc;
use crate::store::FactBatch;

const HOUR: i64 = 3600;

/// Adds incidents, rollbacks and reverts after the deployments of `facts`, up to `today`.
pub fn add(seed: u64, today: NaiveDate, facts: &mut FactBatch) {
    let mut rng = seeded(seed, 7);
    let end = midnight_utc(today);
    let mut by_service: BTreeMap<String, Vec<Deployment>> = BTreeMap::new();
    for d in &facts.deployments {
        by_service
            .entry(d.service.clone())
            .or_default()
            .push(d.clone());
    }
    let mut incidents: Vec<Incident> = Vec::new();
    for list in by_service.values_mut() {
        list.sort_by_key(|d| d.finished_at);
        for (i, d) in list.iter().enumerate() {
            let next = list.get(i + 1);
            let until = next.map_or(end, |n| n.finished_at);
            if until - d.finished_at < 6 * HOUR {
                continue;
            }
            match (rng.random_range(0..100), next) {
                (0..=5, _) => {
                    let opened_at = d.finished_at + rng.random_range(HOUR..4 * HOUR);
                    let hours = lognormal(&mut rng, 5.0, 1.2);
                    let resolved_at = opened_at + (hours * HOUR as f64) as i64;
                    incidents.push(Incident {
                        source: "demo".into(),
                        external_id: format!("INC-{}", 1000 + incidents.len()),
                        service: d.service.clone(),
                        opened_at,
                        resolved_at: (resolved_at < end).then_some(resolved_at),
                        severity: Some(["SEV1", "SEV2", "SEV3"][rng.random_range(0..3)].into()),
                    });
                }
                (6..=7, Some(_)) if i > 0 => facts.deployments.push(Deployment {
                    source: "github".into(),
                    external_id: format!("rollback-{}-{i}", d.service),
                    sha: list[i - 1].sha.clone(),
                    finished_at: d.finished_at + 2 * HOUR,
                    environment: "production".into(),
                    ..d.clone()
                }),
                (8..=9, Some(next)) => revert(&mut rng, d, next, facts),
                _ => {}
            }
        }
    }
    // The newest incident is still open; one names a service nobody registered.
    if let Some(last) = incidents.iter_mut().max_by_key(|i| i.opened_at) {
        last.resolved_at = None;
    }
    incidents.push(Incident {
        source: "demo".into(),
        external_id: "INC-0999".into(),
        service: format!("{ORG}/legacy-billing"),
        opened_at: end - 3 * 24 * HOUR,
        resolved_at: Some(end - 2 * 24 * HOUR),
        severity: Some("SEV2".into()),
    });
    facts.incidents.extend(incidents);
}

/// A commit reverting `d`'s head, shipped by `next`.
fn revert(
    rng: &mut rand_chacha::ChaCha8Rng,
    d: &Deployment,
    next: &Deployment,
    facts: &mut FactBatch,
) {
    let sha = hex_id(rng, 20);
    let committed_at = d.finished_at + HOUR;
    facts.commits.push(Commit {
        repo: d.repo.clone(),
        sha: sha.clone(),
        author_login: None,
        authored_at: committed_at,
        committed_at,
        is_bot: false,
    });
    facts.changes.push(DeploymentChange {
        service: d.service.clone(),
        repo: d.repo.clone(),
        sha: sha.clone(),
        deployment_source: next.source.clone(),
        deployment_id: next.external_id.clone(),
        committed_at,
        deployed_at: next.finished_at,
    });
    facts.reverts.push(CommitRevert {
        repo: d.repo.clone(),
        sha,
        reverted: d.sha.clone(),
    });
}
