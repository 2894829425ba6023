//! What a class's observer is told of a login (`observer.rs`): whether its
//! session's ID was one the server issued or one it adopted from the client.

use std::sync::{Arc, Mutex, PoisonError};

use tower_sessions::session::Id;

use super::*;
use crate::observer::{AccountShown, EmailChanged, IdOrigin, LabObserver, LoggedIn};
use crate::{ClassOptions, Defense, build_class_app};

/// Keeps each login's [`IdOrigin`].
#[derive(Default)]
struct Logins(Mutex<Vec<IdOrigin>>);

impl LabObserver for Logins {
    fn logged_in(&self, event: LoggedIn) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.id_origin);
    }
    fn account_shown(&self, _: AccountShown) {}
    fn email_changed(&self, _: EmailChanged) {}
}

/// alice logs in to `profile`'s class app, her browser holding `planted` (an
/// invented ID; `None`: one the app handed to someone else at `GET /login`);
/// what the observer was told.
async fn origin_of_login(profile: &Profile, planted: Option<Id>) -> IdOrigin {
    let logins = Arc::new(Logins::default());
    let app = build_class_app(
        profile,
        ClassOptions {
            passwords: Vec::new(),
            shown_accounts: Vec::new(),
            observer: logins.clone(),
            warning: None,
        },
    );
    let mut victim = Visitor::new(&app.router, &app.info);
    victim.cookie = Some(match planted {
        Some(id) => id.to_string(),
        None => {
            let mut attacker = Visitor::new(&app.router, &app.info);
            attacker.get("/login").await;
            attacker.cookie.expect("an issued anonymous session")
        }
    });
    victim.log_in_as_alice().await;
    let seen = logins.0.lock().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(seen.len(), 1, "one login reported");
    seen[0]
}

#[tokio::test]
async fn a_login_says_whether_its_session_id_was_adopted_or_issued() {
    let invented = || Some(Id(rand::random::<i128>()));
    let insecure = builtin(ProfileName::Insecure);
    assert_eq!(
        origin_of_login(&insecure, invented()).await,
        IdOrigin::Adopted,
        "the strict-ids weakness adopts the invented ID and keeps it at login"
    );
    assert_eq!(
        origin_of_login(&insecure, None).await,
        IdOrigin::Issued,
        "an ID the app handed out is issued, whoever brought it"
    );
    for defense in [Defense::StrictIds, Defense::RotateIdAtLogin] {
        assert_eq!(
            origin_of_login(&insecure.clone().with(defense), invented()).await,
            IdOrigin::Issued,
            "{defense:?}: the signed-in session has an ID the server made"
        );
    }
}
