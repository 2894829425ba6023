//! Who counts as signed in: `password-check` (does the login look at the
//! password?) and `separate-session-keys` (can the forgot-password flow sign
//! someone in?), each against its weakness.

use std::sync::Arc;

use axum::http::StatusCode;
use tower_sessions::{MemoryStore, Session};

use super::*;
use crate::Defense;
use crate::defenses::separate_session_keys;

#[tokio::test]
async fn password_check_versus_any_password() {
    for profile in [
        builtin(ProfileName::Insecure),
        builtin(ProfileName::Tutorial),
        builtin(ProfileName::Hardened),
        builtin(ProfileName::Hardened).without(Defense::PasswordCheck),
        builtin(ProfileName::Insecure).with(Defense::PasswordCheck),
    ] {
        let label = profile.label();
        let checks = profile.has(Defense::PasswordCheck);
        let (router, info) = app(&profile);
        let mut attacker = Visitor::new(&router, &info);
        attacker.get("/login").await;
        let reply = attacker
            .post("/login", "username=alice&password=not-her-password")
            .await;
        let account = attacker.get("/account").await;
        if checks {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
            assert_eq!(account.status, StatusCode::SEE_OTHER, "{label}");
        } else {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{label}");
            assert_eq!(account.status, StatusCode::OK, "{label}");
            assert!(
                account.body.contains(&format!(
                    "<p id=\"{}\">alice</p>",
                    sessionlab_protocol::element::USERNAME
                )),
                "{label}"
            );
        }
        // An unknown name has no account to open, with or without the check.
        let mut stranger = Visitor::new(&router, &info);
        stranger.get("/login").await;
        let reply = stranger
            .post("/login", "username=mallory&password=anything")
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(stranger.get("/account").await.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn forgot_password_signs_the_asker_in_only_without_separate_keys() {
    for profile in [
        builtin(ProfileName::Insecure),
        builtin(ProfileName::Tutorial),
        builtin(ProfileName::Hardened),
        builtin(ProfileName::Hardened).without(Defense::SeparateSessionKeys),
        builtin(ProfileName::Insecure).with(Defense::SeparateSessionKeys),
    ] {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        let note = private_note(&alice.get("/account").await.body)
            .expect("alice's note")
            .to_owned();

        let mut attacker = Visitor::new(&router, &info);
        let form = attacker.get("/forgot").await;
        assert_eq!(form.status, StatusCode::OK, "{label}");
        assert!(
            form.body.contains("action=\"/forgot") && form.body.contains("no e-mail is ever sent"),
            "{label}"
        );
        let sent = attacker.post("/forgot", "username=alice").await;
        assert_eq!(sent.status, StatusCode::OK, "{label}: {}", sent.body);
        assert!(
            sent.body
                .contains("If an account named <strong>alice</strong> exists")
        );
        assert!(sent.body.contains("no e-mail is sent"));
        // The same answer for a name with no account: the form tells nobody who exists.
        let mut other = Visitor::new(&router, &info);
        other.get("/forgot").await;
        let unknown = other.post("/forgot", "username=mallory").await;
        assert_eq!(unknown.status, StatusCode::OK);
        assert!(
            unknown
                .body
                .contains("If an account named <strong>mallory</strong> exists")
        );

        let account = attacker.get("/account").await;
        if profile.has(Defense::SeparateSessionKeys) {
            assert_eq!(
                (account.status, account.location()),
                (StatusCode::SEE_OTHER, Some("/login")),
                "{label}"
            );
        } else {
            assert_eq!(account.status, StatusCode::OK, "{label}");
            assert_eq!(private_note(&account.body), Some(note.as_str()), "{label}");
        }
    }
}

/// The flag on its own: a session holding a username but no flag from a login
/// is nobody under the defense, and that user under the weakness.
#[tokio::test]
async fn the_authenticated_flag_is_what_counts() {
    let store = Arc::new(MemoryStore::default());
    let defended = builtin(ProfileName::Hardened);
    let weak = builtin(ProfileName::Hardened).without(Defense::SeparateSessionKeys);

    let session = Session::new(None, store.clone(), None);
    session.insert("user", "alice").await.expect("insert");
    let signed_in = separate_session_keys::signed_in_user(&session, &defended).await;
    assert_eq!(signed_in.expect("read"), None);
    let signed_in = separate_session_keys::signed_in_user(&session, &weak).await;
    assert_eq!(signed_in.expect("read").as_deref(), Some("alice"));

    let session = Session::new(None, store, None);
    separate_session_keys::sign_in(&session, &defended, "alice")
        .await
        .expect("sign in");
    let signed_in = separate_session_keys::signed_in_user(&session, &defended).await;
    assert_eq!(signed_in.expect("read").as_deref(), Some("alice"));
}

#[tokio::test]
async fn malformed_forgot_forms_get_4xx_in_every_profile() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut visitor = Visitor::new(&router, &info);
        visitor.get("/forgot").await;
        for (label, body, expected) in [
            ("empty", "username=".to_owned(), 422),
            ("blank", "username=+++".to_owned(), 422),
            ("65 characters", format!("username={}", "a".repeat(65)), 422),
            ("control character", "username=ali%00ce".to_owned(), 422),
            ("missing field", "user=alice".to_owned(), 422),
            ("duplicated field", "username=a&username=b".to_owned(), 422),
            ("17 KiB", format!("username={}", "a".repeat(17 * 1024)), 413),
        ] {
            let reply = visitor.post("/forgot", &body).await;
            assert_eq!(reply.status.as_u16(), expected, "{name} {label}");
        }
        assert_eq!(
            visitor.get("/account").await.status,
            StatusCode::SEE_OTHER,
            "{name}: nobody is signed in"
        );
    }
}
