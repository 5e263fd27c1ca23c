//! `GET /survey` and `POST /survey` over HTTP: the page, every rule, CSRF, invites, limits and
//! escaping.

use dxs::config::Secret;
use dxs::quarter::Quarter;
use dxs::survey::invites;
use reqwest::{Client, Response, StatusCode};

use super::{
    csrf_of, invite, invite_used, release_held, roster, survey_config, valid_form, QUARTER, SECRET,
};
use crate::helpers::{config, TestApp, TestDb};

async fn post(app: &TestApp, form: &[(String, String)]) -> Response {
    Client::new()
        .post(app.url("/survey"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn start() -> (TestDb, TestApp) {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(survey_config(), db.store.clone()).await;
    (db, app)
}

fn set(form: &mut Vec<(String, String)>, field: &str, value: &str) {
    form.retain(|(k, _)| k != field);
    if !value.is_empty() {
        form.push((field.into(), value.into()));
    }
}

#[tokio::test]
async fn the_form_shows_the_quarter_the_time_and_that_answers_are_anonymous() {
    let (_db, app) = start().await;
    let token = invite(&app.store, "alice", "payments").await;
    let page = reqwest::get(app.url(&format!("/survey?invite={token}")))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let body = page.text().await.unwrap();
    assert!(body.contains("<li>2026-Q4</li>"), "the quarter");
    assert!(body.contains("<li>About 3 minutes</li>"));
    assert!(body.contains("Your answers are anonymous."));
    assert_eq!(
        body.matches("<fieldset").count(),
        4,
        "one per radio question"
    );
    assert_eq!(body.matches("<legend>").count(), 4);
    // 10 + 3 + 10 + 11 radio buttons, each inside its label.
    assert_eq!(
        body.matches("<label class=\"opt\"><input type=\"radio\"")
            .count(),
        34
    );
    assert_eq!(
        body.matches(" required>").count(),
        4,
        "one per required group"
    );
    assert!(body.contains("<label for=\"q-pain_point-text\">"));
    assert!(body.contains("maxlength=\"2000\""));
    assert!(body.contains(&format!("name=\"csrf\" value=\"{}\"", csrf_of(&token))));
    assert!(!body.contains("<script"));
}

#[tokio::test]
async fn a_valid_form_is_stored_with_team_and_quarter_and_thanked() {
    let (_db, app) = start().await;
    let token = invite(&app.store, "alice", "payments").await;
    let response = post(&app, &valid_form(&token, "Flaky CI")).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("<h1>Thank you!</h1>"));
    assert!(body.contains("<dd>Sometimes</dd>"), "the choice's label");
    let window = app.store.survey_window(QUARTER).await.unwrap().unwrap();
    let closes = chrono::DateTime::from_timestamp(window.closes_at(21), 0).unwrap();
    assert!(
        body.contains(&format!(
            "Results appear when the survey closes, on {}",
            closes.format("%Y-%m-%d")
        )),
        "the thank-you page says when results appear: {body}"
    );
    assert!(
        app.store.answers(QUARTER).await.unwrap().is_empty(),
        "held until a batch of 5"
    );
    assert_eq!(release_held(&app.store).await, 1);
    let stored = app.store.answers(QUARTER).await.unwrap();
    let got: Vec<(&str, &str, Option<f64>, Option<&str>)> = stored
        .iter()
        .map(|a| {
            (
                a.team.as_str(),
                a.question.as_str(),
                a.number,
                a.text.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("payments", "deploy_ease", Some(8.0), None),
            ("payments", "docs_clarity", Some(6.0), None),
            ("payments", "pain_point", None, Some("Flaky CI")),
            ("payments", "recommend", Some(9.0), None),
            ("payments", "wait_time", None, Some("sometimes")),
        ]
    );
    assert!(invite_used(&app.store, &token).await);
}

#[tokio::test]
async fn each_invalid_answer_is_422_with_its_question_named_and_the_rest_kept() {
    let (_db, app) = start().await;
    let token = invite(&app.store, "alice", "payments").await;
    let cases = [
        ("deploy_ease", "", "Please answer this question."),
        (
            "deploy_ease",
            "11",
            "Please choose a whole number from 1 to 10.",
        ),
        (
            "docs_clarity",
            "0",
            "Please choose a whole number from 1 to 10.",
        ),
        (
            "docs_clarity",
            "4.5",
            "Please choose a whole number from 1 to 10.",
        ),
        (
            "recommend",
            "-1",
            "Please choose a whole number from 0 to 10.",
        ),
        ("recommend", "", "Please answer this question."),
        (
            "wait_time",
            "always",
            "Please choose one of: Never, Sometimes, Often.",
        ),
        ("wait_time", "", "Please answer this question."),
        (
            "pain_point",
            &"x".repeat(2001),
            "Please keep this to 2000 characters (it has 2001).",
        ),
        (
            "pain_point",
            "bell\u{7}",
            "Please remove the control characters from this answer.",
        ),
    ];
    for (field, value, message) in cases {
        let mut form = valid_form(&token, "Kept text");
        set(&mut form, field, value);
        let response = post(&app, &form).await;
        assert_eq!(response.status(), 422, "{field}={value:?}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains(&format!(
                "<p class=\"error\" id=\"q-{field}-error\">{message}</p>"
            )),
            "{field}={value:?}: {body}"
        );
        assert_eq!(
            body.matches("<p class=\"error\"").count(),
            1,
            "only {field}"
        );
        assert!(
            body.contains(&format!("href=\"#q-{field}\"")),
            "in the summary"
        );
        if field != "pain_point" {
            assert!(body.contains(">Kept text</textarea>"), "the text is kept");
        }
        if field != "docs_clarity" {
            assert!(
                body.contains("name=\"docs_clarity\" value=\"6\" checked"),
                "kept"
            );
        }
        if field != "wait_time" {
            assert!(
                body.contains("name=\"wait_time\" value=\"sometimes\" checked"),
                "kept"
            );
        }
    }
    let mut twice = valid_form(&token, "");
    twice.push(("deploy_ease".into(), "3".into()));
    let body = post(&app, &twice).await.text().await.unwrap();
    assert!(body.contains("Please choose only one answer."));
    assert_eq!(
        app.store.counts().await.unwrap().responses,
        0,
        "nothing stored"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_csrf_token_is_403() {
    let (_db, app) = start().await;
    let token = invite(&app.store, "alice", "payments").await;
    let other = invite(&app.store, "bob", "payments").await;
    let mut missing = valid_form(&token, "");
    missing.retain(|(k, _)| k != "csrf");
    let mut forged = valid_form(&token, "");
    set(&mut forged, "csrf", &"0".repeat(64));
    let mut another = valid_form(&token, "");
    set(&mut another, "csrf", &csrf_of(&other));
    for form in [missing, forged, another] {
        let response = post(&app, &form).await;
        assert_eq!(response.status(), 403);
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("This form could not be checked"));
    }
    assert_eq!(app.store.counts().await.unwrap().responses, 0);
    assert!(!invite_used(&app.store, &token).await);
}

#[tokio::test]
async fn unknown_and_used_invites_are_refused_with_a_clear_page() {
    let (_db, app) = start().await;
    let get = |query: &str| reqwest::get(app.url(&format!("/survey{query}")));
    assert_eq!(get("").await.unwrap().status(), 400);
    let unknown = get("?invite=0123456789abcdef").await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("This survey link is not valid"));
    let response = post(&app, &valid_form("0123456789abcdef", "")).await;
    assert_eq!(response.status(), 404);

    let token = invite(&app.store, "alice", "payments").await;
    assert_eq!(post(&app, &valid_form(&token, "first")).await.status(), 200);
    let again = post(&app, &valid_form(&token, "second")).await;
    assert_eq!(again.status(), 409);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("You have already answered"));
    let page = get(&format!("?invite={token}")).await.unwrap();
    assert_eq!(page.status(), 409);
    assert_eq!(release_held(&app.store).await, 1);
    let stored = app.store.answers(QUARTER).await.unwrap();
    let texts: Vec<_> = stored.iter().filter_map(|a| a.text.as_deref()).collect();
    assert_eq!(texts, ["first", "sometimes"], "the first answers only");
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let (_db, app) = start().await;
    let token = invite(&app.store, "alice", "payments").await;
    let huge = "x".repeat(dxs::web::BODY_LIMIT_BYTES);
    let response = post(&app, &valid_form(&token, &huge)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.store.counts().await.unwrap().responses, 0);
}

