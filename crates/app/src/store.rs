//! `LabStore`: the app's session store (tower-sessions' `SessionStore`
//! trait), one interface over the backends chosen at start-up with
//! `--store` ([`StoreChoice`]):
//!
//! - `memory` (the default, `store/memory.rs`): 64 shards in this process, a
//!   session cap, an incremental sweep; gone when the process ends;
//! - `sqlite:PATH` (`store/sqlite.rs`): one table in a SQLite file (bundled
//!   SQLite, no system library); sessions and logouts survive a restart;
//! - `redis://HOST:PORT[/DB]` (`store/redis.rs`): a `redis-server` that
//!   several app instances share; each step is one Lua script.
//!
//! **What is decided here, once for every backend.** The store-level choices
//! of the defense modules: who picks a new session's ID ([`random_ids`],
//! counter IDs without it), what an unknown ID means ([`strict_ids`]) and
//! when a session ends ([`idle_timeout`], [`absolute_timeout`]), in lab time
//! ([`LabClock`]). A backend only keeps, per session, its record, when its ID
//! was issued and when it was last used, and does the few steps that must be
//! atomic in it ([`SessionBackend`]).
//!
//! **Lab time.** tower-sessions' own stores check a record's expiry against
//! real time, and tower-sessions only moves that expiry when the session's
//! data changes, so a reader who never writes would be logged out an hour
//! after login however busy. Both limits are decided here instead, from the
//! two timestamps. Records are handed to tower-sessions with an expiry
//! nothing ever reaches.
//!
//! **A load is a use.** `load` checks the limits first: an expired session is
//! deleted and answered "no such session" (so tower-sessions starts a fresh
//! one, with a new ID, even under the `strict-ids` weakness); otherwise it
//! counts as activity.
//!
//! **A new ID is a new session.** `Session::cycle_id` (`rotate-id-at-login`)
//! deletes the old record and creates one under a new ID; the timestamps
//! start again from there, so the absolute lifetime counts from the login.
//!
//! **A late save cannot bring back an ended session.** A request that loaded
//! its session before another request ended it (logout elsewhere, "log out
//! everywhere", a password change, another instance) must not bring it back
//! when it saves: every backend checks and stores in one atomic step
//! ([`SessionBackend::update`] with `only_known`). Only the `strict-ids`
//! weakness stores IDs the store does not hold: that is how it adopts them.
//!
//! **Several instances.** Two `LabStore`s over one backend are two instances
//! of one app ([`LabStore::beside`]; `serve` processes sharing a SQLite file
//! or a Redis database). Without the `shared-store` defense each keeps its own
//! cache of sessions in front of the backend (`defenses/shared_store.rs`), and
//! a fresh cached copy is served without asking the backend: a logout on
//! another instance, and even an outage of the store, go unseen until the copy
//! expires. That is the weakness `cross-instance-logout` shows.
//!
//! **Fail closed** (`store/fail_closed.rs`). A backend that cannot be reached
//! answers an error, never "no such session": the request then gets a 503
//! naming the store, never a page as if the visitor were anonymous.

mod choice;
pub(crate) mod fail_closed;
pub(crate) mod memory;

mod redis;
mod sqlite;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use time::{Date, OffsetDateTime, Time};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

pub use choice::{StoreChoice, StoreKind};
pub use memory::DEFAULT_MAX_SESSIONS;

use crate::defenses::absolute_timeout::AbsoluteTimeout;
use crate::defenses::idle_timeout::IdleTimeout;
use crate::defenses::random_ids::IdIssuer;
use crate::defenses::shared_store::{self, InstanceCache};
use crate::defenses::strict_ids::UnknownIds;
use crate::{LabClock, Profile};

#[cfg(doc)]
use crate::defenses::{absolute_timeout, idle_timeout, random_ids, strict_ids};

/// The expiry tower-sessions sees: beyond any date it will compare against.
pub(crate) const NEVER: OffsetDateTime = OffsetDateTime::new_utc(Date::MAX, Time::MIDNIGHT);

