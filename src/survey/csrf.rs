//! The form's CSRF token, bound to the invite: HMAC of the invite's hash with the survey secret.
//!
//! A token is valid only with the invite it was made for, so a token taken from one form does
//! not help submit another. It holds no time: a form left open overnight can still be sent.

use hmac::Mac;

use super::keyed;
use crate::secret::Secret;

const LABEL: &str = "dxs survey csrf v1";

/// The CSRF token of the form for the invite whose hash is `invite_hash` (64 hex digits).
pub fn token(secret: &Secret, invite_hash: &str) -> String {
    hex::encode(keyed(secret, LABEL, &[invite_hash]).finalize().into_bytes())
}

/// Whether `token` is the CSRF token of `invite_hash` (compared in constant time).
pub fn is_valid(secret: &Secret, invite_hash: &str, token: &str) -> bool {
    match hex::decode(token) {
        Ok(bytes) => keyed(secret, LABEL, &[invite_hash])
            .verify_slice(&bytes)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_for_its_invite_and_secret_only() {
        let secret = Secret::new("s3cret");
        let t = token(&secret, "hash-a");
        assert_eq!(t.len(), 64);
        assert!(is_valid(&secret, "hash-a", &t));
        assert!(!is_valid(&secret, "hash-b", &t), "bound to the invite");
        assert!(
            !is_valid(&Secret::new("other"), "hash-a", &t),
            "bound to the secret"
        );
        assert!(!is_valid(&secret, "hash-a", &t[..63]));
        assert!(!is_valid(&secret, "hash-a", ""));
        assert!(!is_valid(&secret, "hash-a", "zz"));
    }
}
