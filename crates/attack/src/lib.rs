//! The attack engine.
