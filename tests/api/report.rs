//! The report and the JSON API: access, content from the snapshot, hiding, escaping, the file.

use dxs::quarter::Quarter;
use dxs::scoring::{self, Score};
use dxs::store::FactBatch;

use crate::helpers::{config, dxs_bin, TestApp, TestDb};

/// The admin token of the report tests.
pub const TOKEN: &str = "test-admin-token-of-32-characters";

/// The demo's four quarters, oldest first.
pub fn quarters() -> Vec<Quarter> {
    ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
        .iter()
        .map(|q| q.parse().unwrap())
        .collect()
}

/// A server on the demo organisation with its four quarters scored (its database kept while
/// the returned [`TestDb`] lives).
pub async fn demo_app(extra: &[(&str, &str)]) -> (TestApp, TestDb, Score) {
    let db = TestDb::sqlite().await;
    dxs::demo::fill(&db.store, 42, "2026-11-25".parse().unwrap())
        .await
        .unwrap();
    let mut overrides = vec![
        ("DXS_AUTH__ADMIN_TOKEN_ENV", "TEST_ADMIN_TOKEN"),
        ("TEST_ADMIN_TOKEN", TOKEN),
    ];
    overrides.extend_from_slice(extra);
    let config = config(&overrides);
    let scores = scoring::refresh(&db.store, &config, &quarters())
        .await
        .unwrap();
    let app = TestApp::spawn(config, db.store.clone()).await;
    (app, db, scores.last().unwrap().clone())
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_api_need_the_token() {
    let (app, _db, _) = demo_app(&[]).await;
    for path in [
        "/report",
        "/report?quarter=2026-Q3",
        "/api/v1/score",
        "/api/v1/quarters",
    ] {
        let none = get(&app, path, None).await;
        assert_eq!(none.status(), 401, "{path}");
        let body = none.text().await.unwrap();
        assert!(!body.contains("payments"), "no data on a 401 page: {path}");
        assert_eq!(get(&app, path, Some("wrong")).await.status(), 401, "{path}");
        assert_eq!(get(&app, path, Some(TOKEN)).await.status(), 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_gets_in_when_no_token_is_configured() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(
        config(&[("DXS_AUTH__ADMIN_TOKEN_ENV", "UNSET_VARIABLE_FOR_TEST")]),
        db.store.clone(),
    )
    .await;
    assert_eq!(get(&app, "/report", None).await.status(), 401);
    assert_eq!(get(&app, "/api/v1/quarters", Some("")).await.status(), 401);
}

/// The texts of the number cells of the table row that `row_marker` starts.
pub fn cell_texts(html: &str, row_marker: &str) -> Vec<String> {
    let start = html
        .find(row_marker)
        .unwrap_or_else(|| panic!("{row_marker} not in the page"));
    let row = &html[start..html[start..].find("</tr>").unwrap() + start];
    row.split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split("</td>").next().unwrap().to_string())
        .collect()
}

/// The HTML of `team`'s entry in the team list: its row and its fold.
pub fn team_block<'h>(html: &'h str, team: &str) -> &'h str {
    let marker = format!("<details class=\"team\" data-team=\"{team}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{marker} not in the page"));
    let end = html[start..].find("</details>").unwrap() + start;
    &html[start..end]
}

