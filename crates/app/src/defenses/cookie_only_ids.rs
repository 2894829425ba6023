//! `cookie-only-ids`: the session ID is read from the cookie and nowhere else.
//!
//! **What it does.** With the defense on, nothing happens here: tower-sessions
//! only ever looks at the `Cookie` header.
//!
//! **Why it matters.** An ID in a URL can be chosen by someone else (a link
//! `https://app/login?sid=X` fixes the victim's session to X) and leaks through
//! Referer headers, logs and shared links.
//!
//! **The weakness when off.** PHP's `session.use_trans_sid`, both halves:
//! - *reading*: a `?sid=X` in any URL is taken as the session cookie. A small
//!   request middleware, just inside the malformed-cookie check, rewrites the
//!   request's `Cookie` header to carry `<session cookie name>=X` (replacing any
//!   session cookie already there), so everything downstream believes the
//!   browser sent X. An X not shaped like a session ID is ignored, as PHP
//!   ignores a `PHPSESSID` with illegal characters; 22 ID characters that
//!   tower-sessions cannot decode get a 400 saying why (else the app would
//!   silently hand out another ID than the one in the link).
//! - *writing*: every link, form action and redirect to the app's own pages
//!   gets `?sid=<the current ID>` appended, so the ID sits in the address bar,
//!   the history, the server logs and the `Referer` of outbound links.
//!
//! The two hooks below decide; the string work is in `trans_sid.rs`.
//!
//! CWE-384, CWE-598 · ASVS 4.0.3 3.1.1, 3.2.1 · ASVS 5.0.0 7.2.4 · WSTG-SESS-03, WSTG-SESS-04

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::malformed_cookies::{self, SessionCookieRules, ShapeProblem};
use crate::trans_sid;
use crate::{Defense, Profile};

/// True when the app must take session IDs from URLs (the weakness).
pub fn ids_from_urls(profile: &Profile) -> bool {
    !profile.has(Defense::CookieOnlyIds)
}

#[derive(serde::Deserialize)]
struct SidParameter {
    sid: Option<String>,
}

/// The weakness's reading half, as `axum::middleware::map_request_with_state`
/// middleware: `?sid=X` replaces the session cookie the browser sent.
pub async fn take_session_id_from_url(
    State(rules): State<SessionCookieRules>,
    mut request: Request,
) -> Result<Request, Response> {
    let Ok(Query(SidParameter { sid: Some(sid) })) =
        Query::<SidParameter>::try_from_uri(request.uri())
    else {
        return Ok(request);
    };
    // Only a value shaped like an ID: `?sid=a;b=c` must not smuggle in more cookies.
    match malformed_cookies::shape_problem(&sid, rules.signed) {
        None => {}
        Some(ShapeProblem::NotAnIdShape) => return Ok(request),
        Some(problem @ ShapeProblem::NotAnId) => {
            let text = malformed_cookies::shape_problem_text(problem, rules.signed);
            let body = format!("The ?sid= parameter is malformed: {text}.\n");
            let headers = [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ];
            return Err((StatusCode::BAD_REQUEST, headers, body).into_response());
        }
    }
    if let Some(cookie) = trans_sid::cookie_header_with_sid(request.headers(), rules.name, &sid) {
        request.headers_mut().remove(header::COOKIE);
        request.headers_mut().insert(header::COOKIE, cookie);
    }
    Ok(request)
}

/// The weakness's writing half, as `axum::middleware::from_fn_with_state`
/// middleware: app links in HTML pages and `Location` headers get `sid=<ID>`.
pub async fn write_session_id_into_links(
    State(rules): State<SessionCookieRules>,
    request: Request,
    next: Next,
) -> Response {
    let sent = trans_sid::sent_cookie_value(request.headers(), rules.name);
    let response = next.run(request).await;
    // A new or rotated ID is in this response's Set-Cookie; an emptied one means the session ended.
    let sid = match trans_sid::set_cookie_value(response.headers(), rules.name) {
        Some(set) if set.is_empty() => return response,
        Some(set) => set,
        None => match sent {
            Some(sent) => sent,
            None => return response,
        },
    };
    trans_sid::write_sid_into_response(response, &sid).await
}
