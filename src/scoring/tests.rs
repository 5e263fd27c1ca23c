//! Hand-computed scores of a small organisation, and properties of the DXS.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::config::{ScoreConfig, DEFAULT_WEIGHTS};
use crate::store::{
    CohortDeveloper, Participation, RepoFacts, ServiceFacts, SurveyShown, SurveyWindow,
};
use crate::survey::SurveyDefinition;

const H: i64 = 3600;
const D: i64 = 86_400;

fn rules(min_group_size: u32) -> Rules {
    let config = ScoreConfig {
        weights: DEFAULT_WEIGHTS
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        min_group_size,
        ..crate::config::Config::from_parts("", Vec::new(), |_| None)
            .unwrap()
            .score
    };
    let survey = SurveyDefinition::load(std::path::Path::new("surveys/quarterly.toml")).unwrap();
    Rules::new(&config, survey).unwrap()
}

fn quarter() -> Quarter {
    "2026-Q3".parse().unwrap()
}

/// Teams `a` and `b`. Repos: r0 (a, active), r1 (a, deployed through ArgoCD in the window
/// only), r2 (b, active, GitHub deploys), r3 (b, archived).
fn facts() -> ScoringFacts {
    let q = quarter();
    let end = q.end();
    let mut f = ScoringFacts {
        teams: vec!["a".into(), "b".into()],
        ..ScoringFacts::default()
    };
    for (slug, team, archived, active) in [
        ("r0", "a", false, true),
        ("r1", "a", false, false),
        ("r2", "b", false, true),
        ("r3", "b", true, true),
    ] {
        let repo = f.repo_names.code(slug);
        f.repos.push(RepoFacts {
            team: Some(team.into()),
            archived,
            active,
            ..RepoFacts::default()
        });
        // Each repository is its own service, named by its slug.
        f.service_names.code(slug);
        f.services.push(ServiceFacts { repo, team: None });
    }
    for (service, hours) in [(0, 1), (0, 2), (0, 3), (0, 4), (0, 10), (2, 24)] {
        f.change_service.push(service);
        f.change_lead_seconds.push(hours * H);
    }
    // Rollouts: r0 twice and back once (a rollback: not a rollout), r1 once, r2 once.
    for (i, (service, back)) in [(0, false), (0, false), (0, true), (1, false), (2, false)]
        .into_iter()
        .enumerate()
    {
        f.rollout_service.push(service);
        f.rollout_back.push(back);
        f.rollout_at.push(end - 10 * D + i as i64);
        f.rollout_sha.push(format!("c{i}"));
    }
    for (repo, platform) in [(0, true), (0, true), (1, true), (2, false)] {
        f.deploy_repo.push(repo);
        f.deploy_platform.push(platform);
        f.deploy_at.push(end - 10 * D);
    }
    let start = end - 20 * D;
    f.cohort = vec![
        CohortDeveloper {
            team: "a".into(),
            start_at: start,
            first_commit_at: Some(start + 8 * H),
        },
        CohortDeveloper {
            team: "a".into(),
            start_at: start,
            first_commit_at: None,
        },
        CohortDeveloper {
            team: "a".into(),
            start_at: start + D,
            first_commit_at: Some(end + D), // after the period: still open as of its end
        },
    ];
    f.request_team = vec!["a".into(), "a".into(), "a".into()];
    f.request_ok = vec![true, true, false];
    let mut answer = |team: &str, question: &str, number: Option<f64>, text: Option<&str>| {
        f.answer_team.push(f.survey_teams.code(team));
        f.answer_question.push(f.questions.code(question));
        f.answer_number.push(number);
        f.answer_choice.push(text.map(|t| f.choices.code(t)));
    };
    for x in [10.0, 1.0, 4.0, 7.0, 10.0] {
        answer("a", "deploy_ease", Some(x), None);
    }
    // Asymmetric on purpose: swapping Never and Often, or the NPS groups, changes the figures.
    for x in [10.0, 9.0, 10.0, 6.0, 8.0] {
        answer("a", "recommend", Some(x), None);
    }
    for w in ["never", "sometimes", "sometimes", "often", "never"] {
        answer("a", "wait_time", None, Some(w));
    }
    for x in [3.0, 5.0, 8.0, 10.0, 9.0] {
        answer("a", "docs_clarity", Some(x), None);
    }
    answer("b", "deploy_ease", Some(1.0), None);
    answer("b", "deploy_ease", Some(1.0), None);
    answer("b", "deploy_ease", Some(11.0), None); // out of range: ignored
    f.response_counts = vec![("a".into(), 5, 6), ("b".into(), 2, 10)];
    // The quarter's own survey, closed: its participation and its figures are shown.
    let window = SurveyWindow {
        quarter: quarter().to_string(),
        opened_at: quarter().start(),
        closed_at: Some(quarter().start() + 21 * D),
        frozen_k: Some(5),
    };
    let participation = |team: &str, responses, invites| Participation {
        team: team.into(),
        responses,
        invites,
    };
    f.survey = SurveyShown {
        latest: Some(window.clone()),
        participation: vec![participation("a", 5, 6), participation("b", 2, 10)],
        closed: Some(window),
    };
    f
}

