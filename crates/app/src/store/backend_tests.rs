//! The same semantics checked on every backend (memory, SQLite, a real
//! `redis-server`): two `LabStore`s over one backend stand for two app
//! instances sharing a store. Nothing here sleeps: the lab clock moves.

use std::path::PathBuf;
use std::sync::Arc;

use time::Duration;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

use super::*;
use crate::defenses::random_ids::FIRST_COUNTER_ID;
use crate::redis_server;
use crate::session_index;
use crate::tests::builtin;
use crate::{Defense, ProfileName};

/// A record holding a sign-in of `user`, as `POST /login` leaves it.
fn signed_in(user: &str) -> Record {
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc(),
    };
    record.data.insert(
        "sign-in".to_owned(),
        serde_json::json!({"user": user, "handle": "0", "device": "test", "started": 0}),
    );
    record
}

/// Two instances (`a`, `b`) of one profile over one backend, with one lab clock.
struct Pair {
    a: LabStore,
    b: LabStore,
    clock: LabClock,
}

/// Opens `choice` twice under one namespace, as two `serve` processes do.
async fn pair_over(choice: &StoreChoice, profile: &Profile) -> Pair {
    let clock = LabClock::new();
    let shared = choice.clone().shared_as(format!(
        "test-{}-{:x}",
        profile.label(),
        rand::random::<u64>()
    ));
    let open = || LabStore::open(profile, clock.clone(), 1000, &shared);
    let a = open().await.expect("open a");
    let b = open().await.expect("open b");
    Pair { a, b, clock }
}

/// The memory backend shared in-process by two stores.
fn memory_pair(profile: &Profile) -> Pair {
    let clock = LabClock::new();
    let backend: Arc<dyn SessionBackend> = Arc::new(memory::MemoryStore::new(clock.clone(), 1000));
    let over = || {
        LabStore::over(
            profile,
            clock.clone(),
            backend.clone(),
            "memory".into(),
            false,
        )
    };
    Pair {
        a: over(),
        b: over(),
        clock,
    }
}

async fn create(store: &LabStore, mut record: Record) -> Id {
    store.create(&mut record).await.expect("create");
    record.id
}

/// A login as the app makes it: the session saved, then written in the index.
async fn sign_in(store: &LabStore, user: &str) -> Id {
    let id = create(store, signed_in(user)).await;
    store.index_add(user, &id).await.expect("index");
    id
}

