//! The store backends through the app: SQLite sessions and logouts surviving
//! a restart, two instances sharing one Redis, and failing closed when the
//! store cannot be reached (a switch on a memory backend; a real
//! `redis-server` killed and started again).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use axum::Router;
use axum::http::StatusCode;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, Error};

use super::{Visitor, builtin, private_note};
use crate::app::{AppInfo, Joined, build_app};
use crate::bounds::Limits;
use crate::redis_server;
use crate::store::memory::MemoryStore;
use crate::store::{Found, LabStore, SessionBackend, StoreChoice, StoreKind};
use crate::{LabClock, ProfileName};

/// A fresh file name in the temp dir (removed by the caller).
fn temp_db(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "sessionlab-{name}-{}-{:x}.db",
        std::process::id(),
        rand::random::<u64>()
    ))
}

/// The hardened app over `store`, as `server::start` builds it.
async fn app_over(store: LabStore, clock: LabClock) -> (Router, AppInfo) {
    let key = store.kept_signing_key().await.expect("key");
    build_app(
        &builtin(ProfileName::Hardened),
        None,
        None,
        Limits::default(),
        store,
        clock,
        Joined {
            key: Some(key),
            ..Joined::default()
        },
    )
}

/// The hardened app over the SQLite file `path`, namespace shared as `serve` does.
async fn sqlite_app(path: &Path) -> (Router, AppInfo) {
    let clock = LabClock::new();
    let choice = StoreChoice {
        kind: StoreKind::Sqlite(path.to_owned()),
        shared_as: Some("hardened".into()),
    };
    let profile = builtin(ProfileName::Hardened);
    let store = LabStore::open(&profile, clock.clone(), 1000, &choice)
        .await
        .expect("open");
    app_over(store, clock).await
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn a_sqlite_session_survives_a_restart_and_the_store_is_named() {
    let path = temp_db("restart");
    let (router, info) = sqlite_app(&path).await;
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let before = alice.get("/account").await;
    assert_eq!(before.status, StatusCode::OK);
    let known = format!("sqlite:{}", path.display());
    assert!(before.body.contains(&known), "the banner names the store");
    let lab = alice.get("/.well-known/sessionlab").await;
    assert!(
        lab.body.contains(&format!("\"store\":\"{known}\"")),
        "{}",
        lab.body
    );
    drop((router, info));

    // The app restarts on the same file; the browser keeps its cookie.
    let (router, info) = sqlite_app(&path).await;
    let mut same_browser = Visitor::new(&router, &info);
    same_browser.cookie = alice.cookie.clone();
    let after = same_browser.get("/account").await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "the cookie still opens the account"
    );
    assert!(private_note(&after.body).is_some());
    remove_db(&path);
}

#[tokio::test]
async fn a_sqlite_logout_survives_a_restart() {
    let path = temp_db("logout");
    let (router, info) = sqlite_app(&path).await;
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let copied = alice.cookie.clone();
    let logout = alice.post("/logout", "").await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
    drop((router, info));

    let (router, info) = sqlite_app(&path).await;
    let mut thief = Visitor::new(&router, &info);
    thief.cookie = copied;
    let replay = thief.get("/account").await;
    assert_ne!(
        replay.status,
        StatusCode::OK,
        "the copied cookie is refused"
    );
    assert!(private_note(&replay.body).is_none());
    remove_db(&path);
}

