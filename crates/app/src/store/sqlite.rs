//! The SQLite backend (`--store sqlite:PATH`): one table in a SQLite file,
//! with SQLite compiled into the binary (rusqlite's `bundled` feature), so no
//! system library is needed. Sessions and logouts survive a restart: a
//! logout deletes the row before its response is sent.
//!
//! One connection behind a mutex, used off the async workers
//! (`spawn_blocking`); each backend step is one statement, or a few under
//! that one lock, so each is atomic. The per-user index is the `user` column
//! (indexed): a session's row names the user its sign-in belongs to, and
//! deleting the row forgets it. Expired rows are deleted by one statement at
//! most once per lab-minute, before a new session is stored.
//!
//! Several apps can share a file: each keeps its sessions under its own
//! namespace (`ns`), and apps started with the same one (an app and itself
//! restarted) share them.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, Error};

use super::{Found, Limits, NEVER, SessionBackend, SessionTimes};
use crate::session_index;

const SWEEP_INTERVAL: Duration = Duration::minutes(1);

#[derive(Debug)]
pub(crate) struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    ns: Arc<str>,
    last_sweep: Mutex<Option<OffsetDateTime>>,
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    CREATE TABLE IF NOT EXISTS sessions (
        ns        TEXT    NOT NULL,
        id        TEXT    NOT NULL,
        data      TEXT    NOT NULL,
        user      TEXT,
        created   INTEGER NOT NULL,
        last_used INTEGER NOT NULL,
        PRIMARY KEY (ns, id)
    );
    CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (ns, user);
    CREATE TABLE IF NOT EXISTS signing_keys (
        ns  TEXT PRIMARY KEY,
        key BLOB NOT NULL
    );
";

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(format!("sqlite: {e}"))
}

/// Nanoseconds since the epoch: the lab clock's full precision.
fn to_nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

fn from_nanos(n: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n)).unwrap_or(NEVER)
}

/// The user a record's sign-in names, if any: the per-user index.
fn user_of(record: &Record) -> Option<String> {
    session_index::signed_in_user(record)
}

fn data_of(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))
}

impl SqliteStore {
    pub(crate) async fn open(path: &Path, ns: &str) -> Result<Self, String> {
        let path = path.to_owned();
        let conn = tokio::task::spawn_blocking(move || -> rusqlite::Result<Connection> {
            let conn = Connection::open(&path)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            ns: ns.into(),
            last_sweep: Mutex::new(None),
        })
    }

    /// Runs `f` with the connection, off the async workers.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, &str) -> session_store::Result<T> + Send + 'static,
    ) -> session_store::Result<T> {
        let conn = self.conn.clone();
        let ns = self.ns.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&conn, &ns)
        })
        .await
        .map_err(backend)?
    }
}

