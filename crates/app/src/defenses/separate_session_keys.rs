//! `separate-session-keys`: one meaning per session key, and an explicit
//! "authenticated" flag.
//!
//! **What it does.** The login writes the username under `user` *and* sets
//! `authenticated`; nothing else ever sets that flag. The forgot-password
//! flow keeps the name it was given under its own key, `password_reset_for`.
//! [`signed_in_user`], which every page that needs a login asks, answers
//! only for a session whose flag is set.
//!
//! **Why it matters.** A session variable means whatever the code that
//! reads it assumes. When two flows write the same key for different
//! reasons ("this browser is alice" and "someone asked to reset alice's
//! password"), the weaker flow can set what the stronger one guards: session
//! puzzling, or session variable overloading. Any flow that lets an
//! anonymous visitor put a name into the session becomes a login.
//!
//! **The weakness when off.** The forgot-password flow is written in the
//! seed's style (`req.session.username = username`): it stores the entered
//! name under the login's own key, and pages trust that key alone. Asking to
//! reset alice's password signs the asker in as alice.
//!
//! CWE-306 · ASVS 4.0.3 3.7.1 · ASVS 5.0.0 7.5.1 · WSTG-SESS-08

use axum::http::HeaderMap;
use tower_sessions::{Session, session};

use crate::state::App;
use crate::session_index;
use crate::{Defense, Profile};

/// The signed-in username (the seed's `req.session.username`).
const USER: &str = "user";
/// Set by a successful login only.
const AUTHENTICATED: &str = "authenticated";
/// The name a password reset was asked for, under the defense.
const PASSWORD_RESET_FOR: &str = "password_reset_for";

/// Called by `POST /login` once the credentials are accepted.
pub async fn sign_in(
    session: &Session,
    profile: &Profile,
    username: &str,
) -> Result<(), session::Error> {
    session.insert(USER, username).await?;
    if profile.has(Defense::SeparateSessionKeys) {
        session.insert(AUTHENTICATED, true).await?;
    }
    Ok(())
}

/// Who this session is signed in as, if anyone.
pub async fn signed_in_user(
    session: &Session,
    profile: &Profile,
) -> Result<Option<String>, session::Error> {
    if profile.has(Defense::SeparateSessionKeys)
        && session.get::<bool>(AUTHENTICATED).await? != Some(true)
    {
        return Ok(None);
    }
    // Weakness (defense off): whoever wrote `user` decides who this is.
    session.get::<String>(USER).await
}

/// Called by `POST /forgot` with the username a reset is asked for: the flow's
/// state for its next step (the link in the e-mail the lab does not send).
pub(crate) async fn remember_reset_request(
    app: &App,
    session: &Session,
    username: &str,
    headers: &HeaderMap,
) -> Result<(), session::Error> {
    if app.profile.has(Defense::SeparateSessionKeys) {
        return session.insert(PASSWORD_RESET_FOR, username).await;
    }
    // Weakness: the login's key, with no proof of anything. The session now
    // counts as that user's, so it is indexed like a login: "log out
    // everywhere" and a password change can end it, and the Active sessions
    // page shows it to its real owner.
    session.insert(USER, username).await?;
    session_index::register(app, session, username, headers).await
}
