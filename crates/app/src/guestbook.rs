//! The guestbook: the app's one place where users' text reaches other users'
//! pages (the XSS surface). In memory, bounded.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Longest message accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Entries kept; the oldest go first.
pub const MAX_ENTRIES: usize = 200;

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub author: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub(crate) struct Guestbook {
    entries: Mutex<VecDeque<Entry>>,
}

impl Guestbook {
    pub(crate) fn add(&self, entry: Entry) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<Entry> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.iter().cloned().collect()
    }
}
