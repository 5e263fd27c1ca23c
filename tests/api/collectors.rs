//! Collectors against the local stub of GitHub, ArgoCD and Backstage: the figures of the
//! scenario computed by hand, idempotence, incremental runs and crash recovery.
//! (Faults and the CLI are in `collectors_faults.rs`.)

use std::sync::Arc;

use dxs::collectors::{self, HttpClient, Outcome, Source, SourceSummary};
use dxs::config::Config;
use dxs::model::{Change, RequestStatus, SelfServiceRequest};
use dxs::store::{Onboarding, Store, TableCounts};
use tokio::sync::Notify;

use crate::helpers::{config_file, TestDb};
use crate::scenario::{sha, Scenario, ROSTER};
use crate::stub::{Fault, Stub};

/// A stub and a configuration pointing at it (with the roster file).
pub struct Env {
    /// The stub server.
    pub stub: Stub,
    /// The configuration.
    pub config: Config,
    /// The roster's directory.
    pub dir: tempfile::TempDir,
}

impl Env {
    /// The standard scenario with `extra` config overrides.
    pub async fn start(extra: &[(&str, &str)]) -> Env {
        Env::serve(Scenario::standard(), "", extra).await
    }

    /// `scenario` with `extra` config overrides.
    pub async fn with_scenario(scenario: Scenario, extra: &[(&str, &str)]) -> Env {
        Env::serve(scenario, "", extra).await
    }

    /// `scenario` served by the stub, with the configuration file `toml` and `extra` overrides.
    pub async fn serve(scenario: Scenario, toml: &str, extra: &[(&str, &str)]) -> Env {
        Env::with_stub(Stub::start(scenario).await, toml, extra)
    }

    /// A configuration pointing at `stub`: the file `toml` and `extra` overrides.
    pub fn with_stub(stub: Stub, toml: &str, extra: &[(&str, &str)]) -> Env {
        crate::helpers::init_tracing();
        let dir = tempfile::tempdir().unwrap();
        let roster = dir.path().join("roster.csv");
        std::fs::write(&roster, ROSTER).unwrap();
        let vars = Env::vars(&stub, &roster.display().to_string());
        let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(extra);
        Env {
            config: config_file(toml, &all),
            stub,
            dir,
        }
    }

    /// The `DXS_*` variables (and tokens) that point dxs at `stub`.
    pub fn vars(stub: &Stub, roster: &str) -> Vec<(&'static str, String)> {
        vec![
            ("DXS_GITHUB__API_URL", format!("{}/gh", stub.base())),
            ("DXS_GITHUB__ORG", "acme".into()),
            ("DXS_ARGOCD__URL", format!("{}/argo", stub.base())),
            ("DXS_ORCHESTRATOR__URL", format!("{}/bs", stub.base())),
            ("DXS_ROSTER__FILE", roster.to_string()),
            ("DXS_COLLECT__RETRY_BASE_MS", "1".into()),
            ("DXS_COLLECT__REQUEST_TIMEOUT_MS", "5000".into()),
            // The scenario's developers start in October 2026: inside the window for years.
            ("DXS_SCORE__WINDOW_DAYS", "3660".into()),
            ("GITHUB_TOKEN", "gh-test-token".into()),
            ("ARGOCD_TOKEN", "argo-test-token".into()),
            ("BACKSTAGE_TOKEN", "bs-test-token".into()),
        ]
    }

    /// One collection of every source.
    pub async fn collect(&self, store: &Store) -> Vec<SourceSummary> {
        self.collect_since(store, None).await
    }

    /// One collection of every source from `since` (UNIX seconds) instead of the cursors.
    pub async fn collect_since(&self, store: &Store, since: Option<i64>) -> Vec<SourceSummary> {
        let http = HttpClient::new(&self.config.collect, store.clone()).unwrap();
        collectors::collect(
            &self.config,
            store,
            &http,
            &Source::ALL,
            since,
            Arc::new(collectors::Quiet),
        )
        .await
    }
}

/// Everything the collectors wrote, to compare two stores.
#[derive(Debug, PartialEq)]
pub struct Facts {
    counts: TableCounts,
    changes: Vec<(Option<String>, Change)>,
    requests: Vec<SelfServiceRequest>,
    onboarding: Vec<Onboarding>,
    repositories: Vec<dxs::model::Repository>,
}

