//! `promtool` (Debian package `prometheus`) on a scrape of the real `dxs serve --demo`, on the
//! rule file with its unit tests, and on the Prometheus configuration of docker-compose.yml.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::dashboards::{repo_path, METRICS};
use crate::helpers::{get_text, ServeProcess};

/// A tool of the Debian `prometheus` package, or a failure that names the package.
pub fn prometheus_tool(name: &str) -> Command {
    let path = format!("/usr/bin/{name}");
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: install the Debian package `prometheus` (apt-get install prometheus)"
    );
    Command::new(path)
}

/// The findings of promtool that DESIGN §8 names as false positives of its old parser: a
/// counter `x` with HELP read as `x_total` without, and the non-base-unit names the contract
/// keeps (the two of the platform team's dashboard).
fn is_known_false_positive(finding: &str, scrape: &str) -> bool {
    if let Some(counter) = finding
        .strip_suffix("_total no help text")
        .filter(|x| !x.contains(' '))
    {
        return scrape.contains(&format!("# HELP {counter} "))
            && scrape.contains(&format!("# TYPE {counter} counter\n"));
    }
    matches!(
        finding,
        r#"deployment_lead_time_minutes use base unit "seconds" instead of "minutes""#
            | r#"developer_first_commit_time_hours use base unit "seconds" instead of "hours""#
    )
}

#[tokio::test]
async fn promtool_check_metrics_passes_on_a_scrape_of_dxs_serve_demo() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
    // The demo alone: its runs, namespaces and scores, nothing written by the test.
    let dxs = ServeProcess::start(&url, &["--demo"], &[] as &[(&str, &str)]);
    reqwest::get(format!("{}/healthz", dxs.address))
        .await
        .unwrap();
    let scrape = get_text(format!("{}/metrics", dxs.address)).await;
    for metric in METRICS {
        assert!(
            scrape.contains(&format!("\n{metric}")),
            "{metric} missing from the scrape"
        );
    }

    let mut promtool = prometheus_tool("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    let findings =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(3)),
        "promtool could not read the scrape ({code:?}): {findings}"
    );
    let real: Vec<&str> = findings
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !is_known_false_positive(l, &scrape))
        .collect();
    assert!(real.is_empty(), "promtool check metrics: {real:#?}");
}

#[test]
fn the_false_positive_filter_lets_every_other_finding_through() {
    let scrape = "# HELP dxs_deployments Deployments.\n# TYPE dxs_deployments counter\n";
    assert!(is_known_false_positive(
        "dxs_deployments_total no help text",
        scrape
    ));
    assert!(!is_known_false_positive("other_total no help text", scrape));
    assert!(!is_known_false_positive(
        "dxs_deployments no help text",
        scrape
    ));
    assert!(!is_known_false_positive(
        r#"dxs_latency_minutes use base unit "seconds" instead of "minutes""#,
        scrape
    ));
    assert!(is_known_false_positive(
        r#"developer_first_commit_time_hours use base unit "seconds" instead of "hours""#,
        scrape
    ));
}

#[test]
fn promtool_checks_and_unit_tests_the_rules_and_the_prometheus_config() {
    let dashboards = repo_path("dashboards");
    // promtool opens the scrape's credentials file: check a copy that names a real one (the
    // compose secret exists only in the container).
    let checked = tempfile::tempdir().unwrap();
    let token = checked.path().join("dxs_metrics_token");
    std::fs::write(&token, "scrape-token").unwrap();
    std::fs::copy(
        dashboards.join("alerts.yml"),
        checked.path().join("alerts.yml"),
    )
    .unwrap();
    let config = std::fs::read_to_string(dashboards.join("prometheus.yml")).unwrap();
    assert!(config.contains("/run/secrets/dxs_metrics_token"));
    std::fs::write(
        checked.path().join("prometheus.yml"),
        config.replace("/run/secrets/dxs_metrics_token", token.to_str().unwrap()),
    )
    .unwrap();
    for (args, dir) in [
        (["check", "rules", "alerts.yml"], dashboards.as_path()),
        (["test", "rules", "alerts.test.yml"], dashboards.as_path()),
        (["check", "config", "prometheus.yml"], checked.path()),
    ] {
        let out = prometheus_tool("promtool")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
