//! `server-logout`: logout destroys the session on the server.
//!
//! **What it does.** `Session::flush()` deletes the record from the store (via
//! [`strict_ids::destroy_session`], which loads first to avoid the `clear()`
//! trap); the response says `Cache-Control: no-store` and
//! `Clear-Site-Data: "cookies"`. The private pages (`/account` and its
//! settings, password and sessions pages) are also sent with `no-store`, so a
//! shared computer's back button or cache does not replay them.
//!
//! **Why it matters.** A copy of the cookie (stolen, sniffed, left in a
//! proxy log) stays valid exactly as long as the server keeps the session.
//! Logging out must make it worthless.
//!
//! **The weakness when off.** The logout response only adds an expired
//! `Set-Cookie` (Max-Age=0): the browser forgets the ID, the server does not,
//! and anyone holding a copy is still logged in.
//!
//! CWE-613 · ASVS 4.0.3 3.3.1 · ASVS 5.0.0 7.4.1 · WSTG-SESS-06

use axum::http::{HeaderMap, HeaderValue, header};
use tower_sessions::{Session, session};

use crate::defenses::strict_ids;
use crate::session_cookie::SessionCookie;
use crate::{Defense, Profile};

/// Ends the session for `POST /logout` (and `GET /logout` where
/// `csrf_token::logout_needs_post` allows it); returns the headers to add to
/// the 303 response.
pub async fn log_out(
    session: &Session,
    profile: &Profile,
    cookie: &SessionCookie,
) -> Result<HeaderMap, session::Error> {
    if profile.has(Defense::ServerLogout) {
        return end_on_server(session).await;
    }
    let mut headers = HeaderMap::new();
    if let Ok(expired) = HeaderValue::from_str(&cookie.expired_set_cookie()) {
        // Weakness: only the browser is told to forget. The session is untouched.
        headers.insert(header::SET_COOKIE, expired);
    }
    Ok(headers)
}

/// The defended logout of the current session, also used by
/// `log_out_everywhere`: the record is deleted (tower-sessions then sends a
/// removal cookie), and the response must be neither cached nor kept.
pub(crate) async fn end_on_server(session: &Session) -> Result<HeaderMap, session::Error> {
    strict_ids::destroy_session(session).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("clear-site-data", HeaderValue::from_static("\"cookies\""));
    Ok(headers)
}

/// Headers for the private pages: `/account`, its settings, password and
/// sessions pages, and the "Log out?" page (whose form carries a token).
pub fn private_page_headers(profile: &Profile) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if profile.has(Defense::ServerLogout) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers
}
