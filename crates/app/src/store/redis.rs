//! The Redis backend (`--store redis://HOST:PORT[/DB]`): sessions in a
//! `redis-server` that several app instances share, so a login on one
//! instance works on the others and a logout on one ends the session on all.
//!
//! **Which crate, and why.** The official `tower-sessions-redis-store` 0.16 is
//! built on tower-sessions-core 0.14, which does not fit the app's
//! tower-sessions 0.15, and it would check expiry against real time, not the
//! lab clock. So this backend sits behind the lab's own [`SessionBackend`]
//! trait and uses the `redis` crate (redis-rs) directly: its Tokio
//! `ConnectionManager` (one multiplexed connection, reconnected by itself
//! after an outage) and its `Script` type (EVALSHA, loaded again when a
//! restarted server has forgotten it). No TLS features, so no OpenSSL.
//!
//! **Every step is one Lua script**, so Redis runs it atomically: no other
//! client's command runs between its check and its write. That is what keeps
//! the lab's rules across instances: an insert never takes an ID another
//! instance holds, a late save never brings back a session another instance
//! ended (`only_known`), a load that finds a session expired deletes it and
//! forgets it in the per-user index in the same step.
//!
//! **Keys**, all under `sessionlab:{NAMESPACE}:` (the braces keep one
//! namespace in one Redis Cluster slot):
//!
//! | key | type | what |
//! |---|---|---|
//! | `s:ID` | hash | `data` (the record as JSON), `user` (whose sign-in, or empty), `created`, `last_used` (lab time, µs) |
//! | `by-last-used`, `by-created` | sorted sets | every ID, scored by its two times: what the sweep reads |
//! | `anonymous` | sorted set | the IDs of sessions without a sign-in, by when they became so: what the cap evicts first |
//! | `user:NAME` | set | the per-user index behind "log out everywhere" and password-change revocation |
//! | `counter` | string | the next counter ID when `random-ids` is off, shared by every instance |
//! | `key` | string | the signing key a profile makes for itself, kept so cookies verify after a restart |
//!
//! Times are microseconds of lab time: exact in Lua's doubles, and the
//! timeouts the lab teaches are minutes and hours. Redis's own key expiry is
//! not used: it runs on real time, and the lab clock moves ahead of it.
//!
//! **A cap on stored sessions** (`serve --max-sessions`, per namespace), as
//! the memory store has (`store/memory.rs`): past it, an insert evicts
//! anonymous sessions first, oldest first; a signed-in session is never
//! evicted for an anonymous one (the anonymous newcomer is then not kept);
//! a new sign-in in a store full of sign-ins evicts the one least recently
//! used. Without it a script asking `GET /login` in a loop would fill Redis
//! to its `maxmemory`, and every visitor would get the 503. CWE-770
//!
//! **Fail closed.** Each command has a response timeout, and a connection
//! that dropped is retried only briefly before the request is answered with
//! an error, which `fail_closed.rs` turns into a 503 naming the store. The
//! connection manager reconnects in the background; the next request after
//! the server is back works again.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration as StdDuration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{AsyncCommands, Script};
use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, Error};

use super::{Found, Limits, NEVER, SessionBackend};
use crate::session_index;

const SWEEP_INTERVAL: Duration = Duration::minutes(1);
/// IDs one sweep script deletes at most, so no single script blocks Redis for long.
const SWEEP_BATCH: usize = 500;

/// Prepended to every script that stores or deletes: `purge` deletes a
/// session and every trace of it (sorted sets, its user's index); `cap`
/// brings the namespace back within `max` after `newcomer` was stored.
/// `prefix` is the namespace's key prefix.
const PRELUDE: &str = r"
local function purge(prefix, id)
  local key = prefix .. 's:' .. id
  local user = redis.call('HGET', key, 'user')
  redis.call('DEL', key)
  redis.call('ZREM', prefix .. 'by-last-used', id)
  redis.call('ZREM', prefix .. 'by-created', id)
  redis.call('ZREM', prefix .. 'anonymous', id)
  if user and user ~= '' then redis.call('SREM', prefix .. 'user:' .. user, id) end
