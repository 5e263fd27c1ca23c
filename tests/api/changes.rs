//! Changes are pull requests (DESIGN §5, third round): the same work merged three ways gives one
//! lead time; the pull requests of deployed commits are asked of GitHub's GraphQL API once ever,
//! 100 commits a query; a partial GraphQL answer fails that commit's lookup by name and the next
//! run asks again. Against the local stub, on SQLite and PostgreSQL.

use dxs::model::PullState;
use dxs::scoring::{self, Rules};

use crate::collectors::{assert_all_succeeded, at, Env};
use crate::helpers::TestDb;
use crate::scenario::{sha, Pull, Scenario, C, D};

/// Pull request 7 of each repository: commits written Monday 09:00 and Tuesday 10:00, merged
/// Wednesday 09:00 (by a merge commit, squashed, or rebased), deployed Wednesday 10:00. Each
/// repository's first deployment (Monday 07:30) is of a commit pushed at 07:00 outside any pull
/// request.
fn scenario() -> Scenario {
    let (mon, tue, wed) = (
        "2026-10-05T09:00:00Z",
        "2026-10-06T10:00:00Z",
        "2026-10-07T09:00:00Z",
    );
    let early = "2026-10-05T07:00:00Z";
    let first = |repo, id, commit| {
        D(
            repo,
            id,
            commit,
            "production",
            "2026-10-05T07:20:00Z",
            vec![("success", "2026-10-05T07:30:00Z")],
        )
    };
    let merged = |repo, id, commit| {
        D(
            repo,
            id,
            commit,
            "production",
            "2026-10-07T09:50:00Z",
            vec![("success", "2026-10-07T10:00:00Z")],
        )
    };
    Scenario {
        repos: vec![
            ("acme/merge", wed, false),
            ("acme/squash", wed, false),
            ("acme/rebase", wed, false),
        ],
        commits: vec![
            C("acme/merge", "b1", "ada", early, early),
            C("acme/merge", "m1", "ada", mon, mon),
            C("acme/merge", "m2", "ada", tue, tue),
            C("acme/merge", "mm", "ada", wed, wed),
            C("acme/squash", "b2", "ada", early, early),
            C("acme/squash", "s1", "ada", wed, wed),
            C("acme/rebase", "b3", "ada", early, early),
            C("acme/rebase", "r1", "ada", mon, wed),
            C("acme/rebase", "r2", "ada", tue, wed),
        ],
        pulls: vec![
            Pull("acme/merge", 7, wed, mon, vec!["m1", "m2", "mm"]),
            Pull("acme/squash", 7, wed, mon, vec!["s1"]),
            Pull("acme/rebase", 7, wed, mon, vec!["r1", "r2"]),
        ],
        deployments: vec![
            first("acme/merge", 1, "b1"),
            merged("acme/merge", 2, "mm"),
            first("acme/squash", 3, "b2"),
            merged("acme/squash", 4, "s1"),
            first("acme/rebase", 5, "b3"),
            merged("acme/rebase", 6, "r2"),
        ],
        team_repos: ["acme/merge", "acme/squash", "acme/rebase"]
            .into_iter()
            .map(|r| ("platform", r, true))
            .collect(),
        ..Scenario::default()
    }
}

/// `(service, change, lead seconds, commits)` of every change, by service.
async fn changes(store: &dxs::store::Store) -> Vec<(String, String, i64, i64)> {
    let names = ["b1", "b2", "b3"];
    let name = |id: &str| {
        names
            .into_iter()
            .find(|n| sha(n) == id)
            .unwrap_or(id)
            .to_string()
    };
    let mut all: Vec<(String, String, i64, i64)> = store
        .changes_deployed_between(0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, c)| {
            let lead = c.lead_time_seconds();
            (c.service, name(&c.change_id), lead, c.commits)
        })
        .collect();
    all.sort();
    all
}

fn graphql(stub: &crate::stub::Stub) -> usize {
    stub.hits()
        .iter()
        .filter(|h| h.path == "/gh/graphql")
        .count()
}

