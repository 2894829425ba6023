//! `sessionlab class`: hands-on challenges for a class on one server.
//!
//! Each student signs in on the hub and gets an isolated lab (`lab.rs`):
//! their own app in the chosen profile, their own alice, whose password they
//! never see and who visits on a schedule or when sent (`bot.rs`), and their
//! own attacker site (`attacker_site.rs`). The challenges are the scenario
//! registry's (`challenges.rs`); the app reports what it served
//! (`sessionlab_app::observer`), and `detect.rs` decides what that solved.
//! Hosts route it all on one port (`hosts.rs`, `class.rs`); the hub's pages
//! are `hub/` (student and instructor), askama templates in `templates/`
//! served by `html.rs`, each challenge's goal stated from its solve
//! condition (`goals.rs`).
//!
//! Several instances can run one class (`--share redis://...`): the roster
//! of students, sign-ins and progress lives in Redis (`roster.rs`), each lab
//! on the instance that opened it, and the others forward its requests
//! there (`forward.rs`).

pub mod attacker_site;
pub mod bot;
pub mod challenges;
pub mod class;
pub mod detect;
pub mod forward;
pub mod goals;
pub mod hosts;
mod html;
mod hub;
pub mod lab;
pub mod roster;
pub mod same_origin;

pub use bot::BotBrowser;
pub use class::{ClassConfig, RunningClass, StartError, start};

/// 128 random bits, base64url: a sign-in token or a generated key.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
