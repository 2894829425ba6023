//! The lab clock: the time the app's timeouts read.
//!
//! **Why a clock of its own.** The `idle-timeout` and `absolute-timeout`
//! lessons are about what happens 31 minutes or 9 hours after a login. A lab
//! cannot wait that long, so every timeout decision reads [`LabClock::now`],
//! which is real time plus an offset that only the lab can move forward.
//!
//! **Who may move it.** Never a client of the app by default: the handle is
//! in-process (`RunningServer::clock`, used by `demo` and the tests).
//! `sessionlab serve --lab-clock` additionally opens an HTTP control
//! (`clock_control.rs`, `POST /.well-known/sessionlab/clock`) guarded by a
//! 128-bit random key printed on the operator's terminal at start-up, so
//! `sessionlab attack --lab-clock-key KEY` can run the timeout scenarios
//! against a separately started app. Without that flag the route does not
//! exist and no request can touch the clock; with it, only the key's holder
//! can. Either way an attacker cannot age a session to their liking, and as
//! time only runs forward, nobody can bring an expired session back.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// The furthest the lab clock may run ahead of real time: far past any
/// timeout a lesson needs, far short of the calendar's end (year 9999).
pub const MAX_OFFSET: Duration = Duration::days(100 * 365);

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

    /// Now, as the app's timeouts see it. Never panics: the sum saturates.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc().saturating_add(self.offset())
    }

    /// How far this clock is ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by`, up to [`MAX_OFFSET`] in all. Negative
    /// durations are ignored: lab time never runs backwards, so nothing can
    /// revive an expired session.
    pub fn advance(&self, by: Duration) {
        let cap = MAX_OFFSET.whole_milliseconds() as i64;
        let ms = by.whole_milliseconds().clamp(0, i128::from(cap)) as i64;
        // One atomic step, so two advances at once cannot both pass the cap.
        let _ = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                Some(offset.saturating_add(ms).min(cap))
            });
    }

    /// [`advance`](Self::advance) by a `std` duration, the unit of the
    /// simulated browsers' clocks.
    pub fn advance_std(&self, by: std::time::Duration) {
        self.advance(Duration::try_from(by).unwrap_or(Duration::MAX));
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
    fn the_offset_stops_at_its_cap_and_now_never_panics() {
        let clock = LabClock::new();
        clock.advance(Duration::MAX);
        assert_eq!(clock.offset(), MAX_OFFSET);
        clock.advance(Duration::MAX);
        clock.advance_std(std::time::Duration::MAX);
        for _ in 0..1000 {
            clock.advance(Duration::days(365 * 50));
        }
        assert_eq!(clock.offset(), MAX_OFFSET, "no wrap past i64::MAX");
        let later = clock.now();
        assert!(later - OffsetDateTime::now_utc() > Duration::days(365 * 99));
        assert!(later.year() < 9999);
    }

    #[test]
    fn clones_share_one_offset() {
        let clock = LabClock::new();
        let copy = clock.clone();
        copy.advance(Duration::hours(9));
        assert_eq!(clock.offset(), Duration::hours(9));
    }
}
