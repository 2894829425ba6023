//! A class lab's app (`build_class_app`): two instances over one store, as
//! `serve` runs two (`RunningServer::start_instance`), each naming itself to
//! the class's observer.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use super::{Visitor, private_note};
use crate::observer::{AccountShown, EmailChanged, Instance, LabObserver, LoggedIn};
use crate::{ClassApp, ClassOptions, Defense, Profile, ProfileName, build_class_app};

/// Which instance answered each account page, and whose.
#[derive(Default)]
struct Seen(Mutex<Vec<(Instance, String)>>);

impl LabObserver for Seen {
    fn logged_in(&self, _: LoggedIn) {}
    fn account_shown(&self, event: AccountShown) {
        self.0.lock().unwrap().push((event.instance, event.user));
    }
    fn email_changed(&self, _: EmailChanged) {}
}

fn class_app(profile: &Profile) -> (ClassApp, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = build_class_app(
        profile,
        ClassOptions {
            passwords: vec![("alice".into(), "wonderland".into())],
            shown_accounts: Vec::new(),
            observer: seen.clone(),
            warning: None,
        },
    );
    (app, seen)
}

/// alice logs in on the first instance, one request of hers reaches the
/// second, she logs out on the first; what a copy of her cookie opens on
/// each instance afterwards.
async fn replay_after_logout(profile: &Profile) -> (bool, bool, Arc<Seen>) {
    let (app, seen) = class_app(profile);
    let mut alice = Visitor::new(&app.router, &app.info);
    alice.log_in_as_alice().await;
    let mut on_second = Visitor::new(&app.second_instance, &app.info);
    on_second.cookie = alice.cookie.clone();
    let account = on_second.get("/account").await;
    assert_eq!(
        account.status,
        StatusCode::OK,
        "one store: {}",
        account.body
    );
    assert!(private_note(&account.body).is_some());
    let copy = alice.cookie.clone();
    let logout = alice.post("/logout", "").await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
    let mut opens = Vec::new();
    for router in [&app.second_instance, &app.router] {
        let mut thief = Visitor::new(router, &app.info);
        thief.cookie = copy.clone();
        let replay = thief.get("/account").await;
        opens.push(private_note(&replay.body).is_some());
    }
    (opens[0], opens[1], seen)
}

#[tokio::test]
async fn without_shared_store_the_second_instance_serves_its_copy_after_a_logout_on_the_first() {
    let profile = Profile::new(ProfileName::Hardened).without(Defense::SharedStore);
    let (on_second, on_first, seen) = replay_after_logout(&profile).await;
    assert!(on_second, "the second instance's own cached copy");
    assert!(!on_first, "server-logout ended it where it was handled");
    let seen = seen.0.lock().unwrap();
    assert!(seen.contains(&(Instance::First, "alice".into())));
    assert_eq!(
        seen.iter()
            .filter(|(instance, _)| *instance == Instance::Second)
            .count(),
        2,
        "her read and the replay, each named as the second instance: {seen:?}"
    );
}

#[tokio::test]
async fn with_shared_store_a_logout_on_one_instance_ends_the_session_on_both() {
    let (on_second, on_first, _) = replay_after_logout(&Profile::new(ProfileName::Hardened)).await;
    assert!(!on_second && !on_first);
}

#[tokio::test]
async fn the_instances_share_users_and_notes() {
    let (app, _) = class_app(&Profile::new(ProfileName::Hardened));
    let mut alice = Visitor::new(&app.second_instance, &app.info);
    alice.log_in_as_alice().await;
    let account = alice.get("/account").await;
    assert_eq!(
        private_note(&account.body).map(str::to_owned),
        app.handle.private_note("alice"),
        "her password and note are the lab's on the second instance too"
    );
}