end
local function cap(prefix, newcomer, signed_in, max)
  while redis.call('ZCARD', prefix .. 'by-created') > max do
    local oldest = redis.call('ZRANGE', prefix .. 'anonymous', 0, 0)[1]
    if oldest then
      purge(prefix, oldest)
    elseif not signed_in then
      purge(prefix, newcomer)
      return
    else
      local lru = redis.call('ZRANGE', prefix .. 'by-last-used', 0, 1)
      local victim = lru[1]
      if victim == newcomer then victim = lru[2] end
      if not victim then return end
      purge(prefix, victim)
    end
  end
end
";

/// `KEYS[1]` the session hash, `KEYS[2]` by-last-used, `KEYS[3]` by-created;
/// `ARGV`: id, data, user (or ""), now, key prefix, cap. Returns 1 if
/// stored (the cap may have evicted it again), 0 if the ID was taken.
const INSERT_NEW: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'user', ARGV[3], 'created', ARGV[4], 'last_used', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
if ARGV[3] ~= '' then
  redis.call('SADD', ARGV[5] .. 'user:' .. ARGV[3], ARGV[1])
else
  redis.call('ZADD', ARGV[5] .. 'anonymous', ARGV[4], ARGV[1])
end
cap(ARGV[5], ARGV[1], ARGV[3] ~= '', tonumber(ARGV[6]))
return 1
";

/// As [`INSERT_NEW`], plus `ARGV[7]`: "1" for `only_known`. The existence
/// check and the write are one script: a late save cannot revive a session.
const UPDATE: &str = r"
local known = redis.call('EXISTS', KEYS[1]) == 1
local old = ''
if not known then
  if ARGV[7] == '1' then return 0 end
  redis.call('HSET', KEYS[1], 'created', ARGV[4], 'last_used', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
else
  old = redis.call('HGET', KEYS[1], 'user') or ''
  if old ~= '' and old ~= ARGV[3] then
    redis.call('SREM', ARGV[5] .. 'user:' .. old, ARGV[1])
  end
end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'user', ARGV[3])
if ARGV[3] ~= '' then
  redis.call('SADD', ARGV[5] .. 'user:' .. ARGV[3], ARGV[1])
  redis.call('ZREM', ARGV[5] .. 'anonymous', ARGV[1])
elseif not known or old ~= '' then
  redis.call('ZADD', ARGV[5] .. 'anonymous', ARGV[4], ARGV[1])
end
if not known then cap(ARGV[5], ARGV[1], ARGV[3] ~= '', tonumber(ARGV[6])) end
return 1
";

/// `ARGV`: id, now, idle limit, absolute limit (-1: none), touch ("1"), key prefix.
/// Returns {0, ''} unknown, {1, ''} expired (deleted if touched), {2, data} live.
const LOAD: &str = r"
local h = redis.call('HMGET', KEYS[1], 'data', 'created', 'last_used', 'user')
if not h[1] then return {0, ''} end
local now = tonumber(ARGV[2])
local expired = now - tonumber(h[3]) >= tonumber(ARGV[3])
local absolute = tonumber(ARGV[4])
if absolute >= 0 and now - tonumber(h[2]) >= absolute then expired = true end
if expired then
  if ARGV[5] == '1' then purge(ARGV[6], ARGV[1]) end
  return {1, ''}
end
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], 'last_used', ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
end
return {2, h[1]}
";

/// `ARGV`: id, key prefix. Deletes the session and forgets it in its user's index.
const DELETE: &str = r"
purge(ARGV[2], ARGV[1])
return 1
";

/// `KEYS[1]` by-last-used, `KEYS[2]` by-created; `ARGV`: last-used cutoff,
/// created cutoff ('-inf': no absolute limit), key prefix, batch size.
/// Deletes up to a batch of expired sessions from each set; returns how many.
const SWEEP: &str = r"
local removed = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[4])) do
  purge(ARGV[3], id)
  removed = removed + 1
end
if ARGV[2] ~= '-inf' then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, ARGV[4])) do
    purge(ARGV[3], id)
    removed = removed + 1
  end
