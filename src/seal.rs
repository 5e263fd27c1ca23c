//! Sealed boxes: XChaCha20-Poly1305 (an AEAD) under a 256-bit key, a random 192-bit nonce per
//! box. A held survey response is kept sealed until its release (DESIGN §10 "Nothing readable
//! links"); the key is derived from the survey secret (`crate::survey::sealing_key`).
//!
//! A box is `nonce ‖ ciphertext ‖ tag` and is bound to a context (the response's quarter and
//! team, stored beside it in clear): it opens only with its key and its context, so a box moved
//! to another row or altered by one bit does not open. A leaf module: it knows no secret's
//! source, no SQL.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// Bytes of a box's nonce (random: 192 bits never repeat by chance).
const NONCE: usize = 24;

/// The key of sealed boxes, and the keys it replaced: it seals with its own, and opens what any
/// of them sealed. Its `Debug` never shows them.
#[derive(Clone)]
pub struct SealKey(Vec<XChaCha20Poly1305>);

impl SealKey {
    /// The key of these 32 bytes.
    pub fn new(bytes: [u8; 32]) -> SealKey {
        SealKey(vec![XChaCha20Poly1305::new(&bytes.into())])
    }

    /// A random key, for boxes that are sealed and opened by one process.
    pub fn random() -> SealKey {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        SealKey::new(bytes)
    }

    /// This key, still opening what `previous` sealed (after a rotation of the secret).
    pub fn or_previous(mut self, previous: SealKey) -> SealKey {
        self.0.extend(previous.0);
        self
    }

    /// `plaintext` sealed under this key, bound to `context`, with a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        let sealed = self.0[0]
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("XChaCha20-Poly1305 seals any message under 256 GiB");
        [&nonce[..], &sealed].concat()
    }

    /// The plaintext of `sealed`, or `None` when it does not open: another key (not one this
    /// one replaced), another context, or altered bytes.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE {
            return None;
        }
        let (nonce, msg) = sealed.split_at(NONCE);
        self.0.iter().find_map(|cipher| {
            let payload = Payload { msg, aad: context };
            cipher.decrypt(XNonce::from_slice(nonce), payload).ok()
        })
    }
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_opens_with_its_key_and_context_only() {
        let key = SealKey::new([7; 32]);
        let message = b"[{\"question\":\"pain_point\",\"text\":\"marker-5f3a\"}]";
        let sealed = key.seal(message, b"2026-Q4\0payments");
        assert_eq!(sealed.len(), NONCE + message.len() + 16, "nonce, body, tag");
        assert!(
            !sealed.windows(6).any(|w| w == b"marker"),
            "nothing in clear"
        );
        assert_eq!(
            key.open(&sealed, b"2026-Q4\0payments").as_deref(),
            Some(&message[..])
        );
        assert_eq!(
            SealKey::new([8; 32]).open(&sealed, b"2026-Q4\0payments"),
            None,
            "another key"
        );
        assert_eq!(
            key.open(&sealed, b"2026-Q4\0checkout"),
            None,
            "another team"
        );
        let mut altered = sealed.clone();
        altered[NONCE + 3] ^= 1;
        assert_eq!(
            key.open(&altered, b"2026-Q4\0payments"),
            None,
            "one bit changed"
        );
        assert_eq!(
            key.open(&sealed[..NONCE - 1], b"2026-Q4\0payments"),
            None,
            "too short"
        );
        let again = key.seal(message, b"2026-Q4\0payments");
        assert_ne!(again, sealed, "a fresh nonce each time");
        assert_eq!(format!("{key:?}"), "SealKey(***)");
    }

    #[test]
    fn a_key_opens_what_the_key_it_replaced_sealed_and_seals_with_its_own() {
        let (old, new) = (SealKey::new([1; 32]), SealKey::new([2; 32]));
        let rotated = new.clone().or_previous(old.clone());
        let before = old.seal(b"held before", b"q");
        assert_eq!(
            rotated.open(&before, b"q").as_deref(),
            Some(&b"held before"[..])
        );
        assert_eq!(new.open(&before, b"q"), None);
        let after = rotated.seal(b"held after", b"q");
        assert_eq!(new.open(&after, b"q").as_deref(), Some(&b"held after"[..]));
        assert_eq!(old.open(&after, b"q"), None, "sealed with the new key only");
    }
}
