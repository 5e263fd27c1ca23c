//! Benchmark of `/metrics` for an organisation of 50 teams and 200 repositories: 20 concurrent
//! connections for 10 s (`BENCH_SECONDS` to change) with `wrk` (Debian package) when installed,
//! else an in-repo load loop; prints requests/s, body size, p99 and the render time of one
//! scrape. Run with `cargo bench --bench metrics`; `cargo test` runs it for one second.

#[path = "../api/metrics_fixture.rs"]
mod metrics_fixture;
#[allow(dead_code)] // shared by every benchmark: this one only asks `measuring`
mod scale;

use std::process::Command;
use std::time::{Duration, Instant};

use dxs::app::App;
use dxs::config::Config;
use dxs::store::Store;
use dxs::web::{self, AppState};
use tokio_util::sync::CancellationToken;

const TEAMS: usize = 50;
const REPOS: usize = 200;
const CONNECTIONS: usize = 20;

/// What one load run measured.
struct Load {
    tool: &'static str,
    requests_per_second: f64,
    p99: Duration,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    // `cargo test` runs it for one second, to see that it runs (see scale.rs).
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if scale::measuring() { 10 } else { 1 });
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("dxs.db").display()))
        .await
        .expect("sqlite");
    store.migrate().await.expect("migrate");
    metrics_fixture::write_org(&store, TEAMS, REPOS).await;
    metrics_fixture::write_runs(&store).await;
    metrics_fixture::write_snapshots(&store, &metrics_fixture::team_names(TEAMS)).await;

    let config = Config::from_parts("", Vec::new(), |_| None).expect("default config");
    let app = App::new(config, store.clone()).expect("default config");
    app.metrics.set_github_rate_limit(4321);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    // The fixture's snapshots as they are: the pipeline publishes them, nothing rescored.
    app.start_core(shutdown.clone()).await;
    let state = AppState::new(app);
    tokio::spawn(web::serve(listener, state.clone(), shutdown.clone()));

    let client = reqwest::Client::new();
    let body = client
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let series = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .count();

    let renders = 2000;
    let started = Instant::now();
    for _ in 0..renders {
        std::hint::black_box(state.metrics.encode());
    }
    let render = started.elapsed() / renders;

    let duration = Duration::from_secs(seconds);
    let load = match wrk(&url, duration) {
        Some(load) => load,
        None => load_loop(&client, &url, duration).await,
    };
    shutdown.cancel();

    println!("/metrics, {TEAMS} teams, {REPOS} repositories, {CONNECTIONS} connections, {seconds} s ({})", load.tool);
    println!("| figure | value |");
    println!("|---|---|");
    println!("| requests/s | {:.0} |", load.requests_per_second);
    println!(
        "| p99 latency | {:.2} ms |",
        load.p99.as_secs_f64() * 1000.0
    );
    println!("| body size | {} bytes ({series} samples) |", body.len());
    println!(
        "| render of one scrape | {:.1} µs |",
        render.as_secs_f64() * 1e6
    );
}

/// Runs `wrk`, or `None` when it is not installed.
fn wrk(url: &str, duration: Duration) -> Option<Load> {
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{CONNECTIONS}")])
        .arg(format!("-d{}s", duration.as_secs()))
        .args(["--latency", url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    let field = |prefix: &str| -> &str {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in wrk's output: {text}"))
            .trim()
    };
    Some(Load {
        tool: "wrk",
        requests_per_second: field("Requests/sec:").parse().expect("requests/s"),
        p99: parse_wrk_duration(field("99%")),
    })
}

/// `wrk` durations: `850.00us`, `1.23ms`, `2.00s`.
fn parse_wrk_duration(text: &str) -> Duration {
    let split = text.find(|c: char| c.is_alphabetic()).unwrap_or(text.len());
    let (value, unit) = text.split_at(split);
    let value: f64 = value.parse().expect("wrk duration");
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        other => panic!("wrk duration unit {other}"),
    };
    Duration::from_secs_f64(seconds)
}

/// The in-repo load generator: `CONNECTIONS` tasks scraping in a loop until `duration` is over.
async fn load_loop(client: &reqwest::Client, url: &str, duration: Duration) -> Load {
    let end = Instant::now() + duration;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_string());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < end {
                    let started = Instant::now();
                    let response = client.get(&url).send().await.expect("scrape");
                    response.bytes().await.expect("body");
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("load task"));
    }
    latencies.sort();
    Load {
        tool: "in-repo load loop",
        requests_per_second: latencies.len() as f64 / duration.as_secs_f64(),
        p99: latencies[latencies.len() * 99 / 100],
    }
}
