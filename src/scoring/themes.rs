//! Pain-point themes: the phrases developers repeat, counted in responses, never quoted.
//!
//! Each response's text is lower-cased and cut into runs of words at punctuation, at stop
//! words and at the words of the survey's own question (a theme is never "pain point" or
//! "development workflow" because the question asked about them): "Flaky CI pipelines slow
//! down every merge" gives the runs `flaky ci pipelines slow` and `merge`. The phrases of 1 to 3
//! words inside a run are counted once per response. A phrase is a theme when at least
//! `min_responses` (the survey's k) responses use it, and a shorter phrase only when at least
//! that many of its responses use none of the longer themes: so "ci pipelines" stands for
//! "ci", "pipelines" and the "flaky" said beside it, and no single person's words show.
//!
//! Keyword-extraction crates (`rake`, RAKE by phrase degree within one document) rank by a
//! score of their own and neither count responses nor hold back what fewer than k use: this
//! small function does the one thing the report needs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Words that carry no theme: they end a phrase.
const STOP_WORDS: [&str; 163] = [
    "a",
    "about",
    "above",
    "across",
    "after",
    "again",
    "against",
    "all",
    "almost",
    "also",
    "always",
    "am",
    "an",
    "and",
    "any",
    "anything",
    "are",
    "around",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "can't",
    "cannot",
    "could",
    "did",
    "didn't",
    "do",
    "does",
    "doesn't",
    "doing",
    "don't",
    "down",
    "during",
    "each",
    "else",
    "even",
    "ever",
    "every",
    "everything",
    "everywhere",
    "few",
    "for",
    "from",
    "get",
    "gets",
    "getting",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "honestly",
    "how",
    "i",
    "i'd",
    "i'm",
    "i've",
    "if",
    "in",
    "into",
    "is",
    "isn't",
    "it",
    "it's",
    "its",
    "just",
    "keep",
    "keeps",
    "know",
    "lot",
    "lots",
    "make",
    "makes",
    "many",
    "me",
    "more",
    "most",
    "much",
    "must",
    "my",
    "need",
    "needs",
    "never",
    "no",
    "not",
    "nothing",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "others",
    "our",
    "out",
    "over",
    "own",
    "per",
    "really",
    "same",
    "she",
    "should",
    "so",
    "some",
    "something",
    "sometimes",
    "still",
    "such",
    "take",
    "takes",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "time",
    "to",
    "too",
    "up",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
];

/// Words written in capitals when a theme is shown.
const ACRONYMS: [&str; 7] = ["ci", "cd", "ci/cd", "ui", "api", "sso", "vpn"];

/// Longest phrase counted, in words.
const MAX_WORDS: usize = 3;

/// A recurring phrase and how many responses use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    /// The phrase, lower-case but for acronyms ("slow CI pipelines").
    pub phrase: String,
    /// Responses that use it.
    pub count: usize,
}

/// The words of `question` (a survey question's text), lower-case: they are no theme of its
/// answers.
pub fn question_words(question: &str) -> BTreeSet<String> {
    runs(question, &BTreeSet::new())
        .into_iter()
        .flatten()
        .collect()
}

/// The runs of theme words of `text`: cut at punctuation, stop words, `own` words, numbers and
/// single letters.
fn runs(text: &str, own: &BTreeSet<String>) -> Vec<Vec<String>> {
    let text = text.to_lowercase().replace('’', "'");
    let mut runs = Vec::new();
    let word_char = |c: char| c.is_alphanumeric() || c.is_whitespace() || "'-/".contains(c);
    for clause in text.split(|c: char| !word_char(c)) {
        let mut run: Vec<String> = Vec::new();
        for word in clause.split_whitespace() {
            let word = word.trim_matches(|c: char| "'-/".contains(c));
            let theme_word = word.chars().count() > 1
                && !word.chars().all(|c| c.is_ascii_digit())
                && !STOP_WORDS.contains(&word)
                && !own.contains(word);
            if theme_word {
                run.push(word.to_string());
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
    }
    runs
}

/// A candidate theme: its words and the responses (by index) that use it.
struct Candidate {
    words: usize,
    phrase: String,
    responses: BTreeSet<usize>,
}

/// The `limit` themes of `responses` (each response's text), most used first, each used by at
/// least `min_responses` responses (2 at the least); `own` are the question's words.
pub fn themes<'a>(
    responses: impl IntoIterator<Item = &'a str>,
    own: &BTreeSet<String>,
    min_responses: usize,
    limit: usize,
) -> Vec<Theme> {
    let min = min_responses.max(2);
    let mut used: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (i, text) in responses.into_iter().enumerate() {
        for run in runs(text, own) {
            for n in 1..=MAX_WORDS.min(run.len()) {
                for phrase in run.windows(n) {
                    used.entry(phrase.join(" ")).or_default().insert(i);
                }
            }
        }
    }
    let mut candidates: Vec<Candidate> = used
        .into_iter()
        .filter(|(_, r)| r.len() >= min)
        .map(|(phrase, responses)| Candidate {
            words: phrase.split(' ').count(),
            phrase,
            responses,
        })
        .collect();
    // Longest first, so each phrase is judged against the longer themes already kept.
    candidates.sort_by(|a, b| {
        (b.words, b.responses.len())
            .cmp(&(a.words, a.responses.len()))
            .then_with(|| a.phrase.cmp(&b.phrase))
    });
    let mut kept: Vec<Candidate> = Vec::new();
    for c in candidates {
        let elsewhere = c
            .responses
            .iter()
            .filter(|r| {
                !kept
                    .iter()
                    .any(|k| k.words > c.words && k.responses.contains(r))
            })
            .count();
        if elsewhere >= min {
            kept.push(c);
        }
    }
    kept.sort_by(|a, b| {
        (b.responses.len(), b.words)
            .cmp(&(a.responses.len(), a.words))
            .then_with(|| a.phrase.cmp(&b.phrase))
    });
    kept.truncate(limit);
    kept.into_iter()
        .map(|c| Theme {
            phrase: shown(&c.phrase),
            count: c.responses.len(),
        })
        .collect()
}

/// `phrase` as the report shows it: acronyms in capitals.
fn shown(phrase: &str) -> String {
    phrase
        .split(' ')
        .map(|w| match ACRONYMS.contains(&w) {
            true => w.to_uppercase(),
            false => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
