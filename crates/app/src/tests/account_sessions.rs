//! The per-user session index, the password-change form and the Active
//! sessions page: `revoke-on-password-change` and `log-out-everywhere`.

use axum::http::StatusCode;
use time::Duration;
use tower_sessions::session::Id;

use super::*;
use crate::Defense;
use crate::session_index::live_sessions;

/// Every profile the index must work in, with and without a new ID at login.
fn profiles() -> Vec<Profile> {
    vec![
        builtin(ProfileName::Insecure),
        builtin(ProfileName::Insecure).with(Defense::RotateIdAtLogin),
        builtin(ProfileName::Tutorial),
        builtin(ProfileName::Hardened),
        builtin(ProfileName::Hardened).without(Defense::RotateIdAtLogin),
    ]
}

fn id_of(visitor: &Visitor) -> Id {
    session_id(visitor.cookie.as_deref().expect("a session cookie"))
}

async fn live_ids(info: &AppInfo, user: &str) -> Vec<Id> {
    live_sessions(&info.store, user)
        .await
        .expect("store")
        .into_iter()
        .map(|s| s.id)
        .collect()
}

/// Whether the visitor's cookie still opens alice's account.
async fn opens_account(visitor: &mut Visitor, note: &str) -> bool {
    let reply = visitor.get("/account").await;
    reply.status == StatusCode::OK && private_note(&reply.body) == Some(note)
}

async fn alice_note(visitor: &mut Visitor) -> String {
    let reply = visitor.get("/account").await;
    private_note(&reply.body).expect("alice's note").to_owned()
}

#[tokio::test]
async fn login_indexes_the_final_session_id_even_after_rotation() {
    for profile in profiles() {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        visitor.get("/login").await;
        let before_login = id_of(&visitor);
        visitor.log_in_as_alice().await;
        let after_login = id_of(&visitor);
        assert_eq!(
            profile.has(Defense::RotateIdAtLogin),
            before_login != after_login,
            "{label}"
        );
        assert_eq!(
            info.store.index_ids("alice").await.expect("index"),
            vec![after_login],
            "{label}: the index holds the ID the browser got, and only that one"
        );
        assert_eq!(live_ids(&info, "alice").await, vec![after_login], "{label}");
        assert!(info.store.index_ids("bob").await.expect("index").is_empty());
    }
}

#[tokio::test]
async fn a_destroyed_session_leaves_the_index() {
    for profile in profiles() {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        visitor.log_in_as_alice().await;
        let id = id_of(&visitor);
        visitor.post("/logout", "").await;
        let listed = info
            .store
            .index_ids("alice")
            .await
            .expect("index")
            .contains(&id);
        // Without server-logout the session lives on, so listing it is the truth.
        assert_eq!(listed, !profile.has(Defense::ServerLogout), "{label}");
        assert_eq!(info.store.holds(&id).await, listed, "{label}");
    }
}

#[tokio::test]
async fn expired_sessions_are_stale_and_dropped() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut visitor = Visitor::new(&router, &info);
    visitor.log_in_as_alice().await;
    let id = id_of(&visitor);
    assert_eq!(live_ids(&info, "alice").await, vec![id]);
    info.clock.advance(Duration::hours(9));
    assert!(live_ids(&info, "alice").await.is_empty());
    assert!(
        info.store
            .index_ids("alice")
            .await
            .expect("index")
            .is_empty()
    );
}

/// Without rotation, bob logging in from alice's browser takes over her
/// session's ID: it stays in alice's index entry, but it is no longer hers.
#[tokio::test]
async fn a_session_taken_over_by_another_user_is_stale_for_the_first() {
    let (router, info) = app(&builtin(ProfileName::Insecure));
    let mut visitor = Visitor::new(&router, &info);
    visitor.log_in_as_alice().await;
    let id = id_of(&visitor);
    visitor
        .post("/login", "username=bob&password=builder")
        .await;
    assert_eq!(id_of(&visitor), id);
    assert!(
        info.store
            .index_ids("alice")
            .await
            .expect("index")
            .contains(&id)
    );
    assert!(live_ids(&info, "alice").await.is_empty());
    assert!(
        info.store
            .index_ids("alice")
            .await
            .expect("index")
            .is_empty()
    );
    assert_eq!(live_ids(&info, "bob").await, vec![id]);
}

