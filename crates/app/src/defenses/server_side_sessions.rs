//! `server-side-sessions`: the cookie holds only a random ID; who is signed
//! in stays in the store.
//!
//! **What it does.** The session cookie is tower-sessions' ID and nothing
//! else; the login is written into the server-side record, where logout,
//! timeouts and "log out everywhere" can end it. No token is handed out, and
//! a `token` cookie is never read.
//!
//! **Why it matters.** A client-side session is a signed statement the
//! server believes until it expires: the server has nothing it could delete.
//! Its safety is exactly its verifier's and its key's (`pinned-algorithm`,
//! `secret-from-env`): a cracked or hard-coded key, or an `alg: none`
//! accepted, lets anyone write "I am alice". And a logout cannot take back a
//! copy without a revocation list the server must then keep: state again.
//!
//! **The weakness when off (`client-side-sessions`).** As Express apps do
//! with `jsonwebtoken`: at login the app also sets a cookie `token` (named
//! `__Host-token` under `host-prefix`, with the session cookie's attributes)
//! holding an HS256 JWT `{"sub": user, "iat": ...}`, and every page believes
//! a token that verifies before anything in the store. Logout only tells the
//! browser to forget the token. The token carries no expiry the server
//! could slide or revoke, so the timeouts, "log out everywhere" and the
//! revocation at password change, which all act on the store's records,
//! cannot reach a copied token either.
//!
//! CWE-565, CWE-613 · ASVS 4.0.3 3.5.2, 3.5.3 · ASVS 5.0.0 7.2.1, 9.1.1 · WSTG-SESS-10

use axum::http::{HeaderMap, HeaderValue, header};
use time::Duration;
use tower_sessions::cookie::Cookie;

use crate::defenses::{host_prefix, pinned_algorithm};
use crate::observer::TokenFacts;
use crate::session_cookie::LIFETIME;
use crate::state::App;
use crate::token::{self, Claims};
use crate::{Defense, Profile};

/// Whether the app hands out (and believes) session tokens.
pub fn hands_out_tokens(profile: &Profile) -> bool {
    !profile.has(Defense::ServerSideSessions)
}

/// `token`, or `__Host-token` where the session cookie has the prefix too.
pub fn token_cookie_name(profile: &Profile) -> &'static str {
    if host_prefix::requires_secure(profile) {
        "__Host-token"
    } else {
        "token"
    }
}

/// The token a login hands out (client-side sessions only).
pub(crate) fn token_at_login(app: &App, username: &str) -> Option<String> {
    if !hands_out_tokens(&app.profile) {
        return None;
    }
    let claims = Claims {
        sub: username.to_owned(),
        iat: app.clock.now().unix_timestamp(),
    };
    Some(token::sign(&claims, &app.token_key))
}

/// `Set-Cookie` for that token.
pub(crate) fn token_set_cookie(app: &App, token: String) -> Option<HeaderValue> {
    token_cookie(app, token, LIFETIME)
}

/// `Set-Cookie` that makes the browser forget its token, for logout. The
/// token itself stays valid: there is nothing on the server to delete.
pub(crate) fn forget_token(app: &App) -> Option<HeaderValue> {
    if !hands_out_tokens(&app.profile) {
        return None;
    }
    token_cookie(app, String::new(), Duration::ZERO)
}

/// Who a believed token signs in, and what the class's judge needs of it.
pub(crate) struct TokenSignIn {
    pub user: String,
    pub facts: TokenFacts,
}

/// The user a verified token in the request names (client-side sessions only).
pub(crate) fn user_from_token(app: &App, headers: &HeaderMap) -> Option<TokenSignIn> {
    if !hands_out_tokens(&app.profile) {
        return None;
    }
    let name = token_cookie_name(&app.profile);
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(n, v)| (n == name).then_some(v))?;
    let claims = pinned_algorithm::verify(&app.profile, value, &app.token_key)?;
    Some(TokenSignIn {
        user: claims.sub,
        facts: TokenFacts::of(value)?,
    })
}

fn token_cookie(app: &App, value: String, max_age: Duration) -> Option<HeaderValue> {
    let cookie = Cookie::build((token_cookie_name(&app.profile), value))
        .path("/")
        .http_only(app.cookie.http_only)
        .secure(app.cookie.secure)
        .same_site(app.cookie.same_site)
        .max_age(max_age)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}
