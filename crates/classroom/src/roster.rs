//! The roster: who is in the class and how far they got. It is the only
//! state the instances of one class share, so it lives either in this
//! process (one instance) or in one Redis (several instances, `class
//! --share redis://...`).
//!
//! What it holds, per student: the seat (its code, the secret of its lab's
//! host names, and the **home**: the instance their lab runs on), the lab's generation (a reset raises it; the
//! home then builds a fresh lab on the next request), and the progress
//! (challenges solved, hints revealed), which the home writes after each
//! request to the lab. For the class: hub sign-in tokens, instructor tokens,
//! the instructor's unused codes, and what every instance must agree on
//! (profile, domain, public port).
//!
//! A lab itself (its app, alice, sessions, clock, attacker site) never
//! leaves its home; `forward.rs` sends its requests there.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use time::OffsetDateTime;

use crate::class::{MAX_STUDENTS, SignInError};

/// One challenge solved, as the roster keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SolvedRecord {
    pub challenge: String,
    /// Wall time.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What the server saw, in one sentence.
    pub summary: String,
}

/// A student's progress: what the scoreboard and the instructor's view show.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub solved: Vec<SolvedRecord>,
    /// Hint levels revealed, per challenge id.
    pub hints: BTreeMap<String, usize>,
}

impl Progress {
    pub fn is_solved(&self, challenge: &str) -> bool {
        self.solved.iter().any(|s| s.challenge == challenge)
    }
}

/// A student's seat.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seat {
    /// Signs the student in to this seat again.
    pub code: String,
    /// The instance the lab runs on (its peer address, `IP:PORT`).
    pub home: String,
    /// The secret in the lab's host names (`hosts::LabLabel`): kept here,
    /// so every instance of a shared class admits the same hosts. A reset
    /// keeps it (the student's bookmarks and saved pages keep working).
    pub host_secret: String,
}

/// A student, as the instructor's view lists them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StudentRecord {
    pub name: String,
    pub home: String,
    pub progress: Progress,
}

/// What every instance of one class must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassIdentity {
    pub profile: String,
    pub domain: String,
    pub public_port: u16,
}

/// The roster could not be reached, or refuses this instance.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("the class's Redis ({0}) failed: {1}")]
    Redis(String, String),
    #[error(
        "this Redis holds a class with {what} {theirs:?}, and this instance was started with {ours:?}: \
         every instance of one class needs the same --profile/--with/--without, --domain and --public-port \
         (or use another Redis database for another class)"
    )]
    Mismatch {
        what: &'static str,
        theirs: String,
        ours: String,
    },
}

/// The roster of one class.
pub enum Roster {
    /// One instance: the tables in this process.
    Local(Box<Mutex<Tables>>),
    /// Several instances: the tables in one Redis database.
    Shared(RedisRoster),
}

/// The roster's tables, as one instance keeps them.
#[derive(Debug, Default)]
pub struct Tables {
    seats: HashMap<String, Seat>,
    generations: HashMap<String, u64>,
    progress: HashMap<String, Progress>,
    tokens: HashMap<String, String>,
    instructor_tokens: HashSet<String>,
    pending_codes: HashSet<String>,
}

impl Roster {
    pub fn local() -> Self {
        Self::Local(Box::default())
    }

    /// Connects to the class's Redis (`redis://HOST:PORT/DB`) and joins the
    /// class there, or starts it: the first instance records `identity`, and
    /// every later one must match it.
    pub async fn shared(url: &str, identity: &ClassIdentity) -> Result<Self, RosterError> {
        let roster = RedisRoster::open(url).await?;
        roster.join(identity).await?;
        Ok(Self::Shared(roster))
    }

