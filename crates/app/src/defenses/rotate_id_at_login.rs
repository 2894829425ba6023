//! `rotate-id-at-login`: a new session ID the moment the password checks out.
//!
//! **What it does.** `Session::cycle_id()` moves the session's data to a fresh
//! random ID and deletes the old ID from the store. tower-sessions never does
//! this by itself.
//!
//! **Why it matters.** Whatever ID the browser held before login may be known
//! to someone else: planted through a URL or a cookie tossed from a sibling
//! host, or simply handed out by `GET /login` to the attacker, who then gets
//! it into the victim's browser. A new ID at the privilege change makes that
//! knowledge useless.
//!
//! **The weakness when off.** The pre-login ID stays the logged-in ID (what
//! the seed article's express-session code does: it never calls
//! `req.session.regenerate()`).
//!
//! CWE-384 · ASVS 4.0.3 3.2.1 · ASVS 5.0.0 7.2.4 · WSTG-SESS-03

use tower_sessions::{Session, session};

use crate::{Defense, Profile};

/// Called by `POST /login` right after a successful password check, before
/// the user is written into the session.
pub async fn after_password_check(
    session: &Session,
    profile: &Profile,
) -> Result<(), session::Error> {
    if profile.has(Defense::RotateIdAtLogin) {
        // Loads the record first (an unknown ID is dropped), then moves it.
        session.cycle_id().await
    } else {
        // Weakness: keep whatever ID the browser came with.
        Ok(())
    }
}
