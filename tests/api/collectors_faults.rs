//! Collectors under faults: transient 5xx, a timeout and rate limits are waited out; an upstream
//! that stays down fails its source only. Also `dxs collect` itself, and the collector lock.

use std::time::Duration;

use dxs::collectors::{scheduler, HttpClient, Outcome, Source};

use crate::collectors::{assert_all_succeeded, assert_scenario, failed, failed_with, summary, Env};
use crate::helpers::{dxs_bin, get_text, TestDb};
use crate::stub::Fault;

#[tokio::test]
async fn transient_502s_a_timeout_and_rate_limits_are_retried_and_the_run_completes() {
    for db in TestDb::all().await {
        let env = Env::start(&[("DXS_COLLECT__REQUEST_TIMEOUT_MS", "250")]).await;
        let stub = &env.stub;
        stub.fault("/gh/orgs/acme/repos?", Fault::Status(502));
        stub.fault("/gh/orgs/acme/repos?", Fault::Status(502));
        stub.fault(
            "/gh/repos/acme/web/deployments?",
            Fault::Delay(Duration::from_millis(600)),
        );
        stub.fault("/statuses", Fault::RateLimit);
        stub.fault("/gh/orgs/acme/teams?", Fault::SecondaryForbidden);
        stub.fault("/argo/api/v1/applications", Fault::Secondary);
        stub.fault("/bs/api/scaffolder/v2/tasks", Fault::Status(503));

        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        assert_scenario(&db.store).await;

        let hits = stub.hits();
        let statuses = |prefix: &str| -> Vec<u16> {
            hits.iter()
                .filter(|h| h.path.starts_with(prefix) && !h.path.contains("page=2"))
                .map(|h| h.status)
                .collect()
        };
        assert_eq!(statuses("/gh/orgs/acme/repos?"), vec![502, 502, 200]);
        assert_eq!(statuses("/gh/orgs/acme/teams?"), vec![403, 200]);
        assert_eq!(statuses("/argo/api/v1/applications"), vec![429, 200]);
        assert_eq!(statuses("/bs/api/scaffolder/v2/tasks"), vec![503, 200]);
        assert_eq!(
            statuses("/gh/repos/acme/api/deployments/103/statuses"),
            vec![403, 200],
            "statuses are read newest deployment first; the first one met the rate limit"
        );
        // The late answer was abandoned at the timeout (0: no answer) and asked again.
        assert_eq!(statuses("/gh/repos/acme/web/deployments?"), vec![0, 200]);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_upstream_that_stays_down_fails_its_source_only_and_keeps_its_cursor() {
    for db in TestDb::all().await {
        let env = Env::start(&[("DXS_COLLECT__MAX_RETRIES", "2")]).await;
        env.stub.down("/argo/");
        let summaries = env.collect(&db.store).await;
        let outcome = |s: Source| summary(&summaries, s).outcome;
        assert_eq!(outcome(Source::Github), Outcome::Success);
        assert_eq!(outcome(Source::Orchestrator), Outcome::Success);
        let argocd = summary(&summaries, Source::Argocd);
        let error = failed(argocd);
        assert!(
            error.contains("HTTP 502") && error.contains("3 tries"),
            "{error}"
        );
        assert_eq!(argocd.items, 0);
        let argocd_hits = env
            .stub
            .hits()
            .iter()
            .filter(|h| h.path.starts_with("/argo/"))
            .count();
        assert_eq!(argocd_hits, 3, "one try and two retries");

        // Nothing of ArgoCD written: no cursor, no deployment; the others committed.
        for app in ["app:argocd/api", "app:argocd/infra"] {
            assert_eq!(db.store.cursor("argocd", app).await.unwrap(), None);
        }
        let counts = db.store.counts().await.unwrap();
        assert_eq!(counts.deployments, 4, "GitHub's four");
        assert_eq!(counts.requests, 5);

        // The run is recorded as an error: `dxs_collector_runs_total{source="argocd",
        // outcome="error"}` counts these rows.
        let runs = db.store.recent_runs(10).await.unwrap();
        let argocd_run = runs.iter().find(|r| r.source == "argocd").unwrap();
        assert_eq!(argocd_run.outcome, "error");
        assert!(argocd_run.error.as_deref().unwrap().contains("HTTP 502"));
        assert!(runs
            .iter()
            .filter(|r| r.source != "argocd")
            .all(|r| r.outcome == "success"));

        // ... and /metrics counts them, from the store, as a server starting now would.
        let app = crate::helpers::TestApp::spawn(env.config.clone(), db.store.clone()).await;
        let scrape = get_text(app.url("/metrics")).await;
        let sample = |source: &str, outcome: &str| {
            scrape
                .lines()
                .find(|l| {
                    l.starts_with("dxs_collector_runs_total{")
                        && l.contains(&format!("source=\"{source}\""))
                        && l.contains(&format!("outcome=\"{outcome}\""))
                })
                .map(|l| l.rsplit(' ').next().unwrap().to_string())
        };
        assert_eq!(sample("argocd", "error").as_deref(), Some("1"), "{scrape}");
        assert_eq!(sample("github", "success").as_deref(), Some("1"));
        assert_eq!(
            sample("argocd", "success").as_deref(),
            Some("0"),
            "there from the start"
        );
        drop(app);
        db.cleanup().await;
    }
}

/// Runs `dxs collect ARGS` against the stub of `env` (stderr is a pipe, so progress comes as
/// plain lines); returns the exit code and stderr.
async fn dxs_collect(env: &Env, args: &[&str], extra: &[(&str, &str)]) -> (Option<i32>, String) {
    let roster = env.dir.path().join("roster.csv");
    let db = env.dir.path().join("dxs.db");
    let mut cmd = dxs_bin();
    cmd.arg("collect")
        .args(args)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .current_dir(env.dir.path());
    for (k, v) in Env::vars(&env.stub, &roster.display().to_string()) {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr)
}

#[tokio::test]
async fn dxs_collect_shows_progress_and_a_summary_and_exits_non_zero_when_a_source_failed() {
    let env = Env::start(&[]).await;
    env.stub.down("/argo/");
    let (code, stderr) = dxs_collect(&env, &[], &[("DXS_COLLECT__MAX_RETRIES", "1")]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("dxs: collect github: ") && stderr.contains("rate limit 4990 left"),
        "{stderr}"
    );
    assert!(stderr.contains("dxs: collect argocd: error ("), "{stderr}");
    assert!(
        stderr.contains("dxs: collect orchestrator: success ("),
        "{stderr}"
    );
    assert!(
        stderr.contains("dxs: collect done: 2/3 sources succeeded"),
        "{stderr}"
    );
    assert!(stderr.contains("warning: roster"), "{stderr}");

    // One source only: the others are not asked.
    env.stub.reset_hits();
    let (code, stderr) = dxs_collect(&env, &["--source", "orchestrator"], &[]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("dxs: collect done: 1/1 sources succeeded"),
        "{stderr}"
    );
    assert!(env.stub.hits().iter().all(|h| h.path.starts_with("/bs/")));
}

/// `(pages, requests)` of a line `dxs: collect SOURCE: [success (]P pages, R requests, …`.
fn pages_and_requests(line: &str) -> (u64, u64) {
    let figures = line.split_once(": ").unwrap().1.split_once(": ").unwrap().1;
    let figures = figures.trim_start_matches("success (");
    let mut numbers = figures
        .split(", ")
        .map(|part| part.split(' ').next().unwrap().parse::<u64>().unwrap());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

#[tokio::test]
async fn dxs_collect_off_a_terminal_prints_plain_lines_of_pages_requests_and_the_rate_limit_wait() {
    let env = Env::start(&[]).await;
    env.stub
        .fault("/gh/search/commits?q=author%3Aada+", Fault::RateLimitFor(2));
    let (code, stderr) = dxs_collect(&env, &["--source", "github"], &[]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let github: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("dxs: collect github: "))
        .collect();
    // Progress lines start with the figures; the others are the wait, warnings and summary.
    let (progress, rest): (Vec<&str>, Vec<&str>) = github.into_iter().partition(|l| {
        let figures = l.trim_start_matches("dxs: collect github: ");
        figures.starts_with(|c: char| c.is_ascii_digit()) && !l.contains("waiting")
    });
    // A line per written batch, figures growing, the rate limit left once GitHub said it.
    assert!(progress.len() >= 3, "{stderr}");
    let figures: Vec<(u64, u64)> = progress.iter().map(|l| pages_and_requests(l)).collect();
    assert!(figures.windows(2).all(|w| w[0] <= w[1]), "{figures:?}");
    assert!(
        progress.last().unwrap().ends_with(", rate limit 4990 left"),
        "{stderr}"
    );
    // The wait, with the figures at that moment.
    let waits: Vec<&&str> = rest.iter().filter(|l| l.contains("waiting")).collect();
    assert_eq!(waits.len(), 1, "{stderr}");
    assert!(
        waits[0].contains(" s for the rate limit (until ") && waits[0].ends_with(" UTC)"),
        "{stderr}"
    );
    // The summary counts every request GitHub saw, and the last page lines stay within it.
    let summary = rest.iter().find(|l| l.contains("success (")).unwrap();
    let (pages, requests) = pages_and_requests(summary);
    let seen = env
        .stub
        .hits()
        .iter()
        .filter(|h| h.path.starts_with("/gh/"))
        .count();
    assert_eq!(requests, seen as u64, "{stderr}");
    let (last_pages, last_requests) = *figures.last().unwrap();
    assert!(last_pages <= pages && last_requests <= requests, "{stderr}");
    assert!(pages > 10, "{stderr}");
}

#[tokio::test]
async fn a_plain_forbidden_answer_is_not_retried() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[]).await;
    env.stub.fault("/argo/", Fault::Status(403));
    let summaries = env.collect(&db.store).await;
    assert!(failed_with(&summaries, Source::Argocd).ends_with("HTTP 403"));
    let tries = env
        .stub
        .hits()
        .iter()
        .filter(|h| h.path.starts_with("/argo/"))
        .count();
    assert_eq!(tries, 1);
    db.cleanup().await;
}

#[tokio::test]
async fn a_rate_limit_resetting_later_than_max_wait_fails_the_source_at_once() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[("DXS_COLLECT__MAX_WAIT_SECS", "60")]).await;
    env.stub
        .fault("/gh/orgs/acme/repos?", Fault::RateLimitFor(3600));
    let summaries = env.collect(&db.store).await;
    let error = failed_with(&summaries, Source::Github);
    assert!(error.contains("rate limit exhausted for 3"), "{error}");
    assert_eq!(
        summary(&summaries, Source::Github)
            .stats
            .rate_limit_remaining,
        Some(0)
    );
    assert_eq!(db.store.cursor("github", "teams").await.unwrap(), None);
    db.cleanup().await;
}

