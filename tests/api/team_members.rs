//! A developer's team from GitHub team membership when the roster gives none
//! (`GET /orgs/{org}/teams/{team}/members`, conditional): the smallest team listing them, the
//! roster's team otherwise, and an idle rerun that asks each team's members once, answered 304.

use crate::collectors::{assert_all_succeeded, Env};
use crate::helpers::TestDb;
use crate::scenario::{Scenario, ROSTER};

/// The standard scenario with two teams that list developers, and a roster where `zoe` and
/// `kim` have no team (and `bob` has one, although `platform` lists him too).
async fn env() -> Env {
    let scenario = Scenario {
        team_members: vec![
            ("platform", "zoe"),
            ("platform", "kim"),
            ("platform", "bob"),
            ("platform-api", "zoe"),
        ],
        ..Scenario::standard()
    };
    let env = Env::with_scenario(scenario, &[]).await;
    let roster = format!("{ROSTER}zoe,,2026-10-03\nkim,,2026-10-04,kim@acme.io\numa,,2026-10-06\n");
    std::fs::write(env.dir.path().join("roster.csv"), roster).unwrap();
    env
}

/// `(path, status)` of the team members requests.
fn members_asked(env: &Env) -> Vec<(String, u16)> {
    let mut asked: Vec<(String, u16)> = env
        .stub
        .hits()
        .into_iter()
        .filter(|h| h.path.contains("/members"))
        .map(|h| (h.path, h.status))
        .collect();
    asked.sort();
    asked
}

async fn team_of(db: &TestDb, login: &str) -> String {
    db.store.developer(login).await.unwrap().unwrap().team
}

#[tokio::test]
async fn a_developer_without_a_team_gets_it_from_github_and_an_idle_rerun_asks_conditionally() {
    let db = TestDb::sqlite().await;
    let env = env().await;
    let summaries = env.collect(&db.store).await;
    assert_all_succeeded(&summaries);
    assert_eq!(
        team_of(&db, "zoe").await,
        "platform-api",
        "the smallest team"
    );
    assert_eq!(team_of(&db, "kim").await, "platform");
    assert_eq!(
        team_of(&db, "bob").await,
        "search",
        "the roster's team stands"
    );
    assert_eq!(team_of(&db, "uma").await, "", "no team lists uma");
    let warnings: Vec<&String> = summaries.iter().flat_map(|s| &s.warnings).collect();
    assert!(
        warnings
            .iter()
            .any(|w| *w == "roster: uma has no team and no GitHub team of acme lists them"),
        "{warnings:?}"
    );
    assert_eq!(
        members_asked(&env),
        vec![
            (
                "/gh/orgs/acme/teams/platform-api/members?per_page=100".into(),
                200
            ),
            (
                "/gh/orgs/acme/teams/platform/members?per_page=100".into(),
                200
            ),
            // The stub's pages are of two: platform's three members take two.
            (
                "/gh/orgs/acme/teams/platform/members?per_page=100&page=2".into(),
                200
            ),
        ]
    );

    // Idle: each team's members once, 304; the roster imported again keeps the teams.
    env.stub.reset_hits();
    let summaries = env.collect(&db.store).await;
    assert_all_succeeded(&summaries);
    assert_eq!(
        members_asked(&env),
        vec![
            (
                "/gh/orgs/acme/teams/platform-api/members?per_page=100".into(),
                304
            ),
            (
                "/gh/orgs/acme/teams/platform/members?per_page=100".into(),
                304
            ),
        ]
    );
    assert_eq!(team_of(&db, "zoe").await, "platform-api");
    assert_eq!(team_of(&db, "kim").await, "platform");
    let developer = db.store.developer("kim").await.unwrap().unwrap();
    assert_eq!(developer.email.as_deref(), Some("kim@acme.io"));
    db.cleanup().await;
}

#[tokio::test]
async fn a_roster_where_everyone_has_a_team_asks_no_membership() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[]).await;
    assert_all_succeeded(&env.collect(&db.store).await);
    assert_eq!(members_asked(&env), vec![]);
    db.cleanup().await;
}
