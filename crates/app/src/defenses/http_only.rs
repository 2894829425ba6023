//! `http-only`: scripts cannot read the session cookie.
//!
//! **What it does.** The session cookie carries `HttpOnly`, so
//! `document.cookie` does not show it; the browser still sends it with
//! requests.
//!
//! **Why it matters.** One XSS hole (see `escape-output`) is enough for a
//! script to read `document.cookie` and send it to the attacker, who replays
//! it from their own browser. HttpOnly takes the session cookie out of reach.
//!
//! **The weakness when off.** The cookie is an ordinary one, visible to any
//! script that runs in the page.
//!
//! CWE-1004 · ASVS 4.0.3 3.4.2 · ASVS 5.0.0 3.3.4 · WSTG-SESS-02

use crate::{Defense, Profile};

/// The `HttpOnly` attribute of the session cookie.
pub fn cookie_is_http_only(profile: &Profile) -> bool {
    profile.has(Defense::HttpOnly)
}
