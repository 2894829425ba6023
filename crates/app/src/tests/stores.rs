//! The store backends through the app: SQLite sessions and logouts surviving
//! a restart, and failing closed when the store cannot be reached.

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
use crate::app::{AppInfo, build_app};
use crate::bounds::Limits;
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
        Some(key),
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
