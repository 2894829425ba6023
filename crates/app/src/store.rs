//! `LabStore`: the app's in-memory session store (tower-sessions'
//! `SessionStore` trait), with the store-level choices
//! delegated to the defense modules: who picks a new session's ID
//! ([`random_ids`]), what an unknown ID means ([`strict_ids`]) and when a
//! session ends ([`idle_timeout`], [`absolute_timeout`]).
//!
//! **Lab time, decided here.** tower-sessions' `MemoryStore` checks a
//! record's expiry against real time, and tower-sessions only moves that
//! expiry when the session's data changes, so a reader who never writes would
//! be logged out an hour after login however busy. Both limits are decided in
//! this file instead, in the app's [`LabClock`], from two timestamps per
//! session: when its ID was issued and when it was last used. Records are
//! kept with an expiry nothing ever reaches.
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
//! **Purging, a shard at a time.** Expired sessions are not only refused but
//! removed: each `create` sweeps the store, at most once per lab-minute, so a
//! long-running `serve` does not keep every session it ever issued. The
//! sessions live in [`SHARDS`] maps, each behind its own lock, and the sweep
//! takes one shard's lock at a time and lets other tasks run between two
//! shards. It never holds a lock over the whole store: a request waits at
//! most for one shard (a sixty-fourth of the sessions), not for the whole
//! sweep. (One lock over the whole sweep stalled every request that touched
//! a session for 1.5 s once about 874k sessions had expired.) Each session's
//! record and its timestamps sit in one entry under one lock, so a sweep and
//! a load never see a session half-deleted. CWE-400 · CWE-833
//!
//! **A cap on stored sessions** ([`DEFAULT_MAX_SESSIONS`], `serve
//! --max-sessions`). `GET /login` gives every visitor a session, about
//! 0.6 KiB, and a script can ask 30,000 times a second: without a cap a 30 s
//! burst added 494 MiB. Past the cap, `create` evicts anonymous sessions
//! first, oldest first. A signed-in session (one whose record holds a
//! sign-in, `session_index.rs`) is never evicted to make room for an
//! anonymous one: when only signed-in sessions are left, the newcomer is not
//! kept (its visitor gets a fresh session on the next request). A new
//! sign-in in a store full of sign-ins evicts the one least recently used.
//! CWE-770 · ASVS 5.0.0 2.4.1

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use time::{Date, Duration, OffsetDateTime, Time};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::defenses::absolute_timeout::AbsoluteTimeout;
use crate::defenses::idle_timeout::IdleTimeout;
use crate::defenses::random_ids::IdIssuer;
use crate::defenses::strict_ids::UnknownIds;
use crate::session_index::{self, SessionIndex};
use crate::{LabClock, Profile};

/// How often, at most, `create` sweeps expired sessions out.
const SWEEP_INTERVAL: Duration = Duration::minutes(1);

/// The expiry tower-sessions sees: beyond any date it will compare against.
const NEVER: OffsetDateTime = OffsetDateTime::new_utc(Date::MAX, Time::MIDNIGHT);

/// How many maps, each with its own lock, the sessions are spread over.
pub(crate) const SHARDS: usize = 64;

/// Sessions one store keeps unless `serve --max-sessions` says otherwise:
/// about 60 MiB of anonymous sessions at 0.6 KiB each.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

