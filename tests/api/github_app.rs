//! GitHub as a GitHub App installation, against the stub that checks every JWT (RS256 with the
//! app's key, `iss` = app id, `exp` at most 10 minutes ahead) and issues installation tokens that
//! expire: tokens are renewed before they expire, a refused one is replaced once, and a key
//! that does not parse or an app not installed stops `dxs collect` with exit 2 naming the key.

use std::time::{Duration, Instant};

use dxs::collectors::{Outcome, Source};

use crate::collectors::{assert_all_succeeded, assert_scenario, failed_with, summary, Env};
use crate::helpers::{dxs_bin, TestDb};
use crate::scenario::Scenario;
use crate::stub::{Fault, Stub};
use crate::stub_app::{AppStub, INSTALLATION};

const APP_ID: u64 = 4242;
const KEY: &str = include_str!("../fixtures/github/app-private-key.pem");

/// The standard scenario behind an app installed on `installed_on`, every answer `delay` late,
/// and dxs configured as that app (no personal token).
async fn app_env(installed_on: &str, life: Duration, delay: Duration) -> Env {
    let app = AppStub::new(APP_ID, installed_on, life);
    let stub = Stub::start_with(Scenario::standard(), Some(app), delay).await;
    let app_id = APP_ID.to_string();
    Env::with_stub(
        stub,
        "",
        &[
            ("DXS_GITHUB__APP_ID", &app_id),
            ("DXS_GITHUB__APP_PRIVATE_KEY_ENV", "DXS_TEST_APP_KEY"),
            ("DXS_TEST_APP_KEY", KEY),
            ("GITHUB_TOKEN", ""),
        ],
    )
}

fn github_hits(env: &Env) -> Vec<(String, u16)> {
    env.stub
        .hits()
        .into_iter()
        .filter(|h| h.path.starts_with("/gh/") && !h.path.starts_with("/gh/app/"))
        .map(|h| (h.path, h.status))
        .collect()
}