#[tokio::test]
#[cfg_attr(not(dxs_postgres), ignore = "needs PostgreSQL: set TEST_DATABASE_URL")]
async fn only_the_holder_of_the_collector_lock_collects() {
    let db = TestDb::postgres()
        .await
        .expect("TEST_DATABASE_URL names a PostgreSQL server");
    let env = Env::start(&[]).await;
    let held = db.store.try_collector_lock().await.unwrap().expect("free");
    assert!(db.store.try_collector_lock().await.unwrap().is_none());
    let http = HttpClient::new(&env.config.collect, db.store.clone()).unwrap();
    let skipped = scheduler::collect_if_leader(&env.config, &db.store, &http)
        .await
        .unwrap();
    assert!(skipped.is_none());
    assert!(
        env.stub.hits().is_empty(),
        "the other replica asked nothing"
    );
    held.release().await;
    let summaries = scheduler::collect_if_leader(&env.config, &db.store, &http)
        .await
        .unwrap()
        .expect("the lock is free again");
    assert_all_succeeded(&summaries);
    assert_scenario(&db.store).await;
    db.cleanup().await;
}

#[tokio::test]
async fn dxs_collect_with_nothing_configured_names_each_source_and_exits_2_at_once() {
    // Only GitHub's API URL points at the stub (an URL is not a configuration: the org is);
    // nothing else is set, no config file.
    let stub = crate::stub::Stub::start(crate::scenario::Scenario::standard()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("dxs.db").display());
    for args in [vec![], vec!["--source", "argocd"]] {
        let mut cmd = dxs_bin();
        cmd.env_clear()
            .arg("collect")
            .args(&args)
            .args(["--database-url", &db])
            .env("DXS_GITHUB__API_URL", format!("{}/gh", stub.base()))
            .env("GITHUB_TOKEN", "gh-test-token")
            .current_dir(dir.path());
        let started = std::time::Instant::now();
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let skipped: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains(": not configured, skipped: set "))
            .collect();
        let expected = match args.is_empty() {
            true => vec!["orchestrator", "github", "argocd"],
            false => vec!["argocd"],
        };
        let named: Vec<&str> = skipped
            .iter()
            .map(|l| l.trim_start_matches("dxs: ").split(':').next().unwrap())
            .collect();
        assert_eq!(named, expected, "{stderr}");
        assert!(
            stderr.contains("dxs: config: github.org, argocd.url, orchestrator.url: "),
            "{stderr}"
        );
        assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
        assert!(stub.hits().is_empty(), "{:?}", stub.hits());
    }
}
