//! The target web app of the lab.
//!
//! One axum app, three profiles chosen at start-up (never by a client):
//! `insecure` (every weakness on), `tutorial` (what the seed article ends
//! with) and `hardened` (every defense on). Each defense lives in its own
//! file under [`defenses`], next to the weakness it replaces, so the
//! difference between the profiles can be read one defense at a time.

pub mod defenses;
pub mod profile;
pub mod server;
pub mod users;

pub use profile::{Defense, Profile, ProfileName};
pub use server::{RunningServer, ServeError, ServeOptions, check_bind_address, start};
pub use users::DemoAccount;