/// The memory backend, with a switch that makes every call fail as an
/// unreachable store does.
#[derive(Debug)]
struct Flaky {
    inner: MemoryStore,
    down: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> session_store::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::Backend("connection refused".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SessionBackend for Flaky {
    async fn insert_new(&self, r: &Record, now: OffsetDateTime) -> session_store::Result<bool> {
        self.check()?;
        self.inner.insert_new(r, now).await
    }
    async fn update(
        &self,
        r: &Record,
        only_known: bool,
        now: OffsetDateTime,
    ) -> session_store::Result<bool> {
        self.check()?;
        self.inner.update(r, only_known, now).await
    }
    async fn load(
        &self,
        id: &Id,
        limits: crate::store::Limits,
        now: OffsetDateTime,
        touch: bool,
    ) -> session_store::Result<Found> {
        self.check()?;
        self.inner.load(id, limits, now, touch).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.check()?;
        self.inner.delete(id).await
    }
    async fn sweep_if_due(
        &self,
        limits: crate::store::Limits,
        now: OffsetDateTime,
    ) -> session_store::Result<()> {
        self.check()?;
        self.inner.sweep_if_due(limits, now).await
    }
    async fn index_add(&self, user: &str, id: &Id) -> session_store::Result<()> {
        self.check()?;
        self.inner.index_add(user, id).await
    }
    async fn index_ids(&self, user: &str) -> session_store::Result<Vec<Id>> {
        self.check()?;
        self.inner.index_ids(user).await
    }
    async fn index_forget(&self, user: &str, id: &Id) -> session_store::Result<()> {
        self.check()?;
        self.inner.index_forget(user, id).await
    }
    async fn count(&self) -> session_store::Result<usize> {
        self.inner.count().await
    }
    async fn holds(&self, id: &Id) -> session_store::Result<bool> {
        self.inner.holds(id).await
    }
    async fn kept_key(&self, fresh: Vec<u8>) -> session_store::Result<Vec<u8>> {
        self.inner.kept_key(fresh).await
    }
    async fn purge_namespace(&self) -> session_store::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_unreachable_store_gets_503s_naming_it_and_the_app_recovers() {
    let clock = LabClock::new();
    let down = Arc::new(AtomicBool::new(false));
    let backend = Flaky {
        inner: MemoryStore::new(clock.clone(), 1000),
        down: down.clone(),
    };
    let profile = builtin(ProfileName::Hardened);
    let store = LabStore::over(
        &profile,
        clock.clone(),
        Arc::new(backend),
        "flaky://test".into(),
        false,
    );
    let (router, info) = app_over(store, clock).await;
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let cookie = alice.cookie.clone();

    down.store(true, Ordering::SeqCst);
    for (method, path) in [
        ("GET", "/account"),
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/logout"),
    ] {
        let reply = alice.request(method, path, Some("")).await;
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}"
        );
        assert!(
            reply.body.contains("flaky://test"),
            "the page names the store"
        );
        assert!(
            reply.header("set-cookie").is_none(),
            "no session is started or ended"
        );
    }
    let mut stranger = Visitor::new(&router, &info);
    let anonymous = stranger.get("/login").await;
    assert_eq!(
        anonymous.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "never an anonymous page"
    );

    // The store is back: the same cookie works again, nothing was lost.
    down.store(false, Ordering::SeqCst);
    alice.cookie = cookie.clone();
    let back = alice.get("/account").await;
    assert_eq!(back.status, StatusCode::OK);
    assert!(private_note(&back.body).is_some());

    // A logout answered while the store is up is never undone by an outage.
    let logout = alice.post("/logout", "").await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    down.store(true, Ordering::SeqCst);
    let mut thief = Visitor::new(&router, &info);
    thief.cookie = cookie;
    assert_eq!(
        thief.get("/account").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    down.store(false, Ordering::SeqCst);
    let replay = thief.get("/account").await;
    assert_ne!(
        replay.status,
        StatusCode::OK,
        "the ended session stays ended"
    );
    assert!(private_note(&replay.body).is_none());
}

/// The hardened app over the Redis server at `url`, in the shared namespace
/// `serve` would use: several of these are several instances of one app.
async fn redis_app(url: &str) -> (Router, AppInfo) {
    let clock = LabClock::new();
    let choice: StoreChoice = url.parse().expect("url");
    let choice = choice.shared_as("hardened");
    let store = LabStore::open(
        &builtin(ProfileName::Hardened),
        clock.clone(),
        1000,
        &choice,
    )
    .await
    .expect("open");
    app_over(store, clock).await
}

#[tokio::test]
async fn two_instances_on_one_redis_share_logins_and_logouts() {
    let Some(redis) =
        redis_server::start_or_skip("two_instances_on_one_redis_share_logins_and_logouts")
    else {
        return;
    };
    let (router_a, info_a) = redis_app(&redis.url()).await;
    let (router_b, info_b) = redis_app(&redis.url()).await;
    let mut alice = Visitor::new(&router_a, &info_a);
    alice.log_in_as_alice().await;
    let on_a = alice.get("/account").await;
    assert!(
        on_a.body.contains(&redis.url()),
        "the banner names the store"
    );

    // Her next request reaches instance B (a load balancer's choice).
    let mut on_b = Visitor::new(&router_b, &info_b);
    on_b.cookie = alice.cookie.clone();
    on_b.csrf_token = alice.csrf_token.clone();
    let account = on_b.get("/account").await;
    assert_eq!(account.status, StatusCode::OK, "a login on A works on B");
    assert!(private_note(&account.body).is_some());

    // She logs out on A; the copy of her cookie is refused on B.
    let copy = alice.cookie.clone();
    let logout = alice.post("/logout", "").await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
    let mut thief = Visitor::new(&router_b, &info_b);
    thief.cookie = copy;
    let replay = thief.get("/account").await;
    assert_ne!(replay.status, StatusCode::OK, "a logout on A ends it on B");
    assert!(private_note(&replay.body).is_none());
}

#[tokio::test]
async fn with_redis_killed_the_hardened_app_answers_503_and_recovers_when_it_returns() {
    let test = "with_redis_killed_the_hardened_app_answers_503_and_recovers_when_it_returns";
    let Some(mut redis) = redis_server::start_or_skip(test) else {
        return;
    };
    let (router, info) = redis_app(&redis.url()).await;
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let copy = alice.cookie.clone();
    // A logout, answered before the outage.
    assert_eq!(
        alice.post("/logout", "").await.status,
        StatusCode::SEE_OTHER
    );
    let mut bob = Visitor::new(&router, &info);
    bob.get("/login").await;
    let signed_in = bob.post("/login", "username=bob&password=builder").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get("/account").await.status, StatusCode::OK);

    redis.kill();
    let mut thief = Visitor::new(&router, &info);
    thief.cookie = copy.clone();
    for (who, method, path, form) in [
        ("bob", "GET", "/account", None),
        ("bob", "GET", "/", None),
        ("bob", "POST", "/logout", Some("")),
        ("thief", "GET", "/account", None),
        ("thief", "GET", "/login", None),
        (
            "thief",
            "POST",
            "/login",
            Some("username=alice&password=wonderland"),
        ),
    ] {
        let visitor = if who == "bob" { &mut bob } else { &mut thief };
        let reply = visitor.request(method, path, form).await;
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}: never a page as if anonymous, never a 500: {}",
            reply.body
        );
        assert!(reply.body.contains(&redis.url()), "the 503 names the store");
        assert!(reply.header("set-cookie").is_none(), "{method} {path}");
        assert!(private_note(&reply.body).is_none());
    }

    // The same port again: the app reconnects by itself (no restart of the app).
    redis.restart().expect("restart redis-server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let replay = loop {
        thief.cookie = copy.clone();
        let reply = thief.get("/account").await;
        if reply.status != StatusCode::SERVICE_UNAVAILABLE || std::time::Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_ne!(
        replay.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the app recovered when Redis came back"
    );
    assert_ne!(replay.status, StatusCode::OK, "the logout was not undone");
    assert!(private_note(&replay.body).is_none());
    // A new login works again.
    let mut again = Visitor::new(&router, &info);
    again.log_in_as_alice().await;
    let account = again.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(private_note(&account.body).is_some());
}
