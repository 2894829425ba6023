//! Malformed cookies get a `400 Bad Request`, in every profile.
//!
//! **What it does.** The outermost layer of the app reads the `Cookie`
//! header(s) before anything else does and refuses the request when
//! - a cookie holds bytes outside printable ASCII (0x20-0x7E) or tab: control
//!   characters, non-ASCII or non-UTF-8 bytes; or
//! - a session cookie (this profile's name; a header may carry several, e.g. a
//!   host-only one and one a sibling host set for the parent domain: each is
//!   checked) has a value not shaped like an ID this app issues
//!   ([`is_shaped_like_an_id`]), including 22 characters that look like an ID
//!   but that tower-sessions' own decoder (`session::Id::from_str`) refuses:
//!   without this check such an ID would be silently replaced by a fresh one,
//!   which a learner who typed it in cannot tell from "adopted";
//! - a session cookie is sent under a percent-escaped name.
//!
//! One exception, the tutorial (`signed_cookie::ignores_unverifiable_cookies`):
//! like express-session, it ignores a session cookie whose signature it
//! cannot verify, bad, missing or garbled, and the visitor simply gets a
//! fresh session. Only bytes outside printable ASCII and escaped names still
//! get the 400 there.
//!
//! The answer names the problem in a short text/plain body, says
//! `Cache-Control: no-store`, and expires the bad cookie.
//!
//! **Why.** The project's rule: a malformed cookie or form is a 4xx, never a
//! panic or a 500. Without this layer tower-sessions silently ignores a
//! garbled cookie (and tower-cookies a whole non-UTF-8 header), which hides
//! the problem from whoever sent it. A clear 400 says what is wrong, and the
//! removal `Set-Cookie` means a browser is not stuck sending the bad cookie
//! forever: the next reload works.
//!
//! **What it is not.** A defense: no profile turns it off, it is input
//! validation. A well-formed value that names no session, or whose signature
//! is wrong, passes through and means a fresh anonymous session: that is the
//! job of `strict-ids` and `signed-cookie`.
//!
//! CWE-20

use std::collections::BTreeSet;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::cookie::Cookie;
use tower_sessions::session::Id;

/// A tower-sessions ID as its `Display` writes it: 16 bytes in base64url
/// without padding.
pub const ID_LEN: usize = 22;
/// What a signed cookie puts in front of the ID (`cookie`'s `SignedJar`): an
/// HMAC-SHA256 (32 bytes) in standard base64 with padding, 43 characters and `=`.
pub const SIGNATURE_LEN: usize = 44;

/// What this layer knows about the profile's session cookie.
#[derive(Debug, Clone, Copy)]
pub struct SessionCookieRules {
    /// `sid`, `connect.sid`, `__Host-sid`, ...
    pub name: &'static str,
    /// With `signed-cookie` the value is a signature followed by the ID.
    pub signed: bool,
    /// The cookie is Secure (`secure-cookie`, or forced by the `__Host-` prefix):
    /// a removal without `Secure` would be dropped by the browser.
    pub secure: bool,
    /// A session cookie value that cannot be verified is left for the session
    /// layer to ignore instead of refused (the tutorial, as express-session:
    /// `signed_cookie::ignores_unverifiable_cookies`).
    pub ignore_unverifiable: bool,
}

/// The exact shape of a session cookie value this app issues:
/// - unsigned: 22 characters of `A-Z a-z 0-9 - _` that tower-sessions'
///   decoder reads as an ID;
/// - signed: 43 characters of `A-Z a-z 0-9 + /` and one `=` (the signature),
///   then that ID.
///
/// The shape says nothing about whether the ID exists or the signature
/// verifies: that is for the store and the signing key to decide.
pub fn is_shaped_like_an_id(value: &str, signed: bool) -> bool {
    shape_problem(value, signed).is_none()
}

/// Why a session cookie value is not shaped like one this app issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeProblem {
    /// Wrong length or characters.
    NotAnIdShape,
    /// 22 base64url characters that tower-sessions' `Id::from_str` refuses:
    /// 22 characters carry 132 bits, an ID 128, and the last character's 4
    /// spare bits must be zero.
    NotAnId,
}

/// [`is_shaped_like_an_id`], saying what is wrong.
pub fn shape_problem(value: &str, signed: bool) -> Option<ShapeProblem> {
    let id = if signed {
        match value.split_at_checked(SIGNATURE_LEN) {
            Some((signature, id)) if is_shaped_like_a_signature(signature) => id,
            _ => return Some(ShapeProblem::NotAnIdShape),
        }
    } else {
        value
    };
    if id.len() != ID_LEN || !id.bytes().all(is_base64url) {
        Some(ShapeProblem::NotAnIdShape)
    } else if id.parse::<Id>().is_err() {
        Some(ShapeProblem::NotAnId)
    } else {
        None
    }
}

/// The text of a 400 for a session cookie (or `?sid=`) value with `problem`.
pub fn shape_problem_text(problem: ShapeProblem, signed: bool) -> String {
    match problem {
        ShapeProblem::NotAnIdShape => format!("its value is not {}", expected_shape(signed)),
        ShapeProblem::NotAnId => NOT_AN_ID.to_owned(),
    }
}

const NOT_AN_ID: &str = "its 22 characters are no session ID: 22 base64url characters \
    hold 132 bits, an ID 128, so the last character's 4 spare bits must be zero \
    (it must be one of A, Q, g, w); tower-sessions would silently replace it with a fresh ID";