    fn tables<T>(tables: &Mutex<Tables>, f: impl FnOnce(&mut Tables) -> T) -> T {
        f(&mut tables.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds a seat for `name` at `home`: refused when the name is taken or the class is full.
    pub async fn add_seat(&self, name: &str, seat: Seat) -> Result<(), SignInError> {
        match self {
            Self::Local(t) => Self::tables(t, |t| {
                if t.seats.contains_key(name) {
                    return Err(SignInError::Taken(name.to_owned()));
                }
                if t.seats.len() >= MAX_STUDENTS {
                    return Err(SignInError::Full(MAX_STUDENTS));
                }
                t.seats.insert(name.to_owned(), seat);
                Ok(())
            }),
            Self::Shared(r) => r.add_seat(name, &seat).await,
        }
    }

    pub async fn seat(&self, name: &str) -> Result<Option<Seat>, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| t.seats.get(name).cloned())),
            Self::Shared(r) => r.seat(name).await,
        }
    }

    /// The student whose seat has `code`.
    pub async fn seat_with_code(&self, code: &str) -> Result<Option<String>, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| {
                t.seats
                    .iter()
                    .find(|(_, seat)| seat.code == code)
                    .map(|(name, _)| name.clone())
            })),
            Self::Shared(r) => r.hget("codes", code).await,
        }
    }

    /// Moves `name`'s lab from `from` (an instance that no longer answers)
    /// to `to`, unless another instance moved it first. The home now.
    pub async fn move_home(&self, name: &str, from: &str, to: &str) -> Result<String, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| match t.seats.get_mut(name) {
                Some(seat) if seat.home == from => {
                    seat.home = to.to_owned();
                    to.to_owned()
                }
                Some(seat) => seat.home.clone(),
                None => to.to_owned(),
            })),
            Self::Shared(r) => r.move_home(name, from, to).await,
        }
    }

    /// The generation of `name`'s lab: a reset raises it.
    pub async fn generation(&self, name: &str) -> Result<u64, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| {
                t.generations.get(name).copied().unwrap_or(0)
            })),
            Self::Shared(r) => Ok(r
                .hget("generations", name)
                .await?
                .and_then(|g| g.parse().ok())
                .unwrap_or(0)),
        }
    }

    /// A fresh lab for `name` (on its home's next request) and no progress.
    pub async fn reset(&self, name: &str) -> Result<bool, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| {
                if !t.seats.contains_key(name) {
                    return false;
                }
                *t.generations.entry(name.to_owned()).or_default() += 1;
                t.progress.remove(name);
                true
            })),
            Self::Shared(r) => r.reset(name).await,
        }
    }

    pub async fn progress(&self, name: &str) -> Result<Progress, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| {
                t.progress.get(name).cloned().unwrap_or_default()
            })),
            Self::Shared(r) => Ok(r
                .hget("progress", name)
                .await?
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default()),
        }
    }

    /// Records `name`'s progress, made by the lab of `generation` (dropped
    /// when a reset has started a newer one since).
    pub async fn write_progress(
        &self,
        name: &str,
        generation: u64,
        progress: &Progress,
    ) -> Result<(), RosterError> {
        match self {
            Self::Local(t) => {
                Self::tables(t, |t| {
                    if t.generations.get(name).copied().unwrap_or(0) == generation {
                        t.progress.insert(name.to_owned(), progress.clone());
                    }
                });
                Ok(())
            }
            Self::Shared(r) => r.write_progress(name, generation, progress).await,
        }
    }

    /// Every student, by name.
    pub async fn students(&self) -> Result<Vec<StudentRecord>, RosterError> {
        let mut students = match self {
            Self::Local(t) => Self::tables(t, |t| {
                t.seats
                    .iter()
                    .map(|(name, seat)| StudentRecord {
                        name: name.clone(),
                        home: seat.home.clone(),
                        progress: t.progress.get(name).cloned().unwrap_or_default(),
                    })
                    .collect()
            }),
            Self::Shared(r) => r.students().await?,
        };
        students.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(students)
    }

    /// Binds a hub sign-in token to `name`.
    pub async fn bind_token(&self, token: &str, name: &str) -> Result<(), RosterError> {
        match self {
            Self::Local(t) => {
                Self::tables(t, |t| t.tokens.insert(token.to_owned(), name.to_owned()));
                Ok(())
            }
            Self::Shared(r) => r.hset("tokens", token, name).await,
        }
    }

    /// The student a hub cookie names.
    pub async fn student_of(&self, token: &str) -> Result<Option<String>, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| t.tokens.get(token).cloned())),
            Self::Shared(r) => r.hget("tokens", token).await,
        }
    }

    pub async fn add_instructor_token(&self, token: &str) -> Result<(), RosterError> {
        match self {
            Self::Local(t) => {
                Self::tables(t, |t| t.instructor_tokens.insert(token.to_owned()));
                Ok(())
            }
            Self::Shared(r) => r.sadd("instructor-tokens", token).await,
        }
    }

    pub async fn is_instructor_token(&self, token: &str) -> Result<bool, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| t.instructor_tokens.contains(token))),
            Self::Shared(r) => r.sismember("instructor-tokens", token).await,
        }
    }

    pub async fn add_pending_codes(&self, codes: &[String]) -> Result<(), RosterError> {
        match self {
            Self::Local(t) => {
                Self::tables(t, |t| t.pending_codes.extend(codes.iter().cloned()));
                Ok(())
            }
            Self::Shared(r) => {
                for code in codes {
                    r.sadd("pending-codes", code).await?;
                }
                Ok(())
            }
        }
    }

    /// Uses up an issued code: true if it was issued and not used yet.
    pub async fn take_pending_code(&self, code: &str) -> Result<bool, RosterError> {
        match self {
            Self::Local(t) => Ok(Self::tables(t, |t| t.pending_codes.remove(code))),
            Self::Shared(r) => r.srem("pending-codes", code).await,
        }
    }

    /// The issued codes not used yet, sorted.
    pub async fn pending_codes(&self) -> Result<Vec<String>, RosterError> {
        let mut codes: Vec<String> = match self {
            Self::Local(t) => Self::tables(t, |t| t.pending_codes.iter().cloned().collect()),
            Self::Shared(r) => r.smembers("pending-codes").await?,
        };
        codes.sort();
        Ok(codes)
    }
}

