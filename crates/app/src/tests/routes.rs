//! The routes of docs/architecture.md, in every profile.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::*;

#[tokio::test]
async fn every_route_answers_in_every_profile() {
    for name in ProfileName::ALL {
        let profile = builtin(name);
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);

        let home = visitor.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{name} /");
        assert!(
            home.body
                .contains(&format!("class=\"banner banner-{name}\"")),
            "{name} banner"
        );
        assert!(home.body.contains(&profile.label()));
        assert!(
            home.set_cookie(info.session_cookie_name).is_none(),
            "{name}: / issues no session"
        );

        let login = visitor.get("/login").await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(login.body.contains("action=\"/login") && login.body.contains("name=\"password\""));
        assert!(
            login.set_cookie(info.session_cookie_name).is_some(),
            "{name}: GET /login issues a session"
        );
        let again = visitor.get("/login").await;
        assert!(
            again.set_cookie(info.session_cookie_name).is_none(),
            "{name}: the same session is kept"
        );

        let account = visitor.get("/account").await;
        assert_eq!(
            (account.status, account.location()),
            (StatusCode::SEE_OTHER, Some("/login"))
        );

        let guestbook = visitor.get("/guestbook").await;
        assert_eq!(guestbook.status, StatusCode::OK);
        assert!(
            !guestbook.body.contains("<textarea"),
            "{name}: no form for anonymous visitors"
        );
        let anonymous_post = visitor.post("/guestbook", "message=hi").await;
        assert_eq!(
            (anonymous_post.status, anonymous_post.location()),
            (StatusCode::SEE_OTHER, Some("/login"))
        );

        let wrong = visitor.post("/login", "username=alice&password=nope").await;
        if profile.has(crate::Defense::PasswordCheck) {
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
            assert!(
                wrong.body.contains("Wrong username or password")
                    && wrong.body.contains("action=\"/login")
            );
        } else {
            // The seed's login never reads the password (the credential-bypass lesson).
            assert_eq!(wrong.status, StatusCode::SEE_OTHER, "{name}");
        }
        let unknown = visitor
            .post("/login", "username=mallory&password=wonderland")
            .await;
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

        let login = visitor
            .post("/login", "username=alice&password=wonderland")
            .await;
        assert_eq!(
            (login.status, login.location()),
            (StatusCode::SEE_OTHER, Some("/account"))
        );
        let account = visitor.get("/account").await;
        assert_eq!(account.status, StatusCode::OK);
        assert!(account.body.contains(&format!(
            "<p id=\"{}\">alice</p>",
            sessionlab_protocol::element::USERNAME
        )));
        let note = private_note(&account.body).expect("a private note");
        assert!(note.starts_with("private note of alice #"), "{note}");
        assert!(
            account.body.contains("action=\"/logout") && account.body.contains("href=\"/guestbook")
        );

        let guestbook = visitor.get("/guestbook").await;
        assert!(
            guestbook.body.contains("<textarea") && guestbook.body.contains("name=\"message\"")
        );
        let post = visitor.post("/guestbook", "message=hello+world").await;
        assert_eq!(
            (post.status, post.location()),
            (StatusCode::SEE_OTHER, Some("/guestbook"))
        );
        let guestbook = visitor.get("/guestbook").await;
        assert!(
            guestbook.body.contains(
                "<span class=\"author\">alice</span>: <span class=\"message\">hello world</span>"
            ),
            "{}",
            guestbook.body
        );

        for method in ["GET", "POST"] {
            let mut visitor = Visitor::new(&router, &info);
            visitor.log_in_as_alice().await;
            let logout = visitor.request(method, "/logout", None).await;
            if method == "GET" && profile.has(crate::Defense::CsrfToken) {
                // A GET changes nothing: it asks, and the form posts (forgery.rs).
                assert_eq!(logout.status, StatusCode::OK, "{name} GET /logout");
                assert!(logout.body.contains("action=\"/logout"), "{name}");
                continue;
            }
            assert_eq!(
                (logout.status, logout.location()),
                (StatusCode::SEE_OTHER, Some("/")),
                "{name} {method} /logout"
            );
        }

        let json = send(
            &router,
            Request::builder()
                .uri("/.well-known/sessionlab")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(json.status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
        assert_eq!(json["profile"], name.as_str());
        assert_eq!(json["label"], profile.label());
        assert_eq!(json["session_cookie"], info.session_cookie_name);
        let defenses: Vec<&str> = profile.defenses.iter().map(|d| d.id()).collect();
        assert_eq!(json["defenses"], serde_json::json!(defenses));

        let css = send(
            &router,
            Request::builder()
                .uri("/style.css")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(
            css.header(header::CONTENT_TYPE.as_str())
                .is_some_and(|t| t.starts_with("text/css"))
        );
        assert!(css.body.contains(".banner-insecure"));

        let missing = send(
            &router,
            Request::builder()
                .uri("/admin")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_login_page_shows_the_demo_accounts_except_in_hardened() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let page = Visitor::new(&router, &info).get("/login").await;
        let shown = page.body.contains("id=\"demo-accounts\"")
            && page
                .body
                .contains("<code>alice</code> / <code>wonderland</code>")
            && page
                .body
                .contains("<code>bob</code> / <code>builder</code>");
        assert_eq!(
            shown,
            name != ProfileName::Hardened,
            "{name}: {}",
            page.body
        );
        // A wrong password shows them again, with the error.
        let mut visitor = Visitor::new(&router, &info);
        visitor.get("/login").await;
        let wrong = visitor.post("/login", "username=alice&password=nope").await;
        if name == ProfileName::Hardened {
            assert!(!wrong.body.contains("demo-accounts"), "{}", wrong.body);
        }
    }
}

#[tokio::test]
async fn bob_sees_his_own_note_not_alices() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let mut bob = Visitor::new(&router, &info);
    bob.get("/login").await;
    bob.post("/login", "username=bob&password=builder").await;
    let alice_note = private_note(&alice.get("/account").await.body)
        .expect("note")
        .to_owned();
    let bob_page = bob.get("/account").await;
    let bob_note = private_note(&bob_page.body).expect("note").to_owned();
    assert!(bob_note.starts_with("private note of bob #"));
    assert_ne!(alice_note, bob_note);
    assert!(!bob_page.body.contains(&alice_note));
}

#[tokio::test]
async fn notes_are_fresh_at_every_start() {
    let mut notes = Vec::new();
    for _ in 0..2 {
        let (router, info) = app(&builtin(ProfileName::Insecure));
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        notes.push(
            private_note(&alice.get("/account").await.body)
                .expect("note")
                .to_owned(),
        );
    }
    assert_ne!(notes[0], notes[1]);
}

#[tokio::test]
async fn no_inline_style_or_script_in_any_page() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    for path in ["/", "/login", "/account", "/guestbook", "/nope"] {
        let page = alice.get(path).await;
        assert!(
            page.body
                .contains("<link rel=\"stylesheet\" href=\"/style.css\">"),
            "{path}"
        );
        for forbidden in ["<script", "<style", "style=", "onclick", "javascript:"] {
            assert!(
                !page.body.contains(forbidden),
                "{path} contains {forbidden}"
            );
        }
    }
}

#[tokio::test]
async fn the_guestbook_keeps_the_newest_200_entries() {
    let (router, info) = app(&builtin(ProfileName::Tutorial));
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    for i in 0..205 {
        let reply = alice
            .post("/guestbook", &format!("message=entry-{i}-end"))
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
    }
    let page = alice.get("/guestbook").await;
    assert_eq!(page.body.matches("class=\"entry\"").count(), 200);
    assert!(
        !page.body.contains("entry-4-end")
            && page.body.contains("entry-5-end")
            && page.body.contains("entry-204-end")
    );
    let exactly_2000 = format!("message={}", "y".repeat(2000));
    assert_eq!(
        alice.post("/guestbook", &exactly_2000).await.status,
        StatusCode::SEE_OTHER
    );
}
