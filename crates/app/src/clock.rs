//! The lab clock: the time the app's timeouts read.
//!
//! **Why a clock of its own.** The `idle-timeout` and `absolute-timeout`
//! lessons are about what happens 31 minutes or 9 hours after a login. A lab
//! cannot wait that long, so every timeout decision reads [`LabClock::now`],
//! which is real time plus an offset that only the lab can move forward.
//!
//! **Who may move it.** Never a client of the app by default: the handle is
//! in-process (`RunningServer::clock`, used by `demo`, `lesson` and the tests).
//! `sessionlab serve --lab-clock` additionally opens an HTTP control guarded by
//! a random key printed at start-up, so `sessionlab attack` can run the timeout
//! scenarios against a separately started app. Without that flag no route can
//! touch the clock, so an attacker cannot age a session to their liking.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// Real time plus a forward-only offset, shared by every part of one app.
#[derive(Debug, Clone, Default)]
pub struct LabClock {
    offset_ms: Arc<AtomicI64>,
}

impl LabClock {
    /// A clock that reads real time until someone advances it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Now, as the app's timeouts see it.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset()
    }

    /// How far this clock is ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by`. Negative durations are ignored: lab
    /// time never runs backwards, so nothing can revive an expired session.
    pub fn advance(&self, by: Duration) {
        let ms = by.whole_milliseconds().clamp(0, i64::MAX as i128) as i64;
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_and_never_back() {
        let clock = LabClock::new();
        let before = clock.now();
        clock.advance(Duration::minutes(31));
        assert!(clock.now() - before >= Duration::minutes(31));
        clock.advance(Duration::minutes(-60));
        assert!(clock.now() - before >= Duration::minutes(31));
    }

    #[test]
    fn clones_share_one_offset() {
        let clock = LabClock::new();
        let copy = clock.clone();
        copy.advance(Duration::hours(9));
        assert_eq!(clock.offset(), Duration::hours(9));
    }
}
