//! Bad input never yields a 5xx, in any profile: malformed forms are axum 4xx
//! rejections, bodies are limited, malformed cookies get a 400 that clears
//! them, and well-formed IDs naming no session mean a fresh anonymous session.

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use tower_sessions::session::Id;

use super::*;
use crate::Defense;
use crate::defenses::signed_cookie;
use crate::malformed_cookies::is_shaped_like_an_id;

fn form_request(path: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut request = Request::builder().method("POST").uri(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(Body::from(body)).expect("request")
}

fn with_cookie_bytes(method: &str, path: &str, cookie: &[u8]) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .expect("request");
    // `http` refuses control characters in a header (so does hyper, with its
    // own 400); bytes 0x80-0xFF do get through, and must be checked by the app.
    let value = HeaderValue::from_bytes(cookie).expect("a header value http accepts");
    request.headers_mut().insert(header::COOKIE, value);
    request
}

fn get_with_cookie_bytes(path: &str, cookie: &[u8]) -> Request<Body> {
    with_cookie_bytes("GET", path, cookie)
}

/// The built-in profiles, plus the two other name/signing combinations:
/// `__Host-connect.sid` (tutorial +host-prefix) and an unsigned `__Host-sid`.
fn profiles_to_check() -> Vec<Profile> {
    let mut profiles: Vec<Profile> = ProfileName::ALL.into_iter().map(builtin).collect();
    profiles.push(builtin(ProfileName::Tutorial).with(Defense::HostPrefix));
    profiles.push(builtin(ProfileName::Hardened).without(Defense::SignedCookie));
    profiles
}

/// A session cookie value of the right shape for the app, naming no session:
/// a random ID, signed with the app's key when the app signs.
fn unknown_but_well_formed(info: &AppInfo) -> String {
    let id = Id::default().to_string();
    match &info.signing_key {
        Some(key) => signed_value(key, info.session_cookie_name, &id),
        None => id,
    }
}

