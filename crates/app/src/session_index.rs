//! The per-user session index: which live sessions belong to which user.
//!
//! **Why the app needs one.** A session store answers "what is in session X?";
//! it cannot answer "which sessions does alice have?". Ending every session of
//! a user (a password change, "log out everywhere") needs the second answer,
//! so every login is written down here, under its user.
//!
//! **What a session carries.** At login the session gets a [`SignIn`] record:
//! its owner, when it began, a short device label from the User-Agent and a
//! random handle. Pages and forms name a session only by that handle, never by
//! its ID: an ID printed in a page is a session token anyone reading the page
//! (or its cache, or a screenshot) can replay.
//!
//! **Keeping it true.** A login is indexed after the session is saved, so the
//! ID written down is the final one (`rotate-id-at-login` swaps the ID, and
//! the store only picks the new one when saving). The index lives in the
//! store's backend (`store.rs`), so it is shared and kept exactly as the
//! sessions are: in this process (memory) or in the SQLite file (where it is
//! the `user` column of the sessions' table).
//! Deleting a session forgets its ID whatever deleted it (logout,
//! `cycle_id`, an ended session). Sessions
//! that expired, or whose record no longer names the user, are stale: every
//! read checks each ID against the store and drops the stale ones.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::{HeaderMap, header};
use rand::Rng;
use time::OffsetDateTime;
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore, session};

use crate::state::App;
use crate::store::LabStore;

/// Session key of the [`SignIn`] record.
const SIGN_IN: &str = "sign-in";

/// The longest device label shown.
const MAX_DEVICE_CHARS: usize = 60;

/// What a session says about its own sign-in. Stored in the session record on
/// the server, never in the cookie.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SignIn {
    pub user: String,
    /// 16 random hex digits naming this sign-in in pages and forms; unrelated to the session ID.
    pub handle: String,
    /// A short label from the User-Agent, e.g. "Firefox on Android".
    pub device: String,
    /// Unix seconds on the lab clock.
    pub started: i64,
}

impl SignIn {
    /// When the sign-in began, e.g. "2026-11-26 05:01 UTC".
    pub fn started_text(&self) -> String {
        match OffsetDateTime::from_unix_timestamp(self.started) {
            Ok(t) => format!(
                "{}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            ),
            Err(_) => "unknown".to_string(),
        }
    }
}

/// Whether a session record holds a sign-in: the store never evicts such a
/// session to make room for an anonymous one (`store.rs`).
pub(crate) fn holds_sign_in(record: &tower_sessions::session::Record) -> bool {
    record.data.contains_key(SIGN_IN)
}

/// The user whose sign-in a session record holds, if any (the SQLite
/// backend keeps it in a column: its per-user index).
pub(crate) fn signed_in_user(record: &tower_sessions::session::Record) -> Option<String> {
    let sign_in = record.data.get(SIGN_IN)?.get("user")?.as_str()?;
    Some(sign_in.to_owned())
}

/// A session of the user that is still in the store.
#[derive(Debug, Clone)]
pub(crate) struct LiveSession {
    pub id: Id,
    pub sign_in: SignIn,
}

/// Session IDs per username, shared by every clone (the store holds one).
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionIndex {
    by_user: Arc<Mutex<HashMap<String, HashSet<Id>>>>,
}

impl SessionIndex {
    fn with_map<T>(&self, f: impl FnOnce(&mut HashMap<String, HashSet<Id>>) -> T) -> T {
        // A panic elsewhere cannot leave the map half-updated: every change is one call.
        let mut map = self.by_user.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut map)
    }

    pub(crate) fn add(&self, user: &str, id: Id) {
        self.with_map(|map| map.entry(user.to_owned()).or_default().insert(id));
    }

    /// Drops `id` wherever it is listed (called by the store when it deletes a session).
    pub fn forget(&self, id: &Id) {
        self.with_map(|map| {
            map.retain(|_, ids| {
                ids.remove(id);
                !ids.is_empty()
            })
        });
    }

    pub(crate) fn forget_for(&self, user: &str, id: &Id) {
        self.with_map(|map| {
            if let Some(ids) = map.get_mut(user) {
                ids.remove(id);
                if ids.is_empty() {
                    map.remove(user);
                }
            }
        });
    }

    /// The IDs listed for `user`, stale ones included.
    pub fn ids_of(&self, user: &str) -> Vec<Id> {
        self.with_map(|map| {
            map.get(user)
                .map(|ids| ids.iter().copied().collect())
                .unwrap_or_default()
        })
    }
}

/// Called by `POST /login` once the user is in the session: tags the session
/// with its [`SignIn`], saves it so the store settles the final ID, and indexes
/// that ID under `user`.
pub(crate) async fn register(
    app: &App,
    session: &Session,
    user: &str,
    headers: &HeaderMap,
) -> Result<(), session::Error> {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let sign_in = SignIn {
        user: user.to_owned(),
        handle: format!("{:016x}", rand::rng().random::<u64>()),
        device: device_label(user_agent),
        started: app.clock.now().unix_timestamp(),
    };
    session.insert(SIGN_IN, sign_in).await?;
    index_after_save(&app.store, session, user).await
}

