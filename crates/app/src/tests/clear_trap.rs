//! The tower-sessions `clear()` trap (see `defenses/strict_ids.rs`): the raw
//! library behaviour, and proof that the hardened profile never falls into it.

use std::sync::Arc;

use axum::http::StatusCode;
use tower_sessions::session::Id;
use tower_sessions::{MemoryStore, Session, SessionStore};

use super::*;
use crate::Defense;

/// The lesson, as the library behaves: `clear()` on a session that was never
/// loaded builds a record under the client's ID, and `save()` stores it,
/// although the store never issued that ID.
#[tokio::test]
async fn raw_library_clear_then_save_stores_a_planted_id() {
    let store = Arc::new(MemoryStore::default());
    let planted = Id(0x5e55_10de_ad00_beef);
    let session = Session::new(Some(planted), store.clone(), None);
    session.clear().await;
    session.insert("user", "alice").await.expect("insert");
    session.save().await.expect("save");
    assert!(
        store.load(&planted).await.expect("load").is_some(),
        "the planted ID was stored"
    );
    assert_eq!(session.id(), Some(planted));
}

/// The same sequence with the helper: the unknown ID is dropped when loading,
/// so the save creates a fresh ID.
#[tokio::test]
async fn loading_first_keeps_a_planted_id_out_of_the_store() {
    let store = Arc::new(MemoryStore::default());
    let planted = Id(0x5e55_10de_ad00_beef);
    let session = Session::new(Some(planted), store.clone(), None);
    crate::defenses::strict_ids::load_before_clearing(&session)
        .await
        .expect("load");
    session.clear().await;
    session.insert("user", "alice").await.expect("insert");
    session.save().await.expect("save");
    assert!(store.load(&planted).await.expect("load").is_none());
    assert_ne!(session.id(), Some(planted));
}

/// Hardened (signed, with the planted ID correctly signed so that it gets past
/// the signature) and hardened without signing: a never-issued ID sent to
/// POST /login (good and bad password) and GET|POST /logout is never stored
/// and never sent back.
#[tokio::test]
async fn hardened_never_stores_or_returns_a_planted_id() {
    // Without csrf-token, so the login reaches its handler: a planted session never
    // showed a form, so with the token on, its POSTs stop at 403 (the third profile).
    for profile in [
        builtin(ProfileName::Hardened).without(Defense::CsrfToken),
        builtin(ProfileName::Hardened)
            .without(Defense::SignedCookie)
            .without(Defense::CsrfToken),
        builtin(ProfileName::Hardened),
    ] {
        let planted = Id(0x0bad_5eed_0000_0000_0000_0000_0000_0001);
        let (router, info) = app(&profile);
        let cookie_value = match &info.signing_key {
            Some(key) => signed_value(key, info.session_cookie_name, &planted.to_string()),
            None => planted.to_string(),
        };
        let attempts = [
            ("POST", "/login", Some("username=alice&password=wonderland")),
            ("POST", "/login", Some("username=alice&password=wrong")),
            ("POST", "/logout", None),
            ("GET", "/logout", None),
            ("GET", "/login", None),
            ("GET", "/account", None),
        ];
        for (method, path, form) in attempts {
            let mut visitor = Visitor::new(&router, &info);
            visitor.cookie = Some(cookie_value.clone());
            let reply = visitor.request(method, path, form).await;
            assert!(
                !reply.status.is_server_error(),
                "{} {method} {path}: {}",
                profile.label(),
                reply.status
            );
            assert!(
                !info.store.holds(&planted).await,
                "{} {method} {path} stored the planted ID",
                profile.label()
            );
            for set_cookie in reply.headers.get_all("set-cookie") {
                let set_cookie = set_cookie.to_str().unwrap_or_default();
                assert!(
                    !set_cookie.contains(&planted.to_string()),
                    "{} {method} {path} sent the planted ID back: {set_cookie}",
                    profile.label()
                );
            }
            if method == "POST" && profile.has(Defense::CsrfToken) {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
            } else if path == "/login" && form.is_some_and(|f| f.ends_with("wonderland")) {
                assert_eq!(reply.status, StatusCode::SEE_OTHER);
                let issued = session_id(visitor.cookie.as_deref().expect("a new cookie"));
                assert_ne!(issued, planted);
                assert!(info.store.holds(&issued).await);
            }
        }
    }
}

/// Logging out a real session with the hardened profile deletes it.
#[tokio::test]
async fn hardened_logout_deletes_the_session() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut visitor = Visitor::new(&router, &info);
    visitor.log_in_as_alice().await;
    let id = session_id(visitor.cookie.as_deref().expect("cookie"));
    assert!(info.store.holds(&id).await);
    visitor.post("/logout", "").await;
    assert!(!info.store.holds(&id).await);
}
