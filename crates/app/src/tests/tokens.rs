//! Client-side sessions through the app: the token a login hands out, what
//! the verifier believes (`pinned-algorithm`), which key signs it
//! (`secret-from-env`), and that `server-side-sessions` hands out none.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Reply, builtin, private_note, send};
use crate::app::{AppInfo, build_app, build_router_with_session_secret};
use crate::bounds::Limits;
use crate::defenses::secret_from_env::SEED_SECRET;
use crate::store::{LabStore, StoreChoice, StoreKind};
use crate::token::{self, Claims, TokenKey};
use crate::{Defense, LabClock, Profile, ProfileName};

async fn get_with_cookie(router: &Router, path: &str, cookie: &str) -> Reply {
    let request = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    send(router, request).await
}

/// Logs `username` in; the `token=...` value the app set, if any.
async fn token_after_login(router: &Router, username: &str, password: &str) -> Option<String> {
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username={username}&password={password}"
        )))
        .expect("request");
    let reply = send(router, request).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let set_cookie = reply.set_cookie("token")?;
    let value = set_cookie.strip_prefix("token=")?.split(';').next()?;
    Some(value.to_owned())
}

fn alg_none(sub: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{sub}","iat":0}}"#));
    format!("{header}.{payload}.")
}

fn app(profile: Profile) -> (Router, AppInfo) {
    build_router_with_session_secret(&profile, None)
}

#[tokio::test]
async fn a_login_hands_out_a_token_signed_with_the_seed_secret_and_it_alone_signs_in() {
    let (router, _info) = app(builtin(ProfileName::Insecure));
    let token = token_after_login(&router, "bob", "builder")
        .await
        .expect("a token");
    let parts = token::split(&token).expect("a JWT");
    assert_eq!(parts.claims.sub, "bob");
    let seed = TokenKey::new(SEED_SECRET.as_bytes());
    assert!(token::hs256_verifies(
        &seed,
        parts.signing_input,
        &parts.signature
    ));
    // The token alone, with no session cookie, opens bob's account.
    let page = get_with_cookie(&router, "/account", &format!("token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(private_note(&page.body).is_some());
}

#[tokio::test]
async fn alg_none_is_believed_only_by_the_trusting_verifier() {
    let (router, _) = app(builtin(ProfileName::Insecure));
    let page = get_with_cookie(&router, "/account", &format!("token={}", alg_none("alice"))).await;
    assert_eq!(page.status, StatusCode::OK, "the weakness believes it");
    assert!(private_note(&page.body).is_some());

    let (router, _) = app(builtin(ProfileName::Insecure).with(Defense::PinnedAlgorithm));
    let page = get_with_cookie(&router, "/account", &format!("token={}", alg_none("alice"))).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "pinned: no signature, no login"
    );
    // A correctly signed HS256 token still works when pinned.
    let bob = token::sign(
        &Claims {
            sub: "bob".into(),
            iat: 0,
        },
        &TokenKey::new(SEED_SECRET.as_bytes()),
    );
    let page = get_with_cookie(&router, "/account", &format!("token={bob}")).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn with_secret_from_env_the_seed_secret_signs_nothing_the_app_believes() {
    let (router, _) = app(builtin(ProfileName::Insecure).with(Defense::SecretFromEnv));
    let token = token_after_login(&router, "bob", "builder")
        .await
        .expect("a token");
    let parts = token::split(&token).expect("a JWT");
    let seed = TokenKey::new(SEED_SECRET.as_bytes());
    assert!(!token::hs256_verifies(
        &seed,
        parts.signing_input,
        &parts.signature
    ));
    let forged = token::sign(
        &Claims {
            sub: "alice".into(),
            iat: 0,
        },
        &seed,
    );
    let page = get_with_cookie(&router, "/account", &format!("token={forged}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn server_side_sessions_hand_out_no_token_and_read_none() {
    let (router, info) = app(builtin(ProfileName::Tutorial));
    assert!(
        token_after_login(&router, "bob", "anything")
            .await
            .is_none()
    );
    let _ = info;
    let page = get_with_cookie(&router, "/account", &format!("token={}", alg_none("alice"))).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_generated_token_key_is_kept_in_a_durable_store() {
    let path = std::env::temp_dir().join(format!(
        "sessionlab-token-key-{}-{:x}.db",
        std::process::id(),
        rand::random::<u64>()
    ));
    let profile = builtin(ProfileName::Insecure).with(Defense::SecretFromEnv);
    let start = || async {
        let clock = LabClock::new();
        let choice = StoreChoice {
            kind: StoreKind::Sqlite(path.clone()),
            shared_as: Some("insecure".into()),
        };
        let store = LabStore::open(&profile, clock.clone(), 1000, &choice)
            .await
            .expect("open");
        let key = store.kept_signing_key().await.expect("key");
        build_app(
            &profile,
            None,
            None,
            Limits::default(),
            store,
            clock,
            crate::app::Joined {
                key: Some(key),
                ..crate::app::Joined::default()
            },
        )
    };
    let (router, _) = start().await;
    let token = token_after_login(&router, "bob", "builder")
        .await
        .expect("a token");
    drop(router);
    // Restarted on the same file: the token still verifies.
    let (router, _) = start().await;
    let page = get_with_cookie(&router, "/account", &format!("token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