/// Listing sessions must not count as using them (the idle timeout).
#[tokio::test]
async fn listing_sessions_does_not_keep_them_alive() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut laptop = Visitor::new(&router, &info);
    laptop.log_in_as_alice().await;
    let laptop_id = id_of(&laptop);
    info.clock.advance(Duration::minutes(10));
    assert_eq!(live_ids(&info, "alice").await, vec![laptop_id]);
    info.clock.advance(Duration::minutes(10));
    assert!(
        live_ids(&info, "alice").await.is_empty(),
        "20 idle minutes end the session, although it was listed 10 minutes ago"
    );
}

async fn change_password(visitor: &mut Visitor, current: &str, new: &str) -> Reply {
    visitor.get("/account/password").await;
    visitor
        .post(
            "/account/password",
            &format!("current_password={current}&new_password={new}"),
        )
        .await
}

#[tokio::test]
async fn password_change_ends_other_sessions_only_with_the_defense() {
    let hardened = builtin(ProfileName::Hardened);
    for (profile, revokes) in [
        (hardened.clone(), true),
        (hardened.without(Defense::RevokeOnPasswordChange), false),
        (
            builtin(ProfileName::Insecure).with(Defense::RevokeOnPasswordChange),
            true,
        ),
        (builtin(ProfileName::Tutorial), false),
    ] {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut stolen = Visitor::new(&router, &info);
        stolen.log_in_as_alice().await;
        let note = alice_note(&mut stolen).await;
        let mut own = Visitor::new(&router, &info);
        own.log_in_as_alice().await;
        let own_before = id_of(&own);

        let changed = change_password(&mut own, "wonderland", "looking-glass").await;
        assert_eq!(changed.status, StatusCode::OK, "{label}: {}", changed.body);
        assert!(changed.body.contains("id=\"password-changed\""), "{label}");
        assert_eq!(!opens_account(&mut stolen, &note).await, revokes, "{label}");
        assert!(
            opens_account(&mut own, &note).await,
            "{label}: the changer stays in"
        );
        assert_eq!(id_of(&own) != own_before, revokes, "{label}: a new ID");
        assert_eq!(!info.store.holds(&own_before).await, revokes, "{label}");
        if revokes {
            assert_eq!(live_ids(&info, "alice").await, vec![id_of(&own)], "{label}");
        }

        // The new password is the password, where the profile checks passwords.
        if profile.has(Defense::PasswordCheck) {
            let mut fresh = Visitor::new(&router, &info);
            fresh.get("/login").await;
            let old = fresh
                .post("/login", "username=alice&password=wonderland")
                .await;
            assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{label}");
            let new = fresh
                .post("/login", "username=alice&password=looking-glass")
                .await;
            assert_eq!(new.status, StatusCode::SEE_OTHER, "{label}");
        }
    }
}

#[tokio::test]
async fn the_current_password_is_checked_where_passwords_are() {
    for profile in profiles() {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        visitor.log_in_as_alice().await;
        let reply = change_password(&mut visitor, "not-it", "looking-glass").await;
        let expected = if profile.has(Defense::PasswordCheck) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        };
        assert_eq!(reply.status, expected, "{label}: {}", reply.body);
    }
}

#[tokio::test]
async fn log_out_everywhere_ends_every_session_only_with_the_defense() {
    let hardened = builtin(ProfileName::Hardened);
    for (profile, ends_all) in [
        (hardened.clone(), true),
        (hardened.without(Defense::LogOutEverywhere), false),
        (
            builtin(ProfileName::Insecure).with(Defense::LogOutEverywhere),
            true,
        ),
        (builtin(ProfileName::Tutorial), false),
        (builtin(ProfileName::Insecure), false),
    ] {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut laptop = Visitor::new(&router, &info);
        laptop.log_in_as_alice().await;
        let note = alice_note(&mut laptop).await;
        let mut phone = Visitor::new(&router, &info);
        phone.log_in_as_alice().await;
        let phone_id = id_of(&phone);

        let page = phone.get("/account/sessions").await;
        assert_eq!(page.status, StatusCode::OK, "{label}");
        let listed = page.body.matches("class=\"session\"").count();
        assert_eq!(listed, if ends_all { 2 } else { 1 }, "{label}");
        assert_eq!(page.body.matches("(this device)").count(), 1, "{label}");

        let reply = phone.post("/account/sessions/end-all", "").await;
        assert_eq!(
            (reply.status, reply.location()),
            (StatusCode::SEE_OTHER, Some("/")),
            "{label}"
        );
        assert!(
            phone.cookie.is_none(),
            "{label}: the phone forgets its cookie"
        );
        assert_eq!(
            !opens_account(&mut laptop, &note).await,
            ends_all,
            "{label}"
        );
        if ends_all {
            assert!(!info.store.holds(&phone_id).await, "{label}");
            assert!(live_ids(&info, "alice").await.is_empty(), "{label}");
        }
    }
}