/// Reads [`Facts`].
pub async fn facts(store: &Store) -> Facts {
    Facts {
        counts: store.counts().await.unwrap(),
        changes: store.changes_deployed_between(0, i64::MAX).await.unwrap(),
        requests: store.requests().await.unwrap(),
        onboarding: store.onboarding().await.unwrap(),
        repositories: store.repositories().await.unwrap(),
    }
}

/// The summary of `source`'s run among `summaries`.
pub fn summary(summaries: &[SourceSummary], source: Source) -> &SourceSummary {
    summaries
        .iter()
        .find(|s| s.source == source)
        .unwrap_or_else(|| panic!("no run of {}", source.name()))
}

/// The error of `source`'s run, which must have failed.
pub fn failed_with(summaries: &[SourceSummary], source: Source) -> &str {
    failed(summary(summaries, source))
}

/// The error of a run that must have failed.
pub fn failed(summary: &SourceSummary) -> &str {
    assert_eq!(summary.outcome, Outcome::Error, "{summary}");
    summary.error.as_deref().expect("a failed run says why")
}

/// Asserts that every source succeeded.
pub fn assert_all_succeeded(summaries: &[SourceSummary]) {
    for s in summaries {
        assert_eq!(s.outcome, Outcome::Success, "{s}");
    }
}

/// UNIX seconds of an RFC 3339 time.
pub fn at(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp()
}

/// The scenario's figures, computed by hand (times in UTC, October 2026):
///
/// * acme/api: GitHub 101 deploys a1 at 01 13:30 (first known deployment: head only) and 103
///   deploys a4 at 03 12:00 (compare a1...a4 = a2 (bot), a3, a4). ArgoCD history 1 deploys a1 at
///   01 13:20, earlier than GitHub, so a1 counts there: 13:20 − 09:30 = 3 h 50 min = 13,800 s.
///   ArgoCD history 2 (a4 at 03 12:10) follows GitHub 103 at the same SHA: no change.
///   a3: 03 12:00 − 02 08:00 = 28 h = 100,800 s; a4: committed 11:00 → 3,600 s.
/// * acme/web (GitHub only, paginated): 201 deploys w2 at 03 10:00 (head only: 3,600 s),
///   202 failed, 203 deploys w5 at 04 12:00: compare w2...w5 (two pages) = w3 10,800 s,
///   w4 7,200 s, w5 3,600 s.
/// * acme/infra (ArgoCD only): history 5 deploys i1 at 02 10:30 (head: 1,800 s), history 6
///   deploys i2 at 02 12:00 (compare i1...i2 = i2: 3,600 s).
pub async fn assert_scenario(store: &Store) {
    let mut lead: Vec<(String, String, i64, String)> = store
        .changes_deployed_between(0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, c)| {
            let lead = c.lead_time_seconds();
            (c.repo, c.change_id, lead, c.deployment_source)
        })
        .collect();
    lead.sort();
    let mut expected: Vec<(String, String, i64, String)> = [
        ("acme/api", "a1", 13_800, "argocd"),
        ("acme/api", "a3", 100_800, "github"),
        ("acme/api", "a4", 3_600, "github"),
        ("acme/infra", "i1", 1_800, "argocd"),
        ("acme/infra", "i2", 3_600, "argocd"),
        ("acme/web", "w2", 3_600, "github"),
        ("acme/web", "w3", 10_800, "github"),
        ("acme/web", "w4", 7_200, "github"),
        ("acme/web", "w5", 3_600, "github"),
    ]
    .iter()
    .map(|(r, c, l, s)| (r.to_string(), sha(c), *l, s.to_string()))
    .collect();
    expected.sort();
    assert_eq!(lead, expected);
    let mut seconds: Vec<i64> = lead.iter().map(|l| l.2).collect();
    seconds.sort();
    assert_eq!(seconds[seconds.len() / 2], 3_600, "median lead time 1 h");

    // Onboarding: ada starts 01 and first commits a1 at 01 09:30 (9.5 h); bob starts 02, first
    // commit a3 at 02 08:00 (8 h; w1 on 03 is later); cy has no commit: open; eve's roster
    // line is bad (line 5) and not loaded.
    let onboarding: Vec<(String, Option<f64>)> = store
        .onboarding()
        .await
        .unwrap()
        .into_iter()
        .map(|o| {
            let hours = o.first_commit_at.map(|f| (f - o.start_at) as f64 / 3600.0);
            (o.login, hours)
        })
        .collect();
    assert_eq!(
        onboarding,
        vec![
            ("ada".to_string(), Some(9.5)),
            ("bob".to_string(), Some(8.0)),
            ("cy".to_string(), None)
        ]
    );

    // Self-service: t1 and t3 completed, t2 failed, t5 cancelled, t4 still processing:
    // 2 successes / 4 finished = 0.5.
    let requests = store.requests().await.unwrap();
    let finished: Vec<&SelfServiceRequest> = requests
        .iter()
        .filter(|r| r.finished_at.is_some())
        .collect();
    let succeeded = finished
        .iter()
        .filter(|r| r.status == RequestStatus::Succeeded && !r.human_intervention)
        .count();
    assert_eq!((succeeded, finished.len()), (2, 4));
    assert_eq!(succeeded as f64 / finished.len() as f64, 0.5);
    let t1 = requests.iter().find(|r| r.external_id == "t1").unwrap();
    assert_eq!(
        (t1.team.as_str(), t1.kind.as_str(), t1.finished_at),
        (
            "payments",
            "create-service",
            Some(at("2026-10-05T10:05:00Z"))
        )
    );
    let t2 = requests.iter().find(|r| r.external_id == "t2").unwrap();
    assert_eq!(t2.team, "search", "creator bob's roster team");

    // Ownership: the catalog names api's and web's teams (over GitHub's "platform" for api);
    // GitHub team repos are the fallback for infra. Archived acme/old has no owner.
    let owners: Vec<(String, Option<String>, Option<String>, bool)> = store
        .repositories()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.slug, r.team, r.team_source, r.archived))
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        owners,
        vec![
            ("acme/api".into(), some("payments"), some("catalog"), false),
            ("acme/infra".into(), some("platform"), some("github"), false),
            ("acme/old".into(), None, None, true),
            ("acme/web".into(), some("search"), some("catalog"), false),
        ]
    );
    let counts = store.counts().await.unwrap();
    // 4 GitHub production successes (101, 103, 201, 203) + 4 ArgoCD history entries.
    assert_eq!(counts.deployments, 8);
    // a1–a4, w2–w5, i1, i2: bob's w1 was never deployed, and his first commit (a3) is found
    // by one search, not by listing his commits in every repository.
    assert_eq!(counts.commits, 10);
    assert_eq!(counts.developers, 3);
}