#[derive(Debug, Clone)]
pub(crate) struct LabStore {
    sessions: Arc<Shards>,
    ids: Arc<IdIssuer>,
    unknown_ids: UnknownIds,
    limits: Limits,
    max_sessions: usize,
    /// When the last sweep began.
    last_sweep: Arc<Mutex<OffsetDateTime>>,
    /// Set while a sweep runs: a second one at the same time would only repeat it.
    sweeping: Arc<AtomicBool>,
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

/// One stored session: its record and what decides its end, under one lock.
#[derive(Debug)]
struct Entry {
    record: Record,
    times: SessionTimes,
    /// The record holds a sign-in: never evicted for an anonymous session.
    signed_in: bool,
    /// When it was stored, or last became anonymous: the eviction order.
    seq: u64,
}

/// One of the [`SHARDS`] maps, with its anonymous sessions oldest first.
#[derive(Debug, Default)]
struct Shard {
    entries: HashMap<Id, Entry>,
    /// `(seq, id)` of anonymous sessions, oldest first. Entries that were
    /// since deleted or signed in stay until they reach the front (or a sweep).
    anonymous: VecDeque<(u64, Id)>,
}

impl Shard {
    fn is_anonymous_entry(&self, (seq, id): &(u64, Id)) -> bool {
        self.entries
            .get(id)
            .is_some_and(|entry| !entry.signed_in && entry.seq == *seq)
    }

