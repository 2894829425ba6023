//! Bad input never yields a 5xx, in any profile: malformed forms are axum 4xx
//! rejections, bodies are limited, malformed session cookies just mean a
//! fresh anonymous session.

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};

use super::*;

fn form_request(path: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut request = Request::builder().method("POST").uri(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(Body::from(body)).expect("request")
}

fn get_with_cookie_bytes(path: &str, cookie: &[u8]) -> Request<Body> {
    let mut request = Request::builder()
        .uri(path)
        .body(Body::empty())
        .expect("request");
    if let Ok(value) = HeaderValue::from_bytes(cookie) {
        request.headers_mut().insert(header::COOKIE, value);
    }
    request
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
                Some(StatusCode::UNAUTHORIZED),
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
        for (label, request, expected) in cases {
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

        // Signed-in bad input on the guestbook.
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
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
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
                StatusCode::SEE_OTHER,
            ),
        ] {
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
async fn malformed_session_cookies_mean_a_fresh_anonymous_session_in_every_profile() {
    for name in ProfileName::ALL {
        let profile = builtin(name);
        let (router, info) = app(&profile);
        let cookie = info.session_cookie_name;
        let long_value = "A".repeat(8 * 1024);
        let wrong_signature = format!("{}{}", "A".repeat(43) + "=", tower_sessions::session::Id(7));
        let cookies: Vec<Vec<u8>> = vec![
            format!("{cookie}=garbage").into_bytes(),
            format!("{cookie}=!!!***").into_bytes(),
            format!("{cookie}=%%%%").into_bytes(),
            format!("{cookie}=").into_bytes(),
            format!("{cookie}={long_value}").into_bytes(),
            format!("{cookie}={wrong_signature}").into_bytes(),
            format!("{cookie}=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                .into_bytes(),
            format!("{cookie}=a; {cookie}=b; {cookie}=c").into_bytes(),
            format!("{cookie}=\"quoted\"").into_bytes(),
            b";;;=;=x; ;".to_vec(),
            [
                format!("{cookie}=").into_bytes(),
                vec![0xff, 0xfe, 0x80, 0xc3],
            ]
            .concat(),
            vec![0xff, 0xfe, b'=', 0xc3, 0x28],
        ];
        for raw in cookies {
            let shown = String::from_utf8_lossy(&raw)
                .chars()
                .take(60)
                .collect::<String>();
            for path in ["/", "/login", "/account", "/guestbook", "/logout", "/nope"] {
                let reply = send(&router, get_with_cookie_bytes(path, &raw)).await;
                assert!(
                    !reply.status.is_server_error(),
                    "{name} {path} {shown:?}: {}",
                    reply.status
                );
                if path == "/account" {
                    assert_eq!(
                        reply.location(),
                        Some("/login"),
                        "{name} {shown:?}: anonymous"
                    );
                }
            }
            // GET /login issues a fresh session, not the malformed value.
            let reply = send(&router, get_with_cookie_bytes("/login", &raw)).await;
            let issued = reply.cookie_value(cookie).expect("a fresh session cookie");
            assert!(
                !issued.is_empty() && !raw.ends_with(issued.as_bytes()),
                "{name} {shown:?} -> {issued}"
            );
        }

        // `?sid=` values that are not cookie-safe are ignored (insecure) or never read.
        for query in [
            "sid=%FF%FE",
            "sid=a;b=c",
            "sid=a%3Bb%3Dc",
            "sid=",
            "sid=x&sid=y",
            "sid=%0d%0aSet-Cookie:x",
        ] {
            let reply = send(
                &router,
                Request::builder()
                    .uri(format!("/login?{query}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
            assert_eq!(reply.status, StatusCode::OK, "{name} ?{query}");
        }
        let long_sid = format!("/login?sid={}", "B".repeat(10_000));
        let reply = send(
            &router,
            Request::builder()
                .uri(long_sid)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert!(!reply.status.is_server_error(), "{name} long ?sid=");
    }
}
