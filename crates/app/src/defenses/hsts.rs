//! `hsts`: browsers upgrade `http://` links to this host before sending them.
//!
//! **What it does.** Every https response carries
//! `Strict-Transport-Security: max-age=63072000; includeSubDomains` (two
//! years). A browser that has seen it rewrites later `http://` URLs for this
//! host and its subdomains to `https://` before any byte leaves.
//!
//! **Why it matters.** The `tls` redirect only helps after the plain request
//! (with its cookies, if they are not Secure) has already crossed the network.
//! HSTS removes that first plain request.
//!
//! **The weakness when off.** No header: each `http://` link is really fetched
//! over http first.
//!
//! CWE-319 · ASVS 4.0.3 9.1.1, 14.4.5 · ASVS 5.0.0 3.4.1 · WSTG-SESS-04, WSTG-CONF-07

use axum::http::HeaderValue;

use crate::{Defense, Profile};

pub const HEADER_VALUE: &str = "max-age=63072000; includeSubDomains";

/// The header for app responses, if any. Browsers ignore HSTS on plain http
/// responses, so it is only sent when the app itself is served over TLS (with
/// `tls` on, the plain port only answers with redirects, which never carry it).
pub fn header_value(profile: &Profile) -> Option<HeaderValue> {
    (profile.has(Defense::Hsts) && profile.has(Defense::Tls))
        .then(|| HeaderValue::from_static(HEADER_VALUE))
}