    /// The oldest anonymous session here, after dropping stale queue entries.
    fn oldest_anonymous(&mut self) -> Option<(u64, Id)> {
        while let Some(front) = self.anonymous.front() {
            if self.is_anonymous_entry(front) {
                return Some(*front);
            }
            self.anonymous.pop_front();
        }
        None
    }
}

/// The sessions, spread over [`SHARDS`] maps by ID. Each operation takes one
/// shard's lock, and never across an `.await`.
#[derive(Debug)]
pub(crate) struct Shards {
    shards: Box<[Mutex<Shard>]>,
    count: AtomicUsize,
    next_seq: AtomicU64,
    clock: LabClock,
}

/// What `load` found.
enum Found {
    Live(Record),
    /// Expired and now deleted; `true` if it was signed in.
    Expired(bool),
    Unknown,
}

impl Shards {
    fn new(clock: LabClock) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            count: AtomicUsize::new(0),
            next_seq: AtomicU64::new(0),
            clock,
        }
    }

    fn shard_of(id: &Id) -> usize {
        (id.0 as u128 % SHARDS as u128) as usize
    }

    fn lock(&self, index: usize) -> MutexGuard<'_, Shard> {
        // Every change to a shard is one call that cannot panic half-way.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn shard(&self, id: &Id) -> MutexGuard<'_, Shard> {
        self.lock(Self::shard_of(id))
    }

    fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Stores `record` under its ID, keeping the timestamps of a session
    /// already there. `only_known`: store nothing for an ID not there
    /// (returns `false`). Returns whether a record is stored.
    fn upsert(&self, record: &Record, only_known: bool) -> bool {
        let now = self.clock.now();
        let signed_in = session_index::holds_sign_in(record);
        let stored = Record {
            expiry_date: NEVER,
            ..record.clone()
        };
        let mut shard = self.shard(&record.id);
        let seq = self.next_seq();
        match shard.entries.get_mut(&record.id) {
            Some(entry) => {
                let became_anonymous = entry.signed_in && !signed_in;
                entry.record = stored;
                entry.signed_in = signed_in;
                if became_anonymous {
                    entry.seq = seq;
                    shard.anonymous.push_back((seq, record.id));
                }
                true
            }
            None if only_known => false,
            None => {
                let entry = Entry {
                    record: stored,
                    times: SessionTimes::starting(now),
                    signed_in,
                    seq,
                };
                shard.entries.insert(record.id, entry);
                if !signed_in {
                    shard.anonymous.push_back((seq, record.id));
                }
                self.count.fetch_add(1, Ordering::Relaxed);
                true
            }
        }
    }

    /// Removes `id`; returns the entry if it was there.
    fn remove(&self, id: &Id) -> Option<Entry> {
        let removed = self.shard(id).entries.remove(id);
        if removed.is_some() {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        removed
    }

    /// The record under `id`, counting as a use unless it has expired, in
    /// which case it is deleted.
    fn load_live(&self, id: &Id, limits: Limits, now: OffsetDateTime, touch: bool) -> Found {
        let mut shard = self.shard(id);
        let Some(entry) = shard.entries.get_mut(id) else {
            return Found::Unknown;
        };
        if entry.times.has_expired(limits, now) {
            if !touch {
                return Found::Expired(false);
            }
            let signed_in = entry.signed_in;
            shard.entries.remove(id);
            self.count.fetch_sub(1, Ordering::Relaxed);
            return Found::Expired(signed_in);
        }
        if touch {
            entry.times.last_used = now;
        }
        Found::Live(entry.record.clone())
    }

    /// Deletes the expired sessions of shard `index`; returns the IDs of those
    /// that were signed in (for the session index).
    fn sweep_shard(&self, index: usize, limits: Limits, now: OffsetDateTime) -> Vec<Id> {
        let mut signed_in = Vec::new();
        let mut shard = self.lock(index);
        let before = shard.entries.len();
        shard.entries.retain(|id, entry| {
            let expired = entry.times.has_expired(limits, now);
            if expired && entry.signed_in {
                signed_in.push(*id);
            }
            !expired
        });
        let removed = before - shard.entries.len();
        let Shard { entries, anonymous } = &mut *shard;
        anonymous.retain(|(seq, id)| {
            entries
                .get(id)
                .is_some_and(|entry| !entry.signed_in && entry.seq == *seq)
        });
        drop(shard);
        self.count.fetch_sub(removed, Ordering::Relaxed);
        signed_in
    }

    /// The oldest anonymous session of the store: each shard's oldest, compared.
    fn oldest_anonymous(&self) -> Option<Id> {
        (0..SHARDS)
            .filter_map(|index| self.lock(index).oldest_anonymous())
            .min_by_key(|(seq, _)| *seq)
            .map(|(_, id)| id)
    }

    /// Removes `id` if it is still anonymous. Returns whether it did.
    fn evict_anonymous(&self, id: &Id) -> bool {
        let mut shard = self.shard(id);
        let anonymous = shard.entries.get(id).is_some_and(|entry| !entry.signed_in);
        if anonymous {
            shard.entries.remove(id);
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        anonymous
    }

    /// The signed-in session least recently used, other than `except`.
    fn least_recently_used_sign_in(&self, except: &Id) -> Option<Id> {
        (0..SHARDS)
            .filter_map(|index| {
                let shard = self.lock(index);
                shard
                    .entries
                    .iter()
                    .filter(|(id, entry)| entry.signed_in && *id != except)
                    .min_by_key(|(_, entry)| entry.times.last_used)
                    .map(|(id, entry)| (entry.times.last_used, *id))
            })
            .min_by_key(|(last_used, _)| *last_used)
            .map(|(_, id)| id)
    }

    fn is_signed_in(&self, id: &Id) -> bool {
        self.shard(id)
            .entries
            .get(id)
            .is_some_and(|entry| entry.signed_in)
    }
}

/// The plain store under the defense hooks (`random-ids` picks IDs with it,
/// `strict-ids` asks it about unknown ones): no timeouts, no cap.
#[async_trait]
impl SessionStore for Shards {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A random ID already taken (practically never): draw another.
        while self.shard(&record.id).entries.contains_key(&record.id) {
            record.id = Id::default();
        }
        self.upsert(record, false);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.upsert(record, false);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self
            .shard(id)
            .entries
            .get(id)
            .map(|entry| entry.record.clone()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.remove(id);
        Ok(())
    }
}

/// Clears the "sweep running" flag however the sweep ends, even if the
/// request that ran it is dropped half-way.
struct SweepGuard<'a>(&'a AtomicBool);

impl Drop for SweepGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl LabStore {
    pub(crate) fn for_profile(profile: &Profile, clock: LabClock, max_sessions: usize) -> Self {
        Self {
            sessions: Arc::new(Shards::new(clock.clone())),
            ids: Arc::new(IdIssuer::for_profile(profile)),
            unknown_ids: UnknownIds::for_profile(profile),
            limits: Limits {
                idle: IdleTimeout::for_profile(profile),
                absolute: AbsoluteTimeout::for_profile(profile),
            },
            max_sessions: max_sessions.max(1),
            last_sweep: Arc::new(Mutex::new(clock.now())),
            sweeping: Arc::new(AtomicBool::new(false)),
            clock,
            index: SessionIndex::default(),
        }
    }

