//! Pain-point themes: the phrases developers repeat, counted, never quoted.
//!
//! Each answer is lower-cased and split into words; stop words are dropped; the two-word
//! phrases left (and single words, where no phrase repeats) are counted once per answer. Only
//! phrases said by at least `min_count` answers are shown, so no single person's words stand
//! out, and no answer text is ever shown as written.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Words that carry no theme.
const STOP_WORDS: [&str; 96] = [
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "but", "by", "can", "cannot", "could", "did", "do",
    "does", "doing", "don't", "down", "every", "for", "from", "get", "gets", "getting", "had",
    "has", "have", "having", "how", "i", "i'm", "if", "in", "into", "is", "it", "it's", "its",
    "just", "like", "lot", "me", "more", "most", "much", "my", "need", "needs", "no", "not", "of",
    "on", "one", "or", "other", "our", "out", "over", "really", "so", "some", "still", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "too",
    "up", "us", "very", "was", "we", "were", "what", "when", "with", "you",
];

/// A recurring phrase and how many answers use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    /// The phrase, lower-case.
    pub phrase: String,
    /// Answers that contain it.
    pub count: usize,
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| {
            w.len() > 1 && !STOP_WORDS.contains(w) && !w.chars().all(|c| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

/// The `limit` most frequent themes of `answers`, each used by at least `min_count` answers.
pub fn themes<'a>(
    answers: impl IntoIterator<Item = &'a str>,
    min_count: usize,
    limit: usize,
) -> Vec<Theme> {
    let mut phrases: BTreeMap<String, usize> = BTreeMap::new();
    let mut singles: BTreeMap<String, usize> = BTreeMap::new();
    for answer in answers {
        let words = words(answer);
        let pairs: BTreeSet<String> = words
            .windows(2)
            .map(|w| format!("{} {}", w[0], w[1]))
            .collect();
        for pair in pairs {
            *phrases.entry(pair).or_default() += 1;
        }
        for word in words.into_iter().collect::<BTreeSet<_>>() {
            *singles.entry(word).or_default() += 1;
        }
    }
    let min_count = min_count.max(2);
    let mut found: Vec<Theme> = phrases
        .into_iter()
        .filter(|(_, count)| *count >= min_count)
        .map(|(phrase, count)| Theme { phrase, count })
        .collect();
    // Single words fill in where they say something no phrase already says.
    let covered: BTreeSet<String> = found
        .iter()
        .flat_map(|t| t.phrase.split(' ').map(str::to_string))
        .collect();
    found.extend(
        singles
            .into_iter()
            .filter(|(word, count)| *count >= min_count && !covered.contains(word))
            .map(|(phrase, count)| Theme { phrase, count }),
    );
    found.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.phrase.cmp(&b.phrase)));
    found.truncate(limit);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_phrases_are_counted_once_per_answer() {
        let answers = [
            "Waiting for infrastructure tickets to be approved",
            "waiting for INFRASTRUCTURE TICKETS, again and again infrastructure tickets",
            "Flaky CI pipelines",
            "flaky CI is the worst",
            "My manager Bob",
        ];
        let found = themes(answers, 2, 10);
        let as_pairs: Vec<(&str, usize)> =
            found.iter().map(|t| (t.phrase.as_str(), t.count)).collect();
        assert_eq!(
            as_pairs,
            vec![
                ("flaky ci", 2),
                ("infrastructure tickets", 2),
                ("waiting infrastructure", 2)
            ]
        );
    }

    #[test]
    fn a_phrase_of_one_answer_is_never_shown() {
        assert!(themes(["Only I say this particular thing"], 1, 10).is_empty());
    }

    #[test]
    fn stop_words_and_numbers_are_not_themes() {
        let found = themes(["the the 42 and", "the 42 and the"], 2, 10);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn singles_fill_in_where_no_phrase_repeats() {
        let found = themes(
            ["docs outdated", "outdated runbooks", "docs missing"],
            2,
            10,
        );
        let phrases: Vec<&str> = found.iter().map(|t| t.phrase.as_str()).collect();
        assert_eq!(phrases, ["docs", "outdated"]);
    }
}