/// What `reply` must be for a malformed cookie: 400, no-store, a body naming
/// the problem, and a removal `Set-Cookie` for `cleared` (Secure if `secure`).
fn assert_refused_and_cleared(reply: &Reply, cleared: &str, secure: bool, label: &str) {
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "{label}: {}",
        reply.body
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{label}");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "{label}"
    );
    assert!(
        reply.body.contains(&format!("`{cleared}`")) && reply.body.contains("reload the page"),
        "{label}: {}",
        reply.body
    );
    let expected = if secure {
        format!("{cleared}=; Max-Age=0; Path=/; Secure")
    } else {
        format!("{cleared}=; Max-Age=0; Path=/")
    };
    assert_eq!(reply.set_cookie(cleared), Some(expected), "{label}");
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn malformed_forms_and_bodies_get_4xx_in_every_profile() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        let alice_cookie = format!(
            "{}={}",
            info.session_cookie_name,
            alice.cookie.clone().unwrap_or_default()
        );

        let cases: Vec<(&str, Request<Body>, Option<StatusCode>)> = vec![
            (
                "login text/plain",
                form_request(
                    "/login",
                    Some("text/plain"),
                    b"username=a&password=b".to_vec(),
                ),
                Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ),
            (
                "login no content-type",
                form_request("/login", None, b"username=a&password=b".to_vec()),
                Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ),
            (
                "login json",
                form_request(
                    "/login",
                    Some("application/json"),
                    br#"{"username":"alice"}"#.to_vec(),
                ),
                Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ),
            (
                "login missing password",
                form_request("/login", Some(FORM), b"username=alice".to_vec()),
                Some(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                "login empty body",
                form_request("/login", Some(FORM), Vec::new()),
                Some(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                "login bad percent-encoding",
                form_request(
                    "/login",
                    Some(FORM),
                    b"username=%FF%FE&password=%C3%".to_vec(),
                ),
                // Refused by name (hygiene/form_fields.rs), not read as U+FFFD.
                Some(StatusCode::BAD_REQUEST),
            ),
            (
                "login raw non-UTF-8",
                form_request(
                    "/login",
                    Some(FORM),
                    b"username=\xff\xfe&password=\xc3".to_vec(),
                ),
                None,
            ),
            (
                "login duplicated fields",
                form_request(
                    "/login",
                    Some(FORM),
                    b"username=a&username=b&password=c".to_vec(),
                ),
                None,
            ),
            (
                "login 20 KiB",
                form_request("/login", Some(FORM), vec![b'a'; 20 * 1024]),
                Some(StatusCode::PAYLOAD_TOO_LARGE),
            ),
            (
                "guestbook anonymous missing field",
                form_request("/guestbook", Some(FORM), b"text=hi".to_vec()),
                Some(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                "unknown method",
                Request::builder()
                    .method("DELETE")
                    .uri("/")
                    .body(Body::empty())
                    .expect("request"),
                Some(StatusCode::METHOD_NOT_ALLOWED),
            ),
            (
                "odd path",
                Request::builder()
                    .uri("/%FF%00/..//login")
                    .body(Body::empty())
                    .expect("request"),
                Some(StatusCode::NOT_FOUND),
            ),
        ];
        // With csrf-token, an unsafe request from a session that showed no form
        // stops at 403 before any handler reads it (only the outer 413 comes first).
        let token_first = builtin(name).has(Defense::CsrfToken);
        for (label, request, expected) in cases {
            let expected = match expected {
                Some(status)
                    if token_first
                        && !request.method().is_safe()
                        && status != StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    Some(StatusCode::FORBIDDEN)
                }
                other => other,
            };
            let reply = send(&router, request).await;
            assert!(
                !reply.status.is_server_error(),
                "{name} {label}: {}",
                reply.status
            );
            if let Some(expected) = expected {
                assert_eq!(reply.status, expected, "{name} {label}");
            }
        }

        // Signed-in bad input on the guestbook, with the form's token where there is one:
        // past the token check, the handler's own answers. A multipart body hides the
        // token from the check, which then refuses it.
        let token = alice
            .csrf_token
            .as_ref()
            .map(|token| format!("&csrf_token={token}"))
            .unwrap_or_default();
        let multipart = if token_first {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        };
        let too_long = format!("message={}", "x".repeat(2001));
        for (label, content_type, body, expected) in [
            (
                "missing message",
                Some(FORM),
                b"msg=x".to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "empty message",
                Some(FORM),
                b"message=".to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "2001 characters",
                Some(FORM),
                too_long.into_bytes(),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "wrong content type",
                Some("multipart/form-data"),
                b"message=x".to_vec(),
                multipart,
            ),
            (
                "17 KiB",
                Some(FORM),
                vec![b'm'; 17 * 1024],
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (
                "non-UTF-8 message",
                Some(FORM),
                b"message=\xff\xfe%FF".to_vec(),
                // Refused by name (hygiene/form_fields.rs), not stored as U+FFFD.
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let body = [body, token.clone().into_bytes()].concat();
            let mut request = form_request("/guestbook", content_type, body);
            request.headers_mut().insert(
                header::COOKIE,
                HeaderValue::from_str(&alice_cookie).expect("cookie"),
            );
            let reply = send(&router, request).await;
            assert_eq!(reply.status, expected, "{name} guestbook {label}");
        }
    }
}

#[tokio::test]
async fn malformed_cookies_get_400_and_are_cleared_in_every_profile() {
    for profile in profiles_to_check() {
        let label = profile.label();
        let (router, info) = app(&profile);
        let cookie = info.session_cookie_name;
        let secure = profile.has(Defense::SecureCookie) || cookie.starts_with("__Host-");
        let signed = info.signing_key.is_some();
        let good = unknown_but_well_formed(&info);
        let id = Id::default().to_string();
        let fake_signature = if signed {
            format!("{}=", "A".repeat(43))
        } else {
            String::new()
        };
        // The other kind of value: signed where the app does not sign, and vice versa.
        let other_kind = match info.signing_key {
            Some(_) => id.clone(),
            None => format!("{}={id}", "A".repeat(43)),
        };
        let values = [
            "garbage".to_owned(),
            "!!!***".to_owned(),
            "%%%%".to_owned(),
            String::new(),
            "A".repeat(8 * 1024),
            "A".repeat(63),
            "\"quoted\"".to_owned(),
            other_kind,
            good[1..].to_owned(),
            format!("{good}A"),
            format!("{}.", &good[..good.len() - 1]),
            format!("%{}", &good[1..]),
            format!("{}{}", "A".repeat(44), id), // a signature without its `=`
            format!("{}-={id}", "A".repeat(42)), // a base64url character in it
            // Shaped like an ID, but the last character has stray bits: no `Id` parses from it.
            format!("{fake_signature}{}B", "A".repeat(21)),
        ];
        let mut unverifiable: Vec<Vec<u8>> = values
            .iter()
            .map(|value| format!("{cookie}={value}").into_bytes())
            .collect();
        // Several cookies of that name: each is checked, a good one does not excuse a bad one.
        unverifiable.push(format!("{cookie}=a; {cookie}=b; {cookie}=c").into_bytes());
        unverifiable.push(format!("{cookie}={good}; theme=dark; {cookie}=bad").into_bytes());
        unverifiable.push(format!("{cookie}=bad; {cookie}={good}").into_bytes());
        let bad_bytes: Vec<Vec<u8>> = vec![
            [format!("{cookie}=").as_bytes(), b"\xff\xfe\x80\xc3"].concat(),
            [format!("{cookie}={good}").as_bytes(), b"\xe2\x82"].concat(),
        ];

        // The tutorial, like express-session, ignores a session cookie it
        // cannot verify: a fresh anonymous session, never a 4xx or 5xx.
        let refused: Vec<Vec<u8>> = if signed_cookie::ignores_unverifiable_cookies(&profile) {
            for raw in &unverifiable {
                let shown: String = String::from_utf8_lossy(raw).chars().take(60).collect();
                let reply = send(&router, get_with_cookie_bytes("/login", raw)).await;
                assert_eq!(reply.status, StatusCode::OK, "{label} {shown:?}");
                let issued = reply.cookie_value(cookie).expect("a fresh session cookie");
                assert!(is_shaped_like_an_id(&issued, signed), "{label} {shown:?}");
                assert!(
                    !String::from_utf8_lossy(raw).contains(&issued),
                    "{label} {shown:?}: a fresh session"
                );
                for path in ["/", "/guestbook", "/logout", "/style.css"] {
                    let reply = send(&router, get_with_cookie_bytes(path, raw)).await;
                    assert!(
                        !reply.status.is_client_error() && !reply.status.is_server_error(),
                        "{label} {path} {shown:?}: {}",
                        reply.status
                    );
                }
                let reply = send(&router, get_with_cookie_bytes("/account", raw)).await;
                assert_eq!(reply.location(), Some("/login"), "{label} {shown:?}");
            }
            bad_bytes
        } else {
            unverifiable.into_iter().chain(bad_bytes).collect()
        };

        for raw in &refused {
            let shown: String = String::from_utf8_lossy(raw).chars().take(60).collect();
            for path in [
                "/",
                "/login",
                "/account",
                "/guestbook",
                "/logout",
                "/nope",
                "/style.css",
            ] {
                let reply = send(&router, get_with_cookie_bytes(path, raw)).await;
                assert_refused_and_cleared(
                    &reply,
                    cookie,
                    secure,
                    &format!("{label} {path} {shown:?}"),
                );
            }
            let reply = send(&router, with_cookie_bytes("POST", "/login", raw)).await;
            assert_refused_and_cleared(&reply, cookie, secure, &format!("{label} POST {shown:?}"));
        }

        // Bad bytes in another cookie: that one is cleared (the session cookie is fine).
        let raw = [format!("{cookie}={good}; other=").as_bytes(), b"\xe2\x82"].concat();
        let reply = send(&router, get_with_cookie_bytes("/login", &raw)).await;
        assert_refused_and_cleared(&reply, "other", secure, &label);
        assert_eq!(
            reply.set_cookie(cookie),
            None,
            "{label}: only `other` is cleared"
        );

        // A garbled name cannot be named in a Set-Cookie: Clear-Site-Data instead.
        let reply = send(&router, get_with_cookie_bytes("/", b"\xff\xfe=\xc3\x28")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{label}");
        assert_eq!(
            reply.header("clear-site-data"),
            Some("\"cookies\""),
            "{label}"
        );
        assert!(reply.headers.get(header::SET_COOKIE).is_none(), "{label}");

        // The session cookie under a percent-escaped name, which tower-cookies
        // would decode (a `__Host%2Dsid` escapes the browser's prefix rules).
        let alias = cookie.replacen('-', "%2D", 1).replacen('s', "%73", 1);
        let raw = format!("{alias}={good}").into_bytes();
        let reply = send(&router, get_with_cookie_bytes("/account", &raw)).await;
        assert_refused_and_cleared(&reply, &alias, secure, &format!("{label} {alias}"));
    }
}

#[tokio::test]
async fn well_formed_cookies_naming_no_session_mean_a_fresh_anonymous_session() {
    for profile in profiles_to_check() {
        let label = profile.label();
        let (router, info) = app(&profile);
        let cookie = info.session_cookie_name;
        let signed = info.signing_key.is_some();
        // Random IDs: each used once, as the insecure profile adopts (stores)
        // a parseable ID at its first GET /login.
        let fresh = || unknown_but_well_formed(&info);
        let fake_signature = if signed {
            format!("{}=", "A".repeat(43))
        } else {
            String::new()
        };
        let mut values = vec![];
        if signed {
            // Wrongly signed.
            values.push(format!("{fake_signature}{}", Id(7)));
            values.push(format!("{}+/A={}", "A".repeat(40), Id::default()));
        }
        let mut several = vec![fresh(), fresh()];
        several.extend(values.iter().cloned());
        let several: Vec<String> = several.iter().map(|v| format!("{cookie}={v}")).collect();
        let mut cookies: Vec<String> = values.iter().map(|v| format!("{cookie}={v}")).collect();
        cookies.push(format!("{cookie}={}", fresh()));
        cookies.push(several.join("; "));
        // Junk in other cookies is not this app's business (only its bytes are).
        cookies.push(format!("theme=dark; {cookie}={}", fresh()));
        cookies.push(";;;=;=x; ;".to_owned());
        cookies.push("other=whatever; flag".to_owned());

        for raw in &cookies {
            // GET /login first, before the insecure profile has adopted the ID:
            // it issues a session cookie of the right shape; with strict-ids a
            // fresh ID, none the request named (without, a parseable ID is
            // adopted: the insecure profile's weakness, see defenses.rs).
            let reply = send(&router, get_with_cookie_bytes("/login", raw.as_bytes())).await;
            let issued = reply.cookie_value(cookie).expect("a session cookie");
            assert!(
                is_shaped_like_an_id(&issued, signed),
                "{label} {raw:?} -> {issued}"
            );
            if profile.has(Defense::StrictIds) {
                let issued_id = session_id(&issued).to_string();
                assert!(!raw.contains(&issued_id), "{label} {raw:?} -> {issued}");
            }
            for path in ["/", "/login", "/account", "/guestbook", "/logout", "/nope"] {
                let reply = send(&router, get_with_cookie_bytes(path, raw.as_bytes())).await;
                let expected_4xx = path == "/nope"; // the page does not exist: 404
                assert!(
                    reply.status.is_client_error() == expected_4xx
                        && !reply.status.is_server_error(),
                    "{label} {path} {raw:?}: {} {}",
                    reply.status,
                    reply.body
                );
                if path == "/account" {
                    assert_eq!(
                        reply.location(),
                        Some("/login"),
                        "{label} {raw:?}: anonymous"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn sid_in_the_url_is_ignored_unless_shaped_like_an_id() {
    let not_ids = [
        "sid=%FF%FE",
        "sid=a;b=c",
        "sid=a%3Bb%3Dc",
        "sid=",
        "sid=x&sid=y",
        "sid=%0d%0aSet-Cookie:x",
        "sid=garbage",
    ];
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        // Never a 5xx, and the visitor's own session survives: an odd `?sid=`
        // is ignored by the insecure profile and never read by the others.
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        let own = alice.cookie.clone();
        for query in not_ids {
            let reply = alice.get(&format!("/account?{query}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{name} ?{query}");
            assert_eq!(alice.cookie, own, "{name} ?{query}");
            let reply = Visitor::new(&router, &info)
                .get(&format!("/login?{query}"))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{name} ?{query}");
        }
        let long_sid = format!("/login?sid={}", "B".repeat(10_000));
        let reply = Visitor::new(&router, &info).get(&long_sid).await;
        assert!(!reply.status.is_server_error(), "{name} long ?sid=");
    }
    // In the insecure profile an ID-shaped `?sid=` is taken (the weakness; see defenses.rs).
    let (router, info) = app(&builtin(ProfileName::Insecure));
    let planted = Id(4242).to_string();
    let reply = Visitor::new(&router, &info)
        .get(&format!("/login?sid={planted}"))
        .await;
    assert_eq!(reply.cookie_value("sid"), Some(planted));
}

/// Every base64url character.
const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[tokio::test]
async fn a_hand_typed_id_is_adopted_or_refused_with_a_reason() {
    // 22 characters hold 132 bits, an ID 128: only a last character whose 4
    // spare bits are zero decodes (A, Q, g, w). The insecure profile adopts
    // such an ID (no strict-ids); any other gets a 400 that says why, never a
    // silently different session.
    let (router, info) = app(&builtin(ProfileName::Insecure));
    let cookie = info.session_cookie_name;
    let mut adopted = Vec::new();
    for last in BASE64URL.chars() {
        for (prefix, in_url) in [
            ("HandTypedSessionIdXyz", false),
            ("UrlTypedSessionIdXyzA", true),
        ] {
            let typed = format!("{prefix}{last}");
            let reply = if in_url {
                Visitor::new(&router, &info)
                    .get(&format!("/login?sid={typed}"))
                    .await
            } else {
                let raw = format!("{cookie}={typed}");
                send(&router, get_with_cookie_bytes("/login", raw.as_bytes())).await
            };
            if typed.parse::<Id>().is_ok() {
                assert_eq!(reply.status, StatusCode::OK, "{typed}");
                assert_eq!(reply.cookie_value(cookie), Some(typed.clone()), "adopted");
                if !in_url {
                    adopted.push(last);
                }
            } else if in_url {
                assert_eq!(reply.status, StatusCode::BAD_REQUEST, "?sid={typed}");
                assert!(
                    reply.body.starts_with("The ?sid= parameter is malformed")
                        && reply.body.contains("spare bits"),
                    "{}",
                    reply.body
                );
            } else {
                assert_refused_and_cleared(&reply, cookie, false, &typed);
                assert!(reply.body.contains("spare bits"), "{}", reply.body);
            }
        }
    }
    assert_eq!(adopted, ['A', 'Q', 'g', 'w']);
}

#[tokio::test]
async fn an_unverifiable_cookie_is_ignored_by_the_tutorial_and_refused_by_hardened() {
    for name in [ProfileName::Tutorial, ProfileName::Hardened] {
        let (router, info) = app(&builtin(name));
        let cookie = info.session_cookie_name;
        let id = Id::default().to_string();
        let key = info.signing_key.clone().expect("both sign");
        let values = [
            // No signature at all: express-session's "cookie unsigned".
            id.clone(),
            // A signature made with another key: "cookie signature invalid".
            signed_value(&signed_cookie::random_key(), cookie, &id),
            // Not even shaped like a cookie this app signs.
            "s:garbage.signature".to_owned(),
        ];
        for value in values {
            let raw = format!("{cookie}={value}");
            let reply = send(&router, get_with_cookie_bytes("/login", raw.as_bytes())).await;
            // A wrong signature on a well-shaped value is ignored everywhere.
            let well_shaped = is_shaped_like_an_id(&value, true);
            if name == ProfileName::Tutorial || well_shaped {
                assert_eq!(reply.status, StatusCode::OK, "{name} {value}");
                let issued = reply.cookie_value(cookie).expect("a fresh session");
                assert_ne!(issued, value, "{name}");
                assert!(is_shaped_like_an_id(&issued, true), "{name} {issued}");
                let reply = send(&router, get_with_cookie_bytes("/account", raw.as_bytes())).await;
                assert_eq!(
                    reply.location(),
                    Some("/login"),
                    "{name} {value}: anonymous"
                );
            } else {
                assert_refused_and_cleared(&reply, cookie, true, &format!("{name} {value}"));
            }
        }
        // The app's own signature still works, in both.
        let mut visitor = Visitor::new(&router, &info);
        visitor.log_in_as_alice().await;
        let own = visitor.cookie.clone().expect("cookie");
        assert_eq!(
            own,
            signed_value(&key, cookie, &session_id(&own).to_string())
        );
    }
}
