//! Complementary suppression (DESIGN §10): which groups' survey figures are hidden, so that no
//! published figure, nor any subtraction of them, gives the survey figures of a group of fewer
//! than `k` responses.
//!
//! Every team with 1 to k−1 responses is hidden. The organisation's figures are the sum of the
//! teams', so the organisation minus the visible teams is the hidden pool: while the pool holds
//! 1 to k−1 responses, the smallest visible team with responses is hidden too. The organisation
//! itself is a group: with 1 to k−1 responses in all, its survey figures are hidden as well.

use std::collections::{BTreeMap, BTreeSet};

use super::answers::SurveyAggregates;
use super::group::ORG_CODE;

/// True for a group whose survey figures alone would show fewer than `k` responses.
pub fn too_small(responses: i64, k: i64) -> bool {
    responses > 0 && responses < k
}

/// The teams whose survey figures are hidden, given `(team, responses)` of every team and `k`
/// (`min_group_size`). The hidden teams together hold no response or at least `k`, unless
/// every team with responses is hidden. A team with no response is never hidden: it has no
/// survey figures to show. Ties are broken by name, so the result is the same every time.
pub fn hidden_teams<'a>(
    responses: impl IntoIterator<Item = (&'a str, i64)>,
    k: i64,
) -> BTreeSet<&'a str> {
    hidden_beside(responses, k, 0)
}

/// [`hidden_teams`] when a pool of `pool` answers is hidden already (those of teams hidden for
/// their responses, counting the answers to one question): teams are hidden, smallest first,
/// until the pool holds no answer or at least `k`.
fn hidden_beside<'a>(
    responses: impl IntoIterator<Item = (&'a str, i64)>,
    k: i64,
    pool: i64,
) -> BTreeSet<&'a str> {
    let mut visible: Vec<(i64, &str)> = responses
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(team, n)| (n, team))
        .collect();
    // Largest last, so the next-smallest team to hide is the first one left.
    visible.sort_unstable();
    let mut hidden = BTreeSet::new();
    let mut pool = pool;
    for (n, team) in visible {
        if !too_small(n, k) && !too_small(pool, k) {
            break;
        }
        hidden.insert(team);
        pool += n;
    }
    hidden
}

/// The teams that lose the figures of one question: given `(team, responses answering it)` of
/// every team, those not `hidden` already (for their responses) that [`hidden_beside`] hides
/// beside the pool of the hidden teams' answers. The organisation's own check is [`too_small`]
/// of its total.
pub fn sparse_teams<'a>(
    answers: impl IntoIterator<Item = (&'a str, i64)>,
    hidden: &BTreeSet<&str>,
    k: i64,
) -> BTreeSet<&'a str> {
    let (pool, visible): (Vec<_>, Vec<_>) = answers
        .into_iter()
        .partition(|(team, _)| hidden.contains(team));
    hidden_beside(visible, k, pool.iter().map(|(_, n)| n).sum())
}

