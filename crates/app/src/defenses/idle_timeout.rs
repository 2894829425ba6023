//! `idle-timeout`: a session unused for 15 minutes ends on the server.
//!
//! **What it does.** The store remembers when each session was last used (in
//! lab time, see `clock.rs`). A request that arrives 15 minutes or more after
//! the previous one finds its session deleted and is treated as anonymous.
//!
//! **Why it matters.** A session left open (a walk away from a shared
//! computer, a copy of the cookie in a log) is an open door for as long as
//! the server honours it. OWASP's cheat sheet puts the idle limit at 2-5
//! minutes for high-value apps, 15-30 minutes for low-risk ones. Only the
//! server can enforce it: a copy of the cookie ignores the browser's expiry.
//!
//! **The weakness when off.** The seed's own limit. Its express-session has
//! `cookie: { maxAge: 3600000 }` and the default MemoryStore: express-session
//! touches the session on every request (`resave: false` still calls
//! `store.touch`), which moves the stored expiry one hour ahead. So the
//! server forgets a session after one idle *hour* ([`session_cookie::LIFETIME`]),
//! and never while someone, the owner or a thief, keeps using it.
//!
//! CWE-613 · ASVS 4.0.3 3.3.2 · ASVS 5.0.0 7.3.1 · WSTG-SESS-07

use time::{Duration, OffsetDateTime};

use crate::session_cookie;
use crate::{Defense, Profile};

/// The idle limit with the defense: the low end of OWASP's range for low-risk apps.
pub const IDLE_LIMIT: Duration = Duration::minutes(15);

/// How long a session may sit unused before the store forgets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleTimeout {
    pub limit: Duration,
}

impl IdleTimeout {
    pub fn for_profile(profile: &Profile) -> Self {
        let limit = if profile.has(Defense::IdleTimeout) {
            IDLE_LIMIT
        } else {
            // Weakness: the seed's one-hour window, slid forward by every request.
            session_cookie::LIFETIME
        };
        Self { limit }
    }

    /// Whether a session last used at `last_used` has been idle too long at `now`.
    pub fn has_expired(self, last_used: OffsetDateTime, now: OffsetDateTime) -> bool {
        now - last_used >= self.limit
    }
}