/// Everything a backend must keep, checked through the lab's own store.
async fn check_semantics(make: impl AsyncFn(&Profile) -> Pair) {
    // A login on A is a session on B; a logout on A ends it on B.
    let hardened = builtin(ProfileName::Hardened);
    let Pair { a, b, clock } = make(&hardened).await;
    let alice = sign_in(&a, "alice").await;
    let on_b = b
        .load(&alice)
        .await
        .expect("load")
        .expect("B sees A's login");
    assert!(session_index::holds_sign_in(&on_b));
    assert_eq!(b.index_ids("alice").await.expect("index"), vec![alice]);
    a.delete(&alice).await.expect("delete");
    assert!(b.load(&alice).await.expect("load").is_none(), "ended on B");
    assert!(b.index_ids("alice").await.expect("index").is_empty());

    // A late save on B cannot bring back what A ended (strict IDs).
    let id = sign_in(&a, "alice").await;
    let loaded = b.load(&id).await.expect("load").expect("live");
    a.delete(&id).await.expect("delete");
    b.save(&loaded).await.expect("save");
    assert!(!b.holds(&id).await, "the ended session stays ended");
    assert!(b.index_ids("alice").await.expect("index").is_empty());

    // An insert never takes an ID the other instance holds.
    let taken = sign_in(&a, "bob").await;
    let mut clash = signed_in("carol");
    clash.id = taken;
    assert!(
        !b.backend
            .insert_new(&clash, clock.now())
            .await
            .expect("insert"),
        "the ID was taken"
    );
    let kept = a.load(&taken).await.expect("load").expect("live");
    assert_eq!(
        session_index::signed_in_user(&kept).as_deref(),
        Some("bob"),
        "and bob's record is untouched"
    );

    // Idle expiry in lab time; a load that finds it expired deletes it and
    // forgets it in the index; a peek neither touches nor deletes.
    let idle = sign_in(&a, "dave").await;
    clock.advance(Duration::minutes(14));
    assert!(b.peek(&idle).await.expect("peek").is_some());
    clock.advance(Duration::minutes(1));
    assert!(
        b.peek(&idle).await.expect("peek").is_none(),
        "15 idle minutes: the peek did not count as a use"
    );
    assert!(b.holds(&idle).await, "a peek deletes nothing");
    assert!(a.load(&idle).await.expect("load").is_none());
    assert!(!a.holds(&idle).await, "the expired load deleted it");
    assert!(a.index_ids("dave").await.expect("index").is_empty());

    // A load is a use, wherever it happens; the absolute limit still wins.
    let busy = sign_in(&a, "erin").await;
    for _ in 0..47 {
        clock.advance(Duration::minutes(10));
        assert!(b.load(&busy).await.expect("load").is_some());
    }
    clock.advance(Duration::minutes(10));
    assert!(a.load(&busy).await.expect("load").is_none(), "8 hours");

    // The sweep purges expired sessions from the index too.
    let old = sign_in(&a, "frank").await;
    clock.advance(Duration::minutes(20));
    create(&b, anonymous()).await;
    assert!(!a.holds(&old).await, "swept");
    assert!(a.index_ids("frank").await.expect("index").is_empty());

    // The kept signing key is one key for both instances.
    let key_a = a.kept_signing_key().await.expect("key");
    let key_b = b.kept_signing_key().await.expect("key");
    assert_eq!(key_a.master(), key_b.master());

    // Lax IDs (the strict-ids weakness) adopt an unknown ID on save.
    let lax = builtin(ProfileName::Hardened).without(Defense::StrictIds);
    let Pair { a, b, .. } = make(&lax).await;
    let planted = Record {
        id: Id(0x5e55_10de_ad00_beef),
        ..anonymous()
    };
    a.save(&planted).await.expect("save");
    assert!(b.holds(&planted.id).await, "adopted, and shared");

    // Counter IDs (the random-ids weakness): never the same ID twice across instances.
    let counting = builtin(ProfileName::Hardened).without(Defense::RandomIds);
    let Pair { a, b, .. } = make(&counting).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let store = if i % 2 == 0 { &a } else { &b };
        ids.push(create(store, anonymous()).await.0);
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no ID issued twice: {ids:?}");
    assert!(ids.iter().all(|&id| id >= FIRST_COUNTER_ID), "{ids:?}");
    assert!(
        ids.iter().all(|&id| id < FIRST_COUNTER_ID + 100),
        "small numbers an attacker can walk: {ids:?}"
    );
}

/// An anonymous record, as tower-sessions' first save makes it.
fn anonymous() -> Record {
    Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc(),
    }
}

#[tokio::test]
async fn the_memory_backend_keeps_the_lab_semantics() {
    check_semantics(async |profile: &Profile| memory_pair(profile)).await;
}

#[tokio::test]
async fn the_sqlite_backend_keeps_the_lab_semantics() {
    let path: PathBuf = std::env::temp_dir().join(format!(
        "sessionlab-semantics-{}-{:x}.db",
        std::process::id(),
        rand::random::<u64>()
    ));
    let choice = StoreChoice {
        kind: StoreKind::Sqlite(path.clone()),
        shared_as: None,
    };
    check_semantics(async |profile: &Profile| pair_over(&choice, profile).await).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn the_redis_backend_keeps_the_lab_semantics() {
    let Some(server) = redis_server::start_or_skip("the_redis_backend_keeps_the_lab_semantics")
    else {
        return;
    };
    let choice: StoreChoice = server.url().parse().expect("url");
    check_semantics(async |profile: &Profile| pair_over(&choice, profile).await).await;
}

#[tokio::test]
async fn a_private_redis_namespace_is_emptied_when_its_app_stops() {
    let Some(server) =
        redis_server::start_or_skip("a_private_redis_namespace_is_emptied_when_its_app_stops")
    else {
        return;
    };
    let choice: StoreChoice = server.url().parse().expect("url");
    let profile = builtin(ProfileName::Hardened);
    let private = LabStore::open(&profile, LabClock::new(), 1000, &choice)
        .await
        .expect("open");
    let shared = LabStore::open(
        &profile,
        LabClock::new(),
        1000,
        &choice.clone().shared_as("hardened"),
    )
    .await
    .expect("open");
    let gone = sign_in(&private, "alice").await;
    private.kept_signing_key().await.expect("key");
    let stays = sign_in(&shared, "alice").await;
    private.close().await;
    assert_eq!(private.tracked().await, 0);
    assert!(!private.holds(&gone).await);
    assert!(
        shared.holds(&stays).await,
        "another namespace is left alone"
    );
}
