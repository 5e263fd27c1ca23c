//! What the outputs show beside the score, read from the facts by the scoring pass and written
//! with the snapshots, so that the report, the API and the home page never read a fact
//! (DESIGN §1): per quarter, the onboarding cohort and the pain-point themes ([`Evidence`]);
//! for the whole store, its row counts, team names and collector freshness ([`Summary`]).
//!
//! Suppression holds at the write: the themes of a team whose survey figures are hidden (and the
//! organisation's, when hidden), or whose free-text answers are too few, are never computed, so
//! never stored. Pure but for [`Evidence::read`]
//! and [`Summary::read`], which only read.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::suppression::{sparse_teams, too_small};
use super::themes::{question_words, themes, Theme};
use super::{Period, Rules, Score, ScoringError};
use crate::store::{AnswerRow, CollectorRun, Onboarding, Store, TableCounts};
use crate::survey::definition::QuestionKind;

/// Themes kept for the organisation.
const ORG_THEMES: usize = 10;
/// Themes kept for each team.
const TEAM_THEMES: usize = 3;
/// Collector runs read for freshness, newest first.
const RECENT_RUNS: i64 = 500;

/// The evidence of one quarter that its score does not hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Roster developers who started in the quarter's trailing window.
    pub cohort: i64,
    /// Those of the cohort without a first commit before the period's end, by login.
    pub open: Vec<OpenOnboarding>,
    /// The organisation's pain-point themes; none when its survey figures are hidden.
    pub themes: Vec<Theme>,
    /// The themes of each team whose survey figures show and that has any, by team.
    pub team_themes: Vec<TeamThemes>,
}

/// A developer of the onboarding cohort still without a first commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOnboarding {
    /// GitHub login (the report shows it only when names are asked for).
    pub login: String,
    /// Team.
    pub team: String,
    /// Whole days from the start date to the period's end.
    pub age_days: i64,
}

/// A team's recurring pain-point phrases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamThemes {
    /// Team.
    pub team: String,
    /// Its themes.
    pub themes: Vec<Theme>,
}

/// What the whole store holds, as of the latest scoring pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Rows of each fact table.
    pub counts: TableCounts,
    /// Every team, by name.
    pub teams: Vec<String>,
    /// Each collector source that has run, by name.
    pub freshness: Vec<Freshness>,
}

/// One collector source's latest runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// Source name.
    pub source: String,
    /// When its latest successful run finished, UNIX seconds; `None`: never.
    pub last_success: Option<i64>,
    /// Outcome of its latest run.
    pub latest: String,
}

impl Evidence {
    /// The evidence of `score`'s quarter over `period`: the cohort of `developers` (the roster
    /// with first commits) and the themes of the text answers of the closed survey it shows
    /// (none before a survey closes), suppressed with the k of that close.
    pub(super) async fn read(
        store: &Store,
        rules: &Rules,
        score: &Score,
        period: &Period,
        developers: &[Onboarding],
    ) -> Result<Evidence, ScoringError> {
        let shown = store.survey_shown(&score.quarter).await?;
        let (answers, k) = match &shown.closed {
            Some(w) => (
                store.answers(&w.quarter).await?,
                w.frozen_k.unwrap_or(rules.min_group_size),
            ),
            None => (Vec::new(), rules.min_group_size),
        };
        let (cohort, open) = cohort(developers, period);
        let own: BTreeSet<String> = rules
            .survey
            .questions
            .iter()
            .filter(|q| q.kind == QuestionKind::Text)
            .flat_map(|q| question_words(&q.text))
            .collect();
        let (themes, team_themes) = pain_themes(&text_answers(&answers, rules), &own, score, k);
        Ok(Evidence {
            cohort,
            open,
            themes,
            team_themes,
        })
    }
}

impl Summary {
    /// Reads the store's counts, team names and recent collector runs.
    pub(super) async fn read(store: &Store) -> Result<Summary, ScoringError> {
        Ok(Summary {
            counts: store.counts().await?,
            teams: store.team_names().await?,
            freshness: freshness(&store.recent_runs(RECENT_RUNS).await?),
        })
    }
}

/// The size of the cohort that started in `period`'s window, and its open developers.
fn cohort(developers: &[Onboarding], period: &Period) -> (i64, Vec<OpenOnboarding>) {
    let cohort: Vec<&Onboarding> = developers
        .iter()
        .filter(|d| d.start_at >= period.window_start && d.start_at < period.end)
        .collect();
    let open = cohort
        .iter()
        .filter(|d| d.first_commit_at.is_none_or(|at| at >= period.end))
        .map(|d| OpenOnboarding {
            login: d.login.clone(),
            team: d.team.clone(),
            age_days: (period.end - d.start_at) / 86_400,
        })
        .collect();
    (cohort.len() as i64, open)
}

