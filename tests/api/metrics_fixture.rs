//! Data behind `/metrics` for the tests and the benchmark: an organisation of N teams and
//! M repositories with deployments and self-service requests, collector runs, and score
//! snapshots: [`Score`] documents (DESIGN §7) written as scoring writes them.
//!
//! Figures, for team index `k` (teams sorted by name):
//! - repository `i` belongs to team `i % teams` and has `i % 3 + 1` deployments;
//! - each team has 4 finished requests (1 succeeded with no help) and 1 running;
//! - collector runs: github success, success, error; argocd success;
//! - latest quarter 2026-Q4: `dxs` 50+k, components deploy_ease 60+k, lead_time 40, adoption
//!   20+k (no nps), responses 10+k, lead time median 2+k h and p90 24 h, onboarding median
//!   30+k h, self-service rate 0.25, nps 20−k, the last team hidden (no nps); the org (`all`): dxs
//!   71.5, adoption 45, responses 143, lead time median 1.5 h, p90 96 h, onboarding 36 h,
//!   rate 0.5, nps 24, recovery median 6 h, p90 39.6 h, oldest open failure 275 h; 2026-Q3
//!   holds only the org, with 120 responses.

use dxs::model::{Deployment, Repository, RequestStatus, SelfServiceRequest, Team};
use dxs::scoring::{
    self, ChangeFailure, Evidence, LeadTime, Onboarding, Recovery, Score, SurveyFigures,
    SurveyStatus, TeamScore,
};
use dxs::store::{FactBatch, Store};

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
            ..Default::default()
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

/// Writes the snapshots of 2026-Q3 (org only) and 2026-Q4 (org and `teams`).
pub async fn write_snapshots(store: &Store, teams: &[String]) {
    let org = TeamScore {
        team: "all".into(),
        dxs: Some(71.5),
        components: components(&[
            ("deploy_ease", 80.0),
            ("lead_time", 55.25),
            ("adoption", 45.0),
            ("nps", 62.0),
        ]),
        responses: 143,
        lead_time_hours: lead_time(1.5, 96.0, 1840),
        onboarding_hours: Onboarding {
            median: Some(36.0),
            open: 2,
            ..Onboarding::default()
        },
        self_service_rate: Some(0.5),
        nps: Some(24.0),
        // 2026-Q4's survey is open (143 answered so far); the figures are 2026-Q3's.
        survey: SurveyFigures {
            quarter: Some(LATEST.into()),
            status: Some(SurveyStatus::Open),
            responses: Some(143),
            figures_quarter: Some("2026-Q3".into()),
            ..SurveyFigures::default()
        },
        change_failure: ChangeFailure {
            recovery_hours: Recovery {
                median: Some(6.0),
                p90: Some(39.6),
                open: 1,
                open_max_hours: Some(275.0),
            },
            ..ChangeFailure::default()
        },
        ..TeamScore::default()
    };
    let teams = teams
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let (k_f, hidden) = (k as f64, k + 1 == teams.len());
            // The hidden team keeps its deploy_ease component, as a snapshot that leaked it
            // would: the metrics layer must not publish it (tests/api/metrics.rs).
            TeamScore {
                team: name.clone(),
                dxs: Some(50.0 + k_f),
                components: components(&[
                    ("deploy_ease", 60.0 + k_f),
                    ("lead_time", 40.0),
                    ("adoption", 20.0 + k_f),
                ]),
                missing: vec!["nps".into()],
                responses: 10 + k as i64,
                lead_time_hours: lead_time(2.0 + k_f, 24.0, 100),
                onboarding_hours: Onboarding {
                    median: Some(30.0 + k_f),
                    ..Onboarding::default()
                },
                self_service_rate: Some(0.25),
                nps: (!hidden).then_some(20.0 - k_f),
                hidden,
                ..TeamScore::default()
            }
        })
        .collect();
    let latest = Score {
        quarter: LATEST.into(),
        computed_at: "2026-05-28T20:26:40Z".into(),
        org,
        teams,
    };
    let older = Score {
        quarter: "2026-Q3".into(),
        org: TeamScore {
            team: "all".into(),
            dxs: Some(60.0),
            responses: 120,
            survey: SurveyFigures {
                quarter: Some("2026-Q3".into()),
                status: Some(SurveyStatus::Closed),
                responses: Some(120),
                figures_quarter: Some("2026-Q3".into()),
                ..SurveyFigures::default()
            },
            ..TeamScore::default()
        },
        teams: Vec::new(),
        computed_at: latest.computed_at.clone(),
    };
    for score in [latest, older] {
        scoring::write_snapshot(store, &score, &Evidence::default(), 1_780_000_000)
            .await
            .expect("snapshots written");
    }
}

fn components(values: &[(&str, f64)]) -> std::collections::BTreeMap<String, f64> {
    values.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn lead_time(median: f64, p90: f64, changes: i64) -> LeadTime {
    LeadTime {
        median: Some(median),
        p90: Some(p90),
        changes,
    }
}