/// By hand: each repository's direct commit 30 min (07:00 → 07:30), and pull request 7 49 h
/// (Monday 09:00 → Wednesday 10:00) whichever way it was merged; 3, 1 and 2 of its commits
/// shipped.
fn expected() -> Vec<(String, String, i64, i64)> {
    let c = |service: &str, change: &str, lead: i64, commits: i64| {
        (service.to_string(), change.to_string(), lead, commits)
    };
    vec![
        c("acme/merge", "#7", 49 * 3_600, 3),
        c("acme/merge", "b1", 1_800, 1),
        c("acme/rebase", "#7", 49 * 3_600, 2),
        c("acme/rebase", "b3", 1_800, 1),
        c("acme/squash", "#7", 49 * 3_600, 1),
        c("acme/squash", "b2", 1_800, 1),
    ]
}

#[tokio::test]
async fn the_same_work_merged_three_ways_gives_one_lead_time() {
    for db in TestDb::all().await {
        let env = Env::with_scenario(scenario(), &[]).await;
        assert_all_succeeded(&env.collect(&db.store).await);
        assert_eq!(changes(&db.store).await, expected());
        // Nine deployed commits of three repositories: one query.
        assert_eq!(graphql(&env.stub), 1);

        // Each service's median is (0.5 + 49) / 2 = 24.75 h, the organisation's too: the
        // merge method changes nothing. (Commit by commit it was 12.5 h, 0.75 h and 1 h.)
        let rules = Rules::load(&env.config).unwrap();
        let s = scoring::compute(
            &db.store,
            &rules,
            "2026-Q4".parse().unwrap(),
            at("2026-10-20T00:00:00Z"),
        )
        .await
        .unwrap();
        for service in ["acme/merge", "acme/squash", "acme/rebase"] {
            let lead = &s
                .org
                .services
                .iter()
                .find(|s| s.service == service)
                .unwrap();
            let figures = (lead.lead_time_hours.median, lead.lead_time_hours.changes);
            assert_eq!(figures, (Some(24.75), 2), "{service}");
        }
        assert_eq!(s.org.lead_time_hours.median, Some(24.75));
        assert_eq!(s.org.lead_time_hours.changes, 6);

        // Asked once ever: a rerun and a full re-read ask GraphQL nothing.
        env.stub.reset_hits();
        assert_all_succeeded(&env.collect(&db.store).await);
        assert_all_succeeded(
            &env.collect_since(&db.store, Some(at("2026-10-01T00:00:00Z")))
                .await,
        );
        assert_eq!(graphql(&env.stub), 0);
        assert_eq!(changes(&db.store).await, expected());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_partial_graphql_answer_fails_that_commit_by_name_and_the_next_run_asks_again() {
    for db in TestDb::all().await {
        let env = Env::with_scenario(scenario(), &[]).await;
        env.stub.break_pull(sha("s1"));
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        let github: Vec<&String> = summaries
            .iter()
            .filter(|s| s.source == dxs::collectors::Source::Github)
            .flat_map(|s| &s.warnings)
            .collect();
        assert_eq!(github.len(), 1, "{github:?}");
        let named = format!("pull request of acme/squash@{} not known", &sha("s1")[..7]);
        assert!(github[0].starts_with(&named), "{}", github[0]);
        assert!(github[0].contains("Something went wrong"), "{}", github[0]);
        // No lead time from a guess: the squashed pull request waits; the rest is counted.
        let first: Vec<_> = expected()
            .into_iter()
            .filter(|c| c.0 != "acme/squash" || c.1 != "#7")
            .collect();
        assert_eq!(changes(&db.store).await, first);
        assert_eq!(
            db.store
                .commit_pull("acme/squash", &sha("s1"))
                .await
                .unwrap(),
            Some(PullState::Pending)
        );

        // The next run (nothing new upstream) asks that commit again, alone, and counts it.
        env.stub.reset_hits();
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        assert!(summaries
            .iter()
            .all(|s| s.warnings.is_empty() || s.source != dxs::collectors::Source::Github));
        assert_eq!(graphql(&env.stub), 1);
        assert_eq!(changes(&db.store).await, expected());
        assert_eq!(
            db.store
                .commit_pull("acme/squash", &sha("s1"))
                .await
                .unwrap(),
            Some(PullState::Pull {
                number: 7,
                started_at: at("2026-10-05T09:00:00Z")
            })
        );
        db.cleanup().await;
    }
}
