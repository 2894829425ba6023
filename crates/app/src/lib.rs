//! The target web app of the lab.
//!
//! One axum app, three profiles chosen at start-up (never by a client):
//! `insecure` (every weakness on), `tutorial` (what the seed article ends
//! with) and `hardened` (every defense on). Each defense lives in its own
//! file under [`defenses`], next to the weakness it replaces, so the
//! difference between the profiles can be read one defense at a time.
//!
//! Where to look: [`app`] assembles the router and its layers, `state.rs`
//! holds what the handlers and defenses share, [`malformed_cookies`] the
//! input check every profile applies first, [`hygiene`] and [`bounds`] what
//! every profile refuses or limits (the `Host` header, form encoding, request
//! deadline, connections, cookies), `handlers/` the routes (which
//! call the defense hooks), [`session_cookie`] the cookie's attributes,
//! `store.rs` the session store, [`server`] the socket, TLS on the same port
//! and the loopback guard, [`users`] the demo accounts.

pub mod app;
pub mod bounds;
pub mod clock;
pub mod clock_control;
pub mod defenses;
mod guestbook;
mod handlers;
pub mod hygiene;
pub mod malformed_cookies;
pub mod observer;
mod pages;
pub mod profile;
pub mod redis_server;
pub mod server;
pub mod session_cookie;
mod session_index;
pub mod source;
mod state;
mod store;
pub mod token;
mod trans_sid;
pub mod users;

pub use app::{
    AppInfo, ClassApp, ClassOptions, LabHandle, build_class_app, build_router,
    build_router_with_session_secret,
};
pub use bounds::Limits;
pub use clock::LabClock;
pub use profile::{Defense, Profile, ProfileName};
pub use server::{RunningServer, ServeError, ServeOptions, check_bind_address, start};
pub use source::{defense_mechanism, defense_source};
pub use store::{StoreChoice, StoreKind};
pub use users::{DemoAccount, demo_accounts};

#[cfg(test)]
mod tests;