/// When sessions end, from the two timeout defenses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub idle: IdleTimeout,
    pub absolute: AbsoluteTimeout,
}

/// The two moments that decide a session's end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionTimes {
    pub created: OffsetDateTime,
    pub last_used: OffsetDateTime,
}

impl SessionTimes {
    pub fn starting(now: OffsetDateTime) -> Self {
        Self {
            created: now,
            last_used: now,
        }
    }

    pub fn has_expired(&self, limits: Limits, now: OffsetDateTime) -> bool {
        limits.idle.has_expired(self.last_used, now)
            || limits.absolute.has_expired(self.created, now)
    }
}

/// What a backend's `load` found.
pub(crate) enum Found {
    Live(Record),
    /// Expired; deleted if the load was a use.
    Expired,
    Unknown,
}

/// The one interface every backend implements. Each method is one step that
/// is atomic in the backend (one shard lock, one SQLite statement under the
/// connection's lock, one Lua script in Redis), so two requests, or two app
/// instances, never see a session half-stored.
///
/// An error means the backend could not be reached or could not answer: the
/// caller fails closed (`fail_closed.rs`), never reads it as "no session".
#[async_trait]
pub(crate) trait SessionBackend: fmt::Debug + Send + Sync {
    /// Stores `record` under its ID unless a session (live or not yet purged)
    /// has that ID; returns whether it stored it. Its times start at `now`.
    async fn insert_new(&self, record: &Record, now: OffsetDateTime)
    -> session_store::Result<bool>;

    /// Stores `record`'s data under its ID, keeping the session's times. An ID
    /// not stored: stored with times starting at `now`, unless `only_known`.
    /// Returns whether a record is stored. One atomic step: see the module docs.
    async fn update(
        &self,
        record: &Record,
        only_known: bool,
        now: OffsetDateTime,
    ) -> session_store::Result<bool>;

    /// The record under `id`. `touch`: the load is a use (`last_used` moves
    /// to `now`), and an expired session is deleted (and forgotten by the
    /// per-user index).
    async fn load(
        &self,
        id: &Id,
        limits: Limits,
        now: OffsetDateTime,
        touch: bool,
    ) -> session_store::Result<Found>;

    /// Deletes `id` and forgets it in the per-user index.
    async fn delete(&self, id: &Id) -> session_store::Result<()>;

    /// Before a new session is stored: purge expired sessions when due.
    async fn sweep_if_due(&self, limits: Limits, now: OffsetDateTime) -> session_store::Result<()>;

    /// The per-user index: `id` (just saved, with its sign-in) belongs to `user`.
    async fn index_add(&self, user: &str, id: &Id) -> session_store::Result<()>;

    /// The IDs listed for `user`, stale ones included (the caller checks each).
    async fn index_ids(&self, user: &str) -> session_store::Result<Vec<Id>>;

    /// Drops a stale `id` from `user`'s list.
    async fn index_forget(&self, user: &str, id: &Id) -> session_store::Result<()>;

    /// How many sessions are stored, expired or not (tests).
    #[cfg_attr(not(test), allow(dead_code))]
    async fn count(&self) -> session_store::Result<usize>;

    /// Whether a session is stored under `id`, expired or not (tests).
    #[cfg_attr(not(test), allow(dead_code))]
    async fn holds(&self, id: &Id) -> session_store::Result<bool>;

    /// The next number of a counter kept in the store (counter IDs, the
    /// `random-ids` weakness), `first` the first time: one counter for every
    /// instance sharing the store. `None`: the backend keeps none, and the
    /// issuer counts in this process (`random_ids.rs`).
    async fn next_counter_id(&self, _first: i128) -> session_store::Result<Option<i128>> {
        Ok(None)
    }

    /// The key that signs this namespace's cookies, when the profile makes
    /// its own (`signed-cookie` outside the tutorial): `fresh` the first
    /// time, the same key after a restart, so the sessions a durable store
    /// kept still verify (memory: for as long as the process runs, which is
    /// what two instances sharing it in one process need).
    async fn kept_key(&self, fresh: Vec<u8>) -> session_store::Result<Vec<u8>>;

