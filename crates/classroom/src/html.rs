//! The hub's pages: everything a student or the instructor sees outside the
//! apps, rendered from askama templates (`templates/`), whose `{{ }}`
//! escapes with the workspace's one escaper (`askama.toml`), served with a
//! strict CSP. A student's name, page, payload or log line is always text
//! here, never markup: the guestbook XSS runs in the student's own app,
//! never on the scoreboard or the instructor's screen.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Scripts and styles only from the hub's own files (`/class.js`,
/// `/class.css`), never inline; fetches and forms only to the hub.
pub const HUB_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The real `Origin` on the hub's own forms, no `Referer` to any other
/// site (`no-referrer` would make Chromium send `Origin: null` to the hub
/// itself: `same_origin.rs`).
pub const HUB_REFERRER_POLICY: &str = "same-origin";

/// The hub's style sheet, served as `/class.css`.
pub const CSS: &str = include_str!("../static/class.css");

/// The hub's one script, served as `/class.js`: it keeps the state cells of
/// the lab page and the scoreboard current. The pages work without it.
pub const SCRIPT: &str = include_str!("../static/class.js");

/// A hub page with its status and the hub's headers; a template that
/// fails to render is a bare 500.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => with_hub_headers(status, "text/html; charset=utf-8", html),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `body` as `content_type`, with the headers every hub response carries.
pub fn with_hub_headers(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, HUB_CSP),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, HUB_REFERRER_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