/// `html` without its tags, spaces collapsed.
pub fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_section_shows_the_numbers_of_the_snapshot() {
    let (app, _db, score) = demo_app(&[]).await;
    let html = get(&app, "/report?quarter=2026-Q4", Some(TOKEN))
        .await
        .text()
        .await
        .unwrap();
    let org = &score.org;
    assert!(html.contains(&format!(
        "<div class=\"big\" id=\"org-dxs\">{:.1}</div>",
        org.dxs.unwrap()
    )));
    let delta = org.delta.as_ref().and_then(|d| d.dxs).unwrap();
    assert!(
        html.contains(&format!("{delta:+.1} since 2026-Q3")),
        "delta shown"
    );
    assert_eq!(
        html.matches("<circle").count(),
        4,
        "four quarters on the trend"
    );
    for (component, value) in &org.components {
        let cells = cell_texts(&html, &format!("data-component=\"{component}\""));
        assert_eq!(cells[0], format!("{value:.1}"), "{component}");
    }
    let basis = org.basis["lead_time"];
    assert!(html.contains(&format!("{basis} changes")));
    for team in &score.teams {
        let block = team_block(&html, &team.team);
        let row = text(&block[..block.find("</summary>").unwrap()]);
        let expected = match team.dxs {
            Some(v) => format!("{} {v:.1}", team.team),
            None => format!("{} partial {:.0}%", team.team, team.coverage * 100.0),
        };
        assert!(row.starts_with(&expected), "{row} vs {expected}");
    }
    let counts = org.survey.nps_counts.clone().unwrap();
    assert!(html.contains(&format!("Promoters {}", counts.promoters)));
    assert!(html.contains(&format!("Detractors {}", counts.detractors)));
    assert!(html.contains(&format!(
        "<strong id=\"nps\">{:.1}</strong>",
        org.nps.unwrap()
    )));
    let waits = &org.survey.choices["wait_time"];
    assert!(html.contains(&format!("Often {}", waits["often"])));
    assert!(html.contains(&format!("{} responses", org.responses)));
    assert!(html.contains("id=\"themes\""), "pain-point themes");
    assert!(html.contains("id=\"cohort\""), "onboarding cohort");
    assert!(html.contains("id=\"freshness\""), "data freshness");
    assert!(html.contains("id=\"coverage\""), "coverage");
    // Adoption's exclusions: how many, folded in full.
    assert!(html.contains("id=\"exclusions\""), "adoption exclusions");
    for e in &org.adoption.excluded {
        assert!(html.contains(&format!("{} ({})", e.repo, e.why)), "{e:?}");
    }
    assert!(!html.contains("<script"), "no script at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_teams_hide_their_survey_figures() {
    let (app, _db, score) = demo_app(&[]).await;
    let mobile = score.teams.iter().find(|t| t.team == "mobile").unwrap();
    assert!(
        mobile.hidden,
        "the demo's mobile team is below min_group_size"
    );
    let html = get(&app, "/report?quarter=2026-Q4", Some(TOKEN))
        .await
        .text()
        .await
        .unwrap();
    let block = team_block(&html, "mobile");
    assert!(block.contains("survey figures hidden: fewer than 5 responses"));
    // The fold lists the components with data: none of the survey's.
    let facts = text(&block[block.find("class=\"facts\"").unwrap()..]);
    for survey in [
        "Ease of deploying",
        "Waiting for infrastructure",
        "Docs clarity",
        "NPS",
    ] {
        assert!(!facts.contains(survey), "{survey} in {facts}");
    }
    assert!(facts.contains("Lead time"), "{facts}");
    assert!(
        !block.contains("Pain points"),
        "no themes for a hidden team"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_table_sorts_by_query_parameter() {
    let (app, _db, score) = demo_app(&[]).await;
    let order = |html: &str| -> Vec<String> {
        html.split("<details class=\"team\" data-team=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect()
    };
    let by_name = order(
        &get(
            &app,
            "/report?quarter=2026-Q4&sort=team&order=asc",
            Some(TOKEN),
        )
        .await
        .text()
        .await
        .unwrap(),
    );
    let mut names: Vec<String> = score.teams.iter().map(|t| t.team.clone()).collect();
    names.sort();
    assert_eq!(by_name, names);
    let by_dxs = order(
        &get(&app, "/report?quarter=2026-Q4&sort=dxs", Some(TOKEN))
            .await
            .text()
            .await
            .unwrap(),
    );
    let mut teams = score.teams.clone();
    teams.sort_by(|a, b| b.dxs.partial_cmp(&a.dxs).unwrap());
    assert_eq!(
        by_dxs,
        teams.iter().map(|t| t.team.clone()).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_the_snapshot() {
    let (app, _db, score) = demo_app(&[]).await;
    let body: Score = get(&app, "/api/v1/score?quarter=2026-Q4", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body, score);
    let quarters: serde_json::Value = get(&app, "/api/v1/quarters", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        quarters["quarters"],
        serde_json::json!(["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1"])
    );
    assert_eq!(
        get(&app, "/api/v1/score?quarter=2019-Q1", Some(TOKEN))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&app, "/api/v1/score?quarter=nope", Some(TOKEN))
            .await
            .status(),
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_written_strings_are_escaped_everywhere() {
    let db = TestDb::sqlite().await;
    let evil = "<script>alert(1)</script>";
    let facts = FactBatch {
        teams: vec![dxs::model::Team {
            name: evil.into(),
            source: "roster".into(),
        }],
        requests: vec![dxs::model::SelfServiceRequest {
            source: "webhook".into(),
            external_id: "1".into(),
            team: evil.into(),
            kind: "create-service".into(),
            status: dxs::model::RequestStatus::Succeeded,
            human_intervention: false,
            created_at: Quarter::current().start(),
            finished_at: Some(Quarter::current().start() + 60),
        }],
        ..Default::default()
    };
    db.store.write_batch(&facts).await.unwrap();
    let invites: Vec<(String, String, String)> = (0..3)
        .map(|i| {
            (
                format!("h{i}"),
                Quarter::current().to_string(),
                evil.to_string(),
            )
        })
        .collect();
    db.store.create_invites(&invites).await.unwrap();
    let key = dxs::seal::SealKey::random();
    for (hash, _, _) in &invites {
        let pain = dxs::model::Answer {
            question: "pain_point".into(),
            number: None,
            text: Some(format!("{evil} <img src=x onerror=alert(2)>")),
        };
        db.store.submit_response(hash, &[pain], &key).await.unwrap();
    }
    let config = config(&[
        ("DXS_AUTH__ADMIN_TOKEN_ENV", "TEST_ADMIN_TOKEN"),
        ("TEST_ADMIN_TOKEN", TOKEN),
        ("DXS_SCORE__MIN_GROUP_SIZE", "1"),
    ]);
    scoring::refresh(&db.store, &config, &[Quarter::current()])
        .await
        .unwrap();
    let app = TestApp::spawn(config, db.store.clone()).await;
    let html = get(&app, "/report", Some(TOKEN))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "the team name is shown, escaped"
    );
    assert!(!html.contains("<script"), "never a raw script tag");
    assert!(!html.contains("<img"), "never a raw tag from an answer");
    let next = get(&app, "/login?next=%22%3E%3Cscript%3E", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!next.contains("<script"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dxs_report_writes_one_self_contained_file_that_a_browser_renders() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
    let run = |args: &[&str]| {
        let out = dxs_bin()
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["demo"]);
    let file = dir.path().join("report.html");
    run(&["report", "--out", file.to_str().unwrap()]);
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        html.contains("<style>") && html.contains("@media print"),
        "CSS inline, with a print stylesheet"
    );
    for external in ["<script", "<link", " src=", "http://", "https://"] {
        assert!(
            !html.contains(external),
            "the file must stand alone: found {external}"
        );
    }
    assert!(html.contains("<svg"), "charts are inline SVG");
    crate::report_browser::renders_without_errors(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_signs_in_and_reads_the_report_in_a_real_browser() {
    let (app, _db, score) = demo_app(&[]).await;
    let browser = crate::browser::Browser::start().await;
    browser.resize(1280, 1000).await;
    browser
        .goto(&app.url("/report?quarter=2026-Q4"))
        .await
        .unwrap();
    assert_eq!(
        browser.title().await.unwrap(),
        "Sign in: dxs",
        "the report asks for a sign-in"
    );
    browser
        .find(fantoccini::Locator::Css("input[name=token]"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    browser.click("button[type=submit]").await;
    browser.wait_for(fantoccini::Locator::Css("#org-dxs")).await;
    assert_eq!(browser.title().await.unwrap(), "DXS report 2026-Q4");
    assert_eq!(
        browser.text_of("#org-dxs").await,
        format!("{:.1}", score.org.dxs.unwrap())
    );
    // Self-contained: the page loaded no resource (no stylesheet, script, font or image).
    let loaded = browser
        .execute(
            "return performance.getEntriesByType('resource').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(loaded.as_u64(), Some(0));
    let png = browser.screenshot("report-desktop").await;
    let size = browser
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .unwrap();
    let size = (
        size[0].as_u64().unwrap() as u32,
        size[1].as_u64().unwrap() as u32,
    );
    crate::report_browser::assert_not_blank(&png, size);
    browser.close().await;
}
