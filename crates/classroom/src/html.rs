//! The hub's pages: everything a student or the instructor sees outside the
//! apps, built from escaped text only, served with a strict CSP. A student's
//! name, page, payload or log line is always text here, never markup: the
//! guestbook XSS runs in the student's own app, never on the scoreboard or
//! the instructor's screen.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// No script at all, styles only from `/class.css`, forms only to the hub.
pub const HUB_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The real `Origin` on the hub's own forms, no `Referer` to any other
/// site (`no-referrer` would make Chromium send `Origin: null` to the hub
/// itself: `same_origin.rs`).
pub const HUB_REFERRER_POLICY: &str = "same-origin";

/// The workspace's one escaper, by the short name the hub's pages use.
pub use sessionlab_protocol::escape_html as esc;

/// A hub page: `body` must already be built from [`esc`]aped parts.
pub fn page(status: StatusCode, title: &str, warning: Option<&str>, body: &str) -> Response {
    let warning = warning
        .map(|w| {
            format!(
                "<p class=\"warning\" id=\"exposed-warning\">{}</p>\n",
                esc(w)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · sessionlab class</title>\n<link rel=\"stylesheet\" href=\"/class.css\">\n</head>\n\
         <body>\n{warning}<main>\n{body}\n</main>\n</body>\n</html>\n",
        esc(title)
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(HUB_CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(HUB_REFERRER_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

pub const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:0 1rem}\
.warning{background:#000;color:#ff0;font-weight:bold;padding:.5rem 1rem}\
table{border-collapse:collapse}td,th{border:1px solid #999;padding:.25rem .5rem;vertical-align:top;text-align:left}\
.solved{color:#060;font-weight:bold}.open{color:#900}textarea{width:100%;font-family:monospace}\
code,pre{background:#eee;padding:0 .2rem;white-space:pre-wrap;word-break:break-all}\
form.inline{display:inline}";
