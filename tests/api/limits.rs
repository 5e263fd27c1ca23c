//! Server limits on a real socket: the header read timeout, the cap on open connections, and
//! the per-address limits of `POST /survey` and the webhooks.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use dxs::web::{Limits, ServerLimits};

use crate::helpers::{config, teams, TestApp, TestDb};
use crate::webhooks::sign_with;

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

/// Opens a connection that sends half a request head and nothing more.
fn slow_client(app: &TestApp) -> TcpStream {
    let mut conn = TcpStream::connect(host(app)).unwrap();
    write!(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let db = TestDb::sqlite().await;
    let server = ServerLimits {
        header_read_timeout: Duration::from_millis(500),
        max_connections: 64,
        ..ServerLimits::default()
    };
    let app = TestApp::spawn_with(config(&[]), db.store.clone(), Limits::default(), server).await;
    let mut conn = slow_client(&app);
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    // hyper answers 408 or just closes: either way the read ends, long before 5 s.
    let _ = conn.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(
        waited < Duration::from_secs(4),
        "cut off after the timeout: {waited:?}"
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(!text.contains("200 OK"), "{text}");
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let db = TestDb::sqlite().await;
    let server = ServerLimits {
        header_read_timeout: Duration::from_secs(30),
        max_connections: 2,
        ..ServerLimits::default()
    };
    let app = TestApp::spawn_with(config(&[]), db.store.clone(), Limits::default(), server).await;
    let first = slow_client(&app);
    let second = slow_client(&app);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(700))
        .build()
        .unwrap();
    let third = client.get(app.url("/healthz")).send().await;
    assert!(
        third.is_err(),
        "a third connection is not served while two are open"
    );
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fourth = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(fourth.status(), 200, "served once a slot is free");
    drop(second);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_posts_and_refused_webhooks_are_limited_per_address_signed_events_never() {
    let db = TestDb::sqlite().await;
    teams(&db.store, &["payments"]).await;
    let app = TestApp::spawn_with(
        config(&[("DXS_WEBHOOK_SECRET", "hook-secret")]),
        db.store.clone(),
        Limits::per_minute(5, 3, 2),
        ServerLimits::default(),
    )
    .await;
    let client = reqwest::Client::new();
    let mut survey = Vec::new();
    for _ in 0..4 {
        let response = client
            .post(app.url("/survey"))
            .form(&[("invite", "unknown")])
            .send()
            .await
            .unwrap();
        survey.push(response.status().as_u16());
    }
    assert_eq!(
        survey,
        [403, 403, 403, 429],
        "bad CSRF thrice, then limited"
    );
    // Signed events are never limited: five past a limit of two refusals all get in.
    for i in 0..5 {
        let body = format!(
            r#"{{"id": "req-{i}", "team": "payments", "kind": "create-service", "status": "running",
                "human_intervention": false, "created_at": "2026-10-20T10:00:00Z"}}"#
        );
        let response = client
            .post(app.url("/webhooks/orchestrator"))
            .header("x-dxs-signature", sign_with("hook-secret", &body))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202, "signed event {i}");
    }
    assert_eq!(db.store.counts().await.unwrap().requests, 5);
    let mut hooks = Vec::new();
    for path in [
        "/webhooks/orchestrator",
        "/webhooks/github",
        "/webhooks/github",
    ] {
        let response = client.post(app.url(path)).body("{}").send().await.unwrap();
        hooks.push(response.status().as_u16());
        if response.status() == 429 {
            let retry = response.headers()["retry-after"].to_str().unwrap();
            assert!(retry.parse::<u64>().unwrap() <= 60, "{retry}");
        }
    }
    assert_eq!(
        hooks,
        [401, 401, 429],
        "unsigned twice, then limited, signed or not"
    );
    db.cleanup().await;
}
