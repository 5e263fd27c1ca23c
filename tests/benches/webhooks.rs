//! Benchmark of the webhook pipeline: 5,000 signed orchestrator events from 50 connections
//! against `dxs serve` (in process, on SQLite, or on PostgreSQL when `TEST_DATABASE_URL` is set):
//! none lost, none duplicated, the latency of each answer (p50, p99), the number of scoring passes
//! the burst caused, and how long after the last event `/metrics` counted all of them. Beside it,
//! the floor: the same 5,000 requests written straight into the store, one batch each, with no
//! HTTP and no pipeline. Run with `cargo bench --bench webhooks` (`BENCH_EVENTS` to change,
//! or `BENCH_SCALE`). Every connection comes from 127.0.0.1 under the default limits: signed
//! events are never limited per address. `cargo test --all-features` runs it once with 50
//! events (see `scale.rs`); either way a lost or duplicated event fails it.

use std::time::{Duration, Instant};

use dxs::app::App;
use dxs::config::Config;
use dxs::model::{RequestStatus, SelfServiceRequest};
use dxs::store::{FactBatch, Store};
use dxs::web::{self, AppState, Limits};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

mod scale;

const CONNECTIONS: usize = 50;
/// The latency target of issue 14: p99 under 20 ms.
const P99_TARGET: Duration = Duration::from_millis(20);
const SECRET: &str = "bench-webhook-secret";
const TEAMS: [&str; 5] = ["payments", "search", "checkout", "identity", "mobile"];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

fn sign(body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn event(i: usize, at: &str) -> String {
    format!(
        r#"{{"id": "bench-{i}", "team": "{}", "kind": "create-service", "status": "succeeded",
            "human_intervention": false, "created_at": "{at}", "finished_at": "{at}"}}"#,
        TEAMS[i % TEAMS.len()]
    )
}

/// A fresh store: a temporary SQLite file, or a new database on `TEST_DATABASE_URL`'s server.
async fn store(name: &str) -> (Store, &'static str, Option<tempfile::TempDir>) {
    if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
        let db = format!("dxs_bench_{name}_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("postgres");
        for sql in [
            format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            format!("CREATE DATABASE {db}"),
        ] {
            sqlx::query(&sql).execute(&mut conn).await.expect("admin");
        }
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let store = Store::connect(&format!("{base}/{db}"))
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        known_teams(&store).await;
        return (store, "PostgreSQL", None);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
    let store = Store::connect(&url).await.expect("sqlite");
    store.migrate().await.expect("migrate");
    known_teams(&store).await;
    (store, "SQLite", Some(dir))
}

/// Stores [`TEAMS`]: a webhook names only a team dxs knows.
async fn known_teams(store: &Store) {
    let teams = TEAMS
        .iter()
        .map(|name| dxs::model::Team {
            name: name.to_string(),
            source: "roster".into(),
        })
        .collect();
    let batch = FactBatch {
        teams,
        ..FactBatch::default()
    };
    store.write_batch(&batch).await.expect("teams");
}

/// Drops the databases [`store`] created on `TEST_DATABASE_URL`'s server, if any.
async fn drop_databases(names: &[&str]) {
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        return;
    };
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("postgres");
    for name in names {
        let db = format!("dxs_bench_{name}_{}", std::process::id());
        sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .expect("drop database");
    }
}