/// `(response, team, text)` of each answer to a text question.
fn text_answers<'a>(answers: &'a [AnswerRow], rules: &Rules) -> Vec<(&'a str, &'a str, &'a str)> {
    let text_questions: Vec<&str> = rules
        .survey
        .questions
        .iter()
        .filter(|q| q.kind == QuestionKind::Text)
        .map(|q| q.id.as_str())
        .collect();
    answers
        .iter()
        .filter(|a| text_questions.contains(&a.question.as_str()))
        .filter_map(|a| {
            let text = a.text.as_deref()?;
            Some((a.response_id.as_str(), a.team.as_str(), text))
        })
        .collect()
}

/// The organisation's themes and each team's, for the groups whose survey figures show and
/// whose free-text answers are not too few of their own: a text question is optional, so a
/// visible team may hold 1 to k−1 of them. Those are suppressed like responses are (with the
/// next-smallest team while the hidden teams' answers number 1 to k−1), so no theme count, nor
/// the organisation's minus the teams', comes from fewer than `k` answers.
fn pain_themes(
    texts: &[(&str, &str, &str)],
    own: &BTreeSet<String>,
    score: &Score,
    k: i64,
) -> (Vec<Theme>, Vec<TeamThemes>) {
    // Counted in responses (people), not answers: one response may answer two text questions.
    let responses = |of: &dyn Fn(&str) -> bool| {
        let ids: BTreeSet<&str> = texts
            .iter()
            .filter(|(_, team, _)| of(team))
            .map(|(id, ..)| *id)
            .collect();
        ids.len() as i64
    };
    let hidden: BTreeSet<&str> = score
        .teams
        .iter()
        .filter(|t| t.hidden)
        .map(|t| t.team.as_str())
        .collect();
    let few = sparse_teams(
        score
            .teams
            .iter()
            .map(|t| (t.team.as_str(), responses(&|team| team == t.team))),
        &hidden,
        k,
    );
    // One text per response (its answers to every text question), so a theme counts people.
    let mut by_response: BTreeMap<&str, (&str, String)> = BTreeMap::new();
    for (id, team, text) in texts {
        let (_, joined) = by_response.entry(id).or_insert((team, String::new()));
        joined.push_str(text);
        joined.push_str(". ");
    }
    let of_team = |team: Option<&str>| -> Vec<&str> {
        by_response
            .values()
            .filter(|(t, _)| team.is_none_or(|wanted| *t == wanted))
            .map(|(_, text)| text.as_str())
            .collect()
    };
    let min = usize::try_from(k).unwrap_or(usize::MAX);
    let org = if score.org.hidden || too_small(responses(&|_| true), k) {
        Vec::new()
    } else {
        themes(of_team(None), own, min, ORG_THEMES)
    };
    let teams = score
        .teams
        .iter()
        .filter(|t| !t.hidden && !few.contains(t.team.as_str()))
        .map(|t| TeamThemes {
            team: t.team.clone(),
            themes: themes(of_team(Some(&t.team)), own, min, TEAM_THEMES),
        })
        .filter(|t| !t.themes.is_empty())
        .collect();
    (org, teams)
}

