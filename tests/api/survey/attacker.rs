//! The attacker of issue 23 (DESIGN §10 "Publish once, at close"): reads `/api/v1/score`,
//! `/metrics` and `/report` before and after every step of a quarter's survey (each answer
//! posted while it is open, a batch released, the close, a late post, later ticks and rescores)
//! and checks that no answer of a group under k can be computed from any two readings, on
//! SQLite and PostgreSQL:
//!
//! - while open, no reading holds an answer figure (survey component, NPS, mean, choice count,
//!   theme), and two readings differ only in participation (responses so far, "fewer than k");
//! - at the close the figures appear once, passing the single-look rule (complementary
//!   suppression), and every later reading is the same, late post and ticks included.
//!
//! So any two readings give at most one closed reading's figures, which a single look allows.

use std::collections::BTreeMap;

use dxs::config::Config;
use dxs::quarter::Quarter;
use dxs::scoring::Rules;
use dxs::survey::invites;
use serde_json::Value;

use super::{csrf_of, roster, SECRET};
use crate::helpers::{config, TestApp, TestDb};
use crate::metrics::samples;
use crate::report::team_block;
use crate::suppression::assert_nothing_subtracts_to_fewer_than_k;

const TOKEN: &str = "attacker-test-admin-token-32-chars";
const SURVEY_COMPONENTS: [&str; 4] = ["deploy_ease", "wait_time", "docs_clarity", "nps"];

/// What an attacker with the admin token reads after one step.
struct Reading {
    step: String,
    score: Value,
    metrics: BTreeMap<String, f64>,
    report: String,
}

impl Reading {
    /// The score without what changes with the time it was computed, nor participation.
    fn without_participation(&self) -> Value {
        let mut score = self.without_time();
        for group in groups_mut(&mut score) {
            let survey = group["survey"].as_object_mut().unwrap();
            for field in ["responses", "fewer_than", "response_rate"] {
                survey.remove(field);
            }
        }
        score
    }

    fn without_time(&self) -> Value {
        let mut score = self.score.clone();
        score.as_object_mut().unwrap().remove("computed_at");
        score
    }

    /// The published families (live HTTP counters left out), participation left out when asked.
    fn published(&self, participation: bool) -> BTreeMap<&str, f64> {
        self.metrics
            .iter()
            .filter(|(k, _)| !k.starts_with("dxs_http_"))
            .filter(|(k, _)| participation || !k.starts_with("dxs_survey_responses_total"))
            .map(|(k, v)| (k.as_str(), *v))
            .collect()
    }

    /// The report without its time of computation, participation lines left out when asked.
    fn page(&self, participation: bool) -> String {
        let computed = self.score["computed_at"].as_str().unwrap();
        let page = self.report.replace(computed, "");
        match participation {
            true => page,
            false => regex::Regex::new(r"20\d\d-Q\d, (open until|closed) [0-9-]*: [^<]*")
                .unwrap()
                .replace_all(&page, "")
                .into_owned(),
        }
    }
}

fn groups_mut(score: &mut Value) -> Vec<&mut Value> {
    let Value::Object(map) = score else {
        panic!("a score is an object")
    };
    let mut groups = Vec::new();
    for (key, value) in map.iter_mut() {
        match key.as_str() {
            "org" => groups.push(value),
            "teams" => groups.extend(value.as_array_mut().unwrap().iter_mut()),
            _ => {}
        }
    }
    groups
}

fn groups(score: &Value) -> impl Iterator<Item = &Value> {
    std::iter::once(&score["org"]).chain(score["teams"].as_array().unwrap())
}

fn team<'a>(score: &'a Value, name: &str) -> &'a Value {
    groups(score).find(|t| t["team"] == name).unwrap()
}

