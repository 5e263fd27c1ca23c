//! Server-side validation of a submitted form against the survey definition.
//!
//! The rules, one per kind: a scale is a whole number 1–10, an NPS answer 0–10, a choice one of
//! the question's values, free text at most `max_length` characters (a CRLF counts as one, as
//! the browser counts it) with no control characters but tab and newlines. A required question
//! must be answered, and a question answered twice (two radio values) is refused. Fields that
//! name no question are ignored. Every error is kept per question, so the form can show them
//! all at once with the other answers kept.

use std::collections::BTreeMap;

use super::definition::{QuestionKind, SurveyDefinition};
use crate::model::Answer;

/// The answers as the form sent them, by question id (several values when a field repeats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entered(BTreeMap<String, Vec<String>>);

/// Errors by question id, in a message a developer can act on.
pub type FieldErrors = BTreeMap<String, String>;

impl Entered {
    /// Collects the form's `(name, value)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Entered {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs {
            map.entry(name).or_default().push(value);
        }
        Entered(map)
    }

    /// The first value of field `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }
}

/// Checks every answer; returns the answers to store, or an error per question.
pub fn validate(
    definition: &SurveyDefinition,
    entered: &Entered,
) -> Result<Vec<Answer>, FieldErrors> {
    let mut answers = Vec::new();
    let mut errors = FieldErrors::new();
    for question in &definition.questions {
        let values: Vec<&str> = entered
            .0
            .get(&question.id)
            .map(|v| {
                v.iter()
                    .map(String::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let value = match values.as_slice() {
            [] if question.required => {
                errors.insert(question.id.clone(), "Please answer this question.".into());
                continue;
            }
            [] => continue,
            [value] => *value,
            _ => {
                errors.insert(question.id.clone(), "Please choose only one answer.".into());
                continue;
            }
        };
        let answer = match question.kind {
            QuestionKind::Scale | QuestionKind::Nps => {
                let range = question.kind.range().expect("numeric kind");
                match value.trim().parse::<i64>() {
                    Ok(n) if range.contains(&n) => Ok(Answer {
                        question: question.id.clone(),
                        number: Some(n as f64),
                        text: None,
                    }),
                    _ => Err(format!(
                        "Please choose a whole number from {} to {}.",
                        range.start(),
                        range.end()
                    )),
                }
            }
            QuestionKind::Choice => match question.choices.iter().find(|c| c.value == value) {
                Some(choice) => Ok(Answer {
                    question: question.id.clone(),
                    number: None,
                    text: Some(choice.value.clone()),
                }),
                None => {
                    let labels: Vec<&str> =
                        question.choices.iter().map(|c| c.label.as_str()).collect();
                    Err(format!("Please choose one of: {}.", labels.join(", ")))
                }
            },
            QuestionKind::Text => check_text(value, question.max_chars()).map(|()| Answer {
                question: question.id.clone(),
                number: None,
                text: Some(value.to_string()),
            }),
        };
        match answer {
            Ok(answer) => answers.push(answer),
            Err(message) => {
                errors.insert(question.id.clone(), message);
            }
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

/// Length in characters as a browser counts it for `maxlength` (a CRLF is one).
pub fn text_length(text: &str) -> usize {
    text.chars().count() - text.matches("\r\n").count()
}

fn check_text(text: &str, max: usize) -> Result<(), String> {
    let length = text_length(text);
    if length > max {
        return Err(format!(
            "Please keep this to {max} characters (it has {length})."
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("Please remove the control characters from this answer.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entered(pairs: &[(&str, &str)]) -> Entered {
        Entered::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    const VALID: [(&str, &str); 5] = [
        ("deploy_ease", "7"),
        ("wait_time", "sometimes"),
        ("docs_clarity", "10"),
        ("recommend", "0"),
        ("pain_point", "Flaky CI"),
    ];

    fn with(field: &str, value: &str) -> Vec<(&'static str, String)> {
        VALID
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == field {
                        value.to_string()
                    } else {
                        v.to_string()
                    },
                )
            })
            .collect()
    }

    fn error_for(field: &str, value: &str) -> FieldErrors {
        let pairs: Vec<(String, String)> = with(field, value)
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .collect();
        validate(&SurveyDefinition::embedded(), &Entered::from_pairs(pairs)).unwrap_err()
    }

    #[test]
    fn a_complete_form_gives_one_answer_per_question() {
        let answers = validate(&SurveyDefinition::embedded(), &entered(&VALID)).unwrap();
        let got: Vec<(&str, Option<f64>, Option<&str>)> = answers
            .iter()
            .map(|a| (a.question.as_str(), a.number, a.text.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("deploy_ease", Some(7.0), None),
                ("wait_time", None, Some("sometimes")),
                ("docs_clarity", Some(10.0), None),
                ("recommend", Some(0.0), None),
                ("pain_point", None, Some("Flaky CI")),
            ]
        );
    }

    #[test]
    fn the_optional_text_may_be_left_empty_and_unknown_fields_are_ignored() {
        let mut pairs = with("pain_point", "  ");
        pairs.push(("favourite_colour", "red".into()));
        let pairs = pairs.into_iter().map(|(k, v)| (k.to_string(), v));
        let answers = validate(&SurveyDefinition::embedded(), &Entered::from_pairs(pairs)).unwrap();
        assert_eq!(answers.len(), 4);
        assert!(answers.iter().all(|a| a.question != "pain_point"));
    }

    #[test]
    fn each_rule_names_its_question() {
        let cases = [
            ("deploy_ease", "", "Please answer this question."),
            (
                "deploy_ease",
                "0",
                "Please choose a whole number from 1 to 10.",
            ),
            (
                "deploy_ease",
                "11",
                "Please choose a whole number from 1 to 10.",
            ),
            (
                "docs_clarity",
                "7.5",
                "Please choose a whole number from 1 to 10.",
            ),
            (
                "docs_clarity",
                "seven",
                "Please choose a whole number from 1 to 10.",
            ),
            (
                "recommend",
                "-1",
                "Please choose a whole number from 0 to 10.",
            ),
            ("recommend", "", "Please answer this question."),
            (
                "wait_time",
                "always",
                "Please choose one of: Never, Sometimes, Often.",
            ),
            ("wait_time", "", "Please answer this question."),
            (
                "pain_point",
                "a\u{0}b",
                "Please remove the control characters from this answer.",
            ),
        ];
        for (field, value, message) in cases {
            let errors = error_for(field, value);
            assert_eq!(errors.len(), 1, "{field}={value:?}: {errors:?}");
            assert_eq!(errors[field], message, "{field}={value:?}");
        }
        let mut pairs = with("deploy_ease", "3");
        pairs.push(("deploy_ease", "4".into()));
        let pairs = pairs.into_iter().map(|(k, v)| (k.to_string(), v));
        let errors =
            validate(&SurveyDefinition::embedded(), &Entered::from_pairs(pairs)).unwrap_err();
        assert_eq!(errors["deploy_ease"], "Please choose only one answer.");
    }

    #[test]
    fn text_length_counts_characters_and_a_crlf_as_one() {
        assert_eq!(text_length("héllo"), 5);
        assert_eq!(text_length("a\r\nb\nc"), 5);
        let ok = "é".repeat(1999) + "\r\n";
        let answers = validate(
            &SurveyDefinition::embedded(),
            &Entered::from_pairs(
                with("pain_point", &ok)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v)),
            ),
        );
        assert!(answers.is_ok(), "2,000 characters with a CRLF pass");
        let errors = error_for("pain_point", &"x".repeat(2001));
        assert_eq!(
            errors["pain_point"],
            "Please keep this to 2000 characters (it has 2001)."
        );
    }
}
