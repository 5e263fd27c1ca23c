//! The theme extraction on a fixed set of 30 free-text answers, with the themes written by hand.

use super::*;

/// The survey's free-text question (surveys/quarterly.toml).
const QUESTION: &str = "What's the biggest pain point in your development workflow?";

/// Thirty answers as developers write them: five about CI pipelines, four about infrastructure
/// tickets, four about documentation (three saying "outdated documentation"), four about code
/// reviews, three about the local environment, pairs below k = 3, the question's own words,
/// and answers with no theme at all.
const ANSWERS: [&str; 30] = [
    "Flaky CI pipelines slow down every merge",
    "CI pipelines are flaky, I re-run them all the time",
    "Slow CI pipelines.",
    "Our CI pipelines take forever and are flaky",
    "flaky ci pipelines!!",
    "Waiting for infrastructure tickets to be approved",
    "Infrastructure tickets sit for days",
    "waiting on infrastructure tickets",
    "Infrastructure tickets, again",
    "The documentation is outdated",
    "Outdated documentation everywhere",
    "Outdated documentation, hard to search",
    "outdated documentation for the deploy tooling",
    "Slow code reviews across teams",
    "Code reviews take days",
    "Waiting for code reviews from other teams",
    "code reviews are slow",
    "Setting up the local environment takes too long",
    "My local environment breaks after every update",
    "local environment setup is painful",
    "Too many tools to learn",
    "Secrets management is confusing",
    "Secrets management needs a better UI",
    "Manual approvals for production deploys",
    "Production deploys need manual approvals",
    "Hard to find out who owns a service",
    "My biggest pain point is my development workflow",
    "It's the meetings, honestly",
    "development workflow, in general",
    "the whole development workflow",
];

fn found(own: &BTreeSet<String>, k: usize, limit: usize) -> Vec<(String, usize)> {
    themes(ANSWERS, own, k, limit)
        .into_iter()
        .map(|t| (t.phrase, t.count))
        .collect()
}

fn expected(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
    pairs.iter().map(|(p, n)| (p.to_string(), *n)).collect()
}

/// k = 3. Phrases of 3 or more responses: "ci pipelines" (answers 1–5), "infrastructure
/// tickets" (6–9), "code reviews" (14–17), "outdated documentation" (11–13), "local
/// environment" (18–20). Every single word used by 3 or more ("flaky" 1,2,4,5; "slow" 1,3,14,17;
/// "waiting" 6,8,16; "documentation" and "outdated" 10–13; "ci", "tickets", …) is used by fewer
/// than 3 responses outside those phrases ("documentation": only answer 10), so none shows.
/// "manual approvals", "production deploys", "secrets management", "teams", "days" and "hard"
/// have 2. "development workflow" (27, 29, 30) is the question's own words.
#[test]
fn thirty_answers_give_the_themes_written_by_hand() {
    let own = question_words(QUESTION);
    assert_eq!(
        found(&own, 3, 10),
        expected(&[
            ("CI pipelines", 5),
            ("code reviews", 4),
            ("infrastructure tickets", 4),
            ("local environment", 3),
            ("outdated documentation", 3),
        ])
    );
    assert_eq!(found(&own, 3, 2).len(), 2, "the limit");
}

/// Without the question's words removed, "development workflow" would be a theme.
#[test]
fn the_questions_own_words_are_no_theme() {
    let own = question_words(QUESTION);
    for word in [
        "biggest",
        "pain",
        "point",
        "development",
        "workflow",
        "what's",
    ] {
        assert!(own.contains(word), "{word}: {own:?}");
    }
    assert_eq!(
        found(&BTreeSet::new(), 3, 4),
        expected(&[
            ("CI pipelines", 5),
            ("code reviews", 4),
            ("infrastructure tickets", 4),
            ("development workflow", 3),
        ])
    );
}

/// k = 4: "outdated documentation" (3) is no theme, so "documentation" and "outdated" (answers
/// 10–13) stand on their own; "flaky" and "slow" are still inside longer themes.
#[test]
fn a_word_is_a_theme_when_k_responses_use_it_outside_the_longer_themes() {
    let own = question_words(QUESTION);
    assert_eq!(
        found(&own, 4, 10),
        expected(&[
            ("CI pipelines", 5),
            ("code reviews", 4),
            ("infrastructure tickets", 4),
            ("documentation", 4),
            ("outdated", 4),
        ])
    );
}

#[test]
fn a_phrase_counts_once_per_response_and_one_response_is_never_a_theme() {
    let own = BTreeSet::new();
    let twice = themes(["code reviews, code reviews, code reviews"], &own, 1, 10);
    assert!(twice.is_empty(), "one response, even with k = 1: {twice:?}");
    let found = themes(
        ["slow builds", "Slow builds again", "the the 42 and"],
        &own,
        2,
        10,
    );
    assert_eq!(
        found,
        [Theme {
            phrase: "slow builds".into(),
            count: 2
        }]
    );
}