async fn get(app: &TestApp, path: &str) -> String {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// Scores and publishes as a pass of the app would (due releases and closes first), then reads
/// the three outputs.
async fn read(app: &TestApp, step: &str) -> Reading {
    app.state.score(&[]).await.unwrap();
    app.state
        .metrics
        .publish_from_store(&app.store)
        .await
        .unwrap();
    Reading {
        step: step.to_string(),
        score: serde_json::from_str(&get(app, "/api/v1/score").await).unwrap(),
        metrics: samples(&get(app, "/metrics").await),
        report: get(app, "/report").await,
    }
}

/// A complete form for `token`: `deploy_ease` and `recommend` are `value` (a person's own).
fn form(token: &str, value: u32) -> Vec<(String, String)> {
    let wait = ["never", "sometimes", "often"][value as usize % 3];
    [
        ("invite", token.to_string()),
        ("csrf", csrf_of(token)),
        ("deploy_ease", value.to_string()),
        ("wait_time", wait.to_string()),
        ("docs_clarity", value.to_string()),
        ("recommend", (value % 11).to_string()),
        ("pain_point", "slow CI pipelines".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn post(app: &TestApp, form: &[(String, String)]) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(app.url("/survey"))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn config_of_test() -> Config {
    config(&[
        ("DXS_SURVEY_SECRET", SECRET),
        ("DXS_AUTH__ADMIN_TOKEN_ENV", "TEST_ADMIN_TOKEN"),
        ("TEST_ADMIN_TOKEN", TOKEN),
    ])
}

/// While open: no answer figure anywhere; mobile (3 of 3) shows "fewer than 5" only.
fn assert_only_participation(r: &Reading, quarter: &str) {
    for g in groups(&r.score) {
        let who = format!("{}: {}", r.step, g["team"]);
        for c in SURVEY_COMPONENTS {
            assert!(g["components"].get(c).is_none(), "{who}: {c}");
        }
        assert!(g["nps"].is_null(), "{who}");
        assert_eq!(g["responses"], 0, "{who}");
        let survey = &g["survey"];
        assert_eq!(survey["means"], serde_json::json!({}), "{who}");
        assert_eq!(survey["choices"], serde_json::json!({}), "{who}");
        assert!(survey["nps_counts"].is_null(), "{who}");
        assert!(survey["figures_quarter"].is_null(), "{who}");
        assert_eq!(survey["quarter"], quarter, "{who}");
        assert_eq!(survey["status"], "open", "{who}");
    }
    let mobile = &team(&r.score, "mobile")["survey"];
    let fewer = mobile["responses"].is_null() && mobile["fewer_than"] == 5;
    assert!(fewer || mobile["responses"] == 0, "{}: {mobile}", r.step);
    assert_eq!(mobile["invites"], 3);
    for (series, _) in r.published(true) {
        assert!(
            !series.starts_with("dxs_survey_nps"),
            "{}: {series}",
            r.step
        );
        for c in SURVEY_COMPONENTS {
            assert!(
                !series.contains(&format!("component=\"{c}\"")),
                "{}: {series}",
                r.step
            );
        }
    }
    let open = format!("dxs_survey_open{{quarter=\"{quarter}\"}}");
    assert_eq!(r.metrics.get(&open), Some(&1.0), "{}", r.step);
    assert!(r.report.contains("No survey has closed yet"), "{}", r.step);
    assert!(r.report.contains("<strong id=\"nps\">no data</strong>"));
    assert!(!r.report.contains("slow CI"), "{}: a theme", r.step);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_of_a_group_under_k_follows_from_any_two_readings_of_a_survey() {
    for db in TestDb::all().await {
        let config = config_of_test();
        let rules = Rules::load(&config).unwrap();
        let quarter = Quarter::current();
        let q = quarter.to_string();
        let mut people = Vec::new();
        for (team, n) in [("payments", 8), ("checkout", 6), ("mobile", 3)] {
            for i in 0..n {
                people.push((format!("{team}-{i}"), team));
            }
        }
        let rows: Vec<(&str, &str, &str)> = people
            .iter()
            .map(|(login, team)| (login.as_str(), *team, "2025-01-06"))
            .collect();
        roster(&db.store, &rows).await;
        let links = invites::issue(&db.store, &config.survey, quarter, None)
            .await
            .unwrap();
        let token = |login: &str| {
            let link = links.iter().find(|l| l.login == login).unwrap();
            link.url.rsplit_once("invite=").unwrap().1.to_string()
        };
        let app = TestApp::spawn_without_pipeline(config.clone(), db.store.clone()).await;

        // Mobile answers first, each a value of their own; then the larger teams.
        let mut order: Vec<(String, u32)> =
            (0..3).map(|i| (format!("mobile-{i}"), i + 1)).collect();
        order.extend((0..6).map(|i| (format!("payments-{i}"), 10 - i % 3)));
        order.extend((0..5).map(|i| (format!("checkout-{i}"), 7 + i % 2)));
        let mut readings = vec![read(&app, "invited").await];
        let mut released_while_open = false;
        for (login, value) in &order {
            let (status, _) = post(&app, &form(&token(login), *value)).await;
            assert_eq!(status, 200, "{login}");
            released_while_open |= !db.store.answers(&q).await.unwrap().is_empty();
            readings.push(read(&app, &format!("{login} answered")).await);
        }
        assert!(released_while_open, "a batch of 5 was released while open");
        for r in &readings {
            assert_only_participation(r, &q);
        }
        let last = readings.last().unwrap();
        let org = &last.score["org"]["survey"];
        assert_eq!(
            (org["responses"].as_i64(), org["invites"].as_i64()),
            (Some(14), Some(17))
        );
        assert_eq!(team(&last.score, "payments")["survey"]["responses"], 6);
        let mobile = &team(&last.score, "mobile")["survey"];
        assert_eq!(
            (&mobile["responses"], &mobile["fewer_than"]),
            (&Value::Null, &5.into())
        );
        let fold = team_block(&last.report, "mobile");
        assert!(fold.contains(": fewer than 5 of 3 invited"), "{fold}");
        let fold = team_block(&last.report, "payments");
        assert!(fold.contains(": 6 of 8 invited (75%)"), "{fold}");
        // Two open readings differ in participation only: in the JSON, the metrics and the page.
        for pair in readings.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let steps = format!("{} → {}", a.step, b.step);
            assert_eq!(
                a.without_participation(),
                b.without_participation(),
                "{steps}"
            );
            assert_eq!(a.published(false), b.published(false), "{steps}");
            assert_eq!(a.page(false), b.page(false), "{steps}");
        }

        // The close: the figures appear once, suppressed for a single look.
        app.state.close_survey(quarter).await.unwrap();
        let closed = read(&app, "closed").await;
        let score: dxs::scoring::Score = serde_json::from_value(closed.score.clone()).unwrap();
        assert_nothing_subtracts_to_fewer_than_k(&score, &rules);
        assert_eq!(score.org.responses, 14);
        assert!(score.org.components.contains_key("deploy_ease"));
        let hidden: Vec<&str> = score
            .teams
            .iter()
            .filter(|t| t.hidden)
            .map(|t| t.team.as_str())
            .collect();
        // mobile (3) alone would be the organisation minus the others: checkout (5) goes too.
        assert_eq!(hidden, ["checkout", "mobile"]);
        assert!(!score.team("payments").unwrap().hidden);
        for s in std::iter::once(&score.org).chain(&score.teams) {
            assert_eq!(s.survey.figures_quarter.as_deref(), Some(q.as_str()));
            assert_eq!(s.survey.status, Some(dxs::scoring::SurveyStatus::Closed));
        }
        let open = format!("dxs_survey_open{{quarter=\"{q}\"}}");
        assert_eq!(closed.metrics.get(&open), Some(&0.0));
        assert!(!closed
            .metrics
            .contains_key(r#"dxs_survey_nps{team="mobile"}"#));
        assert!(closed
            .report
            .contains(&format!("Survey {q} (closed): 14 responses")));

        // A late post is refused and stores nothing; ticks and rescores change nothing.
        let late = "payments-7";
        let (status, body) = post(&app, &form(&token(late), 1)).await;
        assert_eq!(status, 410, "{body}");
        assert!(body.contains("This survey has closed") && body.contains("nothing sent"));
        assert_eq!(db.store.counts().await.unwrap().responses, 14);
        assert!(db.store.held_responses().await.unwrap().is_empty());
        let mut after = vec![read(&app, "late post").await];
        app.state.release_survey().await;
        after.push(read(&app, "tick").await);
        assert!(matches!(
            app.state.close_survey(quarter).await,
            Err(dxs::survey::release::CloseError::Closed(_))
        ));
        after.push(read(&app, "second close refused").await);
        for r in &after {
            assert_eq!(r.without_time(), closed.without_time(), "{}", r.step);
            assert_eq!(r.published(true), closed.published(true), "{}", r.step);
            assert_eq!(r.page(true), closed.page(true), "{}", r.step);
        }
        drop(app);
        db.cleanup().await;
    }
}
