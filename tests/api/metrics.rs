//! `/metrics`: every family of DESIGN §8 with hand-computed values, served from memory.

use std::collections::BTreeMap;

use dxs::metrics::Metrics;
use dxs::store::Snapshot;

use crate::helpers::{config, TestApp, TestDb, CONFIGURED};
use crate::metrics_fixture::{team_names, write_org, write_runs, write_snapshots};

/// Samples of an OpenMetrics text: `name{labels}` → value.
pub fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("sample has a value");
            (series.to_string(), value.parse().expect("sample value"))
        })
        .collect()
}

async fn scrape(app: &TestApp) -> String {
    let response = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text
}

#[tokio::test]
async fn every_family_follows_the_snapshot_and_the_store_totals() {
    for db in TestDb::all().await {
        write_org(&db.store, 3, 6).await;
        write_runs(&db.store).await;
        write_snapshots(&db.store, &team_names(3)).await;
        let last_github_success = db
            .store
            .recent_runs(10)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.source == "github" && r.outcome == "success")
            .filter_map(|r| r.finished_at)
            .max()
            .unwrap();
        let app = TestApp::spawn(config(&CONFIGURED), db.store.clone()).await;
        let s = samples(&scrape(&app).await);
        let expected = [
            (r#"dxs_score{team="all"}"#, 71.5),
            (r#"dxs_score{team="team-00"}"#, 50.0),
            (r#"dxs_score{team="team-02"}"#, 52.0),
            // A hidden team's telemetry components stay.
            (
                r#"dxs_score_component{team="team-02",component="lead_time"}"#,
                40.0,
            ),
            (
                r#"dxs_score_component{team="team-01",component="deploy_ease"}"#,
                61.0,
            ),
            (
                r#"dxs_score_component{team="all",component="lead_time"}"#,
                55.25,
            ),
            (
                r#"deployment_lead_time_minutes{team="all",stat="median"}"#,
                90.0,
            ),
            (
                r#"deployment_lead_time_minutes{team="team-01",stat="median"}"#,
                180.0,
            ),
            (
                r#"deployment_lead_time_minutes{team="team-01",stat="p90"}"#,
                1440.0,
            ),
            // Recovery in seconds, the base unit: 6 h, 39.6 h, 275 h.
            (
                r#"dxs_failed_deployment_recovery_seconds{team="all",stat="median"}"#,
                21_600.0,
            ),
            (
                r#"dxs_failed_deployment_recovery_seconds{team="all",stat="p90"}"#,
                142_560.0,
            ),
            (
                r#"dxs_failed_deployment_recovery_seconds{team="all",stat="open_max"}"#,
                990_000.0,
            ),
            (r#"developer_first_commit_time_hours{team="team-02"}"#, 32.0),
            (r#"developer_first_commit_time_hours{team="all"}"#, 36.0),
            (r#"platform_requests_total{team="team-00"}"#, 4.0),
            (r#"platform_requests_success_total{team="team-00"}"#, 1.0),
            (r#"platform_requests_total{team="all"}"#, 12.0),
            (r#"platform_requests_success_total{team="all"}"#, 3.0),
            (r#"dxs_self_service_success_ratio{team="all"}"#, 0.5),
            (r#"dxs_self_service_success_ratio{team="team-01"}"#, 0.25),
            (r#"dxs_platform_adoption_ratio{team="all"}"#, 0.45),
            (r#"dxs_platform_adoption_ratio{team="team-02"}"#, 0.22),
            (r#"dxs_survey_responses_total{quarter="2026-Q4"}"#, 143.0),
            (r#"dxs_survey_responses_total{quarter="2026-Q3"}"#, 120.0),
            (r#"dxs_survey_open{quarter="2026-Q4"}"#, 1.0),
            (r#"dxs_survey_open{quarter="2026-Q3"}"#, 0.0),
            (r#"dxs_survey_nps{team="all"}"#, 24.0),
            (r#"dxs_survey_nps{team="team-01"}"#, 19.0),
            // Repositories 0 and 3: 1 + 1; 1 and 4: 2 + 2; 2 and 5: 3 + 3.
            (r#"dxs_deployments_total{team="team-00"}"#, 2.0),
            (r#"dxs_deployments_total{team="team-01"}"#, 4.0),
            (r#"dxs_deployments_total{team="team-02"}"#, 6.0),
            (r#"dxs_deployments_total{team="all"}"#, 12.0),
            (
                r#"dxs_collector_runs_total{source="github",outcome="success"}"#,
                2.0,
            ),
            (
                r#"dxs_collector_runs_total{source="github",outcome="error"}"#,
                1.0,
            ),
            (
                r#"dxs_collector_runs_total{source="argocd",outcome="success"}"#,
                1.0,
            ),
            (
                r#"dxs_collector_last_success_timestamp_seconds{source="github"}"#,
                last_github_success as f64,
            ),
        ];
        for (series, value) in expected {
            assert_eq!(s.get(series), Some(&value), "{series}");
        }
        let absent = [
            r#"dxs_survey_nps{team="team-02"}"#, // hidden: fewer responses than the group size
            // The fixture's hidden team carries a survey component, as a leaking snapshot
            // would: the metrics layer publishes none of a hidden team's survey figures.
            r#"dxs_score_component{team="team-02",component="deploy_ease"}"#,
            r#"dxs_score_component{team="team-01",component="nps"}"#, // null: no data
            r#"dxs_collector_last_success_timestamp_seconds{source="github",outcome="error"}"#,
            "dxs_github_rate_limit_remaining", // unknown until the GitHub collector reports it
        ];
        for series in absent {
            assert!(!s.contains_key(series), "{series} should be absent");
        }
        let teams = s.keys().filter(|k| k.starts_with("dxs_score{")).count();
        assert_eq!(teams, 4, "3 teams and all");
        drop(app);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_scrape_never_touches_the_database() {
    let db = TestDb::sqlite().await;
    write_org(&db.store, 3, 6).await;
    write_snapshots(&db.store, &team_names(3)).await;
    let app = TestApp::spawn(config(&CONFIGURED), db.store.clone()).await;
    let before = scrape(&app).await;
    app.store.close().await;
    assert_eq!(
        reqwest::get(app.url("/readyz")).await.unwrap().status(),
        503,
        "the database is gone"
    );
    let after = scrape(&app).await;
    let published = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.contains("dxs_http_"))
            .map(String::from)
            .collect()
    };
    assert!(before.contains("dxs_score{team=\"all\"} 71.5"), "{before}");
    assert_eq!(published(&before), published(&after));
}

#[tokio::test]
async fn http_requests_are_counted_by_route_template_never_by_raw_path() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(config(&CONFIGURED), db.store.clone()).await;
    for path in ["/healthz", "/healthz", "/no/such/page?x=1"] {
        reqwest::get(app.url(path)).await.unwrap();
    }
    let text = scrape(&app).await;
    let s = samples(&text);
    let expected = [
        (
            r#"dxs_http_requests_total{route="/healthz",status="200"}"#,
            2.0,
        ),
        (
            r#"dxs_http_requests_total{route="unmatched",status="404"}"#,
            1.0,
        ),
        (
            r#"dxs_http_request_duration_seconds_count{route="/healthz"}"#,
            2.0,
        ),
        (
            r#"dxs_http_request_duration_seconds_count{route="unmatched"}"#,
            1.0,
        ),
    ];
    for (series, value) in expected {
        assert_eq!(s.get(series), Some(&value), "{series}\n{text}");
    }
    assert!(!text.contains("/no/such/page"), "{text}");
    let second = samples(&scrape(&app).await);
    assert_eq!(
        second.get(r#"dxs_http_requests_total{route="/metrics",status="200"}"#),
        Some(&1.0),
        "the first scrape is counted once it is answered"
    );
}

#[tokio::test]
async fn live_collector_figures_then_a_publish_recounts_from_the_store() {
    let db = TestDb::sqlite().await;
    let metrics = Metrics::default();
    let fresh = samples(&metrics.encode());
    for source in ["github", "argocd", "orchestrator"] {
        for outcome in ["success", "error"] {
            let counter =
                format!(r#"dxs_collector_runs_total{{source="{source}",outcome="{outcome}"}}"#);
            assert_eq!(fresh.get(&counter), Some(&0.0), "{counter} before any run");
        }
    }
    assert!(
        !fresh.contains_key(r#"dxs_collector_runs_total{source="kubernetes",outcome="success"}"#)
    );
    metrics.set_github_rate_limit(4999);
    metrics.record_collector_run("github", "success", 1_780_000_100);
    metrics.record_collector_run("github", "success", 1_780_000_050);
    metrics.record_collector_run("argocd", "error", 1_780_000_200);
    let s = samples(&metrics.encode());
    assert_eq!(s.get("dxs_github_rate_limit_remaining"), Some(&4999.0));
    let github_success = r#"dxs_collector_runs_total{source="github",outcome="success"}"#;
    assert_eq!(s.get(github_success), Some(&2.0));
    assert_eq!(
        s.get(r#"dxs_collector_runs_total{source="argocd",outcome="error"}"#),
        Some(&1.0)
    );
    let github_last = r#"dxs_collector_last_success_timestamp_seconds{source="github"}"#;
    assert_eq!(
        s.get(github_last),
        Some(&1_780_000_100.0),
        "never goes back"
    );
    assert!(!s.contains_key(r#"dxs_collector_last_success_timestamp_seconds{source="argocd"}"#));

    // The store knows of 3 github runs and 1 argocd run: a publish counts those.
    write_runs(&db.store).await;
    metrics.publish_from_store(&db.store).await.unwrap();
    let s = samples(&metrics.encode());
    assert_eq!(s.get(github_success), Some(&2.0));
    // The store has no failed argocd run: back to 0, and still there (every configured
    // source and outcome has its counter from the start).
    assert_eq!(
        s.get(r#"dxs_collector_runs_total{source="argocd",outcome="error"}"#),
        Some(&0.0)
    );
    assert_eq!(s.get("dxs_github_rate_limit_remaining"), Some(&4999.0));

    // After a restart, fresh metrics continue from the same totals.
    let restarted = Metrics::default();
    restarted.publish_from_store(&db.store).await.unwrap();
    let again = samples(&restarted.encode());
    assert_eq!(again.get(github_success), Some(&2.0));
    assert_eq!(again.get(github_last), s.get(github_last));
    db.cleanup().await;
}

#[tokio::test]
async fn a_publish_replaces_the_teams_it_no_longer_scores() {
    let db = TestDb::sqlite().await;
    let metrics = Metrics::default();
    write_snapshots(&db.store, &team_names(3)).await;
    metrics.publish_from_store(&db.store).await.unwrap();
    assert!(metrics
        .encode()
        .contains(r#"dxs_score{team="team-02"} 52.0"#));

    write_snapshots(&db.store, &team_names(2)).await;
    metrics.publish_from_store(&db.store).await.unwrap();
    let text = metrics.encode();
    assert!(!text.contains("team-02"), "{text}");
    assert!(text.contains(r#"dxs_score{team="team-01"} 51.0"#), "{text}");
    assert!(
        text.contains(r#"dxs_survey_nps{team="team-00"} 20.0"#),
        "{text}"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_snapshot_that_is_not_a_score_is_skipped() {
    let db = TestDb::sqlite().await;
    write_snapshots(&db.store, &team_names(2)).await;
    let bad = Snapshot {
        quarter: "2026-Q2".into(),
        team: "all".into(),
        computed_at: 1_780_000_000,
        body: r#"{ "dxs": 12.5, "responses": 30 }"#.into(),
    };
    db.store
        .replace_snapshots("2026-Q2", &[bad], "{}")
        .await
        .unwrap();
    let metrics = Metrics::default();
    metrics.publish_from_store(&db.store).await.unwrap();
    let s = samples(&metrics.encode());
    assert_eq!(s.get(r#"dxs_score{team="all"}"#), Some(&71.5));
    assert_eq!(
        s.get(r#"dxs_survey_responses_total{quarter="2026-Q3"}"#),
        Some(&120.0)
    );
    assert!(
        !s.contains_key(r#"dxs_survey_responses_total{quarter="2026-Q2"}"#),
        "not a whole score: skipped"
    );
    db.cleanup().await;
}