/// Removes, per question, the figures of the groups that show their survey figures but whose
/// answers to that question come from 1 to k−1 responses (an optional question few answered),
/// by the same complementary rule: with the next-smallest team while the answers of the teams
/// hidden for it (and of those hidden for their responses) number 1 to k−1, and from the
/// organisation when it has 1 to k−1 in all. `survey` is keyed by team code (the index in
/// `names`, or [`ORG_CODE`]); a removed question's component is then missing, like one
/// without data.
pub fn sparse_questions(
    survey: &mut BTreeMap<u32, SurveyAggregates>,
    names: &[String],
    hidden: &BTreeSet<&str>,
    k: i64,
) {
    let questions: BTreeSet<String> = survey
        .values()
        .flat_map(|s| s.questions.keys().cloned())
        .collect();
    for question in questions {
        let answers = |code: u32| {
            survey
                .get(&code)
                .and_then(|s| s.questions.get(&question))
                .map_or(0, |f| f.answers)
        };
        let coded = || {
            names
                .iter()
                .enumerate()
                .map(|(code, n)| (code as u32, n.as_str()))
        };
        let few = sparse_teams(coded().map(|(code, name)| (name, answers(code))), hidden, k);
        let mut drop: Vec<u32> = coded()
            .filter(|(_, name)| few.contains(name))
            .map(|(code, _)| code)
            .collect();
        if too_small(answers(ORG_CODE), k) {
            drop.push(ORG_CODE);
        }
        for code in drop {
            if let Some(s) = survey.get_mut(&code) {
                s.questions.remove(&question);
                s.choices.remove(&question);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hidden(teams: &[(&'static str, i64)], k: i64) -> Vec<&'static str> {
        hidden_teams(teams.iter().copied(), k).into_iter().collect()
    }

    /// `(team code, [(question, answers)])` as survey aggregates.
    fn aggregates(groups: &[(u32, &[(&str, i64)])]) -> BTreeMap<u32, SurveyAggregates> {
        use super::super::answers::QuestionFigures;
        groups
            .iter()
            .map(|(code, questions)| {
                let mut s = SurveyAggregates::default();
                for (q, n) in *questions {
                    s.questions.insert(
                        q.to_string(),
                        QuestionFigures {
                            answers: *n,
                            ..QuestionFigures::default()
                        },
                    );
                    s.choices
                        .insert(q.to_string(), BTreeMap::from([("a".into(), *n)]));
                }
                (*code, s)
            })
            .collect()
    }

    fn kept(survey: &BTreeMap<u32, SurveyAggregates>, code: u32) -> Vec<&str> {
        let s = &survey[&code];
        assert_eq!(
            s.questions.keys().collect::<Vec<_>>(),
            s.choices.keys().collect::<Vec<_>>()
        );
        s.questions.keys().map(String::as_str).collect()
    }

    #[test]
    fn a_question_few_answered_is_hidden_with_its_complement() {
        // k = 5. Every team shows its survey figures (responses: web 8, api 9, ops 12); the
        // optional question `tools` was answered by web 2, api 6, ops 10: web alone is too few,
        // so api (the next-smallest) goes too; the organisation (18) keeps it, and 18 − 10 = 8.
        let names: Vec<String> = ["web", "api", "ops", "mobile"].map(String::from).to_vec();
        let all: &[(&str, i64)] = &[("deploy", 8), ("tools", 2)];
        let mut survey = aggregates(&[
            (0, all),
            (1, &[("deploy", 9), ("tools", 6)]),
            (2, &[("deploy", 12), ("tools", 10)]),
            (ORG_CODE, &[("deploy", 29), ("tools", 18)]),
        ]);
        sparse_questions(&mut survey, &names, &BTreeSet::new(), 5);
        assert_eq!(kept(&survey, 0), ["deploy"]);
        assert_eq!(kept(&survey, 1), ["deploy"]);
        assert_eq!(kept(&survey, 2), ["deploy", "tools"]);
        assert_eq!(kept(&survey, ORG_CODE), ["deploy", "tools"]);

        // web (4 responses) and mobile (3) are hidden for their responses: their `tools`
        // answers (2 + 3) already make a pool of 5, so only ops, alone too few, is hidden.
        let mut survey = aggregates(&[
            (0, &[("deploy", 4), ("tools", 2)]),
            (1, &[("deploy", 9), ("tools", 6)]),
            (2, &[("deploy", 12), ("tools", 1)]),
            (3, &[("deploy", 3), ("tools", 3)]),
            (ORG_CODE, &[("deploy", 28), ("tools", 12)]),
        ]);
        sparse_questions(&mut survey, &names, &BTreeSet::from(["mobile", "web"]), 5);
        assert_eq!(kept(&survey, 1), ["deploy", "tools"]);
        assert_eq!(kept(&survey, 2), ["deploy"]);
        assert_eq!(kept(&survey, ORG_CODE), ["deploy", "tools"]);

        // Too few answers in the whole organisation: its own figures of the question go too.
        let mut survey = aggregates(&[(1, &[("tools", 3)]), (ORG_CODE, &[("tools", 3)])]);
        sparse_questions(&mut survey, &names, &BTreeSet::new(), 5);
        assert!(kept(&survey, 1).is_empty() && kept(&survey, ORG_CODE).is_empty());
    }

    #[test]
    fn a_small_team_alone_takes_the_next_smallest_with_it() {
        // mobile alone would be the organisation minus the others: tiny (the next-smallest) hides too.
        let teams = [("big", 30), ("mobile", 3), ("tiny", 6), ("zero", 0)];
        assert_eq!(hidden(&teams, 5), ["mobile", "tiny"]);
    }

    #[test]
    fn small_teams_that_together_reach_k_hide_nothing_more() {
        let teams = [("a", 2), ("b", 3), ("c", 5), ("d", 9)];
        assert_eq!(hidden(&teams, 5), ["a", "b"]);
    }

    #[test]
    fn no_small_team_hides_nothing() {
        assert!(hidden(&[("a", 5), ("b", 0), ("c", 12)], 5).is_empty());
    }

    #[test]
    fn when_even_every_team_is_too_few_all_are_hidden() {
        assert_eq!(hidden(&[("a", 1), ("b", 2)], 5), ["a", "b"]);
        assert!(too_small(3, 5), "and then the organisation too");
        assert!(!too_small(0, 5) && !too_small(5, 5));
    }

    #[test]
    fn equal_teams_are_hidden_by_name() {
        assert_eq!(hidden(&[("b", 7), ("a", 7), ("s", 1)], 5), ["a", "s"]);
    }

    /// Team sizes around `k`: none, fewer than `k`, and more.
    fn sizes() -> impl Strategy<Value = (i64, Vec<i64>)> {
        (1i64..8).prop_flat_map(|k| (Just(k), proptest::collection::vec(0..3 * k, 0..9)))
    }

    proptest! {
        #[test]
        fn no_subtraction_over_visible_teams_leaves_fewer_than_k((k, sizes) in sizes()) {
            let names: Vec<String> = (0..sizes.len()).map(|i| format!("t{i}")).collect();
            let teams: Vec<(&str, i64)> = names.iter().map(String::as_str).zip(sizes.iter().copied()).collect();
            let hidden = hidden_teams(teams.iter().copied(), k);
            let pool: i64 = teams.iter().filter(|(t, _)| hidden.contains(t)).map(|(_, n)| n).sum();
            let total: i64 = sizes.iter().sum();
            let every_team_hidden = teams.iter().all(|(t, n)| *n == 0 || hidden.contains(t));
            prop_assert!(!too_small(pool, k) || every_team_hidden, "pool {pool} of {teams:?}");
            // The visible teams one by one, the organisation (unless too small itself), and the
            // organisation minus any set of visible teams: never 1..k−1 responses.
            let visible: Vec<i64> = teams.iter().filter(|(t, _)| !hidden.contains(t)).map(|(_, n)| *n).collect();
            prop_assert!(visible.iter().all(|n| !too_small(*n, k)));
            if !too_small(total, k) {
                for subset in 0u32..(1 << visible.len()) {
                    let taken: i64 = visible.iter().enumerate().filter(|(i, _)| subset & (1 << i) != 0).map(|(_, n)| n).sum();
                    prop_assert!(!too_small(total - taken, k), "org − {taken} of {teams:?}");
                }
            }
            // Hidden beyond the small teams: at most one team, without which the pool was too small.
            let complementary: Vec<i64> = teams.iter().filter(|(t, n)| hidden.contains(t) && !too_small(*n, k)).map(|(_, n)| *n).collect();
            prop_assert!(complementary.len() <= 1, "{complementary:?} of {teams:?}");
            if let [n] = complementary[..] {
                prop_assert!(too_small(pool - n, k), "{n} hidden beside a pool of {}", pool - n);
            }
        }
    }
}
