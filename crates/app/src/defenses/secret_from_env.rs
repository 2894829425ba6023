//! `secret-from-env`: the key that signs session tokens is random and kept
//! out of the source.
//!
//! **What it does.** The tokens' HMAC key is at least 256 random bits:
//! `SESSION_SECRET` when the environment holds one that long (the seed's
//! `.env`, done right); otherwise the app's own key: the one that signs its
//! cookies (`signed_cookie.rs`; in the tutorial derived from
//! `SESSION_SECRET`), or one generated at first start and kept with the
//! sessions in a durable store (`--store sqlite:PATH`), so tokens outlive a
//! restart; with the memory store, fresh random bits at each start.
//!
//! **Why it matters.** Whoever knows the key can sign any token the server
//! will believe, including one that says "I am alice". A key written in the
//! source is known to everyone who reads it, and a short or well-known one
//! can be found from a single token offline: HMAC is fast, and wordlists of
//! secrets copied from tutorials and docs are a download away.
//!
//! **The weakness when off.** The seed's first version: the secret is the
//! string `'38sisjsk92'` in the source, published with the tutorial.
//!
//! CWE-798, CWE-321, CWE-330 · ASVS 4.0.3 2.10.4, 3.5.3 · ASVS 5.0.0 9.1.1, 13.3.1 · WSTG-SESS-10

use rand::RngCore;
use tower_sessions::cookie::Key;

use crate::token::TokenKey;
use crate::{Defense, Profile};

/// The seed article's `app.use(session({ secret: '38sisjsk92', ... }))`.
pub const SEED_SECRET: &str = "38sisjsk92";

/// 256 bits: HS256's own strength, the least a random key should have.
pub const MIN_KEY_BYTES: usize = 32;

/// The key for the session tokens. `session_secret` is `SESSION_SECRET`'s
/// value; `own_key` the app's own key (its cookie key, or the one kept in
/// the store), if it has one.
pub fn token_key(
    profile: &Profile,
    session_secret: Option<&str>,
    own_key: Option<&Key>,
) -> TokenKey {
    if !profile.has(Defense::SecretFromEnv) {
        return TokenKey::new(SEED_SECRET.as_bytes()); // Weakness: in the source.
    }
    if let Some(secret) = session_secret.filter(|s| s.len() >= MIN_KEY_BYTES) {
        return TokenKey::new(secret.as_bytes());
    }
    if let Some(key) = own_key {
        return TokenKey::new(key.master());
    }
    let mut bytes = [0u8; MIN_KEY_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    TokenKey::new(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProfileName;

    #[test]
    fn the_weakness_is_the_seed_secret_and_the_defense_at_least_256_bits() {
        let insecure = Profile::new(ProfileName::Insecure);
        assert_eq!(
            format!("{:?}", token_key(&insecure, None, None)),
            format!("TokenKey({} bytes)", SEED_SECRET.len())
        );
        let defended = insecure.with(Defense::SecretFromEnv);
        assert!(token_key(&defended, None, None).len() >= MIN_KEY_BYTES);
        // A short SESSION_SECRET is not used as the key.
        assert!(token_key(&defended, Some(SEED_SECRET), None).len() >= MIN_KEY_BYTES);
        let long = "x".repeat(MIN_KEY_BYTES);
        assert_eq!(token_key(&defended, Some(&long), None).len(), MIN_KEY_BYTES);
    }
}
