//! `revoke-on-password-change`: a new password ends the user's other sessions.
//!
//! **What it does.** Once the new hash is stored, every other session of the
//! user, found through the per-user index (`session_index.rs`), is deleted
//! from the store, and the session that made the change moves to a new ID
//! (`cycle_id`), so no copy of its old cookie survives either.
//!
//! **Why it matters.** Changing the password is what people do when they fear
//! someone else is in their account. The intruder rarely needs the password
//! again: they hold a session. A change that leaves sessions alone changes the
//! lock with the intruder already inside.
//!
//! **The weakness when off.** Only the hash changes. Every session, a stolen
//! copy included, stays signed in until it ends on its own.
//!
//! CWE-613 · ASVS 4.0.3 3.3.3 · ASVS 5.0.0 7.4.3 · WSTG-ATHN-09

use tower_sessions::{Session, session};

use crate::session_index;
use crate::store::LabStore;
use crate::{Defense, Profile};

/// What the change did to sessions, for the confirmation the user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Defended: this many other sessions were ended; this one has a new ID.
    OtherSessionsEnded(usize),
    /// Weakness: sessions were left alone.
    NoneEnded,
}

/// Called by `POST /account/password` right after the new hash is stored.
pub(crate) async fn after_password_change(
    session: &Session,
    profile: &Profile,
    store: &LabStore,
    user: &str,
) -> Result<Revocation, session::Error> {
    if !profile.has(Defense::RevokeOnPasswordChange) {
        // Weakness: the password changed, the sessions did not.
        return Ok(Revocation::NoneEnded);
    }
    let current = session.id();
    let mut ended = 0;
    for other in session_index::live_sessions(store, user).await? {
        if Some(other.id) != current {
            session_index::delete_other(store, &other.id).await?;
            ended += 1;
        }
    }
    session_index::cycle_id(store, session, user).await?;
    Ok(Revocation::OtherSessionsEnded(ended))
}
