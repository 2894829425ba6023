//! The profile's security headers, on every response of the app.
//!
//! **What it does.** Gathers the headers of three defenses,
//! `Content-Security-Policy` (`csp`), `Referrer-Policy` (`referrer-policy`)
//! and `Strict-Transport-Security` (`hsts`), each only when the profile has
//! it, and sets them on every response. `app.rs` makes this the outermost
//! layer, so the app's own refusals (a malformed cookie's 400, a missing
//! `Host`, too many cookies, a request past its deadline) carry them too.
//!
//! **Why.** A header that only the pages carry protects only the pages. An
//! error page is a page too: a browser renders it (CSP), follows links on it
//! and sends `Referer` from it (Referrer-Policy), and learns HSTS from any
//! https response. The plain-HTTP port of a TLS profile answers only
//! redirects (`defenses/tls.rs`), which carry no page and no HSTS (browsers
//! ignore HSTS over plain HTTP).
//!
//! CWE-693 · ASVS 5.0.0 3.4.1, 3.4.3, 3.4.5

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::Profile;
use crate::defenses::{csp, hsts, referrer_policy};

/// The headers `profile` sets on every response, in a fixed order.
pub fn for_profile(profile: &Profile) -> Vec<(HeaderName, HeaderValue)> {
    [
        (header::CONTENT_SECURITY_POLICY, csp::header_value(profile)),
        (
            header::REFERRER_POLICY,
            referrer_policy::header_value(profile),
        ),
        (
            header::STRICT_TRANSPORT_SECURITY,
            hsts::header_value(profile),
        ),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|value| (name, value)))
    .collect()
}

/// `router` with `profile`'s headers set (overriding) on every response.
pub fn add_to(mut router: Router, profile: &Profile) -> Router {
    for (name, value) in for_profile(profile) {
        router = router.layer(SetResponseHeaderLayer::overriding(name, value));
    }
    router
}