#[tokio::test]
async fn ending_one_session_by_its_handle() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut laptop = Visitor::new(&router, &info);
    laptop.log_in_as_alice().await;
    let note = alice_note(&mut laptop).await;
    let laptop_id = id_of(&laptop);
    let mut phone = Visitor::new(&router, &info);
    phone.log_in_as_alice().await;

    let sessions = live_sessions(&info.store, "alice").await.expect("store");
    let laptop_handle = sessions
        .iter()
        .find(|s| s.id == laptop_id)
        .map(|s| s.sign_in.handle.clone())
        .expect("the laptop is listed");
    phone.get("/account/sessions").await;
    let reply = phone
        .post("/account/sessions/end", &format!("handle={laptop_handle}"))
        .await;
    assert_eq!(
        (reply.status, reply.location()),
        (StatusCode::SEE_OTHER, Some("/account/sessions"))
    );
    assert!(!opens_account(&mut laptop, &note).await);
    assert!(opens_account(&mut phone, &note).await);
    // The same handle again names nothing.
    phone.get("/account/sessions").await;
    let again = phone
        .post("/account/sessions/end", &format!("handle={laptop_handle}"))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

/// Bob cannot end alice's session by sending her handle.
#[tokio::test]
async fn a_handle_of_another_user_names_nothing() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let note = alice_note(&mut alice).await;
    let handle = live_sessions(&info.store, "alice").await.expect("store")[0]
        .sign_in
        .handle
        .clone();
    let mut bob = Visitor::new(&router, &info);
    bob.get("/login").await;
    bob.post("/login", "username=bob&password=builder").await;
    bob.get("/account/sessions").await;
    let reply = bob
        .post("/account/sessions/end", &format!("handle={handle}"))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(opens_account(&mut alice, &note).await);
}

