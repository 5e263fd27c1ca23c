//! `dxs survey invite`: one link per roster developer, the same links when run again.

use dxs::config::Secret;
use dxs::model::invite_hash;
use dxs::store::Store;
use dxs::survey::invites;

use super::{roster, SECRET};
use crate::helpers::dxs_bin;

fn run_invite(dir: &std::path::Path, url: &str, extra: &[&str]) -> std::process::Output {
    dxs_bin()
        .args(["survey", "invite", "--quarter", "2026-Q4"])
        .args(extra)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("DXS_SURVEY_SECRET", SECRET)
        .env("DXS_SURVEY__BASE_URL", "https://dxs.example.com/")
        .output()
        .expect("dxs runs")
}

#[tokio::test]
async fn invite_prints_one_link_per_developer_and_the_same_links_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    roster(
        &store,
        &[
            ("carol", "search", "2026-02-01"),
            ("bob", "payments", "2026-10-01"),
            ("alice", "payments", "2025-01-06"),
            ("dave", "search", "2027-01-05"), // joins after the quarter
        ],
    )
    .await;
    let quarter = "2026-Q4".parse().unwrap();
    let link = |login: &str| {
        let token = invites::token(&Secret::new(SECRET), quarter, login);
        format!("https://dxs.example.com/survey?invite={token}")
    };

    let first = run_invite(dir.path(), &url, &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let expected = format!(
        "login,team,url\nalice,payments,{}\nbob,payments,{}\ncarol,search,{}\n",
        link("alice"),
        link("bob"),
        link("carol")
    );
    assert_eq!(String::from_utf8(first.stdout).unwrap(), expected);
    let second = run_invite(dir.path(), &url, &[]);
    assert_eq!(
        String::from_utf8(second.stdout).unwrap(),
        expected,
        "the same links"
    );

    for login in ["alice", "bob", "carol"] {
        let token = invites::token(&Secret::new(SECRET), quarter, login);
        let invite = store.invite(&invite_hash(&token)).await.unwrap().unwrap();
        assert_eq!(invite.quarter, "2026-Q4");
        assert!(!invite.used);
    }

    let search = run_invite(dir.path(), &url, &["--team", "search"]);
    assert_eq!(
        String::from_utf8(search.stdout).unwrap(),
        format!("login,team,url\ncarol,search,{}\n", link("carol"))
    );
    let nobody = run_invite(dir.path(), &url, &["--team", "nope"]);
    assert_eq!(nobody.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no developer in team \"nope\""));

    let no_secret = dxs_bin()
        .args(["survey", "invite", "--quarter", "2026-Q4"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .env_remove("DXS_SURVEY_SECRET")
        .output()
        .unwrap();
    assert_eq!(no_secret.status.code(), Some(2), "a configuration error");
    let stderr = String::from_utf8_lossy(&no_secret.stderr);
    assert!(
        stderr.starts_with("dxs: config: survey.secret_env: "),
        "{stderr}"
    );
    assert!(no_secret.stdout.is_empty());
    store.close().await;
}

#[test]
fn a_broken_survey_definition_stops_dxs_naming_the_question() {
    let dir = tempfile::tempdir().unwrap();
    let migrate_with = |definition: String| {
        std::fs::write(dir.path().join("survey.toml"), definition).unwrap();
        let output = dxs_bin()
            .arg("migrate")
            .current_dir(dir.path())
            .env("DATABASE_URL", "sqlite://dxs.db")
            .env("DXS_SURVEY__FILE", "survey.toml")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "a configuration error");
        String::from_utf8(output.stderr).unwrap()
    };
    let shipped = dxs::survey::definition::EMBEDDED;
    let no_label = shipped.replace(
        "choices = [",
        "choices = [\n  { value = \"maybe\", label = \"\", score = 10 },",
    );
    assert_eq!(
        migrate_with(no_label),
        "dxs: config: survey.toml: question wait_time: choices: \"maybe\" has no label\n"
    );
    let wrong_kind = shipped.replace("kind = \"nps\"", "kind = \"stars\"");
    let stderr = migrate_with(wrong_kind);
    assert!(
        stderr.starts_with("dxs: config: survey.toml: question recommend: unknown variant `stars`"),
        "{stderr}"
    );
}
