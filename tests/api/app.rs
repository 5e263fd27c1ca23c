//! The real [`App`] started in process, as `dxs serve` starts it (first score, pipeline,
//! collection schedule, release tick), with its collectors pointed at the stub servers: a
//! collection's facts reach `/metrics` with no hand wiring.

use std::time::{Duration, Instant};

use dxs::app::App;
use dxs::model::{RequestStatus, SelfServiceRequest};
use dxs::store::FactBatch;
use dxs::web::{self, AppState};
use tokio_util::sync::CancellationToken;

use crate::collectors::Env;
use crate::helpers::{get_text, TestDb};
use crate::metrics::samples;

#[tokio::test]
async fn the_started_app_collects_on_its_schedule_and_publishes_the_facts() {
    for db in TestDb::all().await {
        // The schedule's first collection runs at start; the next one in an hour.
        let env = Env::start(&[("DXS_COLLECT__INTERVAL_SECS", "3600")]).await;
        let app = App::new(env.config.clone(), db.store.clone()).unwrap();
        let shutdown = CancellationToken::new();
        app.start(shutdown.clone()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/metrics", listener.local_addr().unwrap());
        tokio::spawn(web::serve(
            listener,
            AppState::new(app.clone()),
            shutdown.clone(),
        ));

        // The scenario's self-service requests (t1, t3 succeeded, t2 failed, t5 cancelled, t4
        // running: 4 finished, 2 without help), and its changes' median lead time: of 1800,
        // 3600 ×4, 7200, 10800, 13800 and 100800 seconds the middle one, 60 minutes. The first
        // two come from the store's totals, the last from the score snapshot of the quarter.
        let expected = [
            (r#"platform_requests_total{team="all"}"#, 4.0),
            (r#"platform_requests_success_total{team="all"}"#, 2.0),
            (
                r#"deployment_lead_time_minutes{team="all",stat="median"}"#,
                60.0,
            ),
        ];
        let started = Instant::now();
        let text = loop {
            let text = get_text(&url).await;
            let found = samples(&text);
            if expected
                .iter()
                .all(|(series, value)| found.get(*series) == Some(value))
            {
                break text;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the collection never reached /metrics: {text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            text.contains(r#"dxs_collector_runs_total{source="github",outcome="success"} 1"#),
            "{text}"
        );
        assert!(app.pipeline.passes() >= 1);
        assert!(!env.stub.hits().is_empty(), "the collectors asked the stub");
        shutdown.cancel();
        db.cleanup().await;
    }
}

/// Two requests with the same id in one batch: PostgreSQL refuses the statement ("ON CONFLICT
/// DO UPDATE command cannot affect row a second time"), SQLite applies both in turn.
fn twice(id: &str) -> FactBatch {
    let request = SelfServiceRequest {
        source: "webhook".into(),
        external_id: id.into(),
        team: "payments".into(),
        kind: "create-service".into(),
        status: RequestStatus::Succeeded,
        human_intervention: false,
        created_at: 1_000,
        finished_at: Some(2_000),
    };
    FactBatch {
        requests: vec![request.clone(), request],
        ..FactBatch::default()
    }
}

#[tokio::test]
#[cfg_attr(not(dxs_postgres), ignore = "needs PostgreSQL: set TEST_DATABASE_URL")]
async fn a_batch_that_fails_its_group_fails_alone() {
    let db = TestDb::postgres()
        .await
        .expect("TEST_DATABASE_URL names a PostgreSQL server");
    let config = crate::helpers::config(&[("DXS_COLLECT__INTERVAL_SECS", "0")]);
    let app = App::new(config, db.store.clone()).unwrap();
    let shutdown = CancellationToken::new();
    app.start_core(shutdown.clone()).await;
    // Sent together, so that the writer gathers them into one group.
    let good = FactBatch {
        requests: twice("ok").requests[..1].to_vec(),
        ..FactBatch::default()
    };
    let (bad, good) = tokio::join!(app.record(twice("bad")), app.record(good));
    let error = bad.expect_err("the statement is refused").to_string();
    assert!(error.contains("cannot affect row a second time"), "{error}");
    assert_eq!(good.unwrap(), 1);
    let stored: Vec<String> = db
        .store
        .requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.external_id)
        .collect();
    assert_eq!(stored, vec!["ok".to_string()]);
    shutdown.cancel();
    db.cleanup().await;
}