/// The roster in Redis, under `sessionlab:class:`. One database is one class.
pub struct RedisRoster {
    url: String,
    conn: ConnectionManager,
}

const PREFIX: &str = "sessionlab:class:";

/// Adds a seat and its code, unless the name is taken or the class is full (atomic).
const ADD_SEAT: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'taken' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 'full' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
return 'ok'";

/// Moves a seat's home, only if it is still where the caller saw it.
const MOVE_HOME: &str = r"
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return ARGV[3] end
local seat = cjson.decode(json)
if seat.home == ARGV[2] then
  seat.home = ARGV[3]
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(seat))
end
return seat.home";

/// Writes progress only for the current generation of the lab.
const WRITE_PROGRESS: &str = r"
if (redis.call('HGET', KEYS[1], ARGV[1]) or '0') == ARGV[2] then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
return 1";

/// A reset: a new generation, no progress.
const RESET: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HDEL', KEYS[3], ARGV[1])
return 1";

/// Records the class's identity if it has none; the identity it has.
const JOIN: &str = r"
redis.call('HSETNX', KEYS[1], 'profile', ARGV[1])
redis.call('HSETNX', KEYS[1], 'domain', ARGV[2])
redis.call('HSETNX', KEYS[1], 'public-port', ARGV[3])
return redis.call('HMGET', KEYS[1], 'profile', 'domain', 'public-port')";