/// `f` with its survey closed with `k`.
fn closed_with(mut f: ScoringFacts, k: u32) -> ScoringFacts {
    for w in [&mut f.survey.latest, &mut f.survey.closed]
        .into_iter()
        .flatten()
    {
        w.frozen_k = Some(i64::from(k));
    }
    f
}

/// The score of `f` with the survey closed (and `score.min_group_size`) at `min_group_size`.
fn score(f: ScoringFacts, min_group_size: u32) -> Score {
    let f = closed_with(f, min_group_size);
    let rules = rules(min_group_size);
    let now = quarter().end() + 5 * D;
    let p = period(quarter(), now, &rules);
    score_facts(f, &rules, quarter(), &p, now).unwrap()
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn every_component_by_hand() {
    // At a threshold of 2 no team is hidden (at 5, b is, and a with it: see below).
    let s = score(facts(), 2);
    let a = s.team("a").unwrap();
    // Lead time 1,2,3,4,10 h: median 3, p90 = 4 + 0.6·(10−4) = 7.6 (linear, as percentile_cont).
    assert_eq!(a.lead_time_hours.median, Some(3.0));
    assert_eq!(a.lead_time_hours.p90, Some(7.6));
    assert_eq!(a.lead_time_hours.changes, 5);
    // 100·(ln 720 − ln 3)/ln 720 = 83.30
    assert_eq!(a.components["lead_time"], 83.3);
    assert_eq!(a.dora.lead_time, Some(Tier::Elite));
    // Onboarding: one developer at 8 h, two open (one has no commit, one committed after the
    // period's end); 100·ln(42)/ln(84) = 84.36.
    assert_eq!(a.onboarding_hours.median, Some(8.0));
    assert_eq!(a.onboarding_hours.onboarded, 1);
    assert_eq!(a.onboarding_hours.open, 2);
    assert_eq!(a.onboarding_hours.open_max_hours, Some(20.0 * 24.0));
    assert_eq!(a.components["onboarding"], 84.4);
    // Self-service: 2 of 3.
    assert_eq!(a.self_service_rate, Some(0.6667));
    assert_eq!(a.components["self_service"], 66.7);
    // Adoption: r0 and r1 (active through its deployment), both on the platform.
    assert_eq!(a.adoption.active_repositories, 2);
    assert_eq!(a.adoption.platform_repositories, 2);
    assert_eq!(a.components["adoption"], 100.0);
    // Rollouts: 3 in the period (the rollback apart) over 13 weeks and 2 services.
    assert_eq!(a.deployments.count, 3);
    assert_eq!(a.deployments.rollbacks, 1);
    assert_eq!(a.deployments.repositories, 2);
    assert_eq!(a.deployments.services, 2);
    let weeks = 92.0 / 7.0;
    assert!(close(a.deployments.per_week, 3.0 / weeks, 0.005));
    // 3 / 13.14 weeks / 2 services = 0.114 a week: below monthly (12/52), low.
    assert_eq!(a.deployments.per_service_week, Some(0.114));
    assert_eq!(a.dora.deployment_frequency, Some(Tier::Low));
    // Per service: r0 has every change of a and two rollouts, r1 one rollout and no change.
    let names: Vec<&str> = a.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(names, vec!["r0", "r1"]);
    let r0 = &a.services[0];
    assert_eq!((r0.rollouts, r0.rollbacks), (2, 1));
    assert_eq!(r0.lead_time_hours.median, Some(3.0));
    assert_eq!(r0.per_week, 0.152);
    assert_eq!(r0.dora.lead_time, Some(Tier::Elite));
    assert_eq!(a.services[1].lead_time_hours.changes, 0);
    assert_eq!(
        s.org.services.len(),
        3,
        "the organisation lists every service"
    );
    // Survey: deploy_ease mean 6.4 → (6.4−1)/9·100 = 60; NPS: 10,9,10 promoters, 8 passive,
    // 6 detractor → 60 − 20 = 40 → (40+100)/2 = 70; wait: 100,50,50,0,100 → 60 (Never and
    // Often swapped: 40); docs_clarity mean 7 → (7−1)/9·100 = 66.7.
    assert_eq!(a.survey.means["deploy_ease"], 6.4);
    assert_eq!(a.components["deploy_ease"], 60.0);
    assert_eq!(a.nps, Some(40.0));
    assert_eq!(
        a.survey.nps_counts,
        Some(NpsCounts {
            promoters: 3,
            passives: 1,
            detractors: 1
        })
    );
    assert_eq!(a.components["nps"], 70.0);
    assert_eq!(a.components["wait_time"], 60.0);
    assert_eq!(a.survey.choices["wait_time"]["often"], 1);
    assert_eq!(a.survey.choices["wait_time"]["never"], 2);
    assert_eq!(a.survey.means["docs_clarity"], 7.0);
    assert_eq!(a.components["docs_clarity"], 66.7);
    assert_eq!(a.survey.response_rate, Some(0.8333));
    assert!(a.missing.is_empty(), "{:?}", a.missing);
    // DXS over every weight: .25·60 + .25·60 + .1·66.667 + .1·70 + .1·83.302 + .1·84.356
    // + .05·66.667 + .05·100 = 68.8
    let lt = 100.0 * (1.0 - 3f64.ln() / 720f64.ln());
    let ob = 100.0 * 42f64.ln() / 84f64.ln();
    let by_hand =
        15.0 + 15.0 + 0.1 * 200.0 / 3.0 + 7.0 + 0.1 * lt + 0.1 * ob + 0.05 * 200.0 / 3.0 + 5.0;
    assert!(
        close(a.dxs.unwrap(), by_hand, 0.05),
        "{:?} vs {by_hand}",
        a.dxs
    );
    assert!(!a.hidden);
}

#[test]
fn small_teams_are_hidden_with_the_next_smallest_but_count_for_the_organisation() {
    let s = score(facts(), 5);
    let b = s.team("b").unwrap();
    assert!(b.hidden);
    // b's figures would be the organisation's minus a's: a (5 responses) is hidden too.
    let a = s.team("a").unwrap();
    assert!(a.hidden && a.nps.is_none() && a.survey.nps_counts.is_none());
    assert!(a.survey.choices.is_empty() && !a.basis.contains_key("deploy_ease"));
    assert_eq!(a.components["lead_time"], 83.3, "telemetry stays");
    assert_eq!(b.responses, 2);
    assert!(!b.components.contains_key("deploy_ease"));
    assert!(b.survey.means.is_empty() && b.nps.is_none());
    assert!(b.missing.contains(&"deploy_ease".to_string()));
    // Team b: lead time 24 h → 51.74, adoption r2 only (r3 archived), not on the platform → 0.
    assert_eq!(b.components["lead_time"], 51.7);
    assert_eq!(b.components["adoption"], 0.0);
    // Its survey hidden, b's telemetry (lead time 0.1, adoption 0.05) carries 0.15 of the
    // weight, below score.min_coverage (0.6): no DXS, partial (DESIGN §5 "Coverage"); a
    // (lead time, onboarding, self-service, adoption: 0.3) too.
    assert_eq!((b.coverage, b.partial, b.dxs), (0.15, true, None));
    assert_eq!((a.coverage, a.partial, a.dxs), (0.3, true, None));
    // Without a minimum, b's DXS is the weighted mean of those two.
    let mut no_minimum = rules(5);
    no_minimum.min_coverage = 0.0;
    let now = quarter().end() + 5 * D;
    let p = period(quarter(), now, &no_minimum);
    let s0 = score_facts(facts(), &no_minimum, quarter(), &p, now).unwrap();
    let b0 = s0.team("b").unwrap();
    let by_hand = (0.1 * 100.0 * (720f64 / 24.0).ln() / 720f64.ln()) / 0.15;
    assert!(close(b0.dxs.unwrap(), by_hand, 0.05));
    assert_eq!((b0.coverage, b0.partial), (0.15, false));
    // The organisation, with every weighted component.
    assert_eq!((s.org.coverage, s.org.partial), (1.0, false));
    // The organisation has b's two valid answers: 10,1,4,7,10,1,1 → (34/7 − 1)/9·100 = 42.86.
    let org = &s.org;
    assert_eq!(org.team, "all");
    assert_eq!(org.components["deploy_ease"], 42.9);
    assert_eq!(org.responses, 7);
    assert_eq!(org.basis["deploy_ease"], 7);
    // Org lead time 1,2,3,4,10,24: median 3.5, p90 = 10 + 0.5·14 = 17.
    assert_eq!(org.lead_time_hours.median, Some(3.5));
    assert_eq!(org.lead_time_hours.p90, Some(17.0));
    // Org adoption 2 of 3.
    assert_eq!(org.adoption.ratio, Some(0.6667));
    // With a threshold of 2, b shows.
    let s = score(facts(), 2);
    assert!(!s.team("b").unwrap().hidden);
    assert_eq!(s.team("b").unwrap().components["deploy_ease"], 0.0);
    // With 8, the organisation's 7 responses are too few as well.
    let s = score(facts(), 8);
    assert!(s.org.hidden && s.org.nps.is_none() && s.org.survey.choices.is_empty());
    assert!(!s.org.components.contains_key("deploy_ease"));
    assert_eq!(s.org.responses, 7, "response counts stay");
}

#[test]
fn a_closed_survey_keeps_the_k_of_its_close_and_an_open_one_shows_participation_only() {
    // Closed with k = 5, scored under a configuration that says 2: b (2 responses) and a
    // stay hidden, as decided at the close.
    let rules2 = rules(2);
    let now = quarter().end() + 5 * D;
    let p = period(quarter(), now, &rules2);
    let s = score_facts(facts(), &rules2, quarter(), &p, now).unwrap();
    assert!(s.team("b").unwrap().hidden && s.team("a").unwrap().hidden);
    assert_eq!(s.org.survey.status, Some(SurveyStatus::Closed));
    assert_eq!(s.org.survey.figures_quarter.as_deref(), Some("2026-Q3"));
    // The same answers while the survey is open: the store loads none (only a closed survey's
    // answers are read), so no survey figure shows anywhere, only participation.
    let mut open = facts();
    open.survey.latest.as_mut().unwrap().frozen_k = None;
    open.survey.closed = None;
    (open.answer_team, open.answer_question) = (Vec::new(), Vec::new());
    (open.answer_number, open.answer_choice) = (Vec::new(), Vec::new());
    open.response_counts.clear();
    let rules5 = rules(5);
    let s = score_facts(open, &rules5, quarter(), &p, now).unwrap();
    for t in std::iter::once(&s.org).chain(&s.teams) {
        assert!(t.nps.is_none() && t.survey.means.is_empty() && t.survey.choices.is_empty());
        assert!(!t.components.contains_key("deploy_ease") && t.responses == 0);
        assert_eq!(t.survey.status, Some(SurveyStatus::Open));
        assert_eq!(t.survey.figures_quarter, None);
    }
    let (a, b) = (&s.team("a").unwrap().survey, &s.team("b").unwrap().survey);
    assert_eq!(
        (a.responses, a.invites, a.response_rate),
        (Some(5), 6, Some(0.8333))
    );
    assert_eq!((b.responses, b.fewer_than, b.invites), (None, Some(5), 10));
    assert_eq!(s.org.survey.responses, Some(7));
}

#[test]
fn deltas_compare_with_the_previous_quarter() {
    let mut now = score(facts(), 5);
    let mut then = now.clone();
    then.quarter = "2026-Q2".into();
    then.org.dxs = Some(50.0);
    then.org.components.insert("lead_time".into(), 80.0);
    now.org.dxs = Some(52.5);
    add_deltas(&mut now, &then);
    let d = now.org.delta.as_ref().unwrap();
    assert_eq!(d.previous_quarter, "2026-Q2");
    assert_eq!(d.dxs, Some(2.5));
    assert!(close(
        d.components["lead_time"],
        now.org.components["lead_time"] - 80.0,
        0.051
    ));
}

fn shuffle<T>(v: &mut [T], order: &[usize]) {
    for (i, j) in order.iter().enumerate() {
        let len = v.len();
        if len > 1 {
            v.swap(i % len, j % len);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn dxs_is_within_bounds_and_monotone(
        values in proptest::collection::vec(0.0f64..=100.0, 8),
        weights in proptest::collection::vec(0.0f64..=1.0, 8),
        present in proptest::collection::vec(any::<bool>(), 8),
        which in 0usize..8,
        bump in 0.0f64..=100.0,
    ) {
        let names = DEFAULT_WEIGHTS.map(|(k, _)| k.to_string());
        let mut w: BTreeMap<String, f64> = names.iter().cloned().zip(weights).collect();
        w.insert("nps".into(), w["nps"] + 0.01); // one weight above 0
        let survey = ["deploy_ease", "wait_time", "docs_clarity", "nps"].map(String::from).into();
        let w = Weights::from_map(&w, &survey).unwrap();
        let components: BTreeMap<String, f64> = names
            .iter()
            .zip(&values)
            .zip(&present)
            .filter(|(_, p)| **p)
            .map(|((n, v), _)| (n.clone(), *v))
            .collect();
        if let Some(dxs) = w.dxs(&components) {
            prop_assert!((0.0..=100.0).contains(&dxs));
            let mut higher = components.clone();
            if let Some(v) = higher.get_mut(&names[which]) {
                *v = (*v + bump).min(100.0);
            }
            prop_assert!(w.dxs(&higher).unwrap() >= dxs - 1e-9);
        }
    }

    #[test]
    fn the_score_ignores_the_order_of_rows(order in proptest::collection::vec(0usize..64, 1..24)) {
        let base = score(facts(), 5);
        let mut f = facts();
        let mut changes: Vec<(u32, i64)> = f.change_service.iter().copied().zip(f.change_lead_seconds.iter().copied()).collect();
        shuffle(&mut changes, &order);
        (f.change_service, f.change_lead_seconds) = changes.into_iter().unzip();
        let mut answers: Vec<_> = (0..f.answer_team.len())
            .map(|i| (f.answer_team[i], f.answer_question[i], f.answer_number[i], f.answer_choice[i]))
            .collect();
        shuffle(&mut answers, &order);
        f.answer_team = answers.iter().map(|a| a.0).collect();
        f.answer_question = answers.iter().map(|a| a.1).collect();
        f.answer_number = answers.iter().map(|a| a.2).collect();
        f.answer_choice = answers.iter().map(|a| a.3).collect();
        let mut requests: Vec<_> = f.request_team.iter().cloned().zip(f.request_ok.iter().copied()).collect();
        shuffle(&mut requests, &order);
        (f.request_team, f.request_ok) = requests.into_iter().unzip();
        shuffle(&mut f.cohort, &order);
        let shuffled = score(f, 5);
        prop_assert_eq!(serde_json::to_string(&shuffled).unwrap(), serde_json::to_string(&base).unwrap());
    }
}

/// The stability components weigh 0 by default; weighted, they move the DXS by hand: team a's
/// second rollout of r0 is followed by a rollback (failed, recovered a second later), so 1 of 3
/// rollouts failed: change_failure = (1 − 1/3)·100 = 66.7 and recovery (1 s, under the 1 h
/// bound) = 100.
#[test]
fn weighted_stability_components_move_the_dxs_by_hand() {
    let plain = score(facts(), 2);
    let a = plain.team("a").unwrap();
    assert_eq!((a.change_failure.rollouts, a.change_failure.failed), (3, 1));
    assert_eq!(a.components["change_failure"], 66.7);
    assert_eq!(a.components["recovery"], 100.0);
    let base = a.dxs.unwrap();
    let mut weighted = rules(2);
    let mut w: BTreeMap<String, f64> = DEFAULT_WEIGHTS
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    w.insert("change_failure".into(), 0.1);
    w.insert("recovery".into(), 0.1);
    let survey: std::collections::BTreeSet<String> =
        ["deploy_ease", "wait_time", "docs_clarity", "nps"]
            .map(String::from)
            .into();
    weighted.weights = Weights::from_map(&w, &survey).unwrap();
    let now = quarter().end() + 5 * D;
    let p = period(quarter(), now, &weighted);
    let s = score_facts(closed_with(facts(), 2), &weighted, quarter(), &p, now).unwrap();
    let a = s.team("a").unwrap();
    // The other weights sum to 1: (base·1 + .1·66.667 + .1·100) / 1.2.
    let by_hand = (base + 0.1 * 200.0 / 3.0 + 10.0) / 1.2;
    assert!(
        close(a.dxs.unwrap(), by_hand, 0.06),
        "{:?} vs {by_hand}",
        a.dxs
    );
    // Without the rollback nothing failed: change_failure 100, recovery without data (left
    // out of the weight), (base + .1·100) / 1.1, above the DXS with a failure.
    let mut clean = closed_with(facts(), 2);
    clean.rollout_back = vec![false; clean.rollout_back.len()];
    let s = score_facts(clean, &weighted, quarter(), &p, now).unwrap();
    let a_clean = s.team("a").unwrap();
    assert_eq!(a_clean.components["change_failure"], 100.0);
    assert!(!a_clean.components.contains_key("recovery"));
    let by_hand_clean = (base + 10.0) / 1.1;
    assert!(
        close(a_clean.dxs.unwrap(), by_hand_clean, 0.06),
        "{:?} vs {by_hand_clean}",
        a_clean.dxs
    );
    assert!(a_clean.dxs > a.dxs, "a failed rollout lowers the DXS");
}
