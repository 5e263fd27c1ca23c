//! A real Prometheus (Debian package `prometheus`) scrapes dxs on loopback every second; then
//! every query of every dashboard panel runs through Prometheus's query API and must return
//! data. A renamed metric, label or dashboard query breaks this test.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::dashboards::panel_exprs;
use crate::helpers::ServeProcess;
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

/// The admin token of the demo server (32 characters or more).
const TOKEN: &str = "prometheus-test-admin-token-0123456789";

/// `dxs serve --demo` as a new user starts it, with nothing written by the test: every panel of
/// every dashboard, for the organisation and for a team, answers with data, and the platform
/// team's Onboarding Time and Time to Production panels equal the organisation's figures of
/// `/api/v1/score`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_returns_data_from_a_real_prometheus_on_serve_demo() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
    let dxs = ServeProcess::start(&url, &["--demo"], &[("DXS_ADMIN_TOKEN", TOKEN)]);
    let score: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/score", dxs.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let teams: Vec<String> = score["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap().to_string())
        .collect();

    let prometheus = PrometheusProcess::start(dxs.address.trim_start_matches("http://"));
    prometheus.wait_for_scrapes(3).await;

    // The team variable: label_values(dxs_score_coverage_ratio, team), which lists a partial
    // team too (it has no dxs_score sample).
    let team_values: Vec<String> = prometheus
        .query("count by (team) (dxs_score_coverage_ratio)")
        .await
        .iter()
        .map(|s| s["metric"]["team"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(team_values.len(), teams.len() + 1, "{team_values:?}");
    assert!(team_values.iter().any(|t| t == "all"));

    let exprs = panel_exprs();
    assert!(exprs.len() >= 34, "{} panel queries", exprs.len());
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

    // The platform team's panels show the organisation's own figures.
    let panel = |title: &str| {
        let e = exprs
            .iter()
            .find(|e| e.file == "platform-metrics.json" && e.panel == title)
            .unwrap_or_else(|| panic!("no panel {title}"));
        as_grafana_sends(&e.expr, "all")
    };
    let value = |result: Vec<Value>| -> f64 {
        assert_eq!(result.len(), 1, "{result:?}");
        result[0]["value"][1].as_str().unwrap().parse().unwrap()
    };
    let onboarding = value(prometheus.query(&panel("Developer Onboarding Time")).await);
    let api_onboarding = score["org"]["onboarding_hours"]["median"].as_f64().unwrap();
    assert!(
        (onboarding - api_onboarding).abs() <= 0.01 * api_onboarding,
        "onboarding panel {onboarding} h, API {api_onboarding} h"
    );
    let lead = value(prometheus.query(&panel("Time to Production")).await);
    let api_lead = score["org"]["lead_time_hours"]["median"].as_f64().unwrap() * 60.0;
    assert!(
        (lead - api_lead).abs() <= 0.01 * api_lead,
        "time to production panel {lead} min, API {api_lead} min"
    );
    let managed = value(prometheus.query(&panel("Platform Adoption")).await);
    assert!(managed >= 1.0, "{managed} managed namespaces");
}