end
return removed
";

/// `KEYS[1]` the counter; `ARGV[1]` the number before the first. One INCR
/// for every instance on the store: never the same number twice.
const NEXT_COUNTER: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
";

/// `KEYS[1]` the key's key; `ARGV[1]` a fresh key, kept only if none is.
const KEPT_KEY: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
";

/// The scripts, hashed once (EVALSHA; loaded again after a server restart).
struct Scripts {
    insert_new: Script,
    update: Script,
    load: Script,
    delete: Script,
    sweep: Script,
    next_counter: Script,
    kept_key: Script,
}

impl Scripts {
    fn new() -> Self {
        let with_prelude = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Self {
            insert_new: with_prelude(INSERT_NEW),
            update: with_prelude(UPDATE),
            load: with_prelude(LOAD),
            delete: with_prelude(DELETE),
            sweep: with_prelude(SWEEP),
            next_counter: Script::new(NEXT_COUNTER),
            kept_key: Script::new(KEPT_KEY),
        }
    }
}

pub(crate) struct RedisStore {
    conn: ConnectionManager,
    /// `sessionlab:{NAMESPACE}:`
    prefix: String,
    scripts: Scripts,
    last_sweep: Mutex<Option<OffsetDateTime>>,
    /// Sessions the namespace keeps at most (see the module docs).
    max_sessions: usize,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn backend(e: impl fmt::Display) -> Error {
    Error::Backend(format!("redis: {e}"))
}

/// Lab time in microseconds since the epoch.
fn to_micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.whole_microseconds()).unwrap_or(i64::MAX)
}

fn data_of(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))
}

