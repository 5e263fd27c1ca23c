//! Complementary suppression (DESIGN §10): which groups' survey figures are hidden, so that no
//! published figure, nor any subtraction of them, gives the survey figures of a group of fewer
//! than `k` responses.
//!
//! Every team with 1 to k−1 responses is hidden. The organisation's figures are the sum of the
//! teams', so the organisation minus the visible teams is the hidden pool: while the pool holds
//! 1 to k−1 responses, the smallest visible team with responses is hidden too. The organisation
//! itself is a group: with 1 to k−1 responses in all, its survey figures are hidden as well.

use std::collections::BTreeSet;

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
pub fn hidden_beside<'a>(
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hidden(teams: &[(&'static str, i64)], k: i64) -> Vec<&'static str> {
        hidden_teams(teams.iter().copied(), k).into_iter().collect()
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
