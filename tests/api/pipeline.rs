//! The pipeline from new facts to every replica: closed quarters stay closed, a burst of
//! webhooks becomes few scoring passes, a second replica publishes what the first wrote, and
//! collection moves to another replica when the one holding the lock dies.

use std::time::{Duration, Instant};

use dxs::model::{
    Commit, Deployment, DeploymentChange, Developer, Repository, SelfServiceRequest, Team,
};
use dxs::quarter::Quarter;
use dxs::scoring::{self, Rules};
use dxs::store::FactBatch;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::collectors::Env;
use crate::helpers::{config, get_text, teams, ServeProcess, TestApp, TestDb};
use crate::scenario::{Scenario, ROSTER};
use crate::stub::{Fault, Stub};
use crate::webhooks::sign_with;

const SECRET: &str = "pipeline-webhook-secret";
const TOKEN: &str = "pipeline-test-admin-token-0123456789abcdef";

fn sign(body: &str) -> String {
    sign_with(SECRET, body)
}

fn rfc3339(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A signed orchestrator event: request `id` of `team`, succeeded at `at`.
fn request_event(id: &str, team: &str, at: i64) -> String {
    format!(
        r#"{{"id": "{id}", "team": "{team}", "kind": "create-service", "status": "succeeded",
            "human_intervention": false, "created_at": "{}", "finished_at": "{}"}}"#,
        rfc3339(at - 60),
        rfc3339(at)
    )
}

