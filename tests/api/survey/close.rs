//! The rules of a survey's close, one test each (DESIGN §10 "No late answers", §4
//! `survey.window_days`, `dxs survey close`): a late post is 410 and stores nothing; invites for
//! a closed quarter exit 2 naming it; a new survey secret never gives a second answer; a window
//! that passes closes the survey and publishes it once.

use dxs::config::{Config, Secret};
use dxs::model::{invite_hash, Answer};
use dxs::quarter::Quarter;
use dxs::scoring::SurveyStatus;
use dxs::store::{Store, SubmitOutcome};
use dxs::survey::{csrf, invites};

use super::{roster, sealing_key, survey_config, valid_form, SECRET};
use crate::helpers::{config, dxs_bin, TestApp, TestDb};

const DAY: i64 = 86_400;

async fn post(app: &TestApp, form: &[(String, String)]) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(app.url("/survey"))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The invite tokens of `logins` (one team each) for the current quarter, issued as
/// `dxs survey invite` does with `config`'s secret.
async fn issue(store: &Store, config: &Config, people: &[(&str, &str)]) -> Vec<String> {
    let rows: Vec<(&str, &str, &str)> =
        people.iter().map(|(l, t)| (*l, *t, "2025-01-06")).collect();
    roster(store, &rows).await;
    let links = invites::issue(store, &config.survey, Quarter::current(), None)
        .await
        .unwrap();
    people
        .iter()
        .map(|(login, _)| {
            let link = links.iter().find(|l| l.login == *login).unwrap();
            link.url.rsplit_once("invite=").unwrap().1.to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_post_after_the_close_is_410_with_a_page_that_says_so_and_stores_nothing() {
    for db in TestDb::all().await {
        let config = survey_config();
        let tokens = issue(&db.store, &config, &[("ada", "web"), ("bo", "web")]).await;
        let app = TestApp::spawn(config, db.store.clone()).await;
        let (status, _) = post(&app, &valid_form(&tokens[0], "slow builds")).await;
        assert_eq!(status, 200);
        app.state.close_survey(Quarter::current()).await.unwrap();
        let before = db.store.counts().await.unwrap().responses;
        assert_eq!(before, 1, "the answer before the close was released at it");

        let (status, body) = post(&app, &valid_form(&tokens[1], "late")).await;
        assert_eq!(status, 410, "{body}");
        assert!(body.contains("<h1>This survey has closed</h1>"), "{body}");
        assert!(body.contains("nothing sent to it now is stored"), "{body}");
        assert_eq!(db.store.counts().await.unwrap().responses, before);
        assert!(db.store.held_responses().await.unwrap().is_empty());
        let invite = db.store.invite(&invite_hash(&tokens[1])).await.unwrap();
        assert!(!invite.unwrap().used, "the late invite is not used either");
        let answered = db.store.invite(&invite_hash(&tokens[0])).await.unwrap();
        assert!(
            !answered.unwrap().used,
            "who answered is forgotten at the close"
        );
        // The form itself, and an answered invite, say the same.
        for token in &tokens {
            let page = reqwest::get(app.url(&format!("/survey?invite={token}")))
                .await
                .unwrap();
            assert_eq!(page.status(), 410);
            assert!(page
                .text()
                .await
                .unwrap()
                .contains("This survey has closed"));
        }
        drop(app);
        db.cleanup().await;
    }
}

/// A valid form for `token` whose CSRF token is made with `secret` (the form's key).
fn form_under(secret: &str, token: &str) -> Vec<(String, String)> {
    let mut form = valid_form(token, "slow builds");
    assert_eq!(form[1].0, "csrf");
    form[1].1 = csrf::token(&Secret::new(secret), &invite_hash(token));
    form
}

#[tokio::test]
async fn a_new_survey_secret_gives_nobody_a_second_answer() {
    const ROTATED: &str = "a-rotated-survey-secret";
    let people = [("ada", "web"), ("bo", "web")];
    for db in TestDb::all().await {
        let first = survey_config();
        let old = issue(&db.store, &first, &people).await;
        let app = TestApp::spawn(first, db.store.clone()).await;
        assert_eq!(post(&app, &form_under(SECRET, &old[0])).await.0, 200);
        drop(app);

        // The secret is rotated: `dxs survey invite` prints new links, for the same people.
        let rotated = config(&[("DXS_SURVEY_SECRET", ROTATED)]);
        let new = issue(&db.store, &rotated, &people).await;
        assert_ne!(new, old, "new links");
        let app = TestApp::spawn(rotated, db.store.clone()).await;
        let (status, body) = post(&app, &form_under(ROTATED, &new[0])).await;
        assert_eq!(status, 409, "ada answered already: {body}");
        assert!(body.contains("You have already answered"));
        let page = reqwest::get(app.url(&format!("/survey?invite={}", new[0])))
            .await
            .unwrap();
        assert_eq!(page.status(), 409, "ada's new link shows it used");
        // bo had not answered: one of bo's two links answers, the other is then used.
        assert_eq!(post(&app, &form_under(ROTATED, &new[1])).await.0, 200);
        assert_eq!(post(&app, &form_under(ROTATED, &old[1])).await.0, 409);
        let held: i64 = db
            .store
            .held_responses()
            .await
            .unwrap()
            .iter()
            .map(|h| h.responses)
            .sum();
        let released = db.store.counts().await.unwrap().responses;
        assert_eq!(held + released, 2, "one answer per person");
        drop(app);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_survey_closes_when_its_window_passes_and_publishes_once() {
    for db in TestDb::all().await {
        let config = survey_config();
        let quarter = Quarter::current();
        let q = quarter.to_string();
        let now = chrono::Utc::now().timestamp();
        // Opened 22 days ago (the window is 21): its answers came in while it was open.
        db.store.open_survey(&q, now - 22 * DAY).await.unwrap();
        let secret = Secret::new(SECRET);
        let tokens: Vec<String> = (0..6)
            .map(|i| invites::token(&secret, quarter, &format!("dev{i}")))
            .collect();
        let rows: Vec<_> = tokens
            .iter()
            .map(|t| (invite_hash(t), q.clone(), "web".to_string()))
            .collect();
        db.store.create_invites(&rows).await.unwrap();
        for (i, token) in tokens[..5].iter().enumerate() {
            let answer = Answer {
                question: "deploy_ease".into(),
                number: Some(i as f64 + 6.0),
                text: None,
            };
            let stored = db
                .store
                .submit_response(&invite_hash(token), &[answer], &sealing_key())
                .await;
            assert_eq!(stored.unwrap(), SubmitOutcome::Stored);
        }
        let app = TestApp::spawn_without_pipeline(config, db.store.clone()).await;
        // Past its window, before any tick: the form and a post say it has closed.
        let (status, _) = post(&app, &valid_form(&tokens[5], "late")).await;
        assert_eq!(status, 410);
        let window = db.store.survey_window(&q).await.unwrap().unwrap();
        assert_eq!((window.closed_at, window.frozen_k), (None, None));
        assert!(window.due(21, now));

        // The tick (or the start, `dxs score`, `dxs report`) closes it at the window's end.
        let scores = app.state.score(&[quarter]).await.unwrap();
        let window = db.store.survey_window(&q).await.unwrap().unwrap();
        assert_eq!(window.closed_at, Some(now - 22 * DAY + 21 * DAY));
        assert_eq!(window.frozen_k, Some(5));
        let org = &scores[0].org;
        assert_eq!(org.survey.status, Some(SurveyStatus::Closed));
        assert_eq!(org.survey.figures_quarter.as_deref(), Some(q.as_str()));
        // deploy_ease 6..10: mean 8 → (8 − 1)/9·100 = 77.8, from the 5 answers.
        assert_eq!(org.components["deploy_ease"], 77.8);
        assert_eq!((org.responses, org.survey.responses), (5, Some(5)));
        // Closed once: a later tick and a submission change nothing.
        app.state.release_survey().await;
        let outcome = db
            .store
            .submit_response(&invite_hash(&tokens[5]), &[], &sealing_key())
            .await;
        assert_eq!(outcome.unwrap(), SubmitOutcome::Closed);
        let again = app.state.score(&[quarter]).await.unwrap();
        assert_eq!(again[0].org.components, org.components);
        assert_eq!(db.store.survey_window(&q).await.unwrap().unwrap(), window);
        drop(app);
        db.cleanup().await;
    }
}

fn run(dir: &std::path::Path, url: &str, args: &[&str]) -> std::process::Output {
    dxs_bin()
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("DXS_SURVEY_SECRET", SECRET)
        .output()
        .expect("dxs runs")
}

#[tokio::test]
async fn survey_close_and_invites_for_a_closed_quarter_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    roster(&store, &[("ada", "web", "2025-01-06")]).await;
    let q = Quarter::current().to_string();
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).to_string();

    let unknown = run(
        dir.path(),
        &url,
        &["survey", "close", "--quarter", "2019-Q1"],
    );
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("2019-Q1 has no survey"),
        "{}",
        stderr(&unknown)
    );

    let invited = run(dir.path(), &url, &["survey", "invite", "--quarter", &q]);
    assert!(invited.status.success(), "{}", stderr(&invited));
    let closed = run(dir.path(), &url, &["survey", "close", "--quarter", &q]);
    assert!(closed.status.success(), "{}", stderr(&closed));
    assert!(stderr(&closed).contains(&format!("the survey of {q} is closed")));
    let window = store.survey_window(&q).await.unwrap().unwrap();
    assert!(window.is_closed());

    let twice = run(dir.path(), &url, &["survey", "close", "--quarter", &q]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains(&format!("the survey of {q} has closed already")));
    let late = run(dir.path(), &url, &["survey", "invite", "--quarter", &q]);
    assert_eq!(late.status.code(), Some(2), "{}", stderr(&late));
    assert!(
        stderr(&late).contains(&format!("the survey of {q} has closed")),
        "{}",
        stderr(&late)
    );
    assert!(late.stdout.is_empty(), "no link printed");
}