/// Saves the session now (a session whose ID was just cycled has none until
/// then) and indexes the ID the store gave it.
async fn index_after_save(
    store: &LabStore,
    session: &Session,
    user: &str,
) -> Result<(), session::Error> {
    session.save().await?;
    if let Some(id) = session.id() {
        store
            .index_add(user, &id)
            .await
            .map_err(session::Error::Store)?;
    }
    Ok(())
}

/// Gives the current session a new ID and indexes the new one (the store's
/// `delete` already forgot the old one).
pub(crate) async fn cycle_id(
    store: &LabStore,
    session: &Session,
    user: &str,
) -> Result<(), session::Error> {
    session.cycle_id().await?;
    index_after_save(store, session, user).await
}

/// The sign-in record of the session in front of the app, if it has one.
pub(crate) async fn own_sign_in(session: &Session) -> Result<Option<SignIn>, session::Error> {
    session.get::<SignIn>(SIGN_IN).await
}

/// Every session of `user` still in the store, oldest first. IDs whose record
/// is gone, expired, or now belongs to someone else are dropped from the index.
pub(crate) async fn live_sessions(
    store: &LabStore,
    user: &str,
) -> Result<Vec<LiveSession>, session::Error> {
    let mut live = Vec::new();
    let ids = store.index_ids(user).await.map_err(session::Error::Store)?;
    for id in ids {
        // `peek`, not `load`: listing a session must not count as using it.
        let record = store.peek(&id).await.map_err(session::Error::Store)?;
        let sign_in = record
            .and_then(|r| r.data.get(SIGN_IN).cloned())
            .and_then(|value| serde_json::from_value::<SignIn>(value).ok())
            .filter(|s| s.user == user);
        match sign_in {
            Some(sign_in) => live.push(LiveSession { id, sign_in }),
            None => store
                .index_forget(user, &id)
                .await
                .map_err(session::Error::Store)?,
        }
    }
    live.sort_by(|a, b| {
        (a.sign_in.started, &a.sign_in.handle).cmp(&(b.sign_in.started, &b.sign_in.handle))
    });
    Ok(live)
}

/// Deletes another session straight from the store. Never through a
/// `Session` of our own: that would need `clear()`, the trap described in
/// `defenses/strict_ids.rs`.
pub(crate) async fn delete_other(store: &LabStore, id: &Id) -> Result<(), session::Error> {
    store.delete(id).await.map_err(session::Error::Store)
}

/// "Firefox on Android", "Chrome on Windows", or for other clients their first
/// product and comment, e.g. "sessionlab-browser (victim-phone)".
pub(crate) fn device_label(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "unknown browser".to_string();
    };
    const BROWSERS: [(&str, &str); 5] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const PLATFORMS: [(&str, &str); 6] = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let label = match BROWSERS.iter().find(|(token, _)| ua.contains(token)) {
        Some((_, browser)) => match PLATFORMS.iter().find(|(token, _)| ua.contains(token)) {
            Some((_, platform)) => format!("{browser} on {platform}"),
            None => (*browser).to_string(),
        },
        None => {
            let product = ua.split(['/', ' ']).next().unwrap_or(ua);
            let comment = ua
                .split_once('(')
                .and_then(|(_, rest)| rest.split_once(')'))
                .map(|(comment, _)| comment.trim())
                .filter(|c| !c.is_empty());
            match comment {
                Some(comment) => format!("{product} ({comment})"),
                None => product.to_string(),
            }
        }
    };
    label
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(MAX_DEVICE_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_labels_are_short_and_plain() {
        let firefox = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0";
        assert_eq!(device_label(Some(firefox)), "Firefox on Android");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device_label(Some(chrome)), "Chrome on Windows");
        assert_eq!(
            device_label(Some("sessionlab-browser/0.1.0 (victim-phone)")),
            "sessionlab-browser (victim-phone)"
        );
        assert_eq!(device_label(Some("curl/8.5.0")), "curl");
        assert_eq!(device_label(None), "unknown browser");
        let long = format!("x{}", "y".repeat(500));
        assert_eq!(device_label(Some(&long)).chars().count(), MAX_DEVICE_CHARS);
        assert_eq!(device_label(Some("a\u{7f}b")), "ab");
    }

    #[test]
    fn forgetting_an_id_removes_it_for_every_user() {
        let index = SessionIndex::default();
        let (one, two) = (Id(1), Id(2));
        index.add("alice", one);
        index.add("alice", two);
        index.add("bob", two);
        index.forget(&two);
        assert_eq!(index.ids_of("alice"), vec![one]);
        assert!(index.ids_of("bob").is_empty());
    }
}
