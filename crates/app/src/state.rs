//! What the handlers, the defenses and the middleware share: the running
//! app's state, handed to each of them by the router (`app.rs`).
//!
//! Kept apart from the router so that a defense or a handler depends on the
//! state only, never on the code that wires them all together.

use crate::clock_control::LabClockKey;
use crate::guestbook::Guestbook;
use crate::observer::Observer;
use crate::pages::Banner;
use crate::session_cookie::SessionCookie;
use crate::store::LabStore;
use crate::token::TokenKey;
use crate::users::UserDirectory;
use crate::{LabClock, Profile};

use std::sync::Arc;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct App {
    pub profile: Profile,
    pub banner: Banner,
    pub cookie: SessionCookie,
    pub users: Arc<UserDirectory>,
    pub guestbook: Guestbook,
    /// The time every timeout reads (see `clock.rs`).
    pub clock: LabClock,
    /// The session store, for ending a user's other sessions (`session_index.rs`).
    pub store: LabStore,
    /// The key of the lab clock's HTTP control; `None`: no such route (`clock_control.rs`).
    pub lab_clock_key: Option<LabClockKey>,
    /// Told of account pages shown and addresses changed (only in a class lab, `observer.rs`).
    pub observer: Observer,
    /// The accounts the login page lists, when not the built-in ones (a class
    /// lab lists bob only: alice's password is the one secret of the lab).
    pub shown_accounts: Option<Vec<crate::DemoAccount>>,
    /// The key of the client-side session tokens (`secret_from_env.rs`).
    pub token_key: TokenKey,
}
