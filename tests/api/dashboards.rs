//! The Grafana dashboards of `dashboards/`: valid JSON, unique panel ids, the `datasource` and
//! `team` variables, the seed panels, and every metric of DESIGN §8 on some panel.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Every metric name of DESIGN §8, as scraped.
pub const METRICS: [&str; 20] = [
    "dxs_score",
    "dxs_score_component",
    "dxs_score_driver",
    "dxs_score_coverage_ratio",
    "deployment_lead_time_minutes",
    "developer_first_commit_time_hours",
    "platform_requests_total",
    "platform_requests_success_total",
    "dxs_self_service_success_ratio",
    "dxs_platform_adoption_ratio",
    "dxs_survey_responses_total",
    "dxs_survey_nps",
    "dxs_deployments_total",
    "dxs_platform_namespaces",
    "dxs_collector_runs_total",
    "dxs_collector_last_success_timestamp_seconds",
    "dxs_collector_warnings_total",
    "dxs_github_rate_limit_remaining",
    "dxs_http_requests_total",
    "dxs_http_request_duration_seconds",
];

/// A file of the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// One panel query: dashboard file, panel title, PromQL.
pub struct PanelExpr {
    pub file: String,
    pub panel: String,
    pub expr: String,
}

/// The dashboards: file name and parsed JSON, sorted by name.
pub fn dashboards() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_path("dashboards"))
        .expect("dashboards/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let json = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"));
            (name, json)
        })
        .collect()
}

/// Every panel of a dashboard, those inside rows included.
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        out.push(panel);
        if let Some(inner) = panel["panels"].as_array() {
            out.extend(inner);
        }
    }
    out
}

/// The query of every target of every panel of every dashboard.
pub fn panel_exprs() -> Vec<PanelExpr> {
    let mut out = Vec::new();
    for (file, dashboard) in dashboards() {
        for panel in panels(&dashboard) {
            for target in panel["targets"].as_array().into_iter().flatten() {
                out.push(PanelExpr {
                    file: file.clone(),
                    panel: panel["title"].as_str().unwrap_or_default().to_string(),
                    expr: target["expr"].as_str().expect("target has an expr").into(),
                });
            }
        }
    }
    out
}

#[test]
fn five_dashboards_with_unique_panel_ids_and_the_two_variables() {
    let boards = dashboards();
    let titles: Vec<&str> = boards
        .iter()
        .map(|(_, d)| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Collector health",
            "Delivery",
            "Developer Experience",
            "Onboarding & self-service",
            "Platform Engineering Metrics"
        ]
    );
    let mut uids = BTreeSet::new();
    for (file, d) in &boards {
        assert!(
            uids.insert(d["uid"].as_str().unwrap()),
            "{file}: uid unique"
        );
        assert!(
            d["schemaVersion"].as_i64().unwrap() >= 39,
            "{file}: current schema"
        );
        let vars = d["templating"]["list"].as_array().unwrap();
        let var = |name: &str| {
            vars.iter()
                .find(|v| v["name"] == name)
                .unwrap_or_else(|| panic!("{file}: no {name} variable"))
        };
        assert_eq!(var("datasource")["type"], "datasource", "{file}");
        assert_eq!(var("datasource")["query"], "prometheus", "{file}");
        assert_eq!(
            var("team")["query"]["query"],
            "label_values(dxs_score_coverage_ratio, team)",
            "{file}"
        );
        assert_eq!(var("team")["datasource"]["uid"], "${datasource}", "{file}");

        let mut ids = BTreeSet::new();
        for panel in panels(d) {
            let id = panel["id"].as_i64().unwrap();
            assert!(ids.insert(id), "{file}: panel id {id} twice");
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "{file}: {panel}"
            );
            let targets = panel["targets"].as_array().unwrap();
            assert!(!targets.is_empty(), "{file}: a panel without a query");
            for target in targets {
                assert_eq!(target["datasource"]["uid"], "${datasource}", "{file}");
            }
            let grid = &panel["gridPos"];
            let right = grid["x"].as_i64().unwrap() + grid["w"].as_i64().unwrap();
            assert!(right <= 24, "{file}: panel {id} wider than the grid");
        }
    }
}

