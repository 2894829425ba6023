//! The lab's harness: everything the `sessionlab` commands and the end-to-end
//! tests do with apps and scenarios, without any of their printing.
//!
//! - [`lab`]: start profiles in-process on loopback, with a hold on their clocks;
//! - [`batch`]: run many profiles × scenarios at once ([`batch::run_jobs`],
//!   [`batch::run_matrix`]);
//! - [`toggles`]: `--with` / `--without` applied to the built-in profiles;
//! - [`ablation`]: hardened minus one defense, for each defense, and what
//!   holds each attack;
//! - [`claims`]: the scenario files' claims as checks on real runs;
//! - [`says`]: every claim and verdict in words, each worded once;
//! - [`ctrl_c`]: keeping apps up until Ctrl-C, then stopping them cleanly.
//!
//! The CLI (`src/` of the root package) turns what this crate returns into
//! tables, JSON, Markdown, HTML and JUnit.

pub mod ablation;
pub mod batch;
pub mod claims;
pub mod ctrl_c;
pub mod lab;
pub mod says;
pub mod toggles;

pub use ablation::Ablation;
pub use batch::{Job, OnResult, default_parallelism, run_jobs, run_matrix};
pub use lab::{LabProfile, builtin_profiles, start_profiles, stop};