async fn run() {
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| scale::scaled(5_000, scale::scale()));
    let connections = CONNECTIONS.min(events);
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    // The floor: the same requests written straight into the store, one batch each.
    let (floor_store, database, _floor_dir) = store("floor").await;
    let started = Instant::now();
    for i in 0..events {
        let batch = FactBatch {
            requests: vec![SelfServiceRequest {
                source: "webhook".into(),
                external_id: format!("bench-{i}"),
                team: TEAMS[i % TEAMS.len()].into(),
                kind: "create-service".into(),
                status: RequestStatus::Succeeded,
                human_intervention: false,
                created_at: 0,
                finished_at: Some(0),
            }],
            ..FactBatch::default()
        };
        floor_store.write_batch(&batch).await.expect("write");
    }
    let floor = started.elapsed();
    floor_store.close().await;

    let (store, _, _dir) = store("webhooks").await;
    let vars = [
        ("DXS_WEBHOOK_SECRET".to_string(), SECRET.to_string()),
        ("DXS_COLLECT__INTERVAL_SECS".to_string(), "0".to_string()),
    ];
    let config = Config::from_parts("", Vec::new(), |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .expect("config");
    // Every connection comes from 127.0.0.1 with the default limits: signed events are never
    // limited per address (only refused ones are), so all 5,000 get in.
    let app = App::new(config, store.clone()).expect("config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let shutdown = CancellationToken::new();
    app.start(shutdown.clone()).await.expect("app starts");
    let state = AppState::with_limits(app, Limits::default());
    tokio::spawn(web::serve(listener, state.clone(), shutdown.clone()));

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let (base, at) = (base.clone(), at.clone());
        tasks.push(tokio::spawn(async move {
            // One client per task with one connection: 50 connections in all.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let mut latencies = Vec::new();
            for i in (c..events).step_by(connections) {
                let body = event(i, &at);
                let signature = sign(&body);
                let sent = Instant::now();
                let response = client
                    .post(format!("{base}/webhooks/orchestrator"))
                    .header("content-type", "application/json")
                    .header("x-dxs-signature", signature)
                    .body(body)
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(response.status().as_u16(), 202, "event {i}");
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(events);
    for task in tasks {
        latencies.extend(task.await.expect("task"));
    }
    let burst = started.elapsed();
    let last_event = Instant::now();
    let expected = format!("platform_requests_total{{team=\"all\"}} {events}");
    let current_after = loop {
        let scrape = reqwest::get(format!("{base}/metrics"))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("body");
        if scrape.contains(&expected) {
            break last_event.elapsed();
        }
        assert!(
            last_event.elapsed() < Duration::from_secs(60),
            "metrics never counted {events} events"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let stored = store.requests().await.expect("requests");
    let mut ids: Vec<&str> = stored.iter().map(|r| r.external_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let passes = state.pipeline.passes();
    shutdown.cancel();
    store.close().await;
    drop_databases(&["floor", "webhooks"]).await;

    // Lost: an event acknowledged 202 whose id is not stored.
    let lost = (0..events)
        .filter(|i| ids.binary_search(&format!("bench-{i}").as_str()).is_err())
        .count();
    let duplicated = stored.len() - ids.len();
    println!(
        "webhooks: {events} signed events from {connections} connections, {database}, 2 tokio workers{}",
        if scale::measuring() { "" } else { " (cargo test: a check that it runs, not a measure)" }
    );
    println!(
        "  stored            {} rows, {} distinct ids (lost {lost}, duplicated {duplicated})",
        stored.len(),
        ids.len(),
    );
    println!(
        "  burst             {:.2} s, {:.0} events/s",
        burst.as_secs_f64(),
        events as f64 / burst.as_secs_f64()
    );
    println!(
        "  latency           p50 {:.2} ms, p99 {:.2} ms (target < {} ms: {})",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        P99_TARGET.as_millis(),
        if pct(0.99) < P99_TARGET {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "  scoring passes    {passes} ({:.2} per second of the burst)",
        passes as f64 / burst.as_secs_f64().max(1.0)
    );
    println!(
        "  /metrics current  {:.2} s after the last event",
        current_after.as_secs_f64()
    );
    println!(
        "  floor (store only, one batch per event, no HTTP): {:.2} s, {:.0} writes/s",
        floor.as_secs_f64(),
        events as f64 / floor.as_secs_f64()
    );
    // Acknowledged means stored, once: checked at any scale (the latency only under `cargo bench`).
    assert_eq!((lost, duplicated), (0, 0), "events lost, duplicated");
    assert_eq!(ids.len(), events, "only the events sent are stored");
}