async fn send(client: &reqwest::Client, base: &str, body: String) -> u16 {
    client
        .post(format!("{base}/webhooks/orchestrator"))
        .header("content-type", "application/json")
        .header("x-dxs-signature", sign(&body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Facts of the quarter after the scored one, of every kind, plus a new team, a new developer
/// and a new push of a repository that was pushed inside the scored quarter.
fn later_facts(after: i64, pushed_repo: &str) -> FactBatch {
    let at = after + 10 * 86_400;
    FactBatch {
        teams: vec![Team {
            name: "newcomers".into(),
            source: "roster".into(),
        }],
        developers: vec![Developer {
            login: "late-joiner".into(),
            team: "newcomers".into(),
            start_at: at,
            email: None,
        }],
        repositories: vec![
            Repository {
                slug: "acme/newcomers-api".into(),
                team: Some("newcomers".into()),
                team_source: Some("catalog".into()),
                archived: false,
                pushed_at: Some(at),
                ..Default::default()
            },
            Repository {
                slug: pushed_repo.into(),
                team: None,
                team_source: None,
                archived: false,
                pushed_at: Some(at + 3600),
                ..Default::default()
            },
        ],
        commits: vec![Commit {
            repo: "acme/newcomers-api".into(),
            sha: "f".repeat(40),
            author_login: Some("late-joiner".into()),
            authored_at: at,
            committed_at: at,
            is_bot: false,
        }],
        deployments: vec![Deployment {
            source: "github".into(),
            external_id: "later-1".into(),
            repo: "acme/newcomers-api".into(),
            service: "acme/newcomers-api".into(),
            sha: "f".repeat(40),
            environment: "production".into(),
            finished_at: at + 7200,
        }],
        changes: vec![DeploymentChange {
            service: "acme/newcomers-api".into(),
            repo: "acme/newcomers-api".into(),
            sha: "f".repeat(40),
            deployment_source: "github".into(),
            deployment_id: "later-1".into(),
            committed_at: at,
            deployed_at: at + 7200,
        }],
        requests: vec![SelfServiceRequest {
            source: "webhook".into(),
            external_id: "later-request".into(),
            team: "newcomers".into(),
            kind: "create-service".into(),
            status: dxs::model::RequestStatus::Succeeded,
            human_intervention: false,
            created_at: at,
            finished_at: Some(at + 60),
        }],
        ..FactBatch::default()
    }
}

/// A closed quarter scores the same document byte for byte, however much later quarters
/// change and however much later it is computed.
#[tokio::test]
async fn a_closed_quarter_scores_the_same_json_byte_for_byte() {
    for db in TestDb::all().await {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        dxs::demo::fill(&db.store, dxs::demo::DEFAULT_SEED, today)
            .await
            .unwrap();
        let rules = Rules::load(&config(&[])).unwrap();
        let q3: Quarter = "2026-Q3".parse().unwrap();
        let now = dxs::quarter::midnight_utc(today);
        let first = scoring::compute(&db.store, &rules, q3, now).await.unwrap();
        let first_json = serde_json::to_string(&first).unwrap();
        assert!(first.org.dxs.is_some() && first.teams.len() == 6);

        // A repository pushed inside Q3 (by the demo) is pushed again in Q4.
        let period = scoring::period(q3, now, &rules);
        let pushed = db
            .store
            .scoring_facts(&scoring::fact_range(q3, &period, &rules))
            .await
            .unwrap();
        let active = pushed
            .repos
            .iter()
            .position(|r| r.active)
            .expect("an active repository in Q3");
        let slug = pushed.repo_names.values[active].clone();
        let rows = db
            .store
            .write_batch(&later_facts(q3.end(), &slug))
            .await
            .unwrap();
        assert!(rows >= 8, "{rows} later facts written");

        let later = now + 30 * 86_400;
        let again = scoring::compute(&db.store, &rules, q3, later)
            .await
            .unwrap();
        assert_eq!(serde_json::to_string(&again).unwrap(), first_json);
        // The quarter after it does see the new facts.
        let q4 = scoring::compute(&db.store, &rules, q3.next(), later)
            .await
            .unwrap();
        assert!(q4.teams.iter().any(|t| t.team == "newcomers"));
        db.cleanup().await;
    }
}

/// 200 signed events in a burst: every one counted, a handful of scoring passes (at most one a
/// second, plus the first), and the published counter current within seconds of the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_webhooks_becomes_a_few_scoring_passes() {
    let db = TestDb::sqlite().await;
    teams(&db.store, &["payments"]).await;
    let app = TestApp::spawn(config(&[("DXS_WEBHOOK_SECRET", SECRET)]), db.store.clone()).await;
    let client = reqwest::Client::new();
    let now = chrono::Utc::now().timestamp();
    let started = Instant::now();
    let sends = (0..200).map(|i| {
        let (client, base) = (client.clone(), app.address.clone());
        async move {
            send(
                &client,
                &base,
                request_event(&format!("burst-{i}"), "payments", now),
            )
            .await
        }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let burst_secs = started.elapsed().as_secs() + 1;
    let deadline = Instant::now() + Duration::from_secs(10);
    let counter = r#"platform_requests_total{team="payments"} 200"#;
    loop {
        let scrape = get_text(app.url("/metrics")).await;
        if scrape.contains(counter) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{counter} not published within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let passes = app.state.pipeline.passes();
    assert!(
        (1..=burst_secs + 3).contains(&passes),
        "{passes} passes for a burst of {burst_secs} s"
    );
    let stored = db.store.requests().await.unwrap();
    assert_eq!(stored.len(), 200);
    drop(app);
    db.cleanup().await;
}

/// `dxs serve` on a database with a known admin token and webhook secret and `env` (the
/// collection schedule, the upstreams).
fn replica(database_url: &str, env: &[(&str, String)]) -> ServeProcess {
    let known = [
        ("DXS_ADMIN_TOKEN", TOKEN.to_string()),
        ("DXS_WEBHOOK_SECRET", SECRET.to_string()),
    ];
    let env: Vec<(&str, String)> = known.into_iter().chain(env.iter().cloned()).collect();
    ServeProcess::start(database_url, &[], &env)
}

/// A replica with no collection schedule.
fn idle_replica(database_url: &str) -> ServeProcess {
    replica(database_url, &[("DXS_COLLECT__INTERVAL_SECS", "0".into())])
}

/// Two replicas on one PostgreSQL: an event sent to A shows in B's `/metrics` and
/// `/api/v1/score` within 10 s, without B being told anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dxs_postgres), ignore = "needs PostgreSQL: set TEST_DATABASE_URL")]
async fn a_webhook_to_one_replica_shows_on_the_other_within_ten_seconds() {
    let db = TestDb::postgres()
        .await
        .expect("TEST_DATABASE_URL names a PostgreSQL server");
    teams(&db.store, &["payments"]).await;
    let url = db.url().to_string();
    let a = idle_replica(&url);
    let b = idle_replica(&url);
    let client = reqwest::Client::new();
    let now = chrono::Utc::now().timestamp();
    assert_eq!(
        send(
            &client,
            &a.address,
            request_event("replicated-1", "payments", now)
        )
        .await,
        202
    );
    let sent = Instant::now();
    let counter = r#"platform_requests_success_total{team="payments"} 1"#;
    loop {
        let scrape = get_text(format!("{}/metrics", b.address)).await;
        let score: serde_json::Value = client
            .get(format!("{}/api/v1/score", b.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_default();
        let finished = score["org"]["self_service"]["finished"].as_i64();
        if scrape.contains(counter) && finished == Some(1) {
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "replica B not current 10 s after the event (score: {score})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop((a, b));
    db.cleanup().await;
}

/// Two replicas collecting every second on one PostgreSQL: while A holds the collector lock (its
/// collection hangs on a GitHub request) B never collects; once A is killed, its session and
/// lock are gone and B's next tick collects, to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dxs_postgres), ignore = "needs PostgreSQL: set TEST_DATABASE_URL")]
async fn killing_the_collecting_replica_hands_collection_to_the_other() {
    let db = TestDb::postgres()
        .await
        .expect("TEST_DATABASE_URL names a PostgreSQL server");
    let stub = Stub::start(Scenario::standard()).await;
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, ROSTER).unwrap();
    let mut env = Env::vars(&stub, &roster.display().to_string());
    env.push(("DXS_COLLECT__INTERVAL_SECS", "1".into()));
    let arrived = Arc::new(Notify::new());
    stub.fault("/gh/orgs/acme/repos", Fault::Hang(arrived.clone()));

    let url = db.url().to_string();
    let a = replica(&url, &env);
    tokio::time::timeout(Duration::from_secs(10), arrived.notified())
        .await
        .expect("A's collection reaches GitHub");
    let b = replica(&url, &env);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Only A's runs, newest first: the catalog done, GitHub hanging.
    let runs = db.store.recent_runs(20).await.unwrap();
    let seen: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| (r.source.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        seen,
        [("github", "running"), ("orchestrator", "success")],
        "B collected while A held the lock: {runs:?}"
    );

    drop(a);
    let killed = Instant::now();
    loop {
        let runs = db.store.recent_runs(20).await.unwrap();
        let done: Vec<&str> = runs
            .iter()
            .filter(|r| r.outcome == "success")
            .map(|r| r.source.as_str())
            .collect();
        if ["github", "argocd", "orchestrator"]
            .iter()
            .all(|s| done.contains(s))
        {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(20),
            "B did not collect within 20 s of A's death: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(db.store.counts().await.unwrap().deployments > 0);
    drop(b);
    db.cleanup().await;
}
