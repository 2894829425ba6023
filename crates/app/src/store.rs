//! `LabStore`: tower-sessions' in-memory store, with the store-level choices
//! delegated to the defense modules: who picks a new session's ID
//! ([`random_ids`]), what an unknown ID means ([`strict_ids`]) and when a
//! session ends ([`idle_timeout`], [`absolute_timeout`]).
//!
//! **Lab time, decided here.** `MemoryStore` checks a record's expiry against
//! real time, and tower-sessions only moves that expiry when the session's
//! data changes, so a reader who never writes would be logged out an hour
//! after login however busy. Both limits are decided in this file instead, in
//! the app's [`LabClock`], from two timestamps per session: when its ID was
//! issued and when it was last used. Records go into `MemoryStore` with an
//! expiry it never reaches.
//!
//! **A load is a use.** tower-sessions loads the record the first time a
//! handler reads or writes the session. `load` checks the limits first: an
//! expired session is deleted and answered "no such session" (so
//! tower-sessions starts a fresh one, with a new ID, even under the
//! `strict-ids` weakness); otherwise it counts as activity.
//!
//! **A new ID is a new session.** `Session::cycle_id` (`rotate-id-at-login`)
//! deletes the old record and creates one under a new ID; the timestamps
//! start again from there. The absolute lifetime therefore counts from the
//! login, the moment the user last proved who they are.
//!
//! **Purging.** Expired sessions are not only refused but removed: each
//! `create` sweeps the store, at most once per lab-minute, so a long-running
//! `serve` does not keep every session it ever issued.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use time::{Date, Duration, OffsetDateTime, Time};
use tokio::sync::Mutex;
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::defenses::absolute_timeout::AbsoluteTimeout;
use crate::defenses::idle_timeout::IdleTimeout;
use crate::defenses::random_ids::IdIssuer;
use crate::defenses::strict_ids::UnknownIds;
use crate::session_index::SessionIndex;
use crate::{LabClock, Profile};

/// How often, at most, `create` sweeps expired sessions out.
const SWEEP_INTERVAL: Duration = Duration::minutes(1);

/// The expiry `MemoryStore` sees: beyond any date it will compare against.
const NEVER: OffsetDateTime = OffsetDateTime::new_utc(Date::MAX, Time::MIDNIGHT);

#[derive(Debug, Clone)]
pub(crate) struct LabStore {
    sessions: MemoryStore,
    ids: Arc<IdIssuer>,
    unknown_ids: UnknownIds,
    limits: Limits,
    /// Held for the whole of every store operation, so a sweep and a load
    /// never interleave (a record half-deleted could otherwise be revived).
    lifetimes: Arc<Mutex<Lifetimes>>,
    clock: LabClock,
    /// Which sessions belong to which user (`session_index.rs`).
    index: SessionIndex,
}

/// When sessions end, from the two timeout defenses.
#[derive(Debug, Clone, Copy)]
struct Limits {
    idle: IdleTimeout,
    absolute: AbsoluteTimeout,
}

/// The two moments that decide a session's end.
#[derive(Debug, Clone, Copy)]
struct SessionTimes {
    created: OffsetDateTime,
    last_used: OffsetDateTime,
}

impl SessionTimes {
    fn starting(now: OffsetDateTime) -> Self {
        Self {
            created: now,
            last_used: now,
        }
    }

    fn has_expired(&self, limits: Limits, now: OffsetDateTime) -> bool {
        limits.idle.has_expired(self.last_used, now)
            || limits.absolute.has_expired(self.created, now)
    }
}

#[derive(Debug)]
struct Lifetimes {
    by_id: HashMap<Id, SessionTimes>,
    last_sweep: OffsetDateTime,
}

