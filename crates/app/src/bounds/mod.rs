//! Bounds: how much of the server one client, or a flood of them, can take.
//!
//! The lab is meant to be exposed to a room of students, so every resource a
//! request can make the server hold has a limit, and each limit is one small
//! module here (or, for stored sessions, in `store.rs`):
//!
//! - [`request_deadline`]: a whole request, body included, must arrive and be
//!   answered within a deadline (30 s by default);
//! - [`connection_cap`]: at most so many connections at once; the next one
//!   is refused with a clear 503;
//! - [`cookie_count`]: at most so many cookies in one request, counted before
//!   any of them is parsed;
//! - stored sessions: at most so many per store, anonymous ones evicted first
//!   (`store.rs`, [`Limits::max_sessions`]).
//!
//! The request head has had its limit from the start (64 KiB, 10 s:
//! `server.rs`), and the body its 16 KiB (`app.rs`).
//!
//! CWE-400 (uncontrolled resource consumption), CWE-770 (allocation of
//! resources without limits) · ASVS 5.0.0 2.4.1 (anti-automation), 13.1.2
//! (connection limits)

pub mod connection_cap;
pub mod cookie_count;
pub mod request_deadline;

use std::time::Duration;

/// The limits a server runs with. [`Limits::default`] is what `serve` uses
/// unless told otherwise; tests shorten the deadline to keep runs fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Whole-request deadline, body included ([`request_deadline`]).
    pub request_timeout: Duration,
    /// Connections served at once ([`connection_cap`]).
    pub max_connections: usize,
    /// Sessions one store keeps (`store.rs`).
    pub max_sessions: usize,
}

impl Limits {
    /// The longest deadline `serve --request-timeout` accepts.
    pub const MAX_REQUEST_TIMEOUT: Duration = request_deadline::DEFAULT;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: request_deadline::DEFAULT,
            max_connections: connection_cap::DEFAULT,
            max_sessions: crate::store::DEFAULT_MAX_SESSIONS,
        }
    }
}
