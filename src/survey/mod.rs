//! The quarterly survey: its definition (`surveys/*.toml`), the invites, the validation of
//! answers, the form's CSRF token and when held responses are released.
//!
//! Nothing here knows HTTP (that is `web/survey.rs`) or SQL (that is `store/survey.rs`). Every
//! secret-derived value (invite tokens, CSRF tokens, the key that seals held responses) is an
//! HMAC-SHA256 of the survey secret over a label of its own, so one value can never stand in for
//! another.

pub mod csrf;
pub mod invites;
pub mod release;
pub mod validation;

/// The definition is read and checked with the configuration (`config::survey_definition`).
pub use crate::config::survey_definition as definition;
pub use definition::{Choice, DefinitionError, Question, QuestionKind, SurveyDefinition};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::SurveyConfig;
use crate::seal::SealKey;
use crate::secret::Secret;

/// Label of the key that seals held responses.
const SEALING_LABEL: &str = "dxs survey sealing v1";

/// The key that seals a held response until its release ([`crate::seal`]): derived from the
/// survey secret, so only a process that has the secret can open what is held.
pub fn sealing_key(secret: &Secret) -> SealKey {
    SealKey::new(
        keyed(secret, SEALING_LABEL, &[])
            .finalize()
            .into_bytes()
            .into(),
    )
}

/// The key of held responses under `config`: it seals with the survey secret's key (a key of
/// this process without one) and opens what the previous secret (`survey.previous_secret_env`)
/// sealed too.
pub fn held_key(config: &SurveyConfig) -> SealKey {
    let key = sealing_key(&config.form_key);
    match &config.previous_secret {
        Some(previous) => key.or_previous(sealing_key(previous)),
        None => key,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sealing_key_is_the_secrets_own() {
        let sealed = sealing_key(&Secret::new("s3cret")).seal(b"answers", b"2026-Q4\0mobile");
        let again = sealing_key(&Secret::new("s3cret"));
        assert_eq!(
            again.open(&sealed, b"2026-Q4\0mobile").as_deref(),
            Some(&b"answers"[..])
        );
        let rotated = sealing_key(&Secret::new("s3cret2"));
        assert_eq!(rotated.open(&sealed, b"2026-Q4\0mobile"), None);
    }
}