impl LabStore {
    pub(crate) fn for_profile(profile: &Profile, clock: LabClock) -> Self {
        let lifetimes = Lifetimes {
            by_id: HashMap::new(),
            last_sweep: clock.now(),
        };
        Self {
            sessions: MemoryStore::default(),
            ids: Arc::new(IdIssuer::for_profile(profile)),
            unknown_ids: UnknownIds::for_profile(profile),
            limits: Limits {
                idle: IdleTimeout::for_profile(profile),
                absolute: AbsoluteTimeout::for_profile(profile),
            },
            lifetimes: Arc::new(Mutex::new(lifetimes)),
            clock,
            index: SessionIndex::default(),
        }
    }

    /// Deletes every expired session, if the last sweep is a lab-minute old.
    async fn sweep_if_due(
        &self,
        lifetimes: &mut Lifetimes,
        now: OffsetDateTime,
    ) -> session_store::Result<()> {
        if now - lifetimes.last_sweep < SWEEP_INTERVAL {
            return Ok(());
        }
        lifetimes.last_sweep = now;
        let expired: Vec<Id> = lifetimes
            .by_id
            .iter()
            .filter(|(_, times)| times.has_expired(self.limits, now))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            lifetimes.by_id.remove(&id);
            self.index.forget(&id);
            self.sessions.delete(&id).await?;
        }
        Ok(())
    }

    pub(crate) fn session_index(&self) -> &SessionIndex {
        &self.index
    }

    /// The record of a live session, without counting as a use of it: the
    /// session index reads a user's other sessions, and listing them must not
    /// keep them alive. Unknown IDs are `None` here whatever `strict-ids` says.
    pub(crate) async fn peek(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let lifetimes = self.lifetimes.lock().await;
        let now = self.clock.now();
        if let Some(times) = lifetimes.by_id.get(id)
            && times.has_expired(self.limits, now)
        {
            return Ok(None);
        }
        self.sessions.load(id).await
    }

    /// Whether a live session is stored under `id` (for tests).
    #[cfg(test)]
    pub(crate) async fn holds(&self, id: &Id) -> bool {
        matches!(self.sessions.load(id).await, Ok(Some(_)))
    }

    /// How many sessions the store keeps timestamps for (for tests).
    #[cfg(test)]
    pub(crate) async fn tracked(&self) -> usize {
        self.lifetimes.lock().await.by_id.len()
    }
}

#[async_trait]
impl SessionStore for LabStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut lifetimes = self.lifetimes.lock().await;
        let now = self.clock.now();
        self.sweep_if_due(&mut lifetimes, now).await?;
        let mut stored = Record {
            expiry_date: NEVER,
            ..record.clone()
        };
        self.ids.create(&self.sessions, &mut stored).await?;
        record.id = stored.id;
        lifetimes
            .by_id
            .insert(stored.id, SessionTimes::starting(now));
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut lifetimes = self.lifetimes.lock().await;
        // A request that loaded its session before another request ended it
        // (logout elsewhere, "log out everywhere", a password change) must not
        // bring it back when it saves. Only the `strict-ids` weakness stores
        // IDs the store does not hold: that is how it adopts them.
        if self.unknown_ids == UnknownIds::Rejected && !lifetimes.by_id.contains_key(&record.id) {
            return Ok(());
        }
        let stored = Record {
            expiry_date: NEVER,
            ..record.clone()
        };
        self.sessions.save(&stored).await?;
        // Known IDs were timed at `create`; only an ID adopted by the
        // `strict-ids` weakness arrives here first, and starts now.
        let now = self.clock.now();
        lifetimes
            .by_id
            .entry(record.id)
            .or_insert_with(|| SessionTimes::starting(now));
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut lifetimes = self.lifetimes.lock().await;
        let now = self.clock.now();
        if let Some(times) = lifetimes.by_id.get_mut(id) {
            if times.has_expired(self.limits, now) {
                lifetimes.by_id.remove(id);
                self.index.forget(id);
                self.sessions.delete(id).await?;
                return Ok(None);
            }
            times.last_used = now;
        }
        self.unknown_ids.load(&self.sessions, id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut lifetimes = self.lifetimes.lock().await;
        lifetimes.by_id.remove(id);
        self.index.forget(id);
        self.sessions.delete(id).await
    }
}

#[cfg(test)]
mod tests;
