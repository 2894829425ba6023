//! `escape-output`: user content is HTML-escaped when rendered.
//!
//! **What it does.** Guestbook messages go through askama's auto-escaping
//! (with the workspace's escaper, `crates/app/askama.toml`): `<script>`
//! arrives in the page as the text `&lt;script&gt;`.
//!
//! **Why it matters.** The guestbook shows one user's text to everyone. Without
//! escaping, a message can be a script that runs in every reader's browser,
//! with their session: stored XSS, the usual way to steal a session cookie.
//!
//! **The weakness when off.** Messages are rendered with askama's `|safe`
//! filter: the browser parses them as markup. (`templates/guestbook.html`
//! branches on the flag below.)
//!
//! CWE-79 · ASVS 4.0.3 5.3.3 · ASVS 5.0.0 1.2.1 · WSTG-INPV-02, WSTG-SESS-09

use crate::{Defense, Profile};

/// The flag the guestbook template reads: escape messages, or print them raw.
pub fn escape_guestbook_messages(profile: &Profile) -> bool {
    profile.has(Defense::EscapeOutput)
}
