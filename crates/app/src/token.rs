//! The client-side session token: a JWT (RFC 7519) signed with HS256, the
//! format Express apps get from `jsonwebtoken`'s `jwt.sign(payload, secret)`.
//!
//! Only the format lives here (base64url JSON, HMAC-SHA256 from the `hmac`
//! and `sha2` crates). Which tokens are believed is the lesson, and lives in
//! the defense modules: `pinned_algorithm.rs` (how a token is checked),
//! `secret_from_env.rs` (the key), `server_side_sessions.rs` (whether the
//! app hands out tokens at all).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What the token says: who is signed in (`sub`) and when the login was
/// (`iat`, seconds on the lab clock). Pages need nothing else.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
}

/// The HMAC key of the tokens. Never printed: `Debug` shows only its length.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl TokenKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({} bytes)", self.0.len())
    }
}

/// The header the app writes; what a verifier reads from a token's header is
/// `pinned_algorithm.rs`'s business.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// `header.payload.signature`, as `jwt.sign(claims, key)` makes it.
pub fn sign(claims: &Claims, key: &TokenKey) -> String {
    let payload = serde_json::to_vec(claims).expect("two plain fields always serialise");
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = URL_SAFE_NO_PAD.encode(mac(key, &signing_input).finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Whether `signature` is HMAC-SHA256 of `signing_input` under `key`
/// (compared in constant time by `hmac`).
pub fn hs256_verifies(key: &TokenKey, signing_input: &str, signature: &[u8]) -> bool {
    mac(key, signing_input).verify_slice(signature).is_ok()
}

fn mac(key: &TokenKey, signing_input: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes a key of any length");
    mac.update(signing_input.as_bytes());
    mac
}

/// A token cut into its three parts, decoded but not yet believed.
#[derive(Debug)]
pub struct Unverified<'a> {
    /// `header.payload`: what the signature covers.
    pub signing_input: &'a str,
    /// The header's `alg`, as the token states it.
    pub alg: Option<String>,
    pub claims: Claims,
    pub signature: Vec<u8>,
}

/// Cuts and decodes a token; `None` for anything not shaped like a JWT with
/// our claims (the visitor is then simply not signed in by a token).
pub fn split(token: &str) -> Option<Unverified<'_>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    Some(Unverified {
        signing_input,
        alg: header.get("alg")?.as_str().map(str::to_owned),
        claims,
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_splits_and_verifies_with_its_key_only() {
        let claims = Claims {
            sub: "bob".into(),
            iat: 1,
        };
        let key = TokenKey::new(b"k".to_vec());
        let token = sign(&claims, &key);
        let parts = split(&token).expect("a JWT");
        assert_eq!(parts.claims, claims);
        assert_eq!(parts.alg.as_deref(), Some("HS256"));
        assert!(hs256_verifies(&key, parts.signing_input, &parts.signature));
        let other = TokenKey::new(b"l".to_vec());
        assert!(!hs256_verifies(
            &other,
            parts.signing_input,
            &parts.signature
        ));
    }

    #[test]
    fn garbage_is_no_token() {
        for value in ["", "a.b", "a.b.c", "..", "x.eyJ9.y"] {
            assert!(split(value).is_none(), "{value:?}");
        }
    }
}
