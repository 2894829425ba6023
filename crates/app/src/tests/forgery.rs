//! The CSRF surface: the settings page and `POST /account/email`, and the two
//! server-side defenses against forged requests, `csrf-token` and
//! `origin-check`, each tested with the other one off.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::*;
use crate::Defense;

const FORM: &str = "application/x-www-form-urlencoded";

/// The e-mail shown on the account page.
fn shown_email(body: &str) -> Option<&str> {
    element_text(body, sessionlab_protocol::element::EMAIL)
}

/// A form POST with the visitor's cookie and the given extra headers, sent as is.
async fn post_with_headers(
    visitor: &Visitor,
    path: &str,
    form: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, FORM);
    if let Some(cookie) = &visitor.cookie {
        request = request.header(header::COOKIE, format!("{}={cookie}", visitor.cookie_name));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(
        &visitor.router,
        request.body(Body::from(form.to_owned())).expect("request"),
    )
    .await
}

async fn email_of(visitor: &mut Visitor) -> String {
    let page = visitor.get("/account").await;
    shown_email(&page.body)
        .expect("an e-mail on the account page")
        .to_owned()
}

#[tokio::test]
async fn settings_change_the_email_in_every_profile() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut visitor = Visitor::new(&router, &info);
        let anonymous = visitor.get("/account/settings").await;
        assert_eq!(
            (anonymous.status, anonymous.location()),
            (StatusCode::SEE_OTHER, Some("/login")),
            "{name}"
        );
        visitor.get("/login").await;
        let anonymous = visitor.post("/account/email", "email=a%40b.test").await;
        assert_eq!(
            (anonymous.status, anonymous.location()),
            (StatusCode::SEE_OTHER, Some("/login")),
            "{name}"
        );

        visitor.log_in_as_alice().await;
        assert_eq!(email_of(&mut visitor).await, "alice@lab.test", "{name}");
        let settings = visitor.get("/account/settings").await;
        assert_eq!(settings.status, StatusCode::OK);
        assert!(
            settings.body.contains("action=\"/account/email")
                && settings.body.contains("value=\"alice@lab.test\""),
            "{name}: {}",
            settings.body
        );
        let saved = visitor
            .post("/account/email", "email=+alice.new%40lab.test+")
            .await;
        assert_eq!(
            (saved.status, saved.location()),
            (StatusCode::SEE_OTHER, Some("/account")),
            "{name}: {}",
            saved.body
        );
        assert_eq!(email_of(&mut visitor).await, "alice.new@lab.test", "{name}");
    }
}

#[tokio::test]
async fn malformed_email_forms_get_4xx_in_every_profile() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        let token = alice
            .csrf_token
            .as_ref()
            .map(|token| format!("&csrf_token={token}"))
            .unwrap_or_default();
        let long = format!("email={}%40lab.test", "a".repeat(250));
        for (label, body, expected) in [
            ("empty", "email=".to_owned(), 422),
            ("blank", "email=+++".to_owned(), 422),
            ("no at sign", "email=alice.lab.test".to_owned(), 422),
            ("no domain", "email=alice%40".to_owned(), 422),
            ("markup", "email=%3Cb%3E%40lab.test".to_owned(), 422),
            ("255 characters", long, 422),
            ("missing field", "mail=a%40b.test".to_owned(), 422),
            (
                "duplicated field",
                "email=a%40b.test&email=c%40d.test".to_owned(),
                422,
            ),
            ("bad percent-encoding", "email=%FF%FE".to_owned(), 400),
            ("17 KiB", format!("email={}", "a".repeat(17 * 1024)), 413),
        ] {
            let reply = alice
                .request("POST", "/account/email", Some(&format!("{body}{token}")))
                .await;
            assert_eq!(reply.status.as_u16(), expected, "{name} {label}");
        }
        // A body that is not a form: 415, or 403 where the token check cannot read it.
        let request = Request::builder()
            .method("POST")
            .uri("/account/email")
            .header(header::CONTENT_TYPE, "text/plain")
            .header(
                header::COOKIE,
                format!(
                    "{}={}",
                    info.session_cookie_name,
                    alice.cookie.clone().unwrap_or_default()
                ),
            )
            .body(Body::from(format!("email=a%40b.test{token}")))
            .expect("request");
        let reply = send(&router, request).await;
        let expected = if builtin(name).has(Defense::CsrfToken) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        };
        assert_eq!(reply.status, expected, "{name} text/plain");
        assert_eq!(
            email_of(&mut alice).await,
            "alice@lab.test",
            "{name}: unchanged"
        );
    }
}

