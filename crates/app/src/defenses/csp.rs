//! `csp`: a Content-Security-Policy that forbids inline script.
//!
//! **What it does.** Every response carries a policy that only allows scripts
//! loaded from the app's own origin, no plugins, no `<base>` tricks, no
//! framing and forms posting only to the app. The app itself uses no inline
//! script or style (its CSS is `/style.css`), so nothing legitimate breaks.
//!
//! **Why it matters.** It is the second line behind output escaping: even if
//! an attacker's `<script>` reaches a page, the browser refuses to run it.
//!
//! **The weakness when off.** No policy: any script element in a page runs.
//!
//! CWE-79 · ASVS 4.0.3 14.4.3 · ASVS 5.0.0 3.4.3 · WSTG-CONF-12, WSTG-SESS-09

use axum::http::HeaderValue;

use crate::{Defense, Profile};

pub const POLICY: &str = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The `Content-Security-Policy` header value, if the defense is on.
pub fn header_value(profile: &Profile) -> Option<HeaderValue> {
    profile
        .has(Defense::Csp)
        .then(|| HeaderValue::from_static(POLICY))
}
