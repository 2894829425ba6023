//! `--store memory | sqlite:PATH`: which backend the app keeps its sessions
//! in, chosen at start-up. (A Redis backend, shared by several instances, is
//! the next step of the stores issue; it is not offered until it exists.)

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where sessions live.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreKind {
    /// In this process (the default): gone when it stops.
    #[default]
    Memory,
    /// A SQLite file: sessions and logouts survive a restart.
    Sqlite(PathBuf),
}

/// The store an app is started with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreChoice {
    pub kind: StoreKind,
    /// The namespace the app's sessions live under in a SQLite file. Apps with the same one share their sessions (several
    /// instances of one app; one app restarted). `None`: a namespace of the
    /// app's own, emptied when it stops, so the many apps `demo`, `lesson` or
    /// `ablate` start over one store never see each other's sessions.
    pub shared_as: Option<String>,
}

impl StoreChoice {
    pub fn memory() -> Self {
        Self::default()
    }

    /// The same store, shared under `namespace` (what `serve` does, with the
    /// profile's label).
    pub fn shared_as(mut self, namespace: impl Into<String>) -> Self {
        self.shared_as = Some(namespace.into());
        self
    }

    /// The namespace to use: the shared one, or a fresh random one.
    pub(crate) fn namespace(&self) -> String {
        match &self.shared_as {
            Some(shared) => shared.clone(),
            None => format!("app-{:016x}", rand::random::<u64>()),
        }
    }
}

impl fmt::Display for StoreChoice {
    /// `memory`, `sqlite:PATH` (what the banner shows).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StoreKind::Memory => f.write_str("memory"),
            StoreKind::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
        }
    }
}

impl FromStr for StoreChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let kind = if s == "memory" {
            StoreKind::Memory
        } else if let Some(path) = s.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("sqlite: needs a file, e.g. sqlite:/tmp/sessionlab.db".into());
            }
            StoreKind::Sqlite(PathBuf::from(path))
        } else {
            return Err(format!(
                "unknown store {s:?}; valid stores: memory, sqlite:PATH"
            ));
        };
        Ok(Self {
            kind,
            shared_as: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stores_parse_and_print_back() {
        for (given, shown) in [
            ("memory", "memory"),
            ("sqlite:/tmp/lab.db", "sqlite:/tmp/lab.db"),
        ] {
            let choice: StoreChoice = given.parse().expect(given);
            assert_eq!(choice.to_string(), shown);
        }
        for bad in ["", "sqlite:", "redis://127.0.0.1:6379", "postgres://x"] {
            assert!(bad.parse::<StoreChoice>().is_err(), "{bad}");
        }
    }
}