#[tokio::test]
async fn a_run_longer_than_a_token_life_completes_with_a_valid_token_on_every_request() {
    let db = TestDb::sqlite().await;
    // Tokens live 4 s; each answer takes 200 ms, so the run (~40 requests) spans several.
    let env = app_env("acme", Duration::from_secs(4), Duration::from_millis(200)).await;
    let started = Instant::now();
    let summaries = env.collect(&db.store).await;
    let took = started.elapsed();
    assert_all_succeeded(&summaries);
    assert_scenario(&db.store).await;
    assert!(
        took > Duration::from_secs(4),
        "the run outlived a token: {took:?}"
    );

    let app = env.stub.app();
    let issued = app.tokens_issued();
    assert!(
        issued as u64 >= took.as_secs() / 4,
        "{issued} tokens for a {took:?} run: renewed before each expired"
    );
    // The installation was found from the org (installation_id = 0), once.
    let lookups = env
        .stub
        .hits()
        .iter()
        .filter(|h| h.path == "/gh/orgs/acme/installation")
        .count();
    assert!(lookups >= 1);
    // Every JWT was RS256 with this app's key, `iss` = the app id and expiring within 10 min.
    let jwts = app.jwts();
    assert_eq!(jwts.len(), lookups + issued);
    assert!(jwts
        .iter()
        .all(|(iss, ahead)| *iss == APP_ID && (1..=600).contains(ahead)));
    // Every GitHub request carried an unexpired token: the stub answers 401 to any other.
    let hits = github_hits(&env);
    assert!(hits.len() > 25, "{}", hits.len());
    assert!(hits.iter().all(|(_, status)| *status != 401), "{hits:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_refused_installation_token_is_replaced_once_then_the_source_fails_with_the_reason() {
    let db = TestDb::sqlite().await;
    let env = app_env("acme", Duration::from_secs(3600), Duration::ZERO).await;
    // GitHub revokes the token once: a fresh one is fetched and the request asked again.
    env.stub
        .fault("/gh/repos/acme/web/deployments?", Fault::Status(401));
    assert_all_succeeded(&env.collect(&db.store).await);
    let web: Vec<u16> = github_hits(&env)
        .into_iter()
        .filter(|(p, _)| p == "/gh/repos/acme/web/deployments?per_page=100")
        .map(|(_, s)| s)
        .collect();
    assert_eq!(web, vec![401, 200]);
    assert_eq!(env.stub.app().tokens_issued(), 2);

    // Refused again after the refresh: the source fails, naming why; the others still run.
    env.stub
        .fault("/gh/repos/acme/api/deployments?", Fault::Status(401));
    env.stub
        .fault("/gh/repos/acme/api/deployments?", Fault::Status(401));
    let summaries = env.collect(&db.store).await;
    let error = failed_with(&summaries, Source::Github);
    assert!(
        error.contains("/gh/repos/acme/api/deployments")
            && error
                .ends_with("GitHub refused the installation token, also a fresh one (HTTP 401)"),
        "{error}"
    );
    assert_eq!(
        env.stub.app().tokens_issued(),
        2 + 2,
        "this run's first token, then one fresh one: refreshed once, not in a loop"
    );
    assert_eq!(
        summary(&summaries, Source::Argocd).outcome,
        Outcome::Success
    );
    db.cleanup().await;
}

/// Runs `dxs collect` with the app settings of `env` plus `extra`; returns (exit code, stderr).
async fn dxs_collect(env: &Env, extra: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = dxs_bin();
    let db = env.dir.path().join("dxs.db");
    cmd.args(["collect", "--source", "github", "--database-url"])
        .arg(format!("sqlite://{}", db.display()))
        .current_dir(env.dir.path());
    let roster = env.dir.path().join("roster.csv");
    for (k, v) in Env::vars(&env.stub, &roster.display().to_string()) {
        cmd.env(k, v);
    }
    cmd.env("DXS_GITHUB__APP_ID", APP_ID.to_string())
        .env("DXS_GITHUB__APP_PRIVATE_KEY_ENV", "DXS_TEST_APP_KEY")
        .env("DXS_TEST_APP_KEY", KEY)
        .env_remove("GITHUB_TOKEN");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn dxs_collect_exits_2_naming_the_key_for_a_bad_key_or_an_app_not_installed() {
    let env = app_env("globex", Duration::from_secs(3600), Duration::ZERO).await;
    let (code, stderr) = dxs_collect(&env, &[]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("github.app_id: app 4242 is not installed on org acme (HTTP 404)"),
        "{stderr}"
    );
    // Nothing but the lookup was asked: no data request went out without credentials.
    let asked: Vec<String> = env.stub.hits().into_iter().map(|h| h.path).collect();
    assert_eq!(asked, vec!["/gh/orgs/acme/installation".to_string()]);

    let (code, stderr) = dxs_collect(
        &env,
        &[(
            "DXS_TEST_APP_KEY",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n",
        )],
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("github.app_private_key_env"), "{stderr}");
    assert!(
        !stderr.contains("MIIB"),
        "the key is never printed: {stderr}"
    );

    // A configured installation id that is not the app's: named too.
    let (code, stderr) = dxs_collect(&env, &[("DXS_GITHUB__INSTALLATION_ID", "5")]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("github.app_id: app 4242 is not installed on installation 5"),
        "{stderr}"
    );
    assert_ne!(INSTALLATION, 5);
}

#[tokio::test]
async fn a_token_request_answered_502_is_retried_under_the_policy_of_every_request() {
    let db = TestDb::sqlite().await;
    let env = app_env("acme", Duration::from_secs(3600), Duration::ZERO).await;
    env.stub.fault("/access_tokens", Fault::Status(502));
    assert_all_succeeded(&env.collect(&db.store).await);
    assert_scenario(&db.store).await;
    let token_requests = |env: &Env| -> Vec<u16> {
        env.stub
            .hits()
            .into_iter()
            .filter(|h| h.path.ends_with("/access_tokens"))
            .map(|h| h.status)
            .collect()
    };
    assert_eq!(token_requests(&env), vec![502, 201]);
    assert_eq!(env.stub.app().tokens_issued(), 1);

    // A token request that fails every try: the source fails after the policy's tries, named.
    env.stub.reset_hits();
    for _ in 0..6 {
        env.stub.fault("/access_tokens", Fault::Status(502));
    }
    let summaries = env.collect(&db.store).await;
    let error = failed_with(&summaries, Source::Github);
    assert!(
        error.contains("GitHub App installation token") && error.ends_with("(after 6 tries)"),
        "{error}"
    );
    assert_eq!(token_requests(&env), vec![502; 6], "the default 5 retries");
    db.cleanup().await;
}