/// Each source of `runs` (newest first), by name: its latest outcome and last success.
fn freshness(runs: &[CollectorRun]) -> Vec<Freshness> {
    let mut sources: Vec<&str> = runs.iter().map(|r| r.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    sources
        .into_iter()
        .map(|source| {
            let mut of_source = runs.iter().filter(|r| r.source == source);
            let latest = of_source.clone().next().map(|r| r.outcome.clone());
            Freshness {
                source: source.to_string(),
                last_success: of_source
                    .find(|r| r.outcome == "success")
                    .and_then(|r| r.finished_at),
                latest: latest.unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::TeamScore;

    const DAY: i64 = 86_400;

    fn developer(login: &str, start_day: i64, first_commit_day: Option<i64>) -> Onboarding {
        Onboarding {
            login: login.into(),
            team: format!("team-of-{login}"),
            start_at: start_day * DAY,
            first_commit_at: first_commit_day.map(|d| d * DAY),
        }
    }

    #[test]
    fn the_cohort_is_who_started_in_the_window_and_open_is_who_has_not_committed_by_its_end() {
        let period = Period {
            start: 80 * DAY,
            end: 100 * DAY,
            window_start: 10 * DAY,
        };
        let developers = [
            developer("before", 9, None),
            developer("early", 10, Some(12)),
            developer("late-commit", 40, Some(100)),
            developer("never", 95, None),
            developer("after", 100, None),
        ];
        let (size, open) = cohort(&developers, &period);
        assert_eq!(size, 3, "early, late-commit and never");
        assert_eq!(
            open,
            [
                OpenOnboarding {
                    login: "late-commit".into(),
                    team: "team-of-late-commit".into(),
                    age_days: 60,
                },
                OpenOnboarding {
                    login: "never".into(),
                    team: "team-of-never".into(),
                    age_days: 5,
                },
            ]
        );
    }

    fn team(name: &str, hidden: bool) -> TeamScore {
        TeamScore {
            team: name.into(),
            hidden,
            ..TeamScore::default()
        }
    }

    #[test]
    fn hidden_groups_get_no_themes() {
        let texts = [
            ("r1", "web", "flaky ci pipelines"),
            ("r2", "web", "flaky ci again"),
            ("r3", "mobile", "slow builds everywhere"),
            ("r4", "mobile", "slow builds today"),
        ];
        let mut score = Score {
            org: team("all", false),
            teams: vec![team("mobile", true), team("web", false)],
            ..Score::default()
        };
        let (org, teams) = pain_themes(&texts, &BTreeSet::new(), &score, 2);
        let phrases = |t: &[Theme]| -> Vec<(String, usize)> {
            t.iter().map(|t| (t.phrase.clone(), t.count)).collect()
        };
        assert_eq!(
            phrases(&org),
            [("flaky CI".to_string(), 2), ("slow builds".to_string(), 2)]
        );
        assert_eq!(teams.len(), 1, "mobile is hidden");
        assert_eq!(teams[0].team, "web");
        assert_eq!(phrases(&teams[0].themes), [("flaky CI".to_string(), 2)]);
        score.org.hidden = true;
        assert!(
            pain_themes(&texts, &BTreeSet::new(), &score, 2)
                .0
                .is_empty(),
            "the org hidden"
        );
    }

    /// Every team shows its survey figures, but the optional text question was answered by
    /// few: with k = 3, web's 2 answering responses are hidden with the next-smallest (api, 3),
    /// so the organisation (9) minus the teams shown (ops, 4) leaves 5, never fewer than 3.
    #[test]
    fn teams_with_too_few_text_answers_get_no_themes_nor_does_their_complement() {
        let mut texts = vec![("w1", "web", "flaky ci"), ("w2", "web", "flaky ci")];
        // w1 answered two text questions: still one response.
        texts.push(("w1", "web", "slow reviews"));
        for i in 0..3 {
            texts.push((["a1", "a2", "a3"][i], "api", "flaky ci"));
        }
        for i in 0..4 {
            texts.push((["o1", "o2", "o3", "o4"][i], "ops", "slow builds"));
        }
        let score = Score {
            org: team("all", false),
            teams: vec![team("api", false), team("ops", false), team("web", false)],
            ..Score::default()
        };
        let (org, teams) = pain_themes(&texts, &BTreeSet::new(), &score, 3);
        let shown: Vec<&str> = teams.iter().map(|t| t.team.as_str()).collect();
        assert_eq!(shown, ["ops"]);
        assert_eq!(org[0].phrase, "flaky CI");
        assert_eq!(org[0].count, 5);
        // Too few answering responses in the whole organisation: no theme at all.
        let (org, teams) = pain_themes(&texts[..3], &BTreeSet::new(), &score, 3);
        assert!(org.is_empty() && teams.is_empty());
    }

    fn run(source: &str, outcome: &str, finished_at: Option<i64>) -> CollectorRun {
        CollectorRun {
            id: 0,
            source: source.into(),
            started_at: 0,
            finished_at,
            outcome: outcome.into(),
            items: 0,
            error: None,
            warnings: 0,
        }
    }

    #[test]
    fn freshness_is_each_sources_latest_outcome_and_last_success() {
        let runs = [
            run("github", "error", Some(30)),
            run("argocd", "running", None),
            run("github", "success", Some(20)),
            run("github", "success", Some(10)),
        ];
        assert_eq!(
            freshness(&runs),
            [
                Freshness {
                    source: "argocd".into(),
                    last_success: None,
                    latest: "running".into(),
                },
                Freshness {
                    source: "github".into(),
                    last_success: Some(20),
                    latest: "error".into(),
                },
            ]
        );
    }
}
