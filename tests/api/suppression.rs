//! Complementary suppression (DESIGN §10) over every output: no published figure, nor the
//! organisation's minus those of any set of visible teams, gives survey figures of fewer than
//! `min_group_size` responses. On the demo (SQLite and PostgreSQL) through the JSON API, the
//! report and `/metrics`; on random team sizes through scoring.

use std::collections::BTreeMap;

use dxs::quarter::Quarter;
use dxs::scoring::{self, Rules, Score, TeamScore};
use dxs::store::ScoringFacts;
use proptest::prelude::*;

use crate::helpers::{config, TestApp, TestDb};
use crate::metrics::samples;
use crate::report::{quarters, team_block, text, TOKEN};

/// How many answers each published survey figure of `t` rests on: the answers behind each
/// survey component (`basis`), the NPS groups together, and each choice question's counts
/// together. In the demo and the generated facts below every response answers every scored
/// question, so this is the number of responses of the group the figure describes.
fn answer_counts(t: &TeamScore, rules: &Rules) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for c in rules.survey.components() {
        if let Some(n) = t.basis.get(&c) {
            out.insert(format!("basis {c}"), *n);
        }
    }
    if let Some(g) = &t.survey.nps_counts {
        out.insert("nps groups".into(), g.promoters + g.passives + g.detractors);
    }
    for (question, counts) in &t.survey.choices {
        out.insert(format!("choices {question}"), counts.values().sum());
    }
    out
}

