//! `absolute-timeout`: a session ends 8 hours after it began, busy or not.
//!
//! **What it does.** The store remembers when each session ID was issued (in
//! lab time, see `clock.rs`). From 8 hours after that, the session is deleted
//! at its next use, whatever the activity and whatever the cookie says, and
//! the user has to log in again. The clock starts when the ID is issued:
//! with `rotate-id-at-login` that is the login itself.
//!
//! **Why it matters.** An idle limit never fires for a session someone keeps
//! busy. An attacker holding a stolen cookie can send a request every few
//! minutes and ride the session for days. A fixed lifetime bounds what any
//! one theft is worth and forces a fresh authentication (OWASP's cheat sheet:
//! 4-8 hours for a working day).
//!
//! **The weakness when off.** No limit. The seed's express-session slides its
//! one-hour expiry forward at every request (see `idle_timeout.rs`), so a
//! session that is used at least once an hour lives for ever.
//!
//! CWE-613 · ASVS 4.0.3 3.3.2 · ASVS 5.0.0 7.3.2 · WSTG-SESS-07

use time::{Duration, OffsetDateTime};

use crate::{Defense, Profile};

/// The absolute lifetime with the defense: one working day.
pub const ABSOLUTE_LIMIT: Duration = Duration::hours(8);

/// How long a session may live from the moment its ID was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsoluteTimeout {
    /// `None`: no limit at all.
    pub limit: Option<Duration>,
}

impl AbsoluteTimeout {
    pub fn for_profile(profile: &Profile) -> Self {
        let limit = profile
            .has(Defense::AbsoluteTimeout)
            .then_some(ABSOLUTE_LIMIT);
        Self { limit }
    }

    /// Whether a session issued at `created` has outlived its lifetime at `now`.
    pub fn has_expired(self, created: OffsetDateTime, now: OffsetDateTime) -> bool {
        self.limit.is_some_and(|limit| now - created >= limit)
    }
}