impl RedisStore {
    /// Connects to `url` (`redis://HOST:PORT/DB`); an error if the server
    /// cannot be reached now.
    pub(crate) async fn open(
        url: &str,
        namespace: &str,
        max_sessions: usize,
    ) -> Result<Self, String> {
        let client = ::redis::Client::open(url).map_err(|e| e.to_string())?;
        // Short waits: a request facing a dead store should get its 503 in
        // about a second, not after redis-rs's default minute of retries.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(StdDuration::from_millis(500)))
            .set_response_timeout(Some(StdDuration::from_secs(2)))
            .set_number_of_retries(2)
            .set_min_delay(StdDuration::from_millis(50))
            .set_max_delay(StdDuration::from_millis(200));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        Ok(Self {
            conn,
            prefix: format!("sessionlab:{{{namespace}}}:"),
            scripts: Scripts::new(),
            last_sweep: Mutex::new(None),
            max_sessions: max_sessions.max(1),
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn session_key(&self, id: &Id) -> String {
        format!("{}s:{}", self.prefix, id.0)
    }

    /// The three keys every session script names.
    fn session_keys(&self, id: &Id) -> [String; 3] {
        [
            self.session_key(id),
            self.key("by-last-used"),
            self.key("by-created"),
        ]
    }

    /// Runs `script` with the session keys of `id` and `args`.
    async fn run<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        id: &Id,
        args: &[String],
    ) -> session_store::Result<T> {
        let mut invocation = script.prepare_invoke();
        for key in self.session_keys(id) {
            invocation.key(key);
        }
        for arg in args {
            invocation.arg(arg);
        }
        invocation
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(backend)
    }

    /// The arguments of [`INSERT_NEW`] and [`UPDATE`].
    fn record_args(
        &self,
        record: &Record,
        now: OffsetDateTime,
    ) -> session_store::Result<Vec<String>> {
        Ok(vec![
            record.id.0.to_string(),
            data_of(record)?,
            session_index::signed_in_user(record).unwrap_or_default(),
            to_micros(now).to_string(),
            self.prefix.clone(),
            self.max_sessions.to_string(),
        ])
    }
}

#[async_trait]
impl SessionBackend for RedisStore {
    async fn insert_new(
        &self,
        record: &Record,
        now: OffsetDateTime,
    ) -> session_store::Result<bool> {
        let args = self.record_args(record, now)?;
        let stored: i64 = self
            .run(&self.scripts.insert_new, &record.id, &args)
            .await?;
        Ok(stored == 1)
    }

    async fn update(
        &self,
        record: &Record,
        only_known: bool,
        now: OffsetDateTime,
    ) -> session_store::Result<bool> {
        let mut args = self.record_args(record, now)?;
        args.push(if only_known { "1" } else { "0" }.into());
        let stored: i64 = self.run(&self.scripts.update, &record.id, &args).await?;
        Ok(stored == 1)
    }

    async fn load(
        &self,
        id: &Id,
        limits: Limits,
        now: OffsetDateTime,
        touch: bool,
    ) -> session_store::Result<Found> {
        let args = [
            id.0.to_string(),
            to_micros(now).to_string(),
            micros(limits.idle.limit).to_string(),
            limits.absolute.limit.map_or(-1, micros).to_string(),
            if touch { "1" } else { "0" }.to_string(),
            self.prefix.clone(),
        ];
        let (state, data): (i64, String) = self.run(&self.scripts.load, id, &args).await?;
        Ok(match state {
            2 => Found::Live(Record {
                id: *id,
                data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
                expiry_date: NEVER,
            }),
            1 => Found::Expired,
            _ => Found::Unknown,
        })
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let args = [id.0.to_string(), self.prefix.clone()];
        let _: i64 = self.run(&self.scripts.delete, id, &args).await?;
        Ok(())
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
        let idle_cutoff = to_micros(now - limits.idle.limit).to_string();
        let created_cutoff = limits.absolute.limit.map_or("-inf".to_string(), |limit| {
            to_micros(now - limit).to_string()
        });
        loop {
            let removed: usize = self
                .scripts
                .sweep
                .key(self.key("by-last-used"))
                .key(self.key("by-created"))
                .arg(&idle_cutoff)
                .arg(&created_cutoff)
                .arg(&self.prefix)
                .arg(SWEEP_BATCH)
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(backend)?;
            if removed < SWEEP_BATCH {
                return Ok(());
            }
        }
    }

    async fn index_add(&self, user: &str, id: &Id) -> session_store::Result<()> {
        let _: i64 = self
            .conn
            .clone()
            .sadd(self.key(&format!("user:{user}")), id.0.to_string())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn index_ids(&self, user: &str) -> session_store::Result<Vec<Id>> {
        let ids: Vec<String> = self
            .conn
            .clone()
            .smembers(self.key(&format!("user:{user}")))
            .await
            .map_err(backend)?;
        Ok(ids
            .iter()
            .filter_map(|id| id.parse::<i128>().ok().map(Id))
            .collect())
    }

    async fn index_forget(&self, user: &str, id: &Id) -> session_store::Result<()> {
        let _: i64 = self
            .conn
            .clone()
            .srem(self.key(&format!("user:{user}")), id.0.to_string())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn count(&self) -> session_store::Result<usize> {
        self.conn
            .clone()
            .zcard(self.key("by-created"))
            .await
            .map_err(backend)
    }

    async fn holds(&self, id: &Id) -> session_store::Result<bool> {
        self.conn
            .clone()
            .exists(self.session_key(id))
            .await
            .map_err(backend)
    }

    async fn next_counter_id(&self, first: i128) -> session_store::Result<Option<i128>> {
        let next: i64 = self
            .scripts
            .next_counter
            .key(self.key("counter"))
            .arg((first - 1).to_string())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(backend)?;
        Ok(Some(i128::from(next)))
    }

    async fn kept_key(&self, fresh: Vec<u8>) -> session_store::Result<Vec<u8>> {
        self.scripts
            .kept_key
            .key(self.key("key"))
            .arg(fresh)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(backend)
    }

    async fn purge_namespace(&self) -> session_store::Result<()> {
        let pattern = format!("{}*", glob_escape(&self.prefix));
        let mut conn = self.conn.clone();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            if !keys.is_empty() {
                let _: i64 = ::redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async(&mut conn)
                    .await
                    .map_err(backend)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

/// `text` with the characters SCAN's MATCH pattern treats specially escaped.
fn glob_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}
