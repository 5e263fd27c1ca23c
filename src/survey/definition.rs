//! The survey definition read from `surveys/quarterly.toml`: questions, their kinds, the score
//! component each one feeds, and the score of each choice. A new question is a change to the
//! file, not to the code.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::config::ConfigError;

/// Where the survey definition is read from, relative to the working directory.
pub const DEFAULT_PATH: &str = "surveys/quarterly.toml";

/// A survey: its questions in the order they are asked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyDefinition {
    /// Short id, e.g. `quarterly`.
    pub id: String,
    /// Title shown on the form.
    pub title: String,
    /// How long answering takes, in minutes (shown on the form).
    pub minutes: u32,
    /// The questions.
    pub questions: Vec<Question>,
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// 1 to 10; component = (x−1)/9·100.
    Scale,
    /// One of `choices`; component = the mean of the choices' scores.
    Choice,
    /// 0 to 10, Net Promoter Score; component = (NPS+100)/2.
    Nps,
    /// Free text; no component.
    Text,
}

impl QuestionKind {
    /// The lowest and highest numeric answer, for the numeric kinds.
    pub fn range(self) -> Option<(f64, f64)> {
        match self {
            QuestionKind::Scale => Some((1.0, 10.0)),
            QuestionKind::Nps => Some((0.0, 10.0)),
            QuestionKind::Choice | QuestionKind::Text => None,
        }
    }
}

/// One question of the survey.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Id, the key of the stored answers.
    pub id: String,
    /// The question as asked.
    pub text: String,
    /// Kind of answer.
    pub kind: QuestionKind,
    /// Score component the question feeds, if any.
    #[serde(default)]
    pub component: Option<String>,
    /// An answer is required.
    #[serde(default)]
    pub required: bool,
    /// A hint shown under the question.
    #[serde(default)]
    pub help: Option<String>,
    /// The choices of a `choice` question.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Longest accepted answer of a `text` question, in characters.
    #[serde(default)]
    pub max_length: Option<usize>,
}

/// One choice of a `choice` question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stored value, e.g. `never`.
    pub value: String,
    /// Label shown on the form.
    pub label: String,
    /// Component score of this answer, 0 to 100.
    pub score: f64,
}

impl SurveyDefinition {
    /// Reads and checks the definition at `path`.
    pub fn load(path: &Path) -> Result<SurveyDefinition, ConfigError> {
        let file_error = |reason: String| ConfigError::File {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Invalid { key, reason } => file_error(format!("{key}: {reason}")),
            other => other,
        })
    }

    /// Parses and checks a definition from TOML text.
    pub fn parse(text: &str) -> Result<SurveyDefinition, ConfigError> {
        let definition: SurveyDefinition =
            toml::from_str(text).map_err(|e| invalid("survey", e.message()))?;
        definition.check()?;
        Ok(definition)
    }

    /// The score components the questions feed, sorted.
    pub fn components(&self) -> BTreeSet<String> {
        self.questions
            .iter()
            .filter_map(|q| q.component.clone())
            .collect()
    }

    fn check(&self) -> Result<(), ConfigError> {
        let mut ids = BTreeSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            let key = |field: &str| format!("questions[{i}].{field}");
            if q.id.is_empty() || !ids.insert(q.id.as_str()) {
                return Err(invalid(
                    key("id"),
                    format!("expected a unique, non-empty id, got {:?}", q.id),
                ));
            }
            if q.kind == QuestionKind::Choice && q.choices.is_empty() {
                return Err(invalid(key("choices"), "a choice question needs choices"));
            }
            if q.kind == QuestionKind::Text && q.component.is_some() {
                return Err(invalid(
                    key("component"),
                    "a text question feeds no component",
                ));
            }
            if let Some(c) = q.choices.iter().find(|c| !(0.0..=100.0).contains(&c.score)) {
                return Err(invalid(
                    key("choices"),
                    format!("score of {:?} must be 0 to 100, got {}", c.value, c.score),
                ));
            }
        }
        Ok(())
    }
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarterly_survey_loads() {
        let s = SurveyDefinition::load(Path::new(DEFAULT_PATH)).unwrap();
        assert_eq!(s.id, "quarterly");
        assert_eq!(s.questions.len(), 5);
        let wait = &s.questions[1];
        assert_eq!(wait.kind, QuestionKind::Choice);
        assert_eq!(wait.choices[1].value, "sometimes");
        assert_eq!(wait.choices[1].score, 50.0);
        assert_eq!(s.questions[3].kind, QuestionKind::Nps);
        let components: Vec<_> = s.components().into_iter().collect();
        assert_eq!(
            components,
            ["deploy_ease", "docs_clarity", "nps", "wait_time"]
        );
    }

    #[test]
    fn bad_definitions_name_the_question() {
        let two = "id = \"s\"\ntitle = \"t\"\nminutes = 1\n\
                   [[questions]]\nid = \"a\"\ntext = \"?\"\nkind = \"scale\"\n\
                   [[questions]]\nid = \"a\"\ntext = \"?\"\nkind = \"nps\"\n";
        let e = SurveyDefinition::parse(two).unwrap_err().to_string();
        assert!(e.starts_with("questions[1].id"), "{e}");
        let choice = "id = \"s\"\ntitle = \"t\"\nminutes = 1\n\
                      [[questions]]\nid = \"a\"\ntext = \"?\"\nkind = \"choice\"\n";
        let e = SurveyDefinition::parse(choice).unwrap_err().to_string();
        assert!(e.starts_with("questions[0].choices"), "{e}");
    }
}
