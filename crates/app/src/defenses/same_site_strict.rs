//! `same-site-strict`: the session cookie is never sent on cross-site requests.
//!
//! **What it does.** `SameSite=Strict`: a request started by another site (a
//! form on `evil.lab.test` posting to the app, a link, an image) arrives
//! without the session cookie, so it acts as an anonymous visitor.
//!
//! **Why it matters.** Cross-site request forgery rides on the victim's cookie
//! being attached automatically to requests the victim never meant to make.
//!
//! **The weakness when off.** No SameSite attribute at all, as express-session
//! writes it by default (the seed article sets none). Chromium then applies
//! "Lax by default": the cookie still goes with top-level cross-site GET
//! navigations, and a fresh one (under 2 minutes old) with a cross-site
//! top-level POST ("Lax+POST"). Firefox (140 ESR, checked: docs/classroom.md)
//! does not: it sends it with a cross-site top-level POST at any age.
//! tower-sessions always writes a SameSite attribute, so [`strip_same_site`]
//! removes it from the cookie before the response leaves.
//!
//! CWE-352, CWE-1275 · ASVS 4.0.3 3.4.3, 4.2.2 · ASVS 5.0.0 3.5.1-3.5.3 · WSTG-SESS-05

use tower_sessions::cookie::{Cookie, SameSite};

use crate::{Defense, Profile};

/// What tower-sessions is told to write.
pub fn same_site(profile: &Profile) -> SameSite {
    if profile.has(Defense::SameSiteStrict) {
        SameSite::Strict
    } else {
        // Placeholder for the library; removed again by `strip_same_site`.
        SameSite::Lax
    }
}

/// Applied to the session cookie of every `Set-Cookie` header: with the
/// defense off, drop the `SameSite=...` attribute, mirroring express-session.
pub fn strip_same_site(profile: &Profile, cookie: &mut Cookie<'_>) {
    if !profile.has(Defense::SameSiteStrict) {
        cookie.set_same_site(None);
    }
}
