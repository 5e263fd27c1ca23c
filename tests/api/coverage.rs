//! Coverage and partial scores (DESIGN §5 "Coverage", §7, §8), by hand on SQLite and
//! PostgreSQL: a team whose survey is hidden keeps its telemetry, but that carries less than
//! `score.min_coverage` of the weight, so it has no DXS: `partial`, its coverage published, no
//! `dxs_score` sample, and the report shows its components without a score.

use dxs::model::{Answer, RequestStatus, SelfServiceRequest, Team};
use dxs::quarter::Quarter;
use dxs::scoring::{self, Score};
use dxs::store::{FactBatch, Store};

use crate::helpers::{config, TestApp, TestDb};
use crate::metrics::samples;
use crate::report::TOKEN;

/// `(team, deploy_ease answers, self-service requests (succeeded, finished))`.
const TEAMS: [(&str, &[f64], (usize, usize)); 3] = [
    ("web", &[10.0, 10.0, 7.0, 1.0], (4, 5)),
    ("api", &[4.0, 4.0, 4.0], (1, 2)),
    ("ops", &[10.0], (1, 1)),
];

fn quarter() -> Quarter {
    "2026-Q3".parse().unwrap()
}

/// Writes the three teams: their self-service requests of the quarter and their survey
/// responses (deploy_ease only), released at once.
async fn write(store: &Store) {
    let start = quarter().start();
    let mut batch = FactBatch::default();
    let mut invites = Vec::new();
    let mut responses = Vec::new();
    for (team, answers, (succeeded, finished)) in TEAMS {
        batch.teams.push(Team {
            name: team.into(),
            source: "roster".into(),
        });
        for i in 0..finished {
            let created_at = start + 86_400 * (10 + i as i64);
            batch.requests.push(SelfServiceRequest {
                source: "webhook".into(),
                external_id: format!("{team}-{i}"),
                team: team.into(),
                kind: "create-service".into(),
                status: if i < succeeded {
                    RequestStatus::Succeeded
                } else {
                    RequestStatus::Failed
                },
                human_intervention: false,
                created_at,
                finished_at: Some(created_at + 3_600),
            });
        }
        for (i, value) in answers.iter().enumerate() {
            let hash = format!("{team}-invite-{i}");
            invites.push((hash.clone(), quarter().to_string(), team.to_string()));
            responses.push((
                hash,
                vec![Answer {
                    question: "deploy_ease".into(),
                    number: Some(*value),
                    text: None,
                }],
            ));
        }
    }
    store.write_batch(&batch).await.unwrap();
    store.create_invites(&invites).await.unwrap();
    let key = dxs::seal::SealKey::random();
    for (hash, answers) in &responses {
        store.submit_response(hash, answers, &key).await.unwrap();
    }
    // The survey closes: its answers are released and its figures published, with k = 3.
    let quarter = quarter().to_string();
    let now = chrono::Utc::now().timestamp();
    assert!(store.close_survey(&quarter, now, 3, &key).await.unwrap());
}