impl RedisRoster {
    async fn open(url: &str) -> Result<Self, RosterError> {
        let failed = |e: redis::RedisError| RosterError::Redis(url.to_owned(), e.to_string());
        let client = redis::Client::open(url).map_err(failed)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(std::time::Duration::from_millis(500)))
            .set_response_timeout(Some(std::time::Duration::from_secs(2)))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(failed)?;
        Ok(Self {
            url: url.to_owned(),
            conn,
        })
    }

    fn failed(&self, e: redis::RedisError) -> RosterError {
        RosterError::Redis(self.url.clone(), e.to_string())
    }

    fn key(table: &str) -> String {
        format!("{PREFIX}{table}")
    }

    async fn join(&self, ours: &ClassIdentity) -> Result<(), RosterError> {
        let theirs: Vec<String> = redis::Script::new(JOIN)
            .key(Self::key("identity"))
            .arg(&ours.profile)
            .arg(&ours.domain)
            .arg(ours.public_port)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| self.failed(e))?;
        let ours_fields = [
            ("profile", ours.profile.clone()),
            ("domain", ours.domain.clone()),
            ("public port", ours.public_port.to_string()),
        ];
        for ((what, ours), theirs) in ours_fields.into_iter().zip(theirs) {
            if ours != theirs {
                return Err(RosterError::Mismatch { what, theirs, ours });
            }
        }
        Ok(())
    }

    async fn add_seat(&self, name: &str, seat: &Seat) -> Result<(), SignInError> {
        let json = serde_json::to_string(seat).expect("a seat serializes");
        let outcome: String = redis::Script::new(ADD_SEAT)
            .key(Self::key("seats"))
            .key(Self::key("codes"))
            .arg(name)
            .arg(json)
            .arg(&seat.code)
            .arg(MAX_STUDENTS)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| SignInError::Roster(self.failed(e).to_string()))?;
        match outcome.as_str() {
            "ok" => Ok(()),
            "full" => Err(SignInError::Full(MAX_STUDENTS)),
            _ => Err(SignInError::Taken(name.to_owned())),
        }
    }

    async fn seat(&self, name: &str) -> Result<Option<Seat>, RosterError> {
        Ok(self
            .hget("seats", name)
            .await?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    async fn move_home(&self, name: &str, from: &str, to: &str) -> Result<String, RosterError> {
        redis::Script::new(MOVE_HOME)
            .key(Self::key("seats"))
            .arg(name)
            .arg(from)
            .arg(to)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| self.failed(e))
    }

    async fn reset(&self, name: &str) -> Result<bool, RosterError> {
        let done: i64 = redis::Script::new(RESET)
            .key(Self::key("seats"))
            .key(Self::key("generations"))
            .key(Self::key("progress"))
            .arg(name)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| self.failed(e))?;
        Ok(done == 1)
    }

    async fn write_progress(
        &self,
        name: &str,
        generation: u64,
        progress: &Progress,
    ) -> Result<(), RosterError> {
        let json = serde_json::to_string(progress).expect("progress serializes");
        let _: i64 = redis::Script::new(WRITE_PROGRESS)
            .key(Self::key("generations"))
            .key(Self::key("progress"))
            .arg(name)
            .arg(generation)
            .arg(json)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| self.failed(e))?;
        Ok(())
    }

    async fn students(&self) -> Result<Vec<StudentRecord>, RosterError> {
        let mut conn = self.conn.clone();
        let seats: HashMap<String, String> = conn
            .hgetall(Self::key("seats"))
            .await
            .map_err(|e| self.failed(e))?;
        let progress: HashMap<String, String> = conn
            .hgetall(Self::key("progress"))
            .await
            .map_err(|e| self.failed(e))?;
        Ok(seats
            .into_iter()
            .filter_map(|(name, json)| {
                let seat: Seat = serde_json::from_str(&json).ok()?;
                let progress = progress
                    .get(&name)
                    .and_then(|json| serde_json::from_str(json).ok())
                    .unwrap_or_default();
                Some(StudentRecord {
                    name,
                    home: seat.home,
                    progress,
                })
            })
            .collect())
    }

    async fn hget(&self, table: &str, field: &str) -> Result<Option<String>, RosterError> {
        self.conn
            .clone()
            .hget(Self::key(table), field)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn hset(&self, table: &str, field: &str, value: &str) -> Result<(), RosterError> {
        self.conn
            .clone()
            .hset(Self::key(table), field, value)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn sadd(&self, table: &str, member: &str) -> Result<(), RosterError> {
        self.conn
            .clone()
            .sadd(Self::key(table), member)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn srem(&self, table: &str, member: &str) -> Result<bool, RosterError> {
        let removed: i64 = self
            .conn
            .clone()
            .srem(Self::key(table), member)
            .await
            .map_err(|e| self.failed(e))?;
        Ok(removed == 1)
    }

    async fn sismember(&self, table: &str, member: &str) -> Result<bool, RosterError> {
        self.conn
            .clone()
            .sismember(Self::key(table), member)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn smembers(&self, table: &str) -> Result<Vec<String>, RosterError> {
        self.conn
            .clone()
            .smembers(Self::key(table))
            .await
            .map_err(|e| self.failed(e))
    }
}
