//! `pinned-algorithm`: the server decides how a session token is checked.
//!
//! **What it does.** Every token is checked as HS256 with the app's key: the
//! HMAC-SHA256 of `header.payload` must equal the signature. The token's
//! own `alg` header is never read, so nothing in the token can change how it
//! is checked.
//!
//! **Why it matters.** A JWT names its own algorithm, and a verifier that
//! follows the header lets the attacker choose: `"alg": "none"` means "no
//! signature", and early JWT libraries (node-jsonwebtoken before 4.2.2,
//! pyjwt, php-jwt) accepted such a token as valid. Anyone could then write
//! `"sub": "alice"` and be alice. Only matters where the app reads tokens at
//! all: with server-side sessions there is no token to check.
//!
//! **The weakness when off.** The verifier trusts the header: `none` (in any
//! case) is accepted with no signature, `HS256` is checked with the key.
//!
//! CWE-347, CWE-345 · ASVS 4.0.3 3.5.3 · ASVS 5.0.0 9.1.1, 9.1.2 · WSTG-SESS-10

use crate::token::{self, Claims, TokenKey};
use crate::{Defense, Profile};

/// The claims of `token` if it is to be believed, else `None`.
pub fn verify(profile: &Profile, token: &str, key: &TokenKey) -> Option<Claims> {
    let parts = token::split(token)?;
    if profile.has(Defense::PinnedAlgorithm) {
        // HS256, whatever the header says.
        return token::hs256_verifies(key, parts.signing_input, &parts.signature)
            .then_some(parts.claims);
    }
    // Weakness: the token's header chooses how the token is checked.
    match parts.alg.as_deref() {
        Some(alg) if alg.eq_ignore_ascii_case("none") => Some(parts.claims),
        Some("HS256") => token::hs256_verifies(key, parts.signing_input, &parts.signature)
            .then_some(parts.claims),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::ProfileName;

    fn unsigned(alg: &str, sub: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{sub}","iat":0}}"#));
        format!("{header}.{payload}.")
    }

    fn pinned() -> Profile {
        Profile::new(ProfileName::Insecure).with(Defense::PinnedAlgorithm)
    }

    #[test]
    fn the_weak_verifier_believes_alg_none() {
        let key = TokenKey::new(b"key".to_vec());
        let insecure = Profile::new(ProfileName::Insecure);
        for alg in ["none", "None", "NONE"] {
            let claims = verify(&insecure, &unsigned(alg, "alice"), &key).expect("believed");
            assert_eq!(claims.sub, "alice");
            assert!(verify(&pinned(), &unsigned(alg, "alice"), &key).is_none());
        }
    }

    #[test]
    fn a_pinned_verifier_refuses_a_tampered_hs256_token() {
        let key = TokenKey::new(b"key".to_vec());
        let bob = Claims {
            sub: "bob".into(),
            iat: 0,
        };
        let token = token::sign(&bob, &key);
        assert_eq!(verify(&pinned(), &token, &key), Some(bob.clone()));
        // The payload rewritten to alice, bob's signature kept.
        let (header, rest) = token.split_once('.').expect("three parts");
        let (_, signature) = rest.split_once('.').expect("three parts");
        let alice = URL_SAFE_NO_PAD.encode(r#"{"sub":"alice","iat":0}"#);
        let tampered = format!("{header}.{alice}.{signature}");
        assert!(verify(&pinned(), &tampered, &key).is_none());
        assert!(verify(&Profile::new(ProfileName::Insecure), &tampered, &key).is_none());
        // Signed with another key: refused too.
        let forged = token::sign(&bob, &TokenKey::new(b"guess".to_vec()));
        assert!(verify(&pinned(), &forged, &key).is_none());
    }
}