fn is_shaped_like_a_signature(signature: &str) -> bool {
    signature
        .strip_suffix('=')
        .is_some_and(|digits| digits.len() == SIGNATURE_LEN - 1 && digits.bytes().all(is_base64))
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/'
}

/// Printable ASCII or tab: all a `Cookie` header needs to carry.
fn is_allowed_byte(byte: u8) -> bool {
    byte == b'\t' || (0x20..=0x7e).contains(&byte)
}

/// The layer, as `axum::middleware::from_fn_with_state` middleware.
pub async fn reject_malformed_cookies(
    State(rules): State<SessionCookieRules>,
    request: Request,
    next: Next,
) -> Response {
    let problems = find_problems(request.headers(), &rules);
    if problems.is_empty() {
        next.run(request).await
    } else {
        bad_request(&problems, &rules)
    }
}

/// One reason to refuse the request.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Problem {
    /// The cookie to expire; `None` when its very name is garbled.
    cookie: Option<String>,
    /// One line for the response body.
    what: String,
}

/// Every problem in every `Cookie` header, each reported once.
fn find_problems(headers: &HeaderMap, rules: &SessionCookieRules) -> BTreeSet<Problem> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b';'))
        .filter_map(|pair| check_pair(pair, rules))
        .collect()
}

/// Checks one `name=value` pair of a `Cookie` header.
fn check_pair(pair: &[u8], rules: &SessionCookieRules) -> Option<Problem> {
    let text = match std::str::from_utf8(pair) {
        Ok(text) if pair.iter().copied().all(is_allowed_byte) => text,
        _ => return Some(bad_bytes(pair, rules)),
    };
    // No `=`: not a cookie at all; tower-cookies skips it too.
    let (name, value) = text.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    if !names_the_session_cookie(name, rules.name) {
        return None;
    }
    if name != rules.name {
        let what = format!(
            "the session cookie `{}` arrived under the percent-escaped name `{name}`",
            rules.name
        );
        return Some(problem(name, what));
    }
    // The tutorial leaves a value it cannot verify to the session layer, which ignores it.
    if rules.ignore_unverifiable {
        return None;
    }
    let shape = shape_problem(value, rules.signed)?;
    let what = format!(
        "the session cookie `{name}` is malformed: {}",
        shape_problem_text(shape, rules.signed)
    );
    Some(problem(name, what))
}

/// True when tower-cookies would read `name` as the session cookie. It
/// percent-decodes names, so `s%69d` is `sid` to it (and `__Host%2Dsid`
/// `__Host-sid`, a name no browser would have checked for the prefix's rules).
fn names_the_session_cookie(name: &str, session_cookie: &str) -> bool {
    name == session_cookie || percent_decoded(name).as_deref() == Some(session_cookie)
}

/// `name` decoded by the very parser tower-cookies uses.
fn percent_decoded(name: &str) -> Option<String> {
    let cookie = Cookie::parse_encoded(format!("{name}=")).ok()?;
    Some(cookie.name().to_owned())
}

fn expected_shape(signed: bool) -> &'static str {
    if signed {
        "a 44-character base64 signature followed by a 22-character ID (A-Z a-z 0-9 - _)"
    } else {
        "a 22-character ID (A-Z a-z 0-9 - _)"
    }
}

fn problem(name: &str, what: String) -> Problem {
    Problem {
        cookie: Some(name.to_owned()),
        what,
    }
}

/// A pair with bytes outside printable ASCII. Its cookie can be expired by
/// name only if the name itself is clean.
fn bad_bytes(pair: &[u8], rules: &SessionCookieRules) -> Problem {
    let name = pair.split(|&byte| byte == b'=').next().unwrap_or_default();
    let name = std::str::from_utf8(name).ok().map(str::trim);
    match name.filter(|name| !name.is_empty() && name.bytes().all(is_token_byte)) {
        Some(name) if name == rules.name => problem(
            name,
            format!(
                "the session cookie `{name}` is malformed: it holds bytes outside printable ASCII"
            ),
        ),
        Some(name) => problem(
            name,
            format!("the cookie `{name}` holds bytes outside printable ASCII"),
        ),
        None => Problem {
            cookie: None,
            what: "a cookie name holds bytes outside printable ASCII".to_owned(),
        },
    }
}

/// RFC 9110 `tchar`: what a cookie name may be made of.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// The 400: what is wrong, `no-store`, and a removal for each bad cookie.
fn bad_request(problems: &BTreeSet<Problem>, rules: &SessionCookieRules) -> Response {
    let mut body: String = problems.iter().map(|p| format!("{}.\n", p.what)).collect();
    body.push_str("It has been cleared; reload the page.\n");
    let mut response = (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    for problem in problems {
        match &problem.cookie {
            Some(name) => {
                if let Ok(removal) = HeaderValue::from_str(&removal_cookie(name, rules)) {
                    headers.append(header::SET_COOKIE, removal);
                }
            }
            // A garbled name cannot be written in a Set-Cookie: ask for all to go.
            None => {
                headers.insert("clear-site-data", HeaderValue::from_static("\"cookies\""));
            }
        }
    }
    response
}

/// `name=; Max-Age=0; Path=/`, plus `Secure` where a browser requires it to
/// accept the removal: a `__Host-`/`__Secure-` name, or a Secure session cookie.
fn removal_cookie(name: &str, rules: &SessionCookieRules) -> String {
    let prefixed = name.starts_with("__Host-") || name.starts_with("__Secure-");
    let secure = prefixed || rules.secure;
    let mut removal = format!("{name}=; Max-Age=0; Path=/");
    if secure {
        removal.push_str("; Secure");
    }
    removal
}
