//! `random-ids`: session IDs are 128 random bits from a CSPRNG.
//!
//! **What it does.** A new session gets tower-sessions' default [`Id`]: 128 bits
//! from `rand`'s thread-local CSPRNG, with no structure an observer could learn.
//!
//! **Why it matters.** An ID is the only thing standing between a visitor and
//! someone else's logged-in session. If an attacker can compute the next ID, or
//! the victim's, they never need to steal it.
//!
//! **The weakness when off.** IDs come from a counter starting at 1000, encoded
//! exactly like real ones (22 characters of base64url), so they *look* random.
//! Two harvested IDs are enough to see the pattern and walk to the neighbours.
//!
//! CWE-330, CWE-331 · ASVS 4.0.3 3.2.2, 3.2.4 · ASVS 5.0.0 7.2.3 · WSTG-SESS-01

use tokio::sync::Mutex;
use tower_sessions::session::{Id, Record};
use time::OffsetDateTime;
use tower_sessions::session_store;

use crate::store::SessionBackend;

use crate::{Defense, Profile};

/// The first ID handed out by the weak counter.
pub const FIRST_COUNTER_ID: i128 = 1000;

/// Who chooses the ID of a new session.
#[derive(Debug)]
pub enum IdIssuer {
    /// Defended: tower-sessions' default, 128 bits from a CSPRNG.
    Random,
    /// Weakness: the next value of a counter.
    Counter(Mutex<i128>),
}

impl IdIssuer {
    pub fn for_profile(profile: &Profile) -> Self {
        if profile.has(Defense::RandomIds) {
            Self::Random
        } else {
            Self::Counter(Mutex::new(FIRST_COUNTER_ID))
        }
    }

    /// Stores a new session and decides its ID (the store's `create`).
    /// Each try is one atomic "store unless taken" in the backend, so two
    /// requests, or two app instances sharing a store, are never handed the
    /// same ID.
    pub(crate) async fn create(
        &self,
        sessions: &dyn SessionBackend,
        record: &mut Record,
        now: OffsetDateTime,
    ) -> session_store::Result<()> {
        match self {
            // `record.id` is already `Id::default()`: random. Drawn again only
            // on a (practically impossible) collision.
            Self::Random => {
                while !sessions.insert_new(record, now).await? {
                    record.id = Id::default();
                }
                Ok(())
            }
            Self::Counter(next) => {
                // The lock is held until the record is stored, so two logins
                // racing in this process are not handed the same number.
                let mut next = next.lock().await;
                loop {
                    // A store shared by several instances keeps the counter
                    // (Redis: one INCR); otherwise this process counts.
                    let candidate = match sessions.next_counter_id(FIRST_COUNTER_ID).await? {
                        Some(number) => Id(number),
                        None => {
                            *next += 1;
                            Id(*next - 1)
                        }
                    };
                    // Skip numbers already taken (e.g. an ID adopted by the
                    // `strict-ids` weakness, or issued by another instance).
                    record.id = candidate;
                    if sessions.insert_new(record, now).await? {
                        return Ok(());
                    }
                }
            }
        }
    }
}
