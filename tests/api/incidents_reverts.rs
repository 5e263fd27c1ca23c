//! Incidents attributed and reverts (DESIGN §5, third round), collected from the stub and scored
//! on SQLite and PostgreSQL: a central incident repository's issue names its service with a
//! `service:` label, or is listed unattributed; a revert of a revert fails nothing; a revert
//! shipped past `incidents.revert_window_days` fails nothing.

use dxs::scoring::{self, Rules, Score};

use crate::collectors::{assert_all_succeeded, at, Env};
use crate::helpers::TestDb;
use crate::scenario::{sha, Issue, Scenario, C, D};

/// The org's score of 2026-Q4, as of 2026-12-01.
async fn score(env: &Env, store: &dxs::store::Store) -> Score {
    let rules = Rules::load(&env.config).unwrap();
    scoring::compute(
        store,
        &rules,
        "2026-Q4".parse().unwrap(),
        at("2026-12-01T00:00:00Z"),
    )
    .await
    .unwrap()
}

/// `(service, commit, causes)` of each failed rollout, causes as their incident id or revert.
fn failures(score: &Score) -> Vec<(String, String, Vec<String>)> {
    score
        .org
        .change_failure
        .failures
        .iter()
        .map(|f| {
            let causes = f
                .causes
                .iter()
                .map(|c| serde_json::to_value(c).unwrap())
                .map(|c| c["id"].as_str().or(c["sha"].as_str()).unwrap().to_string())
                .collect();
            (f.service.clone(), f.sha.clone(), causes)
        })
        .collect()
}

#[tokio::test]
async fn central_incidents_with_a_service_label_fail_its_rollout_and_without_are_unattributed() {
    for db in TestDb::all().await {
        let mut scenario = Scenario::standard();
        scenario
            .repos
            .push(("acme/incidents", "2026-10-09T12:00:00Z", false));
        scenario.issues.extend([
            // Labelled service:web: web's rollout of w2 (10-03 10:00, live until w5 on 10-04
            // 12:00) failed.
            Issue(
                "acme/incidents",
                1,
                "incident",
                "2026-10-03T11:00:00Z",
                Some("2026-10-03T12:00:00Z"),
                "2026-10-03T12:00:00Z",
                false,
            ),
            // No service label, in the central repository: unattributed, charged to nobody.
            Issue(
                "acme/incidents",
                2,
                "incident",
                "2026-10-04T13:00:00Z",
                None,
                "2026-10-04T13:00:00Z",
                false,
            ),
        ]);
        scenario.labels = vec![("acme/incidents", 1, "service:web")];
        let toml = "[incidents]\nrepos = [\"acme/incidents\"]\n";
        let env = Env::serve(scenario, toml, &[]).await;
        assert_all_succeeded(&env.collect(&db.store).await);
        let score = score(&env, &db.store).await;
        // api#7 (10-01 14:00) fails api's a1 (live from 13:20), its repository's one service;
        // incidents#1 fails web's w2 through its label; web#3 (10-04 12:30) fails w5 (12:00).
        let failed = |service: &str, commit: &str, cause: &str| {
            (service.to_string(), sha(commit), vec![cause.to_string()])
        };
        assert_eq!(
            failures(&score),
            [
                failed("acme/api", "a1", "acme/api#7"),
                failed("acme/web", "w2", "acme/incidents#1"),
                failed("acme/web", "w5", "acme/web#3"),
            ]
        );
        let unattributed = serde_json::to_value(&score.org.unattributed_incidents).unwrap();
        assert_eq!(
            unattributed,
            serde_json::json!([{"id": "acme/incidents#2",
                "why": "central repository without a service label"}])
        );
        // Every incident counts as one: the unattributed one too.
        assert_eq!(score.org.change_failure.incidents, 4);
        db.cleanup().await;
    }
}

/// A commit of acme/pay.
fn pay(name: &'static str, at: &'static str) -> C {
    C("acme/pay", name, "ada", at, at)
}

/// A production deployment of acme/pay, succeeded at `finished`.
fn deploy(id: i64, commit: &'static str, created: &'static str, finished: &'static str) -> D {
    D(
        "acme/pay",
        id,
        commit,
        "production",
        created,
        vec![("success", finished)],
    )
}

#[tokio::test]
async fn a_revert_of_a_revert_and_a_revert_past_the_window_fail_nothing() {
    for db in TestDb::all().await {
        let scenario = Scenario {
            repos: vec![("acme/pay", "2026-10-25T12:00:00Z", false)],
            commits: vec![
                pay("p1", "2026-10-01T09:00:00Z"),
                pay("p2", "2026-10-02T09:00:00Z"),
                pay("p3", "2026-10-03T09:00:00Z"),
                pay("p4", "2026-10-04T09:00:00Z"),
                pay("p5", "2026-10-25T09:00:00Z"),
            ],
            deployments: vec![
                deploy(301, "p1", "2026-10-01T11:50:00Z", "2026-10-01T12:00:00Z"),
                deploy(302, "p2", "2026-10-02T09:50:00Z", "2026-10-02T10:00:00Z"),
                deploy(303, "p3", "2026-10-03T09:50:00Z", "2026-10-03T10:00:00Z"),
                deploy(304, "p4", "2026-10-04T09:50:00Z", "2026-10-04T10:00:00Z"),
                deploy(305, "p5", "2026-10-25T09:50:00Z", "2026-10-25T10:00:00Z"),
            ],
            // p2 reverts p1 (a day later: within the 14 days); p3 reverts p2, re-landing p1;
            // p5 reverts p4 21 days after p4 went live: past the window.
            reverts: vec![("p2", "p1"), ("p3", "p2"), ("p5", "p4")],
            ..Scenario::default()
        };
        let env = Env::serve(scenario, "", &[]).await;
        assert_all_succeeded(&env.collect(&db.store).await);
        let score = score(&env, &db.store).await;
        // Five rollouts; only p1's failed (p2 reverted it, live 10-02 10:00).
        assert_eq!(
            failures(&score),
            [("acme/pay".to_string(), sha("p1"), vec![sha("p2")])]
        );
        let c = &score.org.change_failure;
        assert_eq!((c.rollouts, c.failed, c.rate), (5, 1, Some(0.2)));
        // Recovered when the revert went live: 22 h after p1's rollout.
        assert_eq!(c.recovery_hours.median, Some(22.0));
        db.cleanup().await;
    }
}
