//! Flask's default session cookie as an attacker handles it: read it
//! without the key, crack the app's `secret_key` offline, sign a new one.
//!
//! Flask keeps the whole session in the cookie (CWE-565, ASVS 3.5.2),
//! signed by itsdangerous the way `SecureCookieSessionInterface` sets it
//! up: salt `cookie-session`, key derivation `hmac` (the signing key is
//! HMAC-SHA1(secret_key, salt)), digest SHA-1, and a `TimestampSigner`:
//! `payload.timestamp.signature`, each part base64url without padding. The
//! payload is compact JSON, zlib-compressed behind a leading `.` when that
//! is shorter. Signed is not secret: anyone reads the payload, and a weak
//! `secret_key` (CWE-521) falls to a wordlist, as `flask-unsign` shows.
//!
//! Only the format glue is written here; HMAC-SHA1 is the `hmac` and `sha1`
//! crates, zlib is `flate2`.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::read::ZlibDecoder;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha1::Sha1;

/// The salt Flask's `SecureCookieSessionInterface` signs its sessions with.
pub const SALT: &str = "cookie-session";

/// A Flask session cookie read without its key.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaskSession {
    /// The session dict, as Flask's tagged JSON has it.
    pub data: Map<String, Value>,
    /// `payload.timestamp` as it came: what the signature covers.
    pub signed: String,
    pub signature: Vec<u8>,
}