    /// Deletes every session of this app's namespace: an app with a private
    /// namespace (`StoreChoice::shared_as` unset) calls it when it stops.
    async fn purge_namespace(&self) -> session_store::Result<()>;
}

/// The app's session store: the lab's rules over one backend.
#[derive(Clone)]
pub(crate) struct LabStore {
    backend: Arc<dyn SessionBackend>,
    ids: Arc<IdIssuer>,
    unknown_ids: UnknownIds,
    limits: Limits,
    clock: LabClock,
    /// What the banner and `/.well-known/sessionlab` name, e.g. `sqlite:/tmp/lab.db`.
    name: Arc<str>,
    /// Delete this app's sessions when it stops (a namespace only it used).
    private_namespace: bool,
    /// This instance's own copies of sessions, in front of the shared
    /// backend: the `shared-store` weakness (`None` when defended).
    cache: Option<Arc<InstanceCache>>,
}

impl fmt::Debug for LabStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabStore")
            .field("name", &self.name)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl LabStore {
    /// The memory store (what `build_router` and the unit tests use).
    pub(crate) fn for_profile(profile: &Profile, clock: LabClock, max_sessions: usize) -> Self {
        let backend = memory::MemoryStore::new(clock.clone(), max_sessions);
        Self::over(profile, clock, Arc::new(backend), "memory".into(), false)
    }

    /// Opens the backend `choice` names (creates the SQLite table), for `profile`. An error names the store.
    pub(crate) async fn open(
        profile: &Profile,
        clock: LabClock,
        max_sessions: usize,
        choice: &StoreChoice,
    ) -> Result<Self, String> {
        let namespace = choice.namespace();
        let private = choice.shared_as.is_none();
        let backend: Arc<dyn SessionBackend> = match &choice.kind {
            StoreKind::Memory => return Ok(Self::for_profile(profile, clock, max_sessions)),
            StoreKind::Sqlite(path) => Arc::new(
                sqlite::SqliteStore::open(path, &namespace)
                    .await
                    .map_err(|e| format!("store {choice}: {e}"))?,
            ),
            StoreKind::Redis { .. } => Arc::new(
                self::redis::RedisStore::open(&choice.to_string(), &namespace, max_sessions)
                    .await
                    .map_err(|e| format!("store {choice}: {e}"))?,
            ),
        };
        Ok(Self::over(
            profile,
            clock,
            backend,
            choice.to_string().into(),
            private,
        ))
    }

    pub(crate) fn over(
        profile: &Profile,
        clock: LabClock,
        backend: Arc<dyn SessionBackend>,
        name: Arc<str>,
        private_namespace: bool,
    ) -> Self {
        Self {
            backend,
            ids: Arc::new(IdIssuer::for_profile(profile)),
            unknown_ids: UnknownIds::for_profile(profile),
            limits: limits_for(profile),
            clock,
            name,
            private_namespace,
            cache: shared_store::instance_cache(profile).map(Arc::new),
        }
    }

    /// Another instance's store over the same backend (same sessions, same
    /// name), with its own ID issuer and, under the `shared-store` weakness,
    /// its own cache. It never empties the namespace: the first instance does.
    pub(crate) fn beside(&self, profile: &Profile) -> Self {
        Self::over(
            profile,
            self.clock.clone(),
            self.backend.clone(),
            self.name.clone(),
            false,
        )
    }

    /// e.g. `memory`, `sqlite:/tmp/lab.db`, `redis://127.0.0.1:6379/0`.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Called when the app stops: a private namespace is emptied.
    pub(crate) async fn close(&self) {
        if self.private_namespace {
            let _ = self.backend.purge_namespace().await;
        }
    }

    /// [`SessionBackend::kept_key`]: the app's own signing key, kept with its sessions.
    pub(crate) async fn kept_signing_key(&self) -> Result<tower_sessions::cookie::Key, String> {
        let fresh = tower_sessions::cookie::Key::generate().master().to_vec();
        let kept = self
            .backend
            .kept_key(fresh)
            .await
            .map_err(|e| format!("store {}: {e}", self.name))?;
        tower_sessions::cookie::Key::try_from(kept.as_slice())
            .map_err(|e| format!("store {}: the kept signing key is unusable: {e}", self.name))
    }

    /// The record of a live session, without counting as a use of it: the
    /// session index reads a user's other sessions, and listing them must not
    /// keep them alive. Unknown IDs are `None` here whatever `strict-ids` says.
    pub(crate) async fn peek(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        let found = self.backend.load(id, self.limits, now, false).await;
        Ok(match fail_closed::noted(found)? {
            Found::Live(record) => Some(with_far_expiry(record)),
            Found::Expired | Found::Unknown => None,
        })
    }

    /// The per-user index (`session_index.rs`): `id` belongs to `user`.
    pub(crate) async fn index_add(&self, user: &str, id: &Id) -> session_store::Result<()> {
        fail_closed::noted(self.backend.index_add(user, id).await)
    }

    /// The IDs listed for `user`, stale ones included.
    pub(crate) async fn index_ids(&self, user: &str) -> session_store::Result<Vec<Id>> {
        fail_closed::noted(self.backend.index_ids(user).await)
    }

    /// Drops a stale `id` from `user`'s list.
    pub(crate) async fn index_forget(&self, user: &str, id: &Id) -> session_store::Result<()> {
        fail_closed::noted(self.backend.index_forget(user, id).await)
    }

    /// Whether a session is stored under `id`, expired or not (for tests).
    #[cfg(test)]
    pub(crate) async fn holds(&self, id: &Id) -> bool {
        matches!(self.backend.holds(id).await, Ok(true))
    }

    /// How many sessions the store holds (for tests).
    #[cfg(test)]
    pub(crate) async fn tracked(&self) -> usize {
        self.backend.count().await.unwrap_or(0)
    }
}

