//! The quarterly developer survey: its definition (from `surveys/*.toml`).
//!
//! The survey owns what is asked and how an answer maps to a score component; it never computes
//! a score (that is [`crate::scoring`]).

pub mod definition;

pub use definition::{Choice, Question, QuestionKind, SurveyDefinition};