/// Weights deploy_ease 0.45 and self_service 0.55, k = 3, `score.min_coverage` 0.6 (the
/// default). ops (1 response) is under k; with it alone the hidden pool would hold 1, so the
/// next-smallest, api (3), is hidden too. Their telemetry, self-service, carries 0.55 of the
/// weight: just below 0.6, so both are partial.
/// web: deploy_ease (10+10+7+1)/4 = 7 → (7−1)/9·100 = 66.67; self-service 4/5 = 80;
/// DXS 0.45·66.67 + 0.55·80 = 30 + 44 = 74.0, coverage 1.
/// Organisation: deploy_ease (28 + 12 + 10)/8 = 6.25 → 58.33; self-service 6/8 = 75;
/// DXS 0.45·58.33 + 0.55·75 = 26.25 + 41.25 = 67.5, coverage 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_whose_survey_is_hidden_falls_below_min_coverage_and_has_no_dxs() {
    for db in TestDb::all().await {
        write(&db.store).await;
        let config = config(&[
            (
                "DXS_SCORE__WEIGHTS",
                "{ deploy_ease = 0.45, self_service = 0.55 }",
            ),
            ("DXS_SCORE__MIN_GROUP_SIZE", "3"),
            ("DXS_AUTH__ADMIN_TOKEN_ENV", "TEST_ADMIN_TOKEN"),
            ("TEST_ADMIN_TOKEN", TOKEN),
        ]);
        scoring::refresh(&db.store, &config, &[quarter()])
            .await
            .unwrap();
        let app = TestApp::spawn(config, db.store.clone()).await;
        let get = |path: &str| {
            reqwest::Client::new()
                .get(app.url(path))
                .bearer_auth(TOKEN)
                .send()
        };
        let score: Score = get("/api/v1/score?quarter=2026-Q3")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let web = score.team("web").unwrap();
        assert_eq!(
            (web.dxs, web.coverage, web.partial),
            (Some(74.0), 1.0, false)
        );
        assert_eq!(web.components["deploy_ease"], 66.7);
        for name in ["api", "ops"] {
            let t = score.team(name).unwrap();
            assert!(t.hidden, "{name}: survey hidden");
            assert_eq!((t.dxs, t.coverage, t.partial), (None, 0.55, true), "{name}");
            assert_eq!(t.missing, ["deploy_ease"], "{name}");
        }
        // The components stay, without a score.
        assert_eq!(score.team("api").unwrap().components["self_service"], 50.0);
        assert_eq!(score.team("ops").unwrap().components["self_service"], 100.0);
        let org = &score.org;
        assert_eq!(
            (org.dxs, org.coverage, org.partial),
            (Some(67.5), 1.0, false)
        );
        assert_eq!(org.components["deploy_ease"], 58.3);
        assert_eq!(org.components["self_service"], 75.0);
        // The JSON says so in DESIGN §7's words.
        let json: serde_json::Value = get("/api/v1/score?quarter=2026-Q3")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let api = json["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["team"] == "api")
            .unwrap();
        assert_eq!(api["dxs"], serde_json::Value::Null);
        assert_eq!(api["partial"], true);
        assert_eq!(api["coverage"], 0.55);

        // /metrics: the coverage of every group; no dxs_score sample of a partial team.
        let text = reqwest::get(app.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let metrics = samples(&text);
        let coverage =
            |team: &str| metrics[&format!("dxs_score_coverage_ratio{{team=\"{team}\"}}")];
        assert_eq!(coverage("all"), 1.0);
        assert_eq!(coverage("web"), 1.0);
        assert_eq!(coverage("api"), 0.55);
        assert_eq!(coverage("ops"), 0.55);
        assert_eq!(metrics["dxs_score{team=\"web\"}"], 74.0);
        assert_eq!(metrics["dxs_score{team=\"all\"}"], 67.5);
        for name in ["api", "ops"] {
            assert!(
                !metrics.contains_key(&format!("dxs_score{{team=\"{name}\"}}")),
                "{name} is partial: {text}"
            );
        }

        // The report: "partial" with the coverage instead of a DXS, the components shown.
        let html = get("/report?quarter=2026-Q3")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let row = team_row(&html, "api");
        assert!(row.contains("partial") && row.contains("55%"), "{row}");
        assert!(!row.contains("74.0"), "{row}");
        assert!(team_row(&html, "web").contains("74.0"));
        drop(app);
        db.cleanup().await;
    }
}

/// The HTML of `team`'s row in the report's team list (from its marker to the next row).
fn team_row(html: &str, team: &str) -> String {
    let marker = format!("data-team=\"{team}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no row {marker}"));
    let rest = &html[start..];
    let end = rest[marker.len()..]
        .find("data-team=\"")
        .map_or(rest.len(), |i| i + marker.len());
    rest[..end].to_string()
}
