//! `cookie-only-ids`: the session ID is read from the cookie and nowhere else.
//!
//! **What it does.** With the defense on, nothing happens here: tower-sessions
//! only ever looks at the `Cookie` header.
//!
//! **Why it matters.** An ID in a URL can be chosen by someone else (a link
//! `https://app/login?sid=X` fixes the victim's session to X) and leaks through
//! Referer headers, logs and shared links.
//!
//! **The weakness when off.** PHP's `session.use_trans_sid`: a `?sid=X` in any
//! URL is taken as the session cookie. A small request middleware, just
//! inside the malformed-cookie check, rewrites the request's `Cookie` header
//! to carry `<session cookie name>=X` (replacing any session cookie already
//! there), so everything downstream believes the browser sent X. An X not
//! shaped like a session ID is ignored, as PHP ignores a `PHPSESSID` with
//! illegal characters: the request goes on with the browser's own cookie.
//!
//! CWE-384 · ASVS 4.0.3 3.1.1, 3.2.1 · WSTG-SESS-03, WSTG-SESS-04

use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, header};

use crate::malformed_cookies::{SessionCookieRules, is_shaped_like_an_id};
use crate::{Defense, Profile};

/// True when the app must take session IDs from URLs (the weakness).
pub fn ids_from_urls(profile: &Profile) -> bool {
    !profile.has(Defense::CookieOnlyIds)
}

#[derive(serde::Deserialize)]
struct SidParameter {
    sid: Option<String>,
}

/// The weakness, as `axum::middleware::map_request_with_state` middleware.
pub async fn take_session_id_from_url(
    State(rules): State<SessionCookieRules>,
    mut request: Request,
) -> Request {
    let Ok(Query(SidParameter { sid: Some(sid) })) =
        Query::<SidParameter>::try_from_uri(request.uri())
    else {
        return request;
    };
    // Only a value shaped like an ID: `?sid=a;b=c` must not smuggle in more cookies.
    if !is_shaped_like_an_id(&sid, rules.signed) {
        return request;
    }
    let cookie_name = rules.name;
    // Keep the other cookies, drop the session cookie the browser sent, add X.
    let mut pairs: Vec<String> = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|pair| {
            !pair.is_empty() && pair.split('=').next().map(str::trim) != Some(cookie_name)
        })
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{cookie_name}={sid}"));
    if let Ok(cookie_header) = HeaderValue::from_str(&pairs.join("; ")) {
        request.headers_mut().remove(header::COOKIE);
        request.headers_mut().insert(header::COOKIE, cookie_header);
    }
    request
}