    /// Deletes every expired session, if the last sweep is a lab-minute old:
    /// one shard at a time, letting other tasks run in between.
    async fn sweep_if_due(&self, now: OffsetDateTime) {
        {
            let mut last = self
                .last_sweep
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if now - *last < SWEEP_INTERVAL {
                return;
            }
            *last = now;
        }
        if self.sweeping.swap(true, Ordering::AcqRel) {
            return;
        }
        let _guard = SweepGuard(&self.sweeping);
        for shard in 0..SHARDS {
            for id in self.sessions.sweep_shard(shard, self.limits, now) {
                self.index.forget(&id);
            }
            tokio::task::yield_now().await;
        }
    }

    /// Brings the store back within its cap after `newcomer` was stored:
    /// anonymous sessions go first, oldest first; then an anonymous newcomer
    /// itself; a signed-in newcomer evicts the sign-in least recently used.
    fn enforce_cap(&self, newcomer: &Id) {
        while self.sessions.len() > self.max_sessions {
            if let Some(oldest) = self.sessions.oldest_anonymous() {
                self.sessions.evict_anonymous(&oldest);
                continue;
            }
            if !self.sessions.is_signed_in(newcomer) {
                self.sessions.remove(newcomer);
                return;
            }
            match self.sessions.least_recently_used_sign_in(newcomer) {
                Some(victim) => {
                    self.sessions.remove(&victim);
                    self.index.forget(&victim);
                }
                None => return,
            }
        }
    }

    pub(crate) fn session_index(&self) -> &SessionIndex {
        &self.index
    }

    /// The record of a live session, without counting as a use of it: the
    /// session index reads a user's other sessions, and listing them must not
    /// keep them alive. Unknown IDs are `None` here whatever `strict-ids` says.
    pub(crate) async fn peek(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        Ok(match self.sessions.load_live(id, self.limits, now, false) {
            Found::Live(record) => Some(record),
            Found::Expired(_) | Found::Unknown => None,
        })
    }

    /// Whether a session is stored under `id`, expired or not (for tests).
    #[cfg(test)]
    pub(crate) async fn holds(&self, id: &Id) -> bool {
        matches!(self.sessions.load(id).await, Ok(Some(_)))
    }

    /// How many sessions the store holds (for tests).
    #[cfg(test)]
    pub(crate) async fn tracked(&self) -> usize {
        self.sessions.len()
    }
}

#[async_trait]
impl SessionStore for LabStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = self.clock.now();
        self.sweep_if_due(now).await;
        let mut stored = Record {
            expiry_date: NEVER,
            ..record.clone()
        };
        self.ids.create(&*self.sessions, &mut stored).await?;
        record.id = stored.id;
        self.enforce_cap(&stored.id);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // A request that loaded its session before another request ended it
        // (logout elsewhere, "log out everywhere", a password change) must not
        // bring it back when it saves: the check and the store are one step
        // under the shard's lock. Only the `strict-ids` weakness stores IDs
        // the store does not hold: that is how it adopts them.
        let only_known = self.unknown_ids == UnknownIds::Rejected;
        let was_there = self
            .sessions
            .shard(&record.id)
            .entries
            .contains_key(&record.id);
        if self.sessions.upsert(record, only_known) && !was_there {
            self.enforce_cap(&record.id);
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        match self.sessions.load_live(id, self.limits, now, true) {
            Found::Live(record) => Ok(Some(record)),
            Found::Expired(signed_in) => {
                if signed_in {
                    self.index.forget(id);
                }
                Ok(None)
            }
            Found::Unknown => self.unknown_ids.load(&*self.sessions, id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.sessions.remove(id);
        self.index.forget(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
