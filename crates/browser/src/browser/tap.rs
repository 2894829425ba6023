//! The transcript tap: one shared record of the exchanges several browsers make.
//!
//! A lesson's transcript shows, step by step, the HTTP each actor caused. Every browser already
//! keeps its own [`Browser::exchanges`](super::Browser::exchanges); a tap interleaves those of
//! all the browsers of a run in the order they happened, which no single browser can.
use std::sync::{Arc, Mutex, PoisonError};

use super::Exchange;

/// An exchange as a tap saw it: which browser made it, and the exchange.
#[derive(Debug, Clone)]
pub struct TappedExchange {
    pub browser: String,
    pub exchange: Exchange,
}

/// A record that several browsers share: every exchange each of them makes, in the order they
/// happened. The attack engine gives one to the browsers of a run, so each step of the run's
/// transcript can show the HTTP its actor caused; a browser without one records only its own
/// [`Browser::exchanges`](super::Browser::exchanges).
#[derive(Debug, Clone, Default)]
pub struct ExchangeTap(Arc<Mutex<Vec<TappedExchange>>>);

impl ExchangeTap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes and returns, in order, the exchanges made by the browsers `of_browser` accepts;
    /// the others stay for a later call.
    pub fn take(&self, of_browser: impl Fn(&str) -> bool) -> Vec<TappedExchange> {
        let mut tapped = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (taken, kept): (Vec<_>, Vec<_>) = tapped
            .drain(..)
            .partition(|entry| of_browser(&entry.browser));
        *tapped = kept;
        taken
    }

    /// Appends a copy of `exchange`, made by the browser `browser`.
    /// A real browser driven by the lab (`sessionlab-chromium`) records its exchanges here too.
    pub fn record(&self, browser: &str, exchange: &Exchange) {
        // A panic elsewhere cannot leave a half-pushed Vec: the record stays usable.
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(TappedExchange {
                browser: browser.to_string(),
                exchange: exchange.clone(),
            });
    }
}