#[async_trait]
impl SessionBackend for SqliteStore {
    async fn insert_new(
        &self,
        record: &Record,
        now: OffsetDateTime,
    ) -> session_store::Result<bool> {
        let (id, data, user, now) = (
            record.id.0.to_string(),
            data_of(record)?,
            user_of(record),
            to_nanos(now),
        );
        self.with(move |conn, ns| {
            let inserted = conn
                .execute(
                    "INSERT INTO sessions (ns, id, data, user, created, last_used)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (ns, id) DO NOTHING",
                    params![ns, id, data, user, now],
                )
                .map_err(backend)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn update(
        &self,
        record: &Record,
        only_known: bool,
        now: OffsetDateTime,
    ) -> session_store::Result<bool> {
        let (id, data, user, now) = (
            record.id.0.to_string(),
            data_of(record)?,
            user_of(record),
            to_nanos(now),
        );
        self.with(move |conn, ns| {
            // One statement each way: the check and the store are atomic.
            let changed = if only_known {
                conn.execute(
                    "UPDATE sessions SET data = ?3, user = ?4 WHERE ns = ?1 AND id = ?2",
                    params![ns, id, data, user],
                )
            } else {
                conn.execute(
                    "INSERT INTO sessions (ns, id, data, user, created, last_used)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                     ON CONFLICT (ns, id) DO UPDATE SET data = excluded.data, user = excluded.user",
                    params![ns, id, data, user, now],
                )
            }
            .map_err(backend)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn load(
        &self,
        id: &Id,
        limits: Limits,
        now: OffsetDateTime,
        touch: bool,
    ) -> session_store::Result<Found> {
        let session_id = *id;
        let (id, now_nanos) = (id.0.to_string(), to_nanos(now));
        self.with(move |conn, ns| {
            let row = conn
                .query_row(
                    "SELECT data, created, last_used FROM sessions WHERE ns = ?1 AND id = ?2",
                    params![ns, id],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, i64>(1)?,
                            row.get::<_, i64>(2)?,
                        ))
                    },
                )
                .optional()
                .map_err(backend)?;
            let Some((data, created, last_used)) = row else {
                return Ok(Found::Unknown);
            };
            let times = SessionTimes {
                created: from_nanos(created),
                last_used: from_nanos(last_used),
            };
            if times.has_expired(limits, now) {
                if touch {
                    conn.execute(
                        "DELETE FROM sessions WHERE ns = ?1 AND id = ?2",
                        params![ns, id],
                    )
                    .map_err(backend)?;
                }
                return Ok(Found::Expired);
            }
            if touch {
                conn.execute(
                    "UPDATE sessions SET last_used = ?3 WHERE ns = ?1 AND id = ?2",
                    params![ns, id, now_nanos],
                )
                .map_err(backend)?;
            }
            let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
            Ok(Found::Live(Record {
                id: session_id,
                data,
                expiry_date: NEVER,
            }))
        })
        .await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let id = id.0.to_string();
        self.with(move |conn, ns| {
            conn.execute(
                "DELETE FROM sessions WHERE ns = ?1 AND id = ?2",
                params![ns, id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn sweep_if_due(&self, limits: Limits, now: OffsetDateTime) -> session_store::Result<()> {
        {
            let mut last = self
                .last_sweep
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|last| now - last < SWEEP_INTERVAL) {
                return Ok(());
            }
            *last = Some(now);
        }
        // Expired: idle for the limit or longer, or older than the lifetime.
        let idle_before = to_nanos(now - limits.idle.limit);
        let created_before = limits
            .absolute
            .limit
            .map_or(i64::MIN, |limit| to_nanos(now - limit));
        self.with(move |conn, ns| {
            conn.execute(
                "DELETE FROM sessions WHERE ns = ?1 AND (last_used <= ?2 OR created <= ?3)",
                params![ns, idle_before, created_before],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn index_add(&self, _user: &str, _id: &Id) -> session_store::Result<()> {
        // The save that came just before wrote the row's `user` column.
        Ok(())
    }

    async fn index_ids(&self, user: &str) -> session_store::Result<Vec<Id>> {
        let user = user.to_owned();
        self.with(move |conn, ns| {
            let mut statement = conn
                .prepare_cached("SELECT id FROM sessions WHERE ns = ?1 AND user = ?2")
                .map_err(backend)?;
            let ids = statement
                .query_map(params![ns, user], |row| row.get::<_, String>(0))
                .map_err(backend)?
                .filter_map(|id| id.ok()?.parse::<i128>().ok().map(Id))
                .collect();
            Ok(ids)
        })
        .await
    }

    async fn index_forget(&self, _user: &str, _id: &Id) -> session_store::Result<()> {
        // Derived from the rows: nothing stale to drop.
        Ok(())
    }

    async fn count(&self) -> session_store::Result<usize> {
        self.with(|conn, ns| {
            conn.query_row(
                "SELECT COUNT(*) FROM sessions WHERE ns = ?1",
                params![ns],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(backend)
        })
        .await
    }

    async fn holds(&self, id: &Id) -> session_store::Result<bool> {
        let id = id.0.to_string();
        self.with(move |conn, ns| {
            conn.query_row(
                "SELECT 1 FROM sessions WHERE ns = ?1 AND id = ?2",
                params![ns, id],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(backend)
        })
        .await
    }

    async fn kept_key(&self, fresh: Vec<u8>) -> session_store::Result<Vec<u8>> {
        self.with(move |conn, ns| {
            conn.execute(
                "INSERT INTO signing_keys (ns, key) VALUES (?1, ?2) ON CONFLICT (ns) DO NOTHING",
                params![ns, fresh],
            )
            .map_err(backend)?;
            conn.query_row(
                "SELECT key FROM signing_keys WHERE ns = ?1",
                params![ns],
                |row| row.get::<_, Vec<u8>>(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn purge_namespace(&self) -> session_store::Result<()> {
        self.with(|conn, ns| {
            conn.execute("DELETE FROM sessions WHERE ns = ?1", params![ns])
                .map_err(backend)?;
            conn.execute("DELETE FROM signing_keys WHERE ns = ?1", params![ns])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
