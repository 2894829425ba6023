//! `--store memory | sqlite:PATH | redis://HOST:PORT[/DB]`: which backend
//! the app keeps its sessions in, chosen at start-up.

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
    /// A `redis-server`: shared by every instance pointed at it.
    Redis { host: String, port: u16, db: u32 },
}

/// Redis's own default port, for `redis://HOST` without one.
const REDIS_PORT: u16 = 6379;

const VALID: &str = "valid stores: memory, sqlite:PATH, redis://HOST:PORT[/DB]";

/// The store an app is started with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreChoice {
    pub kind: StoreKind,
    /// The namespace the app's sessions live under in a SQLite file or a Redis database. Apps with the same one share their sessions (several
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
            StoreKind::Redis { host, port, db } if host.contains(':') => {
                write!(f, "redis://[{host}]:{port}/{db}")
            }
            StoreKind::Redis { host, port, db } => write!(f, "redis://{host}:{port}/{db}"),
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
                return Err(format!(
                    "sqlite: needs a file, e.g. sqlite:/tmp/sessionlab.db; {VALID}"
                ));
            }
            StoreKind::Sqlite(PathBuf::from(path))
        } else if let Some(rest) = s.strip_prefix("redis://") {
            parse_redis(rest).map_err(|e| format!("bad store {s:?}: {e}; {VALID}"))?
        } else if s.starts_with("rediss://") {
            return Err(format!(
                "store {s:?}: Redis over TLS is not supported (the lab links no TLS client for \
                 Redis); keep Redis on a private network or loopback. {VALID}"
            ));
        } else {
            return Err(format!("unknown store {s:?}; {VALID}"));
        };
        Ok(Self {
            kind,
            shared_as: None,
        })
    }
}

/// `HOST:PORT[/DB]`, `HOST[/DB]` (port 6379) or `[IPV6]:PORT[/DB]`.
fn parse_redis(rest: &str) -> Result<StoreKind, String> {
    if rest.contains('@') {
        return Err(
            "a user or password in the URL is not supported (it would show in the \
                    banner); protect Redis by binding it to a private address"
                .into(),
        );
    }
    let (address, db) = match rest.split_once('/') {
        Some((address, "")) => (address, 0),
        Some((address, db)) => (
            address,
            db.parse::<u32>()
                .map_err(|_| format!("the database {db:?} is not a number"))?,
        ),
        None => (rest, 0),
    };
    let (host, port) = if let Some(v6) = address.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or("an IPv6 host needs its closing ]")?;
        match after.strip_prefix(':') {
            Some(port) => (host, port),
            None if after.is_empty() => (host, ""),
            None => return Err(format!("unexpected {after:?} after the host")),
        }
    } else {
        address.split_once(':').unwrap_or((address, ""))
    };
    if host.is_empty() {
        return Err("the URL names no host, e.g. redis://127.0.0.1:6379".into());
    }
    let port = if port.is_empty() {
        REDIS_PORT
    } else {
        port.parse::<u16>()
            .ok()
            .filter(|&port| port != 0)
            .ok_or_else(|| format!("the port {port:?} is not a port number"))?
    };
    Ok(StoreKind::Redis {
        host: host.to_string(),
        port,
        db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stores_parse_and_print_back() {
        for (given, shown) in [
            ("memory", "memory"),
            ("sqlite:/tmp/lab.db", "sqlite:/tmp/lab.db"),
            ("redis://127.0.0.1:6390", "redis://127.0.0.1:6390/0"),
            ("redis://127.0.0.1:6390/3", "redis://127.0.0.1:6390/3"),
            ("redis://localhost", "redis://localhost:6379/0"),
            ("redis://[::1]:7000/1", "redis://[::1]:7000/1"),
        ] {
            let choice: StoreChoice = given.parse().expect(given);
            assert_eq!(choice.to_string(), shown);
            let again: StoreChoice = shown.parse().expect(shown);
            assert_eq!(again, choice, "{shown} parses back to the same store");
        }
        for bad in [
            "",
            "sqlite:",
            "redis://",
            "redis://:6379",
            "redis://127.0.0.1:0",
            "redis://127.0.0.1:99999",
            "redis://127.0.0.1:6379/x",
            "redis://user:pw@127.0.0.1",
            "rediss://127.0.0.1",
            "postgres://x",
        ] {
            let error = bad.parse::<StoreChoice>().expect_err(bad);
            assert!(error.contains("redis://HOST:PORT[/DB]"), "{bad}: {error}");
        }
    }
}