#[tokio::test]
async fn a_script_in_the_free_text_is_stored_as_written_and_escaped_when_shown() {
    let (_db, app) = start().await;
    let token = invite(&app.store, "alice", "payments").await;
    let script = "<script>alert('x')</script> & \"quotes\"";
    let escaped = "&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; &#34;quotes&#34;";

    let mut invalid = valid_form(&token, script);
    set(&mut invalid, "recommend", "");
    let response = post(&app, &invalid).await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script"), "re-rendered form");
    assert!(body.contains(&format!(">{escaped}</textarea>")), "{body}");

    let response = post(&app, &valid_form(&token, script)).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script"), "thank-you page");
    assert!(body.contains(&format!("<dd>{escaped}</dd>")), "{body}");

    release_held(&app.store).await;
    let stored = app.store.answers(QUARTER).await.unwrap();
    let text = stored.iter().find(|a| a.question == "pain_point").unwrap();
    assert_eq!(text.text.as_deref(), Some(script), "stored as written");
}

#[tokio::test]
async fn behind_an_sso_proxy_a_roster_developer_answers_without_a_link_once() {
    let db = TestDb::sqlite().await;
    roster(&db.store, &[("alice", "payments", "2025-01-06")]).await;
    let settings = config(&[
        ("DXS_SURVEY_SECRET", SECRET),
        ("DXS_AUTH__TRUSTED_USER_HEADER", "X-Forwarded-User"),
        ("DXS_AUTH__TRUSTED_PROXIES", r#"["127.0.0.1"]"#),
    ]);
    let app = TestApp::spawn(settings, db.store.clone()).await;
    let as_user = |login: &str| {
        Client::new()
            .get(app.url("/survey"))
            .header("X-Forwarded-User", login)
            .send()
    };
    let quarter = Quarter::current();
    let token = invites::token(&Secret::new(SECRET), quarter, "alice");
    let page = as_user("alice").await.unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(
        body.contains(&format!("name=\"invite\" value=\"{token}\"")),
        "the derived invite"
    );
    assert!(body.contains(&format!("<li>{quarter}</li>")));
    assert_eq!(post(&app, &valid_form(&token, "")).await.status(), 200);
    assert_eq!(as_user("alice").await.unwrap().status(), 409, "once");
    let stranger = as_user("mallory").await.unwrap();
    assert_eq!(stranger.status(), 403);
    assert!(stranger
        .text()
        .await
        .unwrap()
        .contains("You are not on the roster"));
    assert_eq!(
        reqwest::get(app.url("/survey")).await.unwrap().status(),
        400
    );
    assert_eq!(release_held(&app.store).await, 1);
    let rates = app.store.response_rates(quarter).await.unwrap();
    assert_eq!(
        (rates[0].team.as_str(), rates[0].responses, rates[0].roster),
        ("payments", 1, 1)
    );
}
