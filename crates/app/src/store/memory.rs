//! The memory backend (`--store memory`, the default): sessions in this
//! process, gone when it ends. The lab's rules (IDs, timeouts, late saves)
//! are decided in `store.rs`, over this backend as over the others.
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
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{MutexGuard, PoisonError};

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use super::{Found, Limits, NEVER, SessionBackend, SessionTimes};
use crate::LabClock;
use crate::session_index::{self, SessionIndex};

/// How often, at most, `create` sweeps expired sessions out.
const SWEEP_INTERVAL: Duration = Duration::minutes(1);

/// How many maps, each with its own lock, the sessions are spread over.
pub(crate) const SHARDS: usize = 64;

/// Sessions one store keeps unless `serve --max-sessions` says otherwise:
/// about 60 MiB of anonymous sessions at 0.6 KiB each.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

#[derive(Debug)]
pub(crate) struct MemoryStore {
    sessions: Shards,
    max_sessions: usize,
    /// When the last sweep began.
    last_sweep: Mutex<OffsetDateTime>,
    /// Set while a sweep runs: a second one at the same time would only repeat it.
    sweeping: AtomicBool,
    /// Which sessions belong to which user (`session_index.rs`).
    index: SessionIndex,
    /// The signing key of the apps over this store (`kept_key`): instances
    /// sharing it in one process share the key too.
    key: Mutex<Option<Vec<u8>>>,
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

/// What `load_live` found.
enum Loaded {
    Live(Record),
    /// Expired (and deleted if touched); `true` if it was signed in.
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
    fn load_live(&self, id: &Id, limits: Limits, now: OffsetDateTime, touch: bool) -> Loaded {
        let mut shard = self.shard(id);
        let Some(entry) = shard.entries.get_mut(id) else {
            return Loaded::Unknown;
        };
        if entry.times.has_expired(limits, now) {
            if !touch {
                return Loaded::Expired(false);
            }
            let signed_in = entry.signed_in;
            shard.entries.remove(id);
            self.count.fetch_sub(1, Ordering::Relaxed);
            return Loaded::Expired(signed_in);
        }
        if touch {
            entry.times.last_used = now;
        }
        Loaded::Live(entry.record.clone())
    }

    /// Deletes the expired sessions of shard `index`; returns the IDs of those
    /// that were signed in (for the session index).
    fn sweep_shard(&self, index: usize, limits: Limits, now: OffsetDateTime) -> Vec<Id> {
        let mut shard = self.lock(index);
        // Taken out under the lock, freed after it: dropping thousands of
        // records is the slow part, and nobody needs to wait for it.
        let expired: Vec<(Id, Entry)> = shard
            .entries
            .extract_if(|_, entry| entry.times.has_expired(limits, now))
            .collect();
        if !expired.is_empty() {
            let Shard { entries, anonymous } = &mut *shard;
            anonymous.retain(|(seq, id)| {
                entries
                    .get(id)
                    .is_some_and(|entry| !entry.signed_in && entry.seq == *seq)
            });
        }
        drop(shard);
        self.count.fetch_sub(expired.len(), Ordering::Relaxed);
        expired
            .into_iter()
            .filter(|(_, entry)| entry.signed_in)
            .map(|(id, _)| id)
            .collect()
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

/// Clears the "sweep running" flag however the sweep ends, even if the
/// request that ran it is dropped half-way.
struct SweepGuard<'a>(&'a AtomicBool);

impl Drop for SweepGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl MemoryStore {
    pub(crate) fn new(clock: LabClock, max_sessions: usize) -> Self {
        Self {
            last_sweep: Mutex::new(clock.now()),
            sessions: Shards::new(clock),
            max_sessions: max_sessions.max(1),
            sweeping: AtomicBool::new(false),
            index: SessionIndex::default(),
            key: Mutex::new(None),
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
}

#[async_trait]
impl SessionBackend for MemoryStore {
    async fn insert_new(
        &self,
        record: &Record,
        _now: OffsetDateTime,
    ) -> session_store::Result<bool> {
        // The check and the insert under one shard lock (`upsert` takes it
        // again only when the ID is free; a concurrent insert of the same
        // random ID is practically impossible, and counter IDs are issued
        // under the issuer's lock).
        if self
            .sessions
            .shard(&record.id)
            .entries
            .contains_key(&record.id)
        {
            return Ok(false);
        }
        self.sessions.upsert(record, false);
        self.enforce_cap(&record.id);
        Ok(true)
    }

    async fn update(
        &self,
        record: &Record,
        only_known: bool,
        _now: OffsetDateTime,
    ) -> session_store::Result<bool> {
        // The "is it still there?" check and the store are one step under the
        // shard's lock (`upsert`): a late save cannot bring back an ended session.
        let was_there = self
            .sessions
            .shard(&record.id)
            .entries
            .contains_key(&record.id);
        let stored = self.sessions.upsert(record, only_known);
        if stored && !was_there {
            self.enforce_cap(&record.id);
        }
        Ok(stored)
    }

    async fn load(
        &self,
        id: &Id,
        limits: Limits,
        now: OffsetDateTime,
        touch: bool,
    ) -> session_store::Result<Found> {
        Ok(match self.sessions.load_live(id, limits, now, touch) {
            Loaded::Live(record) => Found::Live(record),
            Loaded::Expired(signed_in) => {
                if signed_in {
                    self.index.forget(id);
                }
                Found::Expired
            }
            Loaded::Unknown => Found::Unknown,
        })
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.sessions.remove(id);
        self.index.forget(id);
        Ok(())
    }

    /// Deletes every expired session, if the last sweep is a lab-minute old:
    /// one shard at a time, letting other tasks run in between.
    async fn sweep_if_due(&self, limits: Limits, now: OffsetDateTime) -> session_store::Result<()> {
        {
            let mut last = self
                .last_sweep
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if now - *last < SWEEP_INTERVAL {
                return Ok(());
            }
            *last = now;
        }
        if self.sweeping.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let _guard = SweepGuard(&self.sweeping);
        for shard in 0..SHARDS {
            for id in self.sessions.sweep_shard(shard, limits, now) {
                self.index.forget(&id);
            }
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    async fn index_add(&self, user: &str, id: &Id) -> session_store::Result<()> {
        self.index.add(user, *id);
        Ok(())
    }

    async fn index_ids(&self, user: &str) -> session_store::Result<Vec<Id>> {
        Ok(self.index.ids_of(user))
    }

    async fn index_forget(&self, user: &str, id: &Id) -> session_store::Result<()> {
        self.index.forget_for(user, id);
        Ok(())
    }

    async fn count(&self) -> session_store::Result<usize> {
        Ok(self.sessions.len())
    }

    async fn holds(&self, id: &Id) -> session_store::Result<bool> {
        Ok(self.sessions.shard(id).entries.contains_key(id))
    }

    async fn kept_key(&self, fresh: Vec<u8>) -> session_store::Result<Vec<u8>> {
        let mut key = self.key.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(key.get_or_insert(fresh).clone())
    }

    async fn purge_namespace(&self) -> session_store::Result<()> {
        Ok(())
    }
}