#[test]
fn the_seed_panels_of_the_platform_team_are_there() {
    let boards = dashboards();
    let (_, onboarding) = boards
        .iter()
        .find(|(f, _)| f == "onboarding-self-service.json")
        .expect("onboarding dashboard");
    let seed = [
        (
            "stat",
            "Onboarding time",
            "developer_first_commit_time_hours",
        ),
        (
            "gauge",
            "Self-service success rate",
            "dxs_self_service_success_ratio",
        ),
        ("stat", "Time to production", "deployment_lead_time_minutes"),
        ("timeseries", "Adoption", "dxs_platform_adoption_ratio"),
    ];
    for (kind, title, metric) in seed {
        let panel = panels(onboarding)
            .into_iter()
            .find(|p| p["title"] == title)
            .unwrap_or_else(|| panic!("no seed panel {title}"));
        assert_eq!(panel["type"], kind, "{title}");
        let expr = panel["targets"][0]["expr"].as_str().unwrap();
        assert!(expr.contains(metric), "{title}: {expr}");
    }
}

#[test]
fn the_platform_teams_own_dashboard_has_its_four_panels() {
    let boards = dashboards();
    let (_, board) = boards
        .iter()
        .find(|(f, _)| f == "platform-metrics.json")
        .expect("platform-metrics.json");
    let shape: Vec<(&str, &str)> = panels(board)
        .iter()
        .map(|p| (p["type"].as_str().unwrap(), p["title"].as_str().unwrap()))
        .collect();
    assert_eq!(
        shape,
        [
            ("stat", "Developer Onboarding Time"),
            ("gauge", "Self-Service Success Rate"),
            ("stat", "Time to Production"),
            ("graph", "Platform Adoption"),
        ]
    );
}

/// Families that carry a `team` label, where `team="all"` is the organisation.
const TEAM_FAMILIES: [&str; 13] = [
    "dxs_score",
    "deployment_lead_time_minutes",
    "developer_first_commit_time_hours",
    "platform_requests_total",
    "platform_requests_success_total",
    "dxs_self_service_success_ratio",
    "dxs_platform_adoption_ratio",
    "dxs_survey_nps",
    "dxs_deployments_total",
    "dxs_platform_namespaces",
    "dxs_score_component",
    "dxs_score_driver",
    "dxs_score_coverage_ratio",
];

/// The label matchers of every selector of `metric` in `expr`: `None` for a bare selector.
fn selectors<'e>(expr: &'e str, metric: &str) -> Vec<Option<&'e str>> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find(metric) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + metric.len()..];
        rest = after;
        let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if before.is_some_and(is_name) || after.chars().next().is_some_and(is_name) {
            continue; // a longer name, e.g. platform_requests_success_total for platform_requests
        }
        out.push(
            after
                .strip_prefix('{')
                .and_then(|m| m.split_once('}'))
                .map(|(m, _)| m),
        );
    }
    out
}

/// The organisation is the `team="all"` series of each family: an aggregation over a family
/// that does not choose (`team="…"`, `team!="all"` or `team=~…`) would add the organisation to
/// its own teams, and one over the lead time that does not choose a `stat` would average the
/// median with the p90. Every shipped query chooses.
#[test]
fn no_panel_mixes_the_organisation_with_its_teams_or_the_median_with_the_p90() {
    let mut mixing = Vec::new();
    for e in panel_exprs() {
        for metric in TEAM_FAMILIES {
            for matchers in selectors(&e.expr, metric) {
                let m = matchers.unwrap_or_default();
                let team = m.contains("team=") || m.contains("team!=") || m.contains("team=~");
                let stat = metric != "deployment_lead_time_minutes" || m.contains("stat=");
                if !(team && stat) {
                    mixing.push(format!("{} / {}: {}", e.file, e.panel, e.expr));
                }
            }
        }
    }
    assert!(mixing.is_empty(), "queries that mix: {mixing:#?}");
    // The lint itself: the platform team's original queries are caught.
    let caught = |expr: &str, metric: &str| selectors(expr, metric) == [None];
    assert!(caught(
        "avg(developer_first_commit_time_hours)",
        "developer_first_commit_time_hours"
    ));
    assert!(caught(
        "avg(deployment_lead_time_minutes)",
        "deployment_lead_time_minutes"
    ));
    assert_eq!(
        selectors(
            "rate(platform_requests_success_total[1d])",
            "platform_requests_total"
        ),
        []
    );
}

#[test]
fn every_metric_of_the_contract_is_on_a_dashboard() {
    let exprs = panel_exprs();
    for metric in METRICS {
        assert!(
            exprs.iter().any(|e| e.expr.contains(metric)),
            "no panel shows {metric}"
        );
    }
}
