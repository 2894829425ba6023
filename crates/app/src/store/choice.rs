//! `--store memory | sqlite:PATH | redis://HOST:PORT[/DB]`: which backend the
//! app keeps its sessions in, chosen at start-up.

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
    /// A Redis server, e.g. `redis://127.0.0.1:6379/0`: shared by every
    /// instance pointed at it.
    Redis(String),
}

/// The store an app is started with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreChoice {
    pub kind: StoreKind,
    /// The namespace the app's sessions live under in a SQLite file or a
    /// Redis server. Apps with the same one share their sessions (several
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
    /// `memory`, `sqlite:PATH`, `redis://HOST:PORT/DB` (what the banner shows).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StoreKind::Memory => f.write_str("memory"),
            StoreKind::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreKind::Redis(url) => f.write_str(url),
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
        } else if let Some(rest) = s.strip_prefix("redis://") {
            let (host_port, db) = match rest.split_once('/') {
                Some((host_port, db)) => (host_port, db),
                None => (rest, "0"),
            };
            let db_ok = db.is_empty() || db.parse::<u16>().is_ok();
            let port_ok = host_port
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok || !db_ok || host_port.contains('@') {
                return Err(format!(
                    "{s}: expected redis://HOST:PORT or redis://HOST:PORT/DB (no password in the URL)"
                ));
            }
            let db = if db.is_empty() { "0" } else { db };
            StoreKind::Redis(format!("redis://{host_port}/{db}"))
        } else {
            return Err(format!(
                "{s}: expected memory, sqlite:PATH or redis://HOST:PORT[/DB]"
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
    fn the_three_stores_parse_and_print_back() {
        for (given, shown) in [
            ("memory", "memory"),
            ("sqlite:/tmp/lab.db", "sqlite:/tmp/lab.db"),
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/0"),
            ("redis://127.0.0.1:6400/3", "redis://127.0.0.1:6400/3"),
        ] {
            let choice: StoreChoice = given.parse().expect(given);
            assert_eq!(choice.to_string(), shown);
        }
        for bad in [
            "",
            "sqlite:",
            "redis://",
            "redis://host",
            "redis://h:1/x",
            "redis://u:p@h:1",
            "postgres://x",
        ] {
            assert!(bad.parse::<StoreChoice>().is_err(), "{bad}");
        }
    }
}
