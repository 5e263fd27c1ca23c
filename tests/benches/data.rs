//! The benchmark's organisation, written in slices so the generator never holds it all.

use dxs::model::{
    Answer, Commit, CommitRevert, Deployment, DeploymentChange, Developer, Incident, Repository,
    RequestStatus, SelfServiceRequest, SurveyResponse, Team,
};
use dxs::quarter::Quarter;
use dxs::store::{FactBatch, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{quarter, Sizes, CHANGES_PER_DEPLOYMENT};

const HOUR: i64 = 3600;
/// Quarters the survey responses are spread over (one response per developer per quarter).
const SURVEY_QUARTERS: usize = 10;

/// Writes the organisation of `sizes`. Every 50th deployment is followed by an incident of its
/// service two hours later, and every 100th ships a revert of a commit of its repository's
/// previous deployment (by index), so the change failure rate has work to do.
pub async fn generate(store: &Store, sizes: &Sizes) {
    let Sizes {
        teams,
        developers,
        repos,
        deployments,
        requests,
        responses,
        ..
    } = *sizes;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let q = quarter();
    let team = |i: usize| format!("team-{:03}", i % teams);
    let repo = |i: usize| format!("acme/svc-{i:04}");
    let mut org = FactBatch {
        teams: (0..teams)
            .map(|i| Team {
                name: team(i),
                source: "bench".into(),
            })
            .collect(),
        repositories: (0..repos)
            .map(|i| Repository {
                slug: repo(i),
                team: Some(team(i)),
                team_source: Some("catalog".into()),
                archived: i % 97 == 0,
                pushed_at: Some(q.end() - 86_400),
                ..Default::default()
            })
            .collect(),
        ..FactBatch::default()
    };
    org.developers = (0..developers)
        .map(|i| Developer {
            login: format!("dev{i:05}"),
            team: team(i),
            // 2% joined in the window, the others long before.
            start_at: if i % 50 == 0 {
                q.start() + rng.random_range(0..80) * 86_400
            } else {
                q.start() - 400 * 86_400
            },
            email: None,
        })
        .collect();
    org.requests = (0..requests)
        .map(|i| {
            let created_at = q.start() + rng.random_range(0..85 * 86_400);
            let ok = rng.random_bool(0.9);
            SelfServiceRequest {
                source: "backstage".into(),
                external_id: format!("req-{i}"),
                team: team(i),
                kind: "create-service".into(),
                status: if ok {
                    RequestStatus::Succeeded
                } else {
                    RequestStatus::Failed
                },
                human_intervention: ok && rng.random_bool(0.05),
                created_at,
                finished_at: Some(created_at + 600),
            }
        })
        .collect();
    store.bulk_load(&org).await.unwrap();
    // About 10,000 deployments (100,000 changes and commits) in memory at a time, a slice per
    // block of repositories: deployment `d` belongs to repository `d % repos`, and a slice
    // holds every deployment of its repositories, so each service's rollouts and changes are
    // derived once, from its own rows (slices by deployment index would touch every service
    // in every slice and derive them all again each time: quadratic in the organisation).
    let slices = deployments.div_ceil(10_000).min(repos);
    let mut failures = FactBatch::default();
    for slice in 0..slices {
        let mut batch = FactBatch::default();
        let block = (slice * repos / slices)..((slice + 1) * repos / slices);
        let in_block = block.flat_map(|r| (r..deployments).step_by(repos));
        for d in in_block {
            let r = d % repos;
            let at = q.start() + rng.random_range(0..91 * 86_400);
            let platform = !r.is_multiple_of(5);
            let (source, id) = if platform {
                ("argocd", format!("app-{d}"))
            } else {
                ("github", d.to_string())
            };
            let head = format!("{d:08x}{:032x}", 0);
            if d % 50 == 0 {
                failures.incidents.push(Incident {
                    source: "bench".into(),
                    external_id: format!("INC-{d}"),
                    service: repo(r),
                    opened_at: at + 2 * HOUR,
                    resolved_at: Some(at + 5 * HOUR),
                    severity: None,
                });
            }
            if d % 100 == 0 && d >= repos {
                failures.reverts.push(CommitRevert {
                    repo: repo(r),
                    sha: head.clone(),
                    reverted: format!("{:08x}{:032x}", d - repos, 1)[..12].to_string(),
                });
            }
            batch.deployments.push(Deployment {
                source: source.into(),
                external_id: id.clone(),
                repo: repo(r),
                service: repo(r),
                sha: head,
                environment: "production".into(),
                finished_at: at,
            });
            for c in 0..CHANGES_PER_DEPLOYMENT {
                let lead = (20.0
                    * HOUR as f64
                    * (rng.random::<f64>() * 2.0 - 1.0 + rng.random::<f64>() * 2.0 - 1.0).exp())
                    as i64;
                let sha = format!("{d:08x}{c:032x}");
                let author = (r % teams) + teams * rng.random_range(0..developers / teams);
                batch.commits.push(Commit {
                    repo: repo(r),
                    sha: sha.clone(),
                    author_login: Some(format!("dev{author:05}")),
                    authored_at: at - lead - 600,
                    committed_at: at - lead,
                    is_bot: false,
                });
                batch.changes.push(DeploymentChange {
                    service: repo(r),
                    repo: repo(r),
                    sha,
                    deployment_source: source.into(),
                    deployment_id: id.clone(),
                    committed_at: at - lead,
                    deployed_at: at,
                });
            }
        }
        store.bulk_load(&batch).await.unwrap();
    }
    store.write_batch(&failures).await.unwrap();
    let waits = ["never", "sometimes", "often"];
    let mut survey_quarter = q;
    for _ in 0..SURVEY_QUARTERS {
        let per_quarter = responses / SURVEY_QUARTERS;
        let invites: Vec<(String, String, String)> = (0..developers)
            .map(|i| {
                (
                    format!("{}-{i:058x}", survey_quarter),
                    survey_quarter.to_string(),
                    team(i),
                )
            })
            .collect();
        store.create_invites(&invites).await.unwrap();
        let responses: Vec<SurveyResponse> = (0..per_quarter)
            .map(|i| {
                let mut n = |lo: u32, hi: u32| Some(f64::from(rng.random_range(lo..=hi)));
                let mut answers = vec![
                    Answer {
                        question: "deploy_ease".into(),
                        number: n(3, 10),
                        text: None,
                    },
                    Answer {
                        question: "docs_clarity".into(),
                        number: n(1, 9),
                        text: None,
                    },
                    Answer {
                        question: "recommend".into(),
                        number: n(2, 10),
                        text: None,
                    },
                    Answer {
                        question: "wait_time".into(),
                        number: None,
                        text: Some(waits[i % 3].into()),
                    },
                ];
                if i % 2 == 0 {
                    answers.push(Answer {
                        question: "pain_point".into(),
                        number: None,
                        text: Some("Waiting for infrastructure tickets".into()),
                    });
                }
                SurveyResponse {
                    quarter: survey_quarter.to_string(),
                    team: team(i),
                    answers,
                }
            })
            .collect();
        store.bulk_load_responses(&responses).await.unwrap();
        survey_quarter = survey_quarter.prev();
    }
    close_surveys(store).await;
}

/// Closes the survey of each quarter that has one (its responses were loaded released), as the
/// app does when a survey's window passes: scoring shows only a closed survey's answers.
/// An organisation kept from an earlier run is closed too; a closed survey is left as it is.
pub async fn close_surveys(store: &Store) {
    let key = dxs::seal::SealKey::random();
    let k = i64::from(dxs::config::DEFAULT_MIN_GROUP_SIZE);
    let windows = store.survey_windows().await.unwrap();
    for window in windows.into_iter().filter(|w| !w.is_closed()) {
        let end: Quarter = window.quarter.parse().unwrap();
        store
            .close_survey(&window.quarter, end.end(), k, &key)
            .await
            .unwrap();
    }
}