fn limits_for(profile: &Profile) -> Limits {
    Limits {
        idle: IdleTimeout::for_profile(profile),
        absolute: AbsoluteTimeout::for_profile(profile),
    }
}

fn with_far_expiry(record: Record) -> Record {
    Record {
        expiry_date: NEVER,
        ..record
    }
}

#[async_trait]
impl SessionStore for LabStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = self.clock.now();
        fail_closed::noted(self.backend.sweep_if_due(self.limits, now).await)?;
        let mut stored = with_far_expiry(record.clone());
        fail_closed::noted(self.ids.create(&*self.backend, &mut stored, now).await)?;
        record.id = stored.id;
        if let Some(cache) = &self.cache {
            cache.put(&stored, now);
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let only_known = self.unknown_ids == UnknownIds::Rejected;
        let now = self.clock.now();
        let stored = with_far_expiry(record.clone());
        let kept = fail_closed::noted(self.backend.update(&stored, only_known, now).await)?;
        if let Some(cache) = &self.cache {
            if kept {
                cache.put(&stored, now);
            } else {
                cache.forget(&stored.id);
            }
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        // The `shared-store` weakness: this instance's copy, if it has one.
        if let Some(record) = self.cache.as_ref().and_then(|cache| cache.get(id, now)) {
            return Ok(Some(with_far_expiry(record)));
        }
        let found = self.backend.load(id, self.limits, now, true).await;
        Ok(match fail_closed::noted(found)? {
            Found::Live(record) => {
                if let Some(cache) = &self.cache {
                    cache.put(&record, now);
                }
                Some(with_far_expiry(record))
            }
            Found::Expired => None,
            Found::Unknown => self.unknown_ids.adopt(id),
        })
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        if let Some(cache) = &self.cache {
            cache.forget(id);
        }
        fail_closed::noted(self.backend.delete(id).await)
    }
}

#[cfg(test)]
mod backend_tests;
#[cfg(test)]
mod tests;
