//! `signed-cookie`: the session cookie carries an HMAC made with a secret key.
//!
//! **What it does.** `SessionManagerLayer::with_signed(key)`: the cookie value
//! is `base64(HMAC-SHA256(key, id))` followed by the ID; a cookie whose
//! signature does not verify is ignored (the visitor just gets a fresh
//! session). What happens to a value not even shaped like a signed ID
//! differs by profile ([`ignores_unverifiable_cookies`]): the tutorial
//! ignores it too, as express-session ignores any `connect.sid` it cannot
//! unsign; hardened refuses it with a 400 that says what is wrong
//! (`malformed_cookies.rs`). The key never appears in the source:
//! - tutorial: derived from the `SESSION_SECRET` environment variable, the
//!   seed article's `process.env.SESSION_SECRET` (stretched to the 64 bytes
//!   the cookie crate needs with argon2id and a fixed lab salt, because the
//!   seed's secret is 10 characters); unset, a random key and a notice;
//! - hardened: 64 bytes from the CSPRNG, new at every start.
//!
//! **Why it matters.** Only someone holding the key can mint a cookie the
//! server accepts, so IDs cannot be planted or forged from outside; a
//! hard-coded key (the seed's first version, `'38sisjsk92'`) gives that power
//! to everyone who reads the source. That hard-coded key is the weakness of
//! `secret_from_env.rs`, which keys the client-side session tokens (and
//! reuses this key for them where there is one): this module only decides
//! whether the ID cookie is signed.
//!
//! **The weakness when off.** The cookie is the bare ID.
//!
//! CWE-798, CWE-345 · ASVS 4.0.3 3.5.3, 2.10.4 · ASVS 5.0.0 9.1.1, 13.3.1 · WSTG-SESS-01, WSTG-SESS-10

use rand::RngCore;
use tower_sessions::cookie::Key;

use crate::{Defense, Profile, ProfileName};

/// The environment variable the tutorial reads, as the seed article does.
pub const SECRET_VARIABLE: &str = "SESSION_SECRET";
/// Public and fixed on purpose: the secret, not the salt, is what must stay unknown.
const LAB_SALT: &[u8] = b"sessionlab/signed-cookie/v1";

/// The key (if the cookie is signed) and a line for the operator, if any.
pub struct CookieSigning {
    pub key: Option<Key>,
    pub notice: Option<String>,
}

/// `secret_from_env` is the value of [`SECRET_VARIABLE`], passed in by the caller.
pub fn signing_for(profile: &Profile, secret_from_env: Option<String>) -> CookieSigning {
    if !profile.has(Defense::SignedCookie) {
        return CookieSigning {
            key: None,
            notice: None,
        }; // Weakness: a bare ID.
    }
    if profile.name != ProfileName::Tutorial {
        return CookieSigning {
            key: Some(random_key()),
            notice: None,
        };
    }
    match secret_from_env.filter(|secret| !secret.is_empty()) {
        Some(secret) => match key_from_secret(secret.as_bytes()) {
            Some(key) => CookieSigning {
                key: Some(key),
                notice: None,
            },
            None => random_key_with_notice("could not derive a key from SESSION_SECRET"),
        },
        None => random_key_with_notice("SESSION_SECRET is not set"),
    }
}

/// Whether a session cookie this app cannot verify (signature wrong, missing
/// or garbled) is ignored, the visitor getting a fresh session, rather than
/// refused with a 400 by `malformed_cookies.rs`. The tutorial ignores it,
/// because express-session does: `getcookie` logs "cookie unsigned" or
/// "cookie signature invalid" and goes on without a session ID. Hardened keeps
/// the stricter answer, which tells a client what it sent wrong.
pub fn ignores_unverifiable_cookies(profile: &Profile) -> bool {
    profile.has(Defense::SignedCookie) && profile.name == ProfileName::Tutorial
}

/// 64 bytes from the secret: argon2id (default parameters) with the lab salt.
pub fn key_from_secret(secret: &[u8]) -> Option<Key> {
    let mut bytes = [0u8; 64];
    argon2::Argon2::default()
        .hash_password_into(secret, LAB_SALT, &mut bytes)
        .ok()?;
    Some(Key::from(&bytes))
}

/// Whether the app makes a key of its own that every instance must share:
/// the cookies' (`signed-cookie`) or the session tokens' (`secret-from-env`).
/// `serve` keeps it with a durable store; a class lab hands it to both of its
/// instances. The tutorial derives its key from `SESSION_SECRET` instead.
pub(crate) fn makes_own_key(profile: &Profile) -> bool {
    (profile.has(Defense::SignedCookie) || profile.has(Defense::SecretFromEnv))
        && profile.name != ProfileName::Tutorial
}

/// 64 bytes from the thread-local CSPRNG.
pub fn random_key() -> Key {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    Key::from(&bytes)
}

fn random_key_with_notice(reason: &str) -> CookieSigning {
    let notice = format!(
        "{reason}: the tutorial profile signs its cookies with a random key for this run \
         (set {SECRET_VARIABLE}, as the seed article's .env does, to keep one key across restarts)"
    );
    CookieSigning {
        key: Some(random_key()),
        notice: Some(notice),
    }
}
