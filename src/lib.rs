//! The `sessionlab` command: the pieces `main.rs` wires together, public so the
//! end-to-end tests in `tests/` drive exactly what the binary runs.

pub mod demo;
pub mod report;
