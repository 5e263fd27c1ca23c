//! Data behind `/metrics` for the tests and the benchmark: an organisation of N teams and
//! M repositories with deployments and self-service requests, collector runs, and score
//! snapshots shaped as DESIGN §7 (written directly until scoring writes them).
//!
//! Figures, for team index `k` (teams sorted by name):
//! - repository `i` belongs to team `i % teams` and has `i % 3 + 1` deployments;
//! - each team has 4 finished requests (1 succeeded with no help) and 1 running;
//! - collector runs: github success, success, error; argocd success;
//! - latest quarter 2026-Q4: `dxs` 50+k, components deploy_ease 60+k, lead_time 40, adoption
//!   20+k (nps null), responses 10+k, lead time median 2+k h and p90 24 h, onboarding median
//!   30+k h, self-service rate 0.25, nps 20−k, the last team hidden; the org (`all`): dxs
//!   71.5, adoption 45, responses 143, lead time median 1.5 h, p90 96 h, onboarding 36 h,
//!   rate 0.5, nps 24; 2026-Q3 holds only the org, with 120 responses.

use dxs::model::{Deployment, Repository, RequestStatus, SelfServiceRequest, Team};
use dxs::store::{FactBatch, Snapshot, Store};
use serde_json::json;

/// The latest quarter of the snapshots.
pub const LATEST: &str = "2026-Q4";

/// Team names `team-00`, `team-01`, …
pub fn team_names(teams: usize) -> Vec<String> {
    (0..teams).map(|k| format!("team-{k:02}")).collect()
}

/// Writes `teams` teams, `repos` repositories, their deployments and requests.
pub async fn write_org(store: &Store, teams: usize, repos: usize) {
    let names = team_names(teams);
    let mut batch = FactBatch {
        teams: names
            .iter()
            .map(|name| Team {
                name: name.clone(),
                source: "roster".into(),
            })
            .collect(),
        ..FactBatch::default()
    };
    for i in 0..repos {
        let slug = format!("acme/svc-{i:03}");
        batch.repositories.push(Repository {
            slug: slug.clone(),
            team: Some(names[i % teams].clone()),
            team_source: Some("catalog".into()),
            archived: false,
            pushed_at: Some(1_780_000_000),
        });
        for d in 0..=(i % 3) {
            batch.deployments.push(Deployment {
                source: "argocd".into(),
                external_id: format!("{slug}#{d}"),
                repo: slug.clone(),
                service: slug.clone(),
                sha: format!("{i:04x}{d:036x}"),
                environment: "production".into(),
                finished_at: 1_780_000_000 + d as i64,
            });
        }
    }
    let statuses = [
        (RequestStatus::Succeeded, false),
        (RequestStatus::Succeeded, true),
        (RequestStatus::Failed, false),
        (RequestStatus::Cancelled, false),
        (RequestStatus::Running, false),
    ];
    for name in &names {
        for (n, (status, human_intervention)) in statuses.into_iter().enumerate() {
            batch.requests.push(SelfServiceRequest {
                source: "webhook".into(),
                external_id: format!("{name}-{n}"),
                team: name.clone(),
                kind: "create-service".into(),
                status,
                human_intervention,
                created_at: 1_780_000_000,
                finished_at: (status != RequestStatus::Running).then_some(1_780_000_600),
            });
        }
    }
    store.write_batch(&batch).await.expect("facts written");
}

/// Records collector runs: github success, success, error; argocd success.
pub async fn write_runs(store: &Store) {
    for (source, error) in [
        ("github", None),
        ("github", None),
        ("github", Some("502 from the API")),
        ("argocd", None),
    ] {
        let id = store.start_run(source).await.expect("run started");
        store
            .finish_run(id, 10, error, None)
            .await
            .expect("run finished");
    }
}

/// Writes the snapshots of 2026-Q3 (org only) and 2026-Q4 (org and `teams`), one row per team.
pub async fn write_snapshots(store: &Store, teams: &[String]) {
    let org = json!({
        "dxs": 71.5,
        "components": { "deploy_ease": 80.0, "lead_time": 55.25, "adoption": 45.0, "nps": 62.0 },
        "missing": [], "responses": 143,
        "lead_time_hours": { "median": 1.5, "p90": 96.0, "changes": 1840 },
        "onboarding_hours": { "median": 36.0, "open": 2 },
        "self_service_rate": 0.5, "nps": 24.0
    });
    let mut latest = vec![snapshot(LATEST, "all", &org)];
    for (k, name) in teams.iter().enumerate() {
        let k_f = k as f64;
        let body = json!({
            "team": name,
            "dxs": 50.0 + k_f,
            "components": { "deploy_ease": 60.0 + k_f, "lead_time": 40.0,
                            "adoption": 20.0 + k_f, "nps": null },
            "missing": ["nps"], "responses": 10 + k,
            "lead_time_hours": { "median": 2.0 + k_f, "p90": 24.0, "changes": 100 },
            "onboarding_hours": { "median": 30.0 + k_f, "open": 0 },
            "self_service_rate": 0.25, "nps": 20.0 - k_f,
            "hidden": k + 1 == teams.len()
        });
        latest.push(snapshot(LATEST, name, &body));
    }
    store
        .replace_snapshots(LATEST, &latest)
        .await
        .expect("snapshots written");
    let older = json!({ "dxs": 60.0, "components": {}, "responses": 120 });
    store
        .replace_snapshots("2026-Q3", &[snapshot("2026-Q3", "all", &older)])
        .await
        .expect("snapshots written");
}

fn snapshot(quarter: &str, team: &str, body: &serde_json::Value) -> Snapshot {
    Snapshot {
        quarter: quarter.into(),
        team: team.into(),
        computed_at: 1_780_000_000,
        body: body.to_string(),
    }
}
