//! `referrer-policy`: the app tells browsers to send no `Referer` from its pages.
//!
//! **What it does.** Every response carries `Referrer-Policy: no-referrer`: a
//! link or form on an app page reveals nothing of the page's URL to the site it
//! leads to (nor to the app itself, which does not need it).
//!
//! **Why it matters.** Whatever sits in a page's URL - a session ID written
//! there by `?sid=` links, a reset token, a search - travels to every other
//! site the page links to, and lands in their logs. Browsers' own default
//! (`strict-origin-when-cross-origin`) already cuts a cross-origin `Referer` to
//! the origin; an app should never loosen it and can tighten it further.
//!
//! **The weakness when off.** `Referrer-Policy: unsafe-url`, which some apps
//! send so partner sites see the full page URL: every outbound link leaks the
//! URL, query string included. The tutorial profile is the exception: Express
//! sends no `Referrer-Policy` at all, so the browser default applies there.
//!
//! CWE-598 · ASVS 4.0.3 3.1.1, 8.3.1, 14.4.6 · ASVS 5.0.0 3.4.5 · WSTG-SESS-04

use axum::http::HeaderValue;

use crate::{Defense, Profile, ProfileName};

/// Defended: nothing of the URL leaves the page.
pub const STRICT: &str = "no-referrer";
/// Weakness: the full URL goes everywhere, even from https to http.
pub const LOOSENED: &str = "unsafe-url";

/// The `Referrer-Policy` header value, if the app sends one.
pub fn header_value(profile: &Profile) -> Option<HeaderValue> {
    if profile.has(Defense::ReferrerPolicy) {
        Some(HeaderValue::from_static(STRICT))
    } else if profile.name == ProfileName::Tutorial {
        // The seed's Express app sets no such header: the browser's default applies.
        None
    } else {
        Some(HeaderValue::from_static(LOOSENED))
    }
}
