//! The two timeouts and the purge, at the store and through the app, with the
//! lab clock advanced (nothing here sleeps).

use axum::http::StatusCode;
use time::Duration;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

use super::memory::SHARDS;
use super::*;
use crate::tests::{Visitor, app, builtin, private_note};
use crate::{Defense, ProfileName};

fn store(profile: Profile) -> (LabStore, LabClock) {
    let clock = LabClock::new();
    (
        LabStore::for_profile(&profile, clock.clone(), DEFAULT_MAX_SESSIONS),
        clock,
    )
}

/// A new session in the store, as tower-sessions' first save makes it.
async fn new_session(store: &LabStore) -> Id {
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    store.create(&mut record).await.expect("create");
    record.id
}

async fn is_live(store: &LabStore, id: &Id) -> bool {
    store.load(id).await.expect("load").is_some()
}

#[tokio::test]
async fn the_idle_limit_is_15_minutes_with_the_defense_and_slides_with_use() {
    let (store, clock) = store(builtin(ProfileName::Hardened));
    let id = new_session(&store).await;
    for _ in 0..4 {
        clock.advance(Duration::minutes(14));
        assert!(
            is_live(&store, &id).await,
            "each use restarts the idle count"
        );
    }
    clock.advance(Duration::minutes(15));
    assert!(!is_live(&store, &id).await, "15 idle minutes end it");
    assert!(!store.holds(&id).await, "and the record is deleted");
    assert!(!is_live(&store, &id).await, "for good");
}

#[tokio::test]
async fn without_the_defense_the_seeds_one_hour_window_slides_for_ever() {
    let (store, clock) = store(builtin(ProfileName::Tutorial));
    let id = new_session(&store).await;
    clock.advance(Duration::minutes(31));
    assert!(
        is_live(&store, &id).await,
        "31 idle minutes are inside the hour"
    );
    // A use every 59 minutes for two days: no absolute limit either.
    for _ in 0..48 {
        clock.advance(Duration::minutes(59));
        assert!(is_live(&store, &id).await);
    }
    clock.advance(Duration::minutes(60));
    assert!(!is_live(&store, &id).await, "one idle hour ends it");
}

#[tokio::test]
async fn the_absolute_limit_ends_a_busy_session_8_hours_after_it_began() {
    let (store, clock) = store(builtin(ProfileName::Hardened));
    let id = new_session(&store).await;
    // A use every 10 minutes, below the idle limit: alive until 7 h 50 min.
    for _ in 0..47 {
        clock.advance(Duration::minutes(10));
        assert!(is_live(&store, &id).await);
    }
    clock.advance(Duration::minutes(10));
    assert!(
        !is_live(&store, &id).await,
        "8 hours after creation, busy or not"
    );
}

#[tokio::test]
async fn without_the_absolute_defense_a_busy_session_lives_on() {
    let (store, clock) = store(builtin(ProfileName::Hardened).without(Defense::AbsoluteTimeout));
    let id = new_session(&store).await;
    for _ in 0..(24 * 6) {
        clock.advance(Duration::minutes(10));
        assert!(is_live(&store, &id).await);
    }
}

#[tokio::test]
async fn a_new_id_is_a_new_session_for_the_absolute_limit() {
    let (store, clock) = store(builtin(ProfileName::Insecure).with(Defense::AbsoluteTimeout));
    let first = new_session(&store).await;
    clock.advance(Duration::hours(7));
    // What `cycle_id` does at login: delete the old record, create a new one.
    store.delete(&first).await.expect("delete");
    let rotated = new_session(&store).await;
    clock.advance(Duration::minutes(50));
    assert!(
        is_live(&store, &rotated).await,
        "7 h 50 min after the first ID, 50 min after its own"
    );
    clock.advance(Duration::hours(7) + Duration::minutes(10));
    assert!(
        !is_live(&store, &rotated).await,
        "8 hours after its own creation"
    );
}

#[tokio::test]
async fn an_expired_adopted_id_is_not_adopted_again_with_its_data() {
    // The `strict-ids` weakness adopts unknown IDs; expiry still wins.
    let (store, clock) = store(builtin(ProfileName::Insecure));
    let planted = Id(0x5e55_10de_ad00_beef);
    let mut adopted = store.load(&planted).await.expect("load").expect("adopted");
    adopted.data.insert("user".into(), "alice".into());
    store.save(&adopted).await.expect("save");
    clock.advance(Duration::minutes(59));
    let loaded = store.load(&planted).await.expect("load").expect("alive");
    assert_eq!(loaded.data.get("user"), Some(&"alice".into()));
    clock.advance(Duration::minutes(60));
    assert!(store.load(&planted).await.expect("load").is_none());
    assert!(!store.holds(&planted).await);
}