#[tokio::test]
async fn scenario_stores_the_lead_times_onboarding_and_self_service_computed_by_hand() {
    for db in TestDb::all().await {
        let env = Env::start(&[]).await;
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        assert_scenario(&db.store).await;
        let github = summary(&summaries, Source::Github);
        assert_eq!(github.stats.rate_limit_remaining, Some(4990));
        // The roster is imported by the first source's run (the catalog), line 5 a warning.
        let first = &summaries[0];
        assert_eq!(first.source, Source::ALL[0]);
        assert!(
            first.warnings.iter().any(|w| w.contains("line 5")),
            "{:?}",
            first.warnings
        );
        let hits = env.stub.hits();
        assert!(
            hits.iter().all(|h| h.bearer),
            "every request carries its token"
        );
        // One search per roster developer (all started inside the window), none listing
        // commits per repository.
        let searches: Vec<&str> = hits
            .iter()
            .filter(|h| h.path.starts_with("/gh/search/commits"))
            .map(|h| h.path.as_str())
            .collect();
        assert_eq!(
            searches,
            [
                "/gh/search/commits?q=author%3Aada+org%3Aacme+committer-date%3A%3E%3D2026-10-01T00%3A00%3A00Z&sort=committer-date&order=asc&per_page=1",
                "/gh/search/commits?q=author%3Abob+org%3Aacme+committer-date%3A%3E%3D2026-10-02T00%3A00%3A00Z&sort=committer-date&order=asc&per_page=1",
                "/gh/search/commits?q=author%3Acy+org%3Aacme+committer-date%3A%3E%3D2026-10-05T00%3A00%3A00Z&sort=committer-date&order=asc&per_page=1",
            ]
        );
        assert!(!hits
            .iter()
            .any(|h| h.path.starts_with("/gh/repos/") && h.path.contains("/commits?")));
        // Pagination was followed: the repository list, web's deployments and its compare.
        for page2 in [
            "/gh/orgs/acme/repos?",
            "/gh/repos/acme/web/deployments?",
            "/gh/repos/acme/web/compare/",
        ] {
            assert!(
                hits.iter()
                    .any(|h| h.path.starts_with(page2) && h.path.contains("page=2")),
                "{page2} page 2 read"
            );
        }
        let runs = db.store.recent_runs(10).await.unwrap();
        assert_eq!(runs.len(), 3);
        assert!(runs.iter().all(|r| r.outcome == "success"));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_second_run_with_nothing_new_writes_nothing_and_spends_one_request_per_repository() {
    for db in TestDb::all().await {
        let env = Env::start(&[]).await;
        assert_all_succeeded(&env.collect(&db.store).await);
        let first = facts(&db.store).await;
        env.stub.reset_hits();
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        assert_eq!(
            facts(&db.store).await,
            first,
            "nothing duplicated or changed"
        );
        assert_eq!(summaries.iter().map(|s| s.items).sum::<u64>(), 0);

        let hits = env.stub.hits();
        for repo in ["acme/api", "acme/web", "acme/infra"] {
            let prefix = format!("/gh/repos/{repo}/");
            let of_repo: Vec<_> = hits
                .iter()
                .filter(|h| h.path.starts_with(&prefix))
                .collect();
            assert_eq!(of_repo.len(), 1, "{repo}: {of_repo:?}");
            assert_eq!(of_repo[0].status, 304);
        }
        // Besides one request per repository: the repository list, the team list, the
        // team's repositories, the one incident search, and one search for cy, whose first
        // commit is still unknown (ada's and bob's were found: never asked again), all answered
        // 304 (free of rate limit).
        let github: Vec<_> = hits.iter().filter(|h| h.path.starts_with("/gh/")).collect();
        assert_eq!(github.len(), 3 + 4 + 1, "{github:?}");
        assert!(github.iter().all(|h| h.status == 304), "{github:?}");
        assert!(github[7]
            .path
            .starts_with("/gh/search/commits?q=author%3Acy+"));
        let github = summaries.iter().find(|s| s.source == Source::Github);
        assert_eq!(github.unwrap().stats.not_modified, 8);
        // ArgoCD: one 304. Backstage: the catalog (304) and the task page holding the
        // unfinished task t4, re-checked until it finishes.
        let argocd: Vec<_> = hits
            .iter()
            .filter(|h| h.path.starts_with("/argo/"))
            .collect();
        assert_eq!(argocd.len(), 1);
        assert_eq!(argocd[0].status, 304);
        let backstage: Vec<u16> = hits
            .iter()
            .filter(|h| h.path.starts_with("/bs/"))
            .map(|h| h.status)
            .collect();
        assert_eq!(backstage, vec![304, 200]);

        // `--since` ignores cursors and ETags: everything is read again, nothing is new.
        env.stub.reset_hits();
        let since = at("2026-10-01T00:00:00Z");
        assert_all_succeeded(&env.collect_since(&db.store, Some(since)).await);
        assert_eq!(facts(&db.store).await, first);
        let hits = env.stub.hits();
        assert!(hits.iter().all(|h| h.status == 200), "{hits:?}");
        assert!(hits.iter().any(|h| h.path.contains("/compare/")));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_crash_mid_run_then_a_new_run_loses_nothing_and_duplicates_nothing() {
    for db in TestDb::all().await {
        let reference = TestDb::sqlite().await;
        let env = Env::start(&[]).await;
        assert_all_succeeded(&env.collect(&reference.store).await);

        // Crash while web's second deployment is being compared: api's batch is written,
        // web's is not.
        let arrived = Arc::new(Notify::new());
        env.stub
            .fault("/gh/repos/acme/web/compare/", Fault::Hang(arrived.clone()));
        let store = db.store.clone();
        let config = env.config.clone();
        let crashing = tokio::spawn(async move {
            let http = HttpClient::new(&config.collect, store.clone()).unwrap();
            collectors::collect(
                &config,
                &store,
                &http,
                &Source::ALL,
                None,
                Arc::new(collectors::Quiet),
            )
            .await
        });
        arrived.notified().await;
        crashing.abort();
        assert!(crashing.await.unwrap_err().is_cancelled());
        let partial = db.store.counts().await.unwrap();
        assert_eq!(partial.deployments, 2, "api's batch only");
        assert_eq!(
            db.store
                .cursor("github", "deployments:acme/web")
                .await
                .unwrap(),
            None
        );

        assert_all_succeeded(&env.collect(&db.store).await);
        assert_scenario(&db.store).await;
        assert_eq!(facts(&db.store).await, facts(&reference.store).await);
        assert_all_succeeded(&env.collect(&db.store).await);
        assert_eq!(facts(&db.store).await, facts(&reference.store).await);
        reference.cleanup().await;
        db.cleanup().await;
    }
}