/// Asserts that a hidden group publishes no survey figure, and that no published figure, nor
/// the organisation's minus those of any set of visible teams, rests on 1 to k−1 answers.
pub fn assert_nothing_subtracts_to_fewer_than_k(score: &Score, rules: &Rules) {
    let k = rules.min_group_size;
    let small = |n: i64| n > 0 && n < k;
    for t in score.teams.iter().chain([&score.org]) {
        let counts = answer_counts(t, rules);
        if t.hidden {
            assert!(counts.is_empty(), "{} hidden: {counts:?}", t.team);
            assert!(t.nps.is_none() && t.survey.means.is_empty(), "{}", t.team);
            assert!(
                rules
                    .survey
                    .components()
                    .iter()
                    .all(|c| !t.components.contains_key(c)),
                "{}: {:?}",
                t.team,
                t.components
            );
        }
        assert!(
            !counts.values().any(|n| small(*n)),
            "{}: {counts:?}",
            t.team
        );
    }
    let org = answer_counts(&score.org, rules);
    let visible: Vec<BTreeMap<String, i64>> = score
        .teams
        .iter()
        .filter(|t| !t.hidden)
        .map(|t| answer_counts(t, rules))
        .collect();
    assert!(visible.len() < 16, "every subset is tried");
    for subset in 0u32..1 << visible.len() {
        for (figure, n) in &org {
            let taken: i64 = (0..visible.len())
                .filter(|i| subset & (1 << i) != 0)
                .map(|i| visible[i].get(figure).copied().unwrap_or(0))
                .sum();
            assert!(
                !small(n - taken),
                "org {figure} {n} minus visible teams (set {subset:b}) {taken} is {}",
                n - taken
            );
        }
    }
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_publishes_no_figure_that_subtracts_to_fewer_than_k() {
    for db in TestDb::all().await {
        dxs::demo::fill(&db.store, 42, "2026-11-25".parse().unwrap())
            .await
            .unwrap();
        let config = config(&[
            ("DXS_AUTH__ADMIN_TOKEN_ENV", "TEST_ADMIN_TOKEN"),
            ("TEST_ADMIN_TOKEN", TOKEN),
        ]);
        let rules = Rules::load(&config).unwrap();
        scoring::refresh(&db.store, &config, &quarters())
            .await
            .unwrap();
        let app = TestApp::spawn(config, db.store.clone()).await;
        let score: Score = get(&app, "/api/v1/score?quarter=2026-Q4")
            .await
            .json()
            .await
            .unwrap();
        let hidden: Vec<(&str, i64)> = score
            .teams
            .iter()
            .filter(|t| t.hidden)
            .map(|t| (t.team.as_str(), t.responses))
            .collect();
        // mobile alone is below k; the next-smallest team hides with it.
        assert_eq!(hidden.len(), 2, "{hidden:?}");
        assert!(hidden.iter().any(|(t, n)| *t == "mobile" && *n < 5));
        assert_eq!(hidden.iter().filter(|(_, n)| *n >= 5).count(), 1);
        assert_nothing_subtracts_to_fewer_than_k(&score, &rules);

        // /metrics and the report show survey figures of the visible teams only (their counts,
        // checked above through the API, are what a subtraction of their means would need).
        let metrics = samples(&get(&app, "/metrics").await.text().await.unwrap());
        let html = get(&app, "/report?quarter=2026-Q4")
            .await
            .text()
            .await
            .unwrap();
        let survey_components = rules.survey.components();
        for t in &score.teams {
            let nps = format!("dxs_survey_nps{{team=\"{}\"}}", t.team);
            assert_eq!(metrics.contains_key(&nps), !t.hidden, "{nps}");
            for c in &survey_components {
                let series = format!(
                    "dxs_score_component{{team=\"{}\",component=\"{c}\"}}",
                    t.team
                );
                assert_eq!(metrics.contains_key(&series), !t.hidden, "{series}");
            }
            // The team's fold lists its components with data: no survey one when hidden.
            let block = team_block(&html, &t.team);
            let facts = text(&block[block.find("class=\"facts\"").unwrap()..]);
            let survey = [
                "Ease of deploying",
                "Waiting for infrastructure",
                "Docs clarity",
            ]
            .iter()
            .filter(|label| facts.contains(*label))
            .count();
            assert_eq!(survey == 0, t.hidden, "{}: {facts}", t.team);
            let themes = block.contains("Pain points");
            assert!(!(t.hidden && themes), "no themes of hidden {}", t.team);
        }
        drop(app);
        db.cleanup().await;
    }
}

/// Scoring facts of teams `t0`, `t1`, … with `sizes[i]` responses each, every response answering
/// every scored question (its answers drawn from `seed`).
fn facts(sizes: &[i64], seed: u64) -> ScoringFacts {
    let mut f = ScoringFacts::default();
    let mut x = seed;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    for (i, size) in sizes.iter().enumerate() {
        let team = format!("t{i}");
        f.teams.push(team.clone());
        f.response_counts.push((team.clone(), *size, size + 2));
        for _ in 0..*size {
            for (question, number, choice) in [
                ("deploy_ease", Some(1 + next(10)), None),
                ("docs_clarity", Some(1 + next(10)), None),
                ("recommend", Some(next(11)), None),
                (
                    "wait_time",
                    None,
                    Some(["never", "sometimes", "often"][next(3) as usize]),
                ),
            ] {
                f.answer_team.push(f.survey_teams.code(&team));
                f.answer_question.push(f.questions.code(question));
                f.answer_number.push(number.map(|n| n as f64));
                f.answer_choice.push(choice.map(|c| f.choices.code(c)));
            }
        }
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random team sizes (none, 1..k−1, k and more) and thresholds, through scoring.
    #[test]
    fn random_team_sizes_never_subtract_to_fewer_than_k(
        (k, sizes) in (1i64..7).prop_flat_map(|k| (Just(k), proptest::collection::vec(0..3 * k, 1..8))),
        seed in any::<u64>(),
    ) {
        let mut rules = Rules::load(&config(&[])).unwrap();
        rules.min_group_size = k;
        let quarter: Quarter = "2026-Q3".parse().unwrap();
        let now = quarter.end() + 86_400;
        let period = scoring::period(quarter, now, &rules);
        let score = scoring::score_facts(facts(&sizes, seed), &rules, quarter, &period, now).unwrap();
        let total: i64 = sizes.iter().sum();
        prop_assert_eq!(score.org.responses, total);
        prop_assert_eq!(score.org.hidden, total > 0 && total < k);
        let pool: i64 = score.teams.iter().filter(|t| t.hidden).map(|t| t.responses).sum();
        prop_assert!(pool == 0 || pool >= k || pool == total, "pool {} of {:?}", pool, sizes);
        assert_nothing_subtracts_to_fewer_than_k(&score, &rules);
    }
}