#[tokio::test]
async fn creating_a_session_sweeps_expired_ones_out_at_most_once_a_minute() {
    let (store, clock) = store(builtin(ProfileName::Hardened));
    let old: Vec<Id> = new_sessions(&store, 3).await;
    clock.advance(Duration::minutes(10));
    let recent = new_session(&store).await;
    assert_eq!(store.tracked().await, 4, "nothing has expired yet");
    clock.advance(Duration::minutes(6));
    // The three old sessions are 16 minutes idle, `recent` 6: a create sweeps.
    let newest = new_session(&store).await;
    assert_eq!(store.tracked().await, 2);
    for id in &old {
        assert!(!store.holds(id).await, "an expired record was purged");
    }
    assert!(store.holds(&recent).await && store.holds(&newest).await);
    // A session that expires less than a minute after a sweep waits for the next one.
    clock.advance(Duration::minutes(8) + Duration::seconds(40));
    new_session(&store).await; // sweeps: `recent` is 14 min 40 s idle
    clock.advance(Duration::seconds(30));
    new_session(&store).await; // `recent` expired, but the last sweep is 30 s old
    assert!(
        store.holds(&recent).await,
        "no second sweep within a lab-minute"
    );
    clock.advance(Duration::seconds(30));
    new_session(&store).await;
    assert!(!store.holds(&recent).await, "the next sweep takes it");
}

async fn new_sessions(store: &LabStore, n: usize) -> Vec<Id> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(new_session(store).await);
    }
    ids
}

/// Through the app: the cookie is still in the visitor's hands, the session is not.
#[tokio::test]
async fn after_16_idle_minutes_the_hardened_account_page_sends_the_cookie_to_login() {
    for (name, survives) in [
        (ProfileName::Hardened, false),
        (ProfileName::Tutorial, true),
    ] {
        let (router, info) = app(&builtin(name));
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        let before = alice.get("/account").await;
        assert!(private_note(&before.body).is_some(), "{name}");
        info.clock.advance(Duration::minutes(16));
        let after = alice.get("/account").await;
        if survives {
            assert_eq!(after.status, StatusCode::OK, "{name}");
        } else {
            assert_eq!(after.status, StatusCode::SEE_OTHER, "{name}");
            assert_eq!(after.location(), Some("/login"), "{name}");
        }
    }
}

