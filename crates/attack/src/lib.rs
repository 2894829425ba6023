//! The attack engine of the lab.
//!
//! A scenario run has a victim and an attacker, each with a simulated browser
//! ([`sessionlab_browser`]), an evil site ([`evil_site`]) and, for sniffing, an
//! on-path relay ([`relay`]). Every scenario lives in its own module under
//! [`scenarios`]; its metadata (story, CWE / ASVS / WSTG, the defenses that
//! block it) lives as data in `scenarios/<id>.toml` ([`catalog`]). A run is
//! `compromised` only when the attacker's own response shows the victim's
//! private note, as the victim saw it in the same run ([`actors`]).

pub mod actors;
pub mod analyze;
pub mod app_target;
pub mod catalog;
pub mod evil_site;
pub mod lab;
pub mod lessons;
pub mod outcome;
pub mod relay;
pub mod runner;
pub mod scenarios;
pub mod target_init;
pub mod tokens;
pub mod victim;

pub use app_target::{AppOptions, AppTarget, CookieFinding, TargetFile};
pub use catalog::ScenarioMeta;
pub use lab::{Credentials, Target, TargetError};
pub use outcome::{Actor, ExchangeRef, Outcome, Proof, ProofKind, RunResult, Step, Verdict};
pub use runner::{run_scenario, run_scenarios, select};
pub use scenarios::{REGISTRY, Scenario};
pub use victim::{BrowserKind, VictimBrowser};
