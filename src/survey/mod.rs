//! The quarterly survey: its definition (`surveys/*.toml`), the invites, the validation of
//! answers, the form's CSRF token and when held responses are released.
//!
//! Nothing here knows HTTP (that is `web/survey.rs`) or SQL (that is `store/survey.rs`). Every
//! secret-derived value (invite tokens, CSRF tokens) is an HMAC-SHA256 of the survey secret over a
//! label of its own, so one value can never stand in for another.

pub mod csrf;
pub mod invites;
pub mod release;
pub mod validation;

/// The definition is read and checked with the configuration (`config::survey_definition`).
pub use crate::config::survey_definition as definition;
pub use definition::{Choice, DefinitionError, Question, QuestionKind, SurveyDefinition};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// HMAC-SHA256 keyed with `secret` over `label`, then each of `parts`, each ended by a NUL byte
/// (no part holds a NUL, so distinct inputs never collide).
fn keyed(secret: &Secret, label: &str, parts: &[&str]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    for part in std::iter::once(label).chain(parts.iter().copied()) {
        mac.update(part.as_bytes());
        mac.update(&[0]);
    }
    mac
}