#[tokio::test]
async fn csrf_token_refuses_forms_without_the_sessions_own_token() {
    // origin-check off, so only the token decides.
    let profile = builtin(ProfileName::Hardened).without(Defense::OriginCheck);
    let (router, info) = app(&profile);
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let mut bob = Visitor::new(&router, &info);
    bob.get("/login").await;
    bob.post("/login", "username=bob&password=builder").await;
    let bobs_token = form_token(&bob.get("/account/settings").await.body)
        .expect("bob's settings form has a token")
        .to_owned();
    let settings = alice.get("/account/settings").await;
    let alices_token = form_token(&settings.body).expect("a token").to_owned();
    assert_ne!(alices_token, bobs_token);
    assert!(
        alices_token.len() >= 43,
        "256 bits in base64url: {alices_token}"
    );

    let no_token = post_with_headers(&alice, "/account/email", "email=m%40evil.test", &[]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.body.starts_with("CSRF token missing or wrong"));
    let copied = format!("email=m%40evil.test&csrf_token={bobs_token}");
    let copied = post_with_headers(&alice, "/account/email", &copied, &[]).await;
    assert_eq!(
        copied.status,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    // Change the last character for sure (it takes only 16 values, one of them 'A').
    let last = if alices_token.ends_with('A') {
        'B'
    } else {
        'A'
    };
    let altered = format!(
        "email=m%40evil.test&csrf_token={}{last}",
        &alices_token[..42]
    );
    let altered = post_with_headers(&alice, "/account/email", &altered, &[]).await;
    assert_eq!(altered.status, StatusCode::FORBIDDEN);
    assert_eq!(email_of(&mut alice).await, "alice@lab.test");
    // The logout form is guarded the same way: without the token, alice stays signed in.
    let logout = post_with_headers(&alice, "/logout", "", &[]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert_eq!(alice.get("/account").await.status, StatusCode::OK);

    let own = format!("email=a2%40lab.test&csrf_token={alices_token}");
    let own = post_with_headers(&alice, "/account/email", &own, &[]).await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    assert_eq!(email_of(&mut alice).await, "a2@lab.test");

    // The weakness: the same forged form without a token goes through.
    let (router, info) = app(&profile.without(Defense::CsrfToken));
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let settings = alice.get("/account/settings").await;
    assert_eq!(
        form_token(&settings.body),
        None,
        "no token field without the defense"
    );
    let forged = post_with_headers(&alice, "/account/email", "email=m%40evil.test", &[]).await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
    assert_eq!(email_of(&mut alice).await, "m@evil.test");
}

#[tokio::test]
async fn login_needs_the_token_and_gets_a_new_one() {
    let (router, info) = app(&builtin(ProfileName::Hardened).without(Defense::OriginCheck));
    let mut visitor = Visitor::new(&router, &info);
    let login = visitor.get("/login").await;
    let before = form_token(&login.body)
        .expect("the login form has a token")
        .to_owned();
    // Login CSRF: another site's form cannot sign the victim in to the attacker's account.
    let forged = post_with_headers(&visitor, "/login", "username=bob&password=builder", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    visitor.log_in_as_alice().await;
    let after = visitor.csrf_token.clone().expect("a token after login");
    assert_ne!(before, after, "the login renews the token");
    let stale = format!("email=m%40evil.test&csrf_token={before}");
    let stale = post_with_headers(&visitor, "/account/email", &stale, &[]).await;
    assert_eq!(
        stale.status,
        StatusCode::FORBIDDEN,
        "a pre-login token is worthless"
    );
}

#[tokio::test]
async fn origin_check_refuses_requests_started_by_other_sites() {
    // csrf-token off, so only the origin check decides. Hardened speaks https.
    let profile = builtin(ProfileName::Hardened).without(Defense::CsrfToken);
    let (router, info) = app(&profile);
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let host = ("host", "app.lab.test:8443");
    for (label, headers) in [
        ("cross-site", vec![host, ("sec-fetch-site", "cross-site")]),
        (
            "same-site sibling",
            vec![host, ("sec-fetch-site", "same-site")],
        ),
        (
            "foreign Origin",
            vec![host, ("origin", "http://evil.test:8443")],
        ),
        (
            "sibling Origin",
            vec![host, ("origin", "https://evil.lab.test:8443")],
        ),
        (
            "plain-http Origin",
            vec![host, ("origin", "http://app.lab.test:8443")],
        ),
        ("null Origin", vec![host, ("origin", "null")]),
    ] {
        let reply =
            post_with_headers(&alice, "/account/email", "email=m%40evil.test", &headers).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}");
        assert!(
            reply.body.starts_with("Cross-origin request refused"),
            "{label}"
        );
    }
    assert_eq!(email_of(&mut alice).await, "alice@lab.test");
    for (label, headers) in [
        (
            "own page",
            vec![
                host,
                ("origin", "https://app.lab.test:8443"),
                ("sec-fetch-site", "same-origin"),
            ],
        ),
        (
            "own page, no-referrer",
            vec![host, ("origin", "null"), ("sec-fetch-site", "same-origin")],
        ),
        ("no browser headers", vec![host]),
    ] {
        let reply =
            post_with_headers(&alice, "/account/email", "email=a3%40lab.test", &headers).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{label}: {}",
            reply.body
        );
    }

    // The weakness: a cross-site POST goes through.
    let (router, info) = app(&profile.without(Defense::OriginCheck));
    let mut alice = Visitor::new(&router, &info);
    alice.log_in_as_alice().await;
    let headers = [
        host,
        ("origin", "http://evil.test:8443"),
        ("sec-fetch-site", "cross-site"),
    ];
    let reply = post_with_headers(&alice, "/account/email", "email=m%40evil.test", &headers).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(email_of(&mut alice).await, "m@evil.test");
}

/// Whether the visitor's cookie still opens alice's account.
async fn signed_in(visitor: &mut Visitor) -> bool {
    let account = visitor.get("/account").await;
    account.status == StatusCode::OK && private_note(&account.body).is_some()
}

/// With `csrf-token`, `GET` and `HEAD /logout` change nothing: the page asks,
/// and only its form (which posts the token) logs out. Without it, the seed's
/// `app.get('/logout')`: a link, or another site's `<img>`, logs out.
#[tokio::test]
async fn logout_on_get_only_without_the_csrf_token() {
    let hardened = builtin(ProfileName::Hardened);
    for (profile, get_logs_out) in [
        (hardened.clone(), false),
        (
            builtin(ProfileName::Insecure).with(Defense::CsrfToken),
            false,
        ),
        (hardened.without(Defense::CsrfToken), true),
        (builtin(ProfileName::Tutorial), true),
        (builtin(ProfileName::Insecure), true),
    ] {
        let label = profile.label();
        assert_eq!(
            crate::defenses::csrf_token::logout_needs_post(&profile),
            !get_logs_out,
            "{label}"
        );
        let (router, info) = app(&profile);
        let mut visitor = Visitor::new(&router, &info);
        visitor.log_in_as_alice().await;
        let id = session_id(visitor.cookie.as_deref().expect("a session cookie"));
        let home = visitor.get("/").await;
        assert!(
            home.body.contains("href=\"/logout"),
            "{label}: the navigation links to /logout"
        );

        let head = visitor.request("HEAD", "/logout", None).await;
        let get = visitor.get("/logout").await;
        if get_logs_out {
            assert_eq!(
                (get.status, get.location()),
                (StatusCode::SEE_OTHER, Some("/")),
                "{label}"
            );
            assert!(!signed_in(&mut visitor).await, "{label}: GET logged out");
            continue;
        }
        assert_eq!(head.status, StatusCode::OK, "{label} HEAD");
        assert_eq!(get.status, StatusCode::OK, "{label} GET");
        assert!(
            get.body.contains("<h1>Log out?</h1>")
                && get.body.contains("method=\"post\" action=\"/logout"),
            "{label}: {}",
            get.body
        );
        let token = form_token(&get.body).expect("the form carries the token");
        assert!(
            signed_in(&mut visitor).await,
            "{label}: HEAD and GET kept the session"
        );
        assert!(info.store.holds(&id).await, "{label}");

        // Another site's forged POST has no token; the page's own form has.
        let forged = post_with_headers(&visitor, "/logout", "", &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{label}");
        assert!(signed_in(&mut visitor).await, "{label}");
        let own = visitor
            .post("/logout", &format!("csrf_token={token}"))
            .await;
        assert_eq!(
            (own.status, own.location()),
            (StatusCode::SEE_OTHER, Some("/")),
            "{label}"
        );
        assert!(
            !signed_in(&mut visitor).await,
            "{label}: the form logged out"
        );
    }
}

/// Nobody signed in: the defended `GET /logout` has nothing to ask about.
#[tokio::test]
async fn get_logout_without_a_login_goes_home() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let mut visitor = Visitor::new(&router, &info);
    let reply = visitor.get("/logout").await;
    assert_eq!(
        (reply.status, reply.location()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
    assert!(reply.set_cookie(info.session_cookie_name).is_none());
}

#[tokio::test]
async fn a_real_browsers_own_login_over_plain_http_under_no_referrer_is_refused_with_the_reason() {
    // What Chromium sends for the app's own login form on http://app.lab.test
    // when the page says `Referrer-Policy: no-referrer`: `Origin: null`, and no
    // `Sec-Fetch-*` at all (they go only to https and localhost).
    let profile = builtin(ProfileName::Insecure)
        .with(Defense::OriginCheck)
        .with(Defense::ReferrerPolicy);
    let (router, info) = app(&profile);
    let mut visitor = Visitor::new(&router, &info);
    let form = visitor.get("/login").await;
    assert_eq!(form.header("referrer-policy"), Some("no-referrer"));
    let reply = post_with_headers(
        &visitor,
        "/login",
        "username=alice&password=wonderland",
        &[("host", "app.lab.test"), ("origin", "null")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let first_line = reply.body.lines().next().unwrap_or_default();
    for part in [
        "Cross-origin request refused",
        "Origin: null and no Sec-Fetch-Site",
        "over plain HTTP browsers send no Sec-Fetch-* headers",
        "Referrer-Policy: no-referrer",
    ] {
        assert!(first_line.contains(part), "{part:?} in {first_line:?}");
    }
    // The same form over https, where Sec-Fetch-Site comes along, passes.
    let reply = post_with_headers(
        &visitor,
        "/login",
        "username=alice&password=wonderland",
        &[
            ("host", "app.lab.test"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}
