//! `strict-ids`: an ID the server never issued gets a fresh session.
//!
//! **What it does.** When a cookie names an ID that is not in the store,
//! tower-sessions forgets it and the next save creates a new random ID.
//!
//! **Why it matters.** Session fixation needs the victim to log in under an ID
//! the attacker knows. If the server only ever accepts IDs it handed out
//! itself, an invented ID is worthless.
//!
//! **The weakness when off.** The store's `load` answers an unknown ID with an
//! empty session *under that ID*: the server adopts whatever the client names
//! (PHP's `session.use_strict_mode = 0`). The adopted record is marked with
//! the ID it was adopted under ([`id_was_adopted`]), so a class can tell a
//! session whose ID the server never issued from one it did.
//!
//! **The trap this module also guards.** tower-sessions 0.15 `Session::clear()`
//! on a session that was not loaded yet creates a record under the *client's*
//! ID (and `flush()` calls `clear()`): the next save stores a planted ID even
//! with strict IDs. So nothing here clears an unloaded session: see
//! [`destroy_session`].
//!
//! CWE-384 · ASVS 4.0.3 3.2.1 · ASVS 5.0.0 7.2.4 · WSTG-SESS-03

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::{Session, session};

use crate::{Defense, Profile};

/// Session key of the mark an adopted record carries: the client's ID it was
/// adopted under. The mark moves with the data when the ID changes
/// (`cycle_id`), so it names the adopted ID, not the session.
const ADOPTED_UNDER: &str = "adopted-under";

/// What the store does with an ID it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownIds {
    /// Defended: "no such session"; the client gets a fresh one.
    Rejected,
    /// Weakness: adopted as a new session under the client's ID, empty but
    /// for the mark that says so.
    Adopted,
}

impl UnknownIds {
    pub fn for_profile(profile: &Profile) -> Self {
        if profile.has(Defense::StrictIds) {
            Self::Rejected
        } else {
            Self::Adopted
        }
    }

    /// What the store's `load` answers for an ID it does not hold.
    pub fn adopt(self, id: &Id) -> Option<Record> {
        match self {
            Self::Rejected => None,
            Self::Adopted => Some(Record {
                id: *id,
                data: HashMap::from([(ADOPTED_UNDER.to_owned(), id.to_string().into())]),
                // Overwritten by `Session::save` with the configured expiry.
                expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
            }),
        }
    }
}

/// Whether the session's ID is one the store adopted from the client (the
/// weakness above): an ID the server never issued. `false` once the session
/// has a new ID (`rotate-id-at-login`), which the server did issue.
pub async fn id_was_adopted(session: &Session) -> Result<bool, session::Error> {
    let adopted_under: Option<String> = session.get(ADOPTED_UNDER).await?;
    let id = session.id().map(|id| id.to_string());
    Ok(adopted_under.is_some() && adopted_under == id)
}

/// Makes tower-sessions load the record now. An unknown ID is dropped at this
/// point (with strict IDs), so a later `clear()` works on a fresh record
/// instead of minting one under the client's ID.
pub async fn load_before_clearing(session: &Session) -> Result<(), session::Error> {
    // Any read loads the record; the key does not need to exist.
    session.get_value("").await.map(|_| ())
}

/// Deletes the session from the store and forgets its ID, without falling
/// into the `clear()` trap (`flush()` clears first).
pub async fn destroy_session(session: &Session) -> Result<(), session::Error> {
    load_before_clearing(session).await?;
    session.flush().await
}