#[tokio::test]
async fn malformed_account_forms_get_4xx_in_every_profile() {
    let long = "x".repeat(129);
    let cases: Vec<(&str, &str, String, &[StatusCode])> = vec![
        (
            "/account/password",
            "/account/password",
            String::new(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/password",
            "/account/password",
            "new_password=abc".into(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/password",
            "/account/password",
            "current_password=wonderland".into(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/password",
            "/account/password",
            "current_password=wonderland&new_password=".into(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/password",
            "/account/password",
            format!("current_password=wonderland&new_password={long}"),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/password",
            "/account/password",
            format!("current_password={long}&new_password=abc"),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/sessions",
            "/account/sessions/end",
            String::new(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/sessions",
            "/account/sessions/end",
            "handle=".into(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/sessions",
            "/account/sessions/end",
            format!("handle={long}"),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/sessions",
            "/account/sessions/end",
            "handle=ZZZZZZZZZZZZZZZZ".into(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
        (
            "/account/sessions",
            "/account/sessions/end",
            "handle=0123456789abcdef".into(),
            &[StatusCode::NOT_FOUND],
        ),
        (
            "/account/sessions",
            "/account/sessions/end",
            "handle[]=1&handle[]=2".into(),
            &[StatusCode::UNPROCESSABLE_ENTITY],
        ),
    ];
    for profile in [
        builtin(ProfileName::Insecure),
        builtin(ProfileName::Tutorial),
        builtin(ProfileName::Hardened),
    ] {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        visitor.log_in_as_alice().await;
        let note = alice_note(&mut visitor).await;
        for (page, action, form, expected) in &cases {
            visitor.get(page).await;
            let reply = visitor.post(action, form).await;
            assert!(
                expected.contains(&reply.status),
                "{label} POST {action} {form:?}: {} {}",
                reply.status,
                reply.body
            );
            assert!(
                opens_account(&mut visitor, &note).await,
                "{label}: still signed in"
            );
        }
        // Anonymous visitors are sent to the login page, forms or not.
        let mut anonymous = Visitor::new(&router, &info);
        for path in ["/account/password", "/account/sessions"] {
            let reply = anonymous.get(path).await;
            assert_eq!(reply.location(), Some("/login"), "{label} GET {path}");
        }
        anonymous.get("/login").await;
        for (action, form) in [
            ("/account/password", "current_password=a&new_password=b"),
            ("/account/sessions/end", "handle=0123456789abcdef"),
            ("/account/sessions/end-all", ""),
        ] {
            let reply = anonymous.post(action, form).await;
            assert_eq!(reply.location(), Some("/login"), "{label} POST {action}");
        }
    }
}

/// No page or form ever carries a session ID, in any encoding.
#[tokio::test]
async fn no_page_shows_a_raw_session_id() {
    for profile in profiles() {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut laptop = Visitor::new(&router, &info);
        laptop.log_in_as_alice().await;
        let mut phone = Visitor::new(&router, &info);
        phone.log_in_as_alice().await;
        let secrets: Vec<String> = [&laptop, &phone]
            .iter()
            .flat_map(|v| {
                let cookie = v.cookie.clone().expect("cookie");
                let id = session_id(&cookie);
                [cookie, id.to_string()]
            })
            .collect();
        let mut bodies = Vec::new();
        for path in ["/account", "/account/password", "/account/sessions"] {
            bodies.push((path, phone.get(path).await.body));
        }
        bodies.push((
            "POST /account/password",
            change_password(&mut phone, "wonderland", "wonderland")
                .await
                .body,
        ));
        bodies.push((
            "POST /account/sessions/end (unknown)",
            phone
                .post("/account/sessions/end", "handle=0123456789abcdef")
                .await
                .body,
        ));
        for (what, body) in &bodies {
            assert!(body.contains("<html"), "{label} {what}: a page");
            for secret in &secrets {
                // The `cookie-only-ids` weakness writes `?sid=` into links on
                // purpose (the referer-leak lesson); nothing else may show an ID.
                let body = body.replace(&format!("sid={secret}"), "");
                assert!(
                    !body.contains(secret.as_str()),
                    "{label} {what} shows a session ID"
                );
            }
        }
    }
}

/// A body that is not a form, or far too big, is a 4xx before any handler logic.
#[tokio::test]
async fn non_form_bodies_get_4xx() {
    for profile in [
        builtin(ProfileName::Insecure),
        builtin(ProfileName::Tutorial),
        builtin(ProfileName::Hardened),
    ] {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        visitor.log_in_as_alice().await;
        let cookie = format!(
            "{}={}",
            info.session_cookie_name,
            visitor.cookie.clone().expect("cookie")
        );
        for path in [
            "/account/password",
            "/account/sessions/end",
            "/account/sessions/end-all",
        ] {
            for (content_type, body) in [
                (
                    "application/json",
                    "{\"handle\":\"0123456789abcdef\"}".to_owned(),
                ),
                (
                    "application/x-www-form-urlencoded",
                    format!("handle={}", "a".repeat(20 * 1024)),
                ),
            ] {
                let request = Request::builder()
                    .method("POST")
                    .uri(path)
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .expect("request");
                let reply = send(&router, request).await;
                // end-all reads no field, so without a token check any body does.
                let takes_no_fields = path.ends_with("end-all")
                    && reply.status == StatusCode::SEE_OTHER
                    && !profile.has(Defense::CsrfToken);
                assert!(
                    reply.status.is_client_error() || takes_no_fields,
                    "{label} POST {path} {content_type}: {}",
                    reply.status
                );
            }
        }
    }
}

/// Under the session-puzzling weakness a password-reset request makes the
/// asker's session alice's: it is indexed like a login, so alice sees it, and
/// "log out everywhere" or a password change ends it.
#[tokio::test]
async fn a_session_puzzled_into_alice_is_hers_to_see_and_end() {
    let puzzled = builtin(ProfileName::Hardened).without(Defense::SeparateSessionKeys);
    for ending in ["/account/sessions/end-all", "/account/password"] {
        let (router, info) = app(&puzzled);
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        let note = alice_note(&mut alice).await;

        let mut intruder = Visitor::new(&router, &info);
        intruder.get("/forgot").await;
        let asked = intruder.post("/forgot", "username=alice").await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        assert!(
            opens_account(&mut intruder, &note).await,
            "the weakness: asking for a reset signed the intruder in"
        );
        let intruder_id = id_of(&intruder);
        assert!(live_ids(&info, "alice").await.contains(&intruder_id));
        let page = alice.get("/account/sessions").await;
        assert_eq!(page.body.matches("class=\"session\"").count(), 2);

        if ending == "/account/password" {
            let changed = change_password(&mut alice, "wonderland", "looking-glass").await;
            assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        } else {
            alice.post(ending, "").await;
        }
        assert!(
            !opens_account(&mut intruder, &note).await,
            "{ending} ended the intruder's session"
        );
        assert!(!info.store.holds(&intruder_id).await, "{ending}");
    }
}
