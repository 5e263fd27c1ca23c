//! The survey definition (`surveys/quarterly.toml`): its questions, their kinds, the score
//! component each feeds. The form is rendered from it and answers are validated against it, so a
//! new question is a change of the file, not of the code. A broken definition is a
//! [`DefinitionError`] that names the question, found when dxs starts, with the rest of the
//! configuration (it lives here so that `config` depends on no module above it; `survey`
//! re-exports it).

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

/// A survey definition that cannot be used: names the file or the question and says why.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// A key of the definition has a value that cannot be used.
    #[error("{key}: {reason}")]
    Invalid {
        /// The file and dotted key, e.g. `surveys/quarterly.toml: questions[2].kind`.
        key: String,
        /// What was expected.
        reason: String,
    },
    /// The file could not be read.
    #[error("{path}: {reason}")]
    File {
        /// The survey file.
        path: String,
        /// Why it could not be read.
        reason: String,
    },
}

/// The definition dxs ships with (`surveys/quarterly.toml`), used when that file is absent at
/// its default place.
pub const EMBEDDED: &str = include_str!("../../surveys/quarterly.toml");

/// Longest free-text answer when a text question sets no `max_length`.
pub const DEFAULT_MAX_LENGTH: usize = 2000;
/// Upper bound of `max_length`: 5,000 four-byte characters, percent-encoded, still fit the
/// 64 KiB request body limit.
const MAX_MAX_LENGTH: usize = 5_000;
/// Form field names the survey page uses itself; no question may take them.
pub const RESERVED_IDS: [&str; 2] = ["invite", "csrf"];

/// A survey: what the form shows and what an answer may be.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyDefinition {
    /// Identifier of the survey, e.g. `quarterly`.
    pub id: String,
    /// Title shown on the form.
    pub title: String,
    /// About how many minutes it takes (shown on the form).
    pub minutes: u32,
    /// The questions, in the order of the form.
    pub questions: Vec<Question>,
}

/// The file as read, before each question is read on its own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    id: String,
    title: String,
    minutes: u32,
    questions: Vec<toml::Value>,
}

/// One question of the survey.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Identifier: the form field and the stored answer's `question` (lowercase, digits, `_`).
    pub id: String,
    /// The question as the form asks it.
    pub text: String,
    /// What kind of answer it takes.
    pub kind: QuestionKind,
    /// The score component it feeds, if any (free text feeds none).
    #[serde(default)]
    pub component: Option<String>,
    /// An answer is needed to submit the form.
    #[serde(default)]
    pub required: bool,
    /// A hint under the question, e.g. what the ends of a scale mean.
    #[serde(default)]
    pub help: Option<String>,
    /// The choices of a `choice` question, in order.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Longest answer of a `text` question, in characters ([`DEFAULT_MAX_LENGTH`] if unset).
    #[serde(default)]
    pub max_length: Option<usize>,
}

/// The kinds of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// A whole number from 1 to 10.
    Scale,
    /// One of the question's choices.
    Choice,
    /// Net Promoter Score question: a whole number from 0 to 10.
    Nps,
    /// Free text.
    Text,
}

/// One choice of a `choice` question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Value sent by the form and stored.
    pub value: String,
    /// What the form shows.
    pub label: String,
    /// The component's value for this choice, 0 to 100.
    pub score: f64,
}

impl QuestionKind {
    /// The allowed whole numbers of a numeric kind (`Scale` 1–10, `Nps` 0–10).
    pub fn range(self) -> Option<std::ops::RangeInclusive<i64>> {
        match self {
            QuestionKind::Scale => Some(1..=10),
            QuestionKind::Nps => Some(0..=10),
            QuestionKind::Choice | QuestionKind::Text => None,
        }
    }
}

impl Question {
    /// Longest free-text answer, in characters.
    pub fn max_chars(&self) -> usize {
        self.max_length.unwrap_or(DEFAULT_MAX_LENGTH)
    }
}