#[tokio::test]
async fn a_late_save_does_not_bring_an_ended_session_back() {
    let (strict, _clock) = store(builtin(ProfileName::Hardened));
    let id = new_session(&strict).await;
    let loaded = strict.load(&id).await.expect("load").expect("live");
    // Another request ends the session ("log out everywhere") ...
    strict.delete(&id).await.expect("delete");
    // ... while this one, which loaded it earlier, saves its changes.
    strict.save(&loaded).await.expect("save");
    assert!(!strict.holds(&id).await, "the ended session stays ended");

    // The strict-ids weakness stores unknown IDs on purpose: that is adoption.
    let (weak, _clock) = store(builtin(ProfileName::Hardened).without(Defense::StrictIds));
    let adopted = Record {
        id: Id(7),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    weak.save(&adopted).await.expect("save");
    assert!(weak.holds(&Id(7)).await);
}

/// A record that holds a sign-in, as `POST /login` leaves it.
fn signed_in_record(user: &str) -> Record {
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    record.data.insert(
        "sign-in".to_owned(),
        serde_json::json!({"user": user, "handle": "0", "device": "test", "started": 0}),
    );
    record
}

/// A store of `profile` capped at `max` sessions: memory, or the Redis
/// server `redis` (a namespace of its own).
async fn capped(
    profile: &Profile,
    max: usize,
    redis: Option<&crate::redis_server::RedisServer>,
) -> (LabStore, LabClock) {
    let clock = LabClock::new();
    let store = match redis {
        None => LabStore::for_profile(profile, clock.clone(), max),
        Some(server) => {
            let choice: StoreChoice = server.url().parse().expect("url");
            LabStore::open(profile, clock.clone(), max, &choice)
                .await
                .expect("open")
        }
    };
    (store, clock)
}

#[tokio::test]
async fn past_the_cap_anonymous_sessions_go_oldest_first_and_sign_ins_stay() {
    check_the_cap(None).await;
}

#[tokio::test]
async fn past_the_cap_on_redis_anonymous_sessions_go_oldest_first_and_sign_ins_stay() {
    let test = "past_the_cap_on_redis_anonymous_sessions_go_oldest_first_and_sign_ins_stay";
    if let Some(server) = crate::redis_server::start_or_skip(test) {
        check_the_cap(Some(&server)).await;
    }
}

async fn check_the_cap(redis: Option<&crate::redis_server::RedisServer>) {
    let (store, clock) = capped(&builtin(ProfileName::Hardened), 3, redis).await;
    let mut alice = signed_in_record("alice");
    store.create(&mut alice).await.expect("create");
    let first = new_session(&store).await;
    let second = new_session(&store).await;
    assert_eq!(store.tracked().await, 3);
    let third = new_session(&store).await;
    assert_eq!(store.tracked().await, 3, "the cap holds");
    assert!(
        !store.holds(&first).await,
        "the oldest anonymous session went first"
    );
    assert!(store.holds(&second).await && store.holds(&third).await);
    assert!(store.holds(&alice.id).await, "the sign-in stayed");

    // A flood of anonymous visitors never pushes the sign-in out.
    let flood = new_sessions(&store, 50).await;
    assert!(store.holds(&alice.id).await);
    assert_eq!(store.tracked().await, 3);
    assert!(store.holds(&flood[49]).await && store.holds(&flood[48]).await);

    // Only sign-ins left: an anonymous newcomer is not kept ...
    let mut bob = signed_in_record("bob");
    store.create(&mut bob).await.expect("create");
    let mut carol = signed_in_record("carol");
    store.create(&mut carol).await.expect("create");
    let newcomer = new_session(&store).await;
    assert!(
        !store.holds(&newcomer).await,
        "no sign-in evicted for an anonymous session"
    );
    for id in [alice.id, bob.id, carol.id] {
        assert!(store.holds(&id).await);
    }
    // ... and a new sign-in evicts the one least recently used (alice's).
    clock.advance(Duration::seconds(5));
    assert!(is_live(&store, &bob.id).await && is_live(&store, &carol.id).await);
    let mut dave = signed_in_record("dave");
    store.create(&mut dave).await.expect("create");
    assert!(!store.holds(&alice.id).await);
    assert!(store.holds(&dave.id).await && store.holds(&bob.id).await);
    assert_eq!(store.tracked().await, 3);
}

#[tokio::test]
async fn a_session_that_signs_in_in_place_is_no_longer_evictable() {
    signing_in_in_place_protects_from_eviction(None).await;
}

#[tokio::test]
async fn on_redis_a_session_that_signs_in_in_place_is_no_longer_evictable() {
    let test = "on_redis_a_session_that_signs_in_in_place_is_no_longer_evictable";
    if let Some(server) = crate::redis_server::start_or_skip(test) {
        signing_in_in_place_protects_from_eviction(Some(&server)).await;
    }
}

async fn signing_in_in_place_protects_from_eviction(
    redis: Option<&crate::redis_server::RedisServer>,
) {
    // The tutorial keeps the ID at login: the record gains its sign-in by `save`.
    let (store, _clock) = capped(&builtin(ProfileName::Tutorial), 2, redis).await;
    let id = new_session(&store).await;
    let mut record = store.load(&id).await.expect("load").expect("live");
    record.data = signed_in_record("alice").data;
    store.save(&record).await.expect("save");
    new_sessions(&store, 10).await;
    assert!(
        store.holds(&id).await,
        "the signed-in session survived the flood"
    );
}

#[tokio::test]
async fn a_sweep_of_many_sessions_takes_them_all_a_shard_at_a_time() {
    let (store, clock) = store(builtin(ProfileName::Hardened));
    new_sessions(&store, 5 * SHARDS).await;
    clock.advance(Duration::minutes(16));
    let fresh = new_session(&store).await;
    assert_eq!(
        store.tracked().await,
        1,
        "every expired session in every shard went"
    );
    assert!(store.holds(&fresh).await);
}

/// Two instances over one memory backend, each with the store it would build.
fn two_instances(profile: &Profile) -> (LabStore, LabStore, LabClock) {
    let clock = LabClock::new();
    let a = LabStore::for_profile(profile, clock.clone(), DEFAULT_MAX_SESSIONS);
    let b = a.beside(profile);
    (a, b, clock)
}

#[tokio::test]
async fn without_shared_store_instance_b_serves_its_copy_until_the_cache_time_to_live() {
    use crate::defenses::shared_store::CACHE_TIME_TO_LIVE;
    let weak = builtin(ProfileName::Hardened).without(Defense::SharedStore);
    let (a, b, clock) = two_instances(&weak);
    let id = new_session(&a).await;
    assert!(
        is_live(&b, &id).await,
        "B reads it from the store, and caches it"
    );
    a.delete(&id).await.expect("logout on A");
    assert!(!is_live(&a, &id).await, "A forgot its own copy");
    assert!(is_live(&b, &id).await, "B's copy outlives the logout");
    clock.advance(CACHE_TIME_TO_LIVE - Duration::seconds(1));
    assert!(is_live(&b, &id).await, "until its time to live");
    clock.advance(Duration::seconds(1));
    assert!(!is_live(&b, &id).await, "then B asks the store again");

    let (a, b, _clock) = two_instances(&builtin(ProfileName::Hardened));
    let id = new_session(&a).await;
    assert!(is_live(&b, &id).await);
    a.delete(&id).await.expect("logout on A");
    assert!(
        !is_live(&b, &id).await,
        "shared-store: B sees the logout at once"
    );
}
