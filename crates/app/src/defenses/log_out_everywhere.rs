//! `log-out-everywhere`: the user can see and end every session they have.
//!
//! **What it does.** The Active sessions page asks the per-user index
//! (`session_index.rs`) for every live session of the user. "End" deletes one
//! of them from the store; "Log out everywhere" deletes them all, the current
//! one included (its response clears the cookie, like logout).
//!
//! **Why it matters.** A session left on a borrowed laptop, or copied by an
//! intruder, can only be ended by the server. The user must be able to see it
//! and end it from wherever they are.
//!
//! **The weakness when off.** The app only knows the session in front of it:
//! the page lists that one, and "Log out everywhere" is the ordinary logout,
//! which ends this browser's session (at best) and no other.
//!
//! CWE-613 · ASVS 4.0.3 3.3.4 · ASVS 5.0.0 7.5.2 · WSTG-SESS-11

use axum::http::HeaderMap;
use tower_sessions::{Session, session};

use crate::defenses::server_logout;
use crate::session_cookie::SessionCookie;
use crate::session_index::{self, LiveSession};
use crate::store::LabStore;
use crate::{Defense, Profile};

/// The user's sessions as the app sees them.
pub(crate) async fn known_sessions(
    session: &Session,
    profile: &Profile,
    store: &LabStore,
    user: &str,
) -> Result<Vec<LiveSession>, session::Error> {
    if profile.has(Defense::LogOutEverywhere) {
        return session_index::live_sessions(store, user).await;
    }
    // Weakness: only the session that made this request.
    let own = session_index::own_sign_in(session).await?;
    Ok(match (session.id(), own) {
        (Some(id), Some(sign_in)) if sign_in.user == user => vec![LiveSession { id, sign_in }],
        _ => Vec::new(),
    })
}

/// Ends one known session (another one straight in the store). Returns the
/// headers for the response when it was the current session, which then has
/// to leave this browser too.
pub(crate) async fn end_session(
    session: &Session,
    profile: &Profile,
    store: &LabStore,
    cookie: &SessionCookie,
    target: &LiveSession,
) -> Result<Option<HeaderMap>, session::Error> {
    if Some(target.id) == session.id() {
        return end_current(session, profile, cookie).await.map(Some);
    }
    session_index::delete_other(store, &target.id).await?;
    Ok(None)
}

/// Ends every known session, the current one last; returns its response headers.
pub(crate) async fn end_all(
    session: &Session,
    profile: &Profile,
    store: &LabStore,
    cookie: &SessionCookie,
    user: &str,
) -> Result<HeaderMap, session::Error> {
    for known in known_sessions(session, profile, store, user).await? {
        if Some(known.id) != session.id() {
            session_index::delete_other(store, &known.id).await?;
        }
    }
    end_current(session, profile, cookie).await
}

async fn end_current(
    session: &Session,
    profile: &Profile,
    cookie: &SessionCookie,
) -> Result<HeaderMap, session::Error> {
    if !profile.has(Defense::LogOutEverywhere) {
        // Weakness: the button is the ordinary logout.
        return server_logout::log_out(session, profile, cookie).await;
    }
    server_logout::end_on_server(session).await
}