impl SurveyDefinition {
    /// Reads and validates the definition at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<SurveyDefinition, DefinitionError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DefinitionError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a definition; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<SurveyDefinition, DefinitionError> {
        // Each question is read on its own, so that even a wrong type names its question.
        let raw: RawDefinition =
            toml::from_str(text).map_err(|e: toml::de::Error| invalid(source, e.message()))?;
        let questions = raw
            .questions
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let name = match value.get("id").and_then(toml::Value::as_str) {
                    Some(id) if !id.is_empty() => id.to_string(),
                    _ => (index + 1).to_string(),
                };
                Question::deserialize(value)
                    .map_err(|e| invalid(format!("{source}: question {name}"), e.message()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let definition = SurveyDefinition {
            id: raw.id,
            title: raw.title,
            minutes: raw.minutes,
            questions,
        };
        definition.validate(source)?;
        Ok(definition)
    }

    /// The definition shipped with dxs.
    pub fn embedded() -> SurveyDefinition {
        Self::parse(EMBEDDED, "embedded surveys/quarterly.toml")
            .expect("the shipped survey definition is valid")
    }

    /// The score components the questions feed.
    pub fn components(&self) -> std::collections::BTreeSet<String> {
        self.questions
            .iter()
            .filter_map(|q| q.component.clone())
            .collect()
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    fn validate(&self, source: &str) -> Result<(), DefinitionError> {
        if self.id.trim().is_empty() {
            return Err(invalid(format!("{source}: id"), "expected a non-empty id"));
        }
        if self.title.trim().is_empty() {
            return Err(invalid(format!("{source}: title"), "expected a title"));
        }
        if !(1..=120).contains(&self.minutes) {
            return Err(invalid(
                format!("{source}: minutes"),
                "expected 1 to 120 minutes",
            ));
        }
        if self.questions.is_empty() {
            return Err(invalid(
                format!("{source}: questions"),
                "expected at least one question",
            ));
        }
        let mut seen = HashSet::new();
        for (index, question) in self.questions.iter().enumerate() {
            let key = if question.id.is_empty() {
                format!("{source}: question {}", index + 1)
            } else {
                format!("{source}: question {}", question.id)
            };
            question
                .validate()
                .map_err(|reason| invalid(&key, reason))?;
            if !seen.insert(question.id.as_str()) {
                return Err(invalid(key, "the id is used by an earlier question"));
            }
        }
        Ok(())
    }
}

impl Question {
    fn validate(&self) -> Result<(), String> {
        if !is_slug(&self.id) {
            return Err(format!(
                "expected an id of lowercase letters, digits and '_', got {:?}",
                self.id
            ));
        }
        if RESERVED_IDS.contains(&self.id.as_str()) {
            return Err(format!("the id {:?} is reserved by the form", self.id));
        }
        if self.text.trim().is_empty() {
            return Err("expected the question's text".into());
        }
        if let Some(component) = &self.component {
            if !is_slug(component) {
                return Err(format!(
                    "component: expected a component name such as deploy_ease, got {component:?}"
                ));
            }
            if self.kind == QuestionKind::Text {
                return Err("component: a text question feeds no component".into());
            }
        }
        if self.kind == QuestionKind::Choice {
            self.validate_choices()?;
        } else if !self.choices.is_empty() {
            return Err("choices: only a choice question has choices".into());
        }
        match (self.kind, self.max_length) {
            (QuestionKind::Text, Some(n)) if !(1..=MAX_MAX_LENGTH).contains(&n) => Err(format!(
                "max_length: expected 1 to {MAX_MAX_LENGTH} characters, got {n}"
            )),
            (QuestionKind::Text, _) | (_, None) => Ok(()),
            (_, Some(_)) => Err("max_length: only a text question has a max_length".into()),
        }
    }

    fn validate_choices(&self) -> Result<(), String> {
        if self.choices.len() < 2 {
            return Err("choices: a choice question needs at least two choices".into());
        }
        let mut values = HashSet::new();
        for choice in &self.choices {
            let valid_value = !choice.value.is_empty()
                && choice
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid_value {
                return Err(format!(
                    "choices: expected a value of letters, digits, '_' and '-', got {:?}",
                    choice.value
                ));
            }
            if !values.insert(choice.value.as_str()) {
                return Err(format!("choices: the value {:?} is repeated", choice.value));
            }
            if choice.label.trim().is_empty() {
                return Err(format!("choices: {:?} has no label", choice.value));
            }
            if !(0.0..=100.0).contains(&choice.score) {
                return Err(format!(
                    "choices: the score of {:?} must be 0 to 100, got {}",
                    choice.value, choice.score
                ));
            }
        }
        Ok(())
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> DefinitionError {
    DefinitionError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(edit: impl Fn(&str) -> String) -> String {
        match SurveyDefinition::parse(&edit(EMBEDDED), "s.toml") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn the_shipped_definition_has_the_five_questions() {
        let d = SurveyDefinition::embedded();
        let ids: Vec<&str> = d.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "deploy_ease",
                "wait_time",
                "docs_clarity",
                "recommend",
                "pain_point"
            ]
        );
        assert_eq!(d.minutes, 3);
        let wait = d.question("wait_time").unwrap();
        assert_eq!(wait.kind, QuestionKind::Choice);
        let scores: Vec<f64> = wait.choices.iter().map(|c| c.score).collect();
        assert_eq!(scores, [100.0, 50.0, 0.0]);
        assert_eq!(
            d.question("recommend").unwrap().component.as_deref(),
            Some("nps")
        );
        let pain = d.question("pain_point").unwrap();
        assert!(!pain.required);
        assert_eq!(pain.max_chars(), 2000);
        assert_eq!(QuestionKind::Nps.range(), Some(0..=10));
    }

    #[test]
    fn each_broken_question_is_named() {
        let e = error_of(|t| t.replacen("kind = \"scale\"", "kind = \"slider\"", 1));
        assert!(
            e.starts_with("s.toml: question deploy_ease: unknown variant `slider`"),
            "{e}"
        );
        let e = error_of(|t| {
            t.replace("{ value = \"often\", label = \"Often\", score = 0 },", "")
                .replace(
                    "{ value = \"sometimes\", label = \"Sometimes\", score = 50 },",
                    "",
                )
        });
        assert!(
            e.contains("question wait_time: choices: a choice question needs at least two"),
            "{e}"
        );
        let e = error_of(|t| {
            t.replace(
                "{ value = \"sometimes\", label = \"Sometimes\", score = 50 },",
                "{ value = \"never\", label = \"Again\", score = 50 },",
            )
        });
        assert!(
            e.starts_with("s.toml: question wait_time: choices: the value \"never\" is repeated"),
            "{e}"
        );
        let e = error_of(|t| t.replace("score = 50", "score = 150"));
        assert!(e.contains("question wait_time: choices: the score"), "{e}");
        let e = error_of(|t| t.replace("id = \"docs_clarity\"", "id = \"deploy_ease\""));
        assert!(e.contains("question deploy_ease: the id is used"), "{e}");
        let e = error_of(|t| t.replace("id = \"recommend\"", "id = \"Recommend!\""));
        assert!(e.contains("question Recommend!"), "{e}");
        let e = error_of(|t| t.replace("id = \"recommend\"", "id = \"csrf\""));
        assert!(
            e.contains("question csrf: the id \"csrf\" is reserved"),
            "{e}"
        );
        let e = error_of(|t| t.replace("max_length = 2000", "max_length = 0"));
        assert!(e.contains("question pain_point: max_length"), "{e}");
        let e = error_of(|t| t.replace("max_length = 2000", "component = \"nps\""));
        assert!(e.contains("question pain_point: component"), "{e}");
        let e = error_of(|t| {
            t.replacen(
                "help = \"1 = very hard",
                "max_length = 9\nhelp = \"1 = very hard",
                1,
            )
        });
        assert!(e.contains("question deploy_ease: max_length"), "{e}");
        let e = error_of(|t| {
            t.replace(
                "text = \"How clear is the platform documentation?\"",
                "text = \" \"",
            )
        });
        assert!(
            e.contains("question docs_clarity: expected the question's text"),
            "{e}"
        );
        let e = error_of(|t| t.replace("minutes = 3", "minutes = 0"));
        assert!(e.starts_with("s.toml: minutes"), "{e}");
        let e = error_of(|t| t.replacen("required = true", "required = true\ncolour = \"red\"", 1));
        assert!(
            e.starts_with("s.toml: question deploy_ease: unknown field `colour`"),
            "{e}"
        );
    }

    #[test]
    fn load_names_a_missing_file() {
        let e = SurveyDefinition::load("no/such/survey.toml").unwrap_err();
        assert!(e.to_string().starts_with("no/such/survey.toml: "), "{e}");
    }
}
