//! `shared-store`: every instance of the app reads session state from the one
//! store they share, on every request.
//!
//! **What it does.** `LabStore::load` (`store.rs`) asks the backend, memory
//! shared in-process, SQLite or Redis, each time a request comes in. The store
//! is the single source of truth: when instance A destroys a session at
//! logout, the next request for it on instance B finds nothing.
//!
//! **Why it matters.** A workshop server or a production app runs several
//! instances behind a load balancer, and a user's requests land on any of
//! them. Logout, "log out everywhere" and a password change end sessions on
//! whichever instance handled them; unless the others see that at once, a
//! stolen copy of the cookie keeps working there (the seed's advice: make
//! logout work across every instance).
//!
//! **The weakness when off.** Each instance keeps its own cache of session
//! state in front of the shared store, as tower-sessions' `CachingSessionStore`
//! with a per-process moka cache does: a read that finds the session in the
//! cache never asks the store. A logout on A deletes A's cached copy and the
//! store's record, but B's copy lives on until it expires
//! ([`CACHE_TIME_TO_LIVE`], in lab time). Teams running 2 to 6 instances with
//! such a cache report exactly this: a sign-out, password reset or role
//! change on one instance is invisible to the others until the TTL runs out.
//!
//! CWE-613 · ASVS 4.0.3 3.3.1 · ASVS 5.0.0 7.4.1 · WSTG-SESS-06

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};

use crate::{Defense, Profile};

/// How long an instance trusts its cached copy of a session: shorter than
/// any idle limit the lab teaches, so a cached copy never outlives a timeout.
pub const CACHE_TIME_TO_LIVE: Duration = Duration::minutes(5);

/// Sessions one instance caches at most: the cache must not grow without
/// bound under a flood of anonymous visitors (CWE-770).
const CACHE_CAPACITY: usize = 10_000;

/// The per-instance cache in front of the shared store, if this profile has one.
pub(crate) fn instance_cache(profile: &Profile) -> Option<InstanceCache> {
    if profile.has(Defense::SharedStore) {
        None // Defended: every read goes to the store all instances share.
    } else {
        Some(InstanceCache::default()) // Weakness: this process's own copies first.
    }
}

/// The weakness: this instance's copies of session records, each with the
/// lab time it was cached at.
#[derive(Debug, Default)]
pub(crate) struct InstanceCache {
    entries: Mutex<Copies>,
}

#[derive(Debug, Default)]
struct Copies {
    by_id: HashMap<Id, (Record, OffsetDateTime)>,
    /// When the cache was last found full of live copies: the moment the
    /// first of them expires. Until then a new copy is not cached, and the
    /// cache is not scanned again for every request.
    full_until: Option<OffsetDateTime>,
}

impl InstanceCache {
    /// The cached copy of `id`, if one is younger than its time to live.
    /// The shared store is not asked: that is the weakness.
    pub(crate) fn get(&self, id: &Id, now: OffsetDateTime) -> Option<Record> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entries = &mut entries.by_id;
        match entries.get(id) {
            Some((record, cached_at)) if now - *cached_at < CACHE_TIME_TO_LIVE => {
                Some(record.clone())
            }
            Some(_) => {
                entries.remove(id);
                None
            }
            None => None,
        }
    }

    /// Keeps a copy of `record`, read from or written to the store at `now`.
    pub(crate) fn put(&self, record: &Record, now: OffsetDateTime) {
        let mut copies = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if copies.by_id.len() >= CACHE_CAPACITY && !copies.by_id.contains_key(&record.id) {
            if copies.full_until.is_some_and(|until| now < until) {
                return; // Still full of live copies: this one is simply not cached.
            }
            copies
                .by_id
                .retain(|_, (_, cached_at)| now - *cached_at < CACHE_TIME_TO_LIVE);
            if copies.by_id.len() >= CACHE_CAPACITY {
                let first_expiry = copies.by_id.values().map(|(_, at)| *at).min();
                copies.full_until = first_expiry.map(|at| at + CACHE_TIME_TO_LIVE);
                return;
            }
        }
        copies.by_id.insert(record.id, (record.clone(), now));
    }

    /// Drops this instance's copy (a delete or a refused save here). Other
    /// instances' copies are out of its reach.
    pub(crate) fn forget(&self, id: &Id) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_id
            .remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: i128) -> Record {
        Record {
            id: Id(id),
            data: Default::default(),
            expiry_date: OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn a_full_cache_takes_new_copies_again_once_the_first_expires() {
        let cache = InstanceCache::default();
        let start = OffsetDateTime::now_utc();
        for id in 0..CACHE_CAPACITY as i128 {
            cache.put(&record(id), start + Duration::seconds(id as i64 % 60));
        }
        let late = CACHE_CAPACITY as i128;
        cache.put(&record(late), start + Duration::minutes(1));
        assert!(cache.get(&Id(late), start + Duration::minutes(1)).is_none());
        // Past the first copy's time to live, a sweep makes room.
        let after = start + CACHE_TIME_TO_LIVE + Duration::seconds(1);
        cache.put(&record(late), after);
        assert!(cache.get(&Id(late), after).is_some());
        assert!(cache.get(&Id(0), after).is_none());
    }
}
