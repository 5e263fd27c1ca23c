//! A real Prometheus (Debian package `prometheus`) scrapes dxs on loopback every second; then
//! every query of every dashboard panel runs through Prometheus's query API and must return
//! data. A renamed metric, label or dashboard query breaks this test.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::dashboards::panel_exprs;
use crate::helpers::{config, TestApp, TestDb};
use crate::metrics_fixture::{write_runs, write_snapshots};
use crate::promtool::prometheus_tool;

/// Prometheus on `127.0.0.1:<free port>` with its data in a temporary directory, killed when
/// dropped.
struct PrometheusProcess {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl PrometheusProcess {
    /// Starts Prometheus scraping `target` (`host:port`) every second.
    fn start(target: &str) -> PrometheusProcess {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: dxs\n    static_configs:\n      - targets: ['{target}']\n"
        );
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = prometheus_tool("prometheus")
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        PrometheusProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// The result vector of the instant query `expr`.
    async fn query(&self, expr: &str) -> Vec<Value> {
        let response: Value = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", expr)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("query {expr}: {e}"))
            .json()
            .await
            .unwrap();
        assert_eq!(response["status"], "success", "{expr}: {response}");
        response["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until Prometheus answers and has scraped dxs successfully `scrapes` times.
    async fn wait_for_scrapes(&self, scrapes: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let wanted = format!("sum_over_time(up{{job=\"dxs\"}}[1m]) >= {scrapes}");
        loop {
            let ready = reqwest::get(format!("{}/-/ready", self.url)).await;
            if ready.is_ok_and(|r| r.status() == 200) && !self.query(&wanted).await.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus did not scrape dxs {scrapes} times within 20 s (see prometheus.log)"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for PrometheusProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A panel query as Grafana would send it for `team`.
fn as_grafana_sends(expr: &str, team: &str) -> String {
    expr.replace("${team}", team)
        .replace("$team", team)
        .replace("$__rate_interval", "1m")
        .replace("$__range", "1h")
        .replace("$__interval", "15s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_returns_data_from_a_real_prometheus() {
    let db = TestDb::sqlite().await;
    let today = chrono::Utc::now().date_naive();
    dxs::demo::fill(&db.store, dxs::demo::DEFAULT_SEED, today)
        .await
        .unwrap();
    write_runs(&db.store).await;
    let teams = db.store.team_names().await.unwrap();
    write_snapshots(&db.store, &teams).await;
    let app = TestApp::spawn(config(&[]), db.store.clone()).await;
    app.state.metrics.set_github_rate_limit(4321);
    reqwest::get(app.url("/healthz")).await.unwrap();

    let prometheus = PrometheusProcess::start(app.address.trim_start_matches("http://"));
    prometheus.wait_for_scrapes(3).await;

    // The team variable: label_values(dxs_score, team).
    let team_values: Vec<String> = prometheus
        .query("count by (team) (dxs_score)")
        .await
        .iter()
        .map(|s| s["metric"]["team"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(team_values.len(), teams.len() + 1, "{team_values:?}");
    assert!(team_values.iter().any(|t| t == "all"));

    let exprs = panel_exprs();
    assert!(exprs.len() >= 30, "{} panel queries", exprs.len());
    let mut empty = Vec::new();
    for e in &exprs {
        for team in ["all", teams[0].as_str()] {
            let query = as_grafana_sends(&e.expr, team);
            assert!(!query.contains('$'), "unknown variable in {query}");
            if prometheus.query(&query).await.is_empty() {
                empty.push(format!("{} / {}: {query}", e.file, e.panel));
            }
        }
    }
    assert!(empty.is_empty(), "panels without data: {empty:#?}");
    drop(app);
    db.cleanup().await;
}
