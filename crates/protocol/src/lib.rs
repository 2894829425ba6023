//! What the target app and the attack engine agree on, defined once.
//!
//! The attack engine talks to apps only over HTTP, so it never links the app
//! crate. Everything both sides must spell the same way lives here: the
//! `/.well-known/sessionlab` document, the lab clock's HTTP control, the
//! demo accounts and the ids of the page elements a proof is read from; and
//! the one HTML escaper every crate of the workspace uses ([`html`]).

use serde::{Deserialize, Serialize};

pub mod html;
pub use html::escape_html;

/// Where an app says what it is ([`LabInfo`], as JSON).
pub const WELL_KNOWN_PATH: &str = "/.well-known/sessionlab";

/// The `/.well-known/sessionlab` document: what the attack engine and the CLI
/// read to know what they are facing (the banner of every page says the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabInfo {
    /// The profile the app was started with: `insecure`, `tutorial` or `hardened`.
    pub profile: String,
    /// The profile with its toggles, as reports name it: `hardened - csp`.
    pub label: String,
    /// The ids of the defenses that are on.
    pub defenses: Vec<String>,
    /// The session cookie's name: `sid`, `connect.sid`, `__Host-sid`.
    pub session_cookie: String,
    /// Whether `serve --lab-clock` opened the clock's HTTP control (never the key).
    #[serde(default)]
    pub lab_clock: bool,
    /// Where the app keeps its sessions (`serve --store`): `memory`,
    /// `sqlite:PATH` or `redis://HOST:PORT/DB`. Empty from an older app.
    #[serde(default)]
    pub store: String,
}

/// The lab clock's HTTP control (`sessionlab serve --lab-clock`): a POST moves
/// the app's clock forward, for a client that sends the key the app printed.
pub mod clock {
    /// Where the control lives (next to [`WELL_KNOWN_PATH`](crate::WELL_KNOWN_PATH)).
    pub const PATH: &str = "/.well-known/sessionlab/clock";
    /// The request header that carries the key.
    pub const KEY_HEADER: &str = "lab-clock-key";
    /// The form field: how many seconds to move the clock forward.
    pub const FIELD: &str = "advance_seconds";
    /// The largest single step: 30 days, far beyond any timeout the lab teaches.
    pub const MAX_ADVANCE_SECONDS: u64 = 30 * 24 * 60 * 60;
}

/// The ids of the elements on the app's pages that the engine reads.
pub mod element {
    /// The account page's private note: what only its owner may see.
    pub const PRIVATE_NOTE: &str = "private-note";
    /// The account page's e-mail address (the CSRF lesson's target).
    pub const EMAIL: &str = "email";
    /// The account page's user name.
    pub const USERNAME: &str = "username";
}

/// A demo login, public on purpose: the lab's victim and attacker sign in with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: &'static str,
    pub password: &'static str,
}

/// The victim of every scenario.
pub const DEMO_VICTIM: DemoAccount = DemoAccount {
    username: "alice",
    password: "wonderland",
};

/// The attacker's own account.
pub const DEMO_ATTACKER: DemoAccount = DemoAccount {
    username: "bob",
    password: "builder",
};

/// Every demo account the app creates, the victim first.
pub const DEMO_ACCOUNTS: [DemoAccount; 2] = [DEMO_VICTIM, DEMO_ATTACKER];

/// The private note the app makes for `username` at every start, with a fresh
/// random `marker`. Free of characters HTML escapes, so the note reads the
/// same in the page source as on screen (a proof quotes the source).
pub fn private_note(username: &str, marker: u64) -> String {
    format!("private note of {username} #{marker:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_needs_no_html_escaping() {
        let note = private_note(DEMO_VICTIM.username, u64::MAX);
        assert!(!note.contains(['<', '>', '&', '"', '\'']), "{note}");
        assert_eq!(note, "private note of alice #ffffffffffffffff");
    }
}