/// Decodes `payload.timestamp.signature` (or `.zlib-payload...`); `None`
/// for anything else, a JWT included (its middle part is JSON, not an
/// integer of at most 8 bytes).
pub fn decode(value: &str) -> Option<FlaskSession> {
    let (signed, signature) = value.rsplit_once('.')?;
    let (payload, timestamp) = signed.rsplit_once('.')?;
    let timestamp = URL_SAFE_NO_PAD.decode(timestamp).ok()?;
    if timestamp.is_empty() || timestamp.len() > 8 {
        return None;
    }
    let json = match payload.strip_prefix('.') {
        Some(compressed) => {
            let mut json = Vec::new();
            ZlibDecoder::new(URL_SAFE_NO_PAD.decode(compressed).ok()?.as_slice())
                .read_to_end(&mut json)
                .ok()?;
            json
        }
        None => URL_SAFE_NO_PAD.decode(payload).ok()?,
    };
    let Value::Object(data) = serde_json::from_slice(&json).ok()? else {
        return None;
    };
    Some(FlaskSession {
        data,
        signed: signed.to_owned(),
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

/// The HMAC that signs `signed` under `secret_key`: itsdangerous's `hmac`
/// key derivation first, so the key is HMAC-SHA1(secret_key, salt).
fn mac(secret_key: &[u8], signed: &str) -> Hmac<Sha1> {
    let new = |key: &[u8]| Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    let mut derive = new(secret_key);
    derive.update(SALT.as_bytes());
    let mut mac = new(&derive.finalize().into_bytes());
    mac.update(signed.as_bytes());
    mac
}

/// The secret of `candidates` that reproduces the cookie's signature, if
/// any: offline, not one request to the app.
pub fn crack<'a>(
    session: &FlaskSession,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates.into_iter().find(|secret| {
        mac(secret.as_bytes(), &session.signed)
            .verify_slice(&session.signature)
            .is_ok()
    })
}

/// A session cookie holding `data`, stamped `timestamp` (Unix seconds) and
/// signed with `secret_key`, as Flask itself writes one.
pub fn sign(data: &Map<String, Value>, secret_key: &[u8], timestamp: u64) -> String {
    let json = Value::Object(data.clone()).to_string();
    let compressed = zlib(json.as_bytes());
    // itsdangerous compresses only when that saves more than one byte (the dot).
    let payload = if compressed.len() < json.len() - 1 {
        format!(".{}", URL_SAFE_NO_PAD.encode(compressed))
    } else {
        URL_SAFE_NO_PAD.encode(&json)
    };
    let bytes = timestamp.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let signed = format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&bytes[first..]));
    let signature = URL_SAFE_NO_PAD.encode(mac(secret_key, &signed).finalize().into_bytes());
    format!("{signed}.{signature}")
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// The session key whose value is `username` (the one a forger rewrites):
/// the first of [`super::IDENTITY_CLAIMS`] holding it, else any other.
pub fn identity_key(session: &FlaskSession, username: &str) -> Option<String> {
    super::key_holding(&session.data, username)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tokens::{PUBLISHED_SECRETS, wordlist};

    /// Written by Flask 3.1.3 / itsdangerous 2.x:
    /// `SecureCookieSessionInterface().get_signing_serializer(app).dumps(...)`
    /// with `app.secret_key = "super secret key"`.
    const REAL_FLASK: &str = "eyJ1c2VyIjoiYm9iIn0.aw8GQw.L1twdU1KwLovep8saN0kpn6xP8A";
    /// `{"note": "x" * 80, "user": "bob"}`, long enough that Flask compressed
    /// it (keys in serde_json's sorted order, so the JSON is the same).
    const REAL_FLASK_ZLIB: &str =
        ".eJyrVsrLL0lVslKqoDJQ0lEqLU4tApqclJ-kVAsAXxEs0Q.aw8GQw.GuGasCTijXtrD7PlEykSIGM547M";
    /// The timestamp both were stamped with (`TimestampSigner.get_timestamp`
    /// pinned to it).
    const STAMPED: u64 = 0x6b0f_0643;

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn a_real_flask_cookie_is_read_and_cracked_with_the_wordlist() {
        let session = decode(REAL_FLASK).expect("a Flask session");
        assert_eq!(session.data, data(json!({"user": "bob"})));
        assert_eq!(identity_key(&session, "bob").as_deref(), Some("user"));
        assert_eq!(
            crack(&session, wordlist(PUBLISHED_SECRETS)),
            Some("super secret key")
        );
        let compressed = decode(REAL_FLASK_ZLIB).expect("a compressed Flask session");
        assert_eq!(compressed.data["note"], json!("x".repeat(80)));
        assert_eq!(
            crack(&compressed, ["wrong", "super secret key"]),
            Some("super secret key")
        );
    }

    #[test]
    fn signing_reproduces_what_flask_wrote_byte_for_byte() {
        assert_eq!(
            sign(&data(json!({"user": "bob"})), b"super secret key", STAMPED),
            REAL_FLASK
        );
    }

    #[test]
    fn a_long_session_is_compressed_as_flask_does() {
        // miniz (flate2) and Python's zlib compress to different bytes, so
        // the compressed payload is compared by what it holds.
        let long = data(json!({"user": "bob", "note": "x".repeat(80)}));
        let forged = sign(&long, b"super secret key", STAMPED);
        assert!(forged.starts_with('.'), "{forged}");
        let (ours, theirs) = (decode(&forged), decode(REAL_FLASK_ZLIB));
        let (ours, theirs) = (ours.expect("ours"), theirs.expect("Flask's"));
        assert_eq!(ours.data, theirs.data);
        assert_eq!(crack(&ours, ["super secret key"]), Some("super secret key"));
    }

    #[test]
    fn a_forged_session_verifies_only_under_its_key() {
        let forged = decode(&sign(
            &data(json!({"user": "alice"})),
            b"dev",
            1_700_000_000,
        ))
        .expect("a Flask session");
        assert_eq!(crack(&forged, ["dev"]), Some("dev"));
        assert_eq!(crack(&forged, ["super secret key"]), None);
        assert_eq!(identity_key(&forged, "alice").as_deref(), Some("user"));
    }

    #[test]
    fn jwts_and_opaque_ids_are_no_flask_session() {
        let jwt = crate::tokens::sign_hs256(&data(json!({"sub": "bob"})), b"k");
        for value in [jwt.as_str(), "", "abc", "a.b.c", "s%3Aabc.def"] {
            assert!(decode(value).is_none(), "{value:?}");
        }
    }
}
