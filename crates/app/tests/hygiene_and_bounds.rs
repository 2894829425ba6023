//! HTTP hygiene and bounds against a real server on 127.0.0.1 (issue 14):
//! the `Host` rules, the redirect's own host, the security headers on the
//! app's refusals, the request deadline, the connection cap, the cookie cap.

mod common;

use std::time::{Duration, Instant};

use common::{header, plain, serve, to_app};
use sessionlab_app::{Limits, Profile, ProfileName, RunningServer, ServeOptions, start};
use tokio::net::TcpStream;

/// A short deadline, so a stalled body is cut in about a second.
const TEST_DEADLINE: Duration = Duration::from_secs(1);

async fn serve_with(name: ProfileName, limits: Limits) -> RunningServer {
    let mut options = ServeOptions::new(Profile::new(name), "127.0.0.1:0".parse().expect("addr"));
    options.limits = limits;
    start(options).await.expect("server starts")
}

fn status(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

#[tokio::test]
async fn a_request_without_host_or_with_two_gets_400_in_every_profile() {
    for name in ProfileName::ALL {
        let server = serve(name).await;
        let requests: [&[u8]; 3] = [
            b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: app.lab.test\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: alice@app.lab.test\r\nConnection: close\r\n\r\n",
        ];
        for request in requests {
            // The app itself (over TLS for hardened) and, for hardened, the plain side too.
            let mut answers = vec![to_app(&server, request).await];
            if name == ProfileName::Hardened {
                answers.push(plain(server.addr, request).await);
            }
            for response in answers {
                assert!(
                    status(&response).starts_with("HTTP/1.1 400"),
                    "{name}: {:?}: {}",
                    String::from_utf8_lossy(request),
                    status(&response)
                );
            }
        }
        // One Host is fine, and HTTP/1.0 may come without.
        let fine = to_app(&server, b"GET / HTTP/1.0\r\n\r\n").await;
        assert!(status(&fine).contains(" 200"), "{name}: {}", status(&fine));
        server.shutdown().await;
    }
}

#[tokio::test]
async fn the_https_redirect_names_the_apps_own_host_never_the_requests() {
    let server = serve(ProfileName::Hardened).await;
    let port = server.addr.port();
    let ask = |host: &str| {
        format!("GET /login?next=%2Faccount HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };
    for (host, expected) in [
        (
            "evil.example".to_owned(),
            format!("https://127.0.0.1:{port}/login?next=%2Faccount"),
        ),
        (
            format!("evil.example:{port}"),
            format!("https://127.0.0.1:{port}/login?next=%2Faccount"),
        ),
        (
            "10.1.2.3:443".to_owned(),
            format!("https://127.0.0.1:{port}/login?next=%2Faccount"),
        ),
        (
            format!("app.lab.test:{port}"),
            format!("https://app.lab.test:{port}/login?next=%2Faccount"),
        ),
        // A port other than the app's is not echoed either.
        (
            "localhost:1".to_owned(),
            format!("https://localhost:{port}/login?next=%2Faccount"),
        ),
    ] {
        let response = plain(server.addr, ask(&host).as_bytes()).await;
        assert!(
            status(&response).starts_with("HTTP/1.1 301"),
            "{host}: {response}"
        );
        assert_eq!(
            header(&response, "location"),
            Some(expected.as_str()),
            "{host}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_apps_refusals_carry_the_hardened_security_headers() {
    let server = serve(ProfileName::Hardened).await;
    let many_cookies: String = (0..150).map(|i| format!("c{i}=1; ")).collect();
    let refusals = [
        // A malformed session cookie.
        "GET /login HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\nCookie: __Host-sid=x\r\n\r\n"
            .to_owned(),
        // No Host.
        "GET /login HTTP/1.1\r\nConnection: close\r\n\r\n".to_owned(),
        // Too many cookies.
        format!(
            "GET /login HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\nCookie: {many_cookies}\r\n\r\n"
        ),
        // No page here.
        "GET /nowhere HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\n\r\n".to_owned(),
    ];
    for request in refusals {
        let response = to_app(&server, request.as_bytes()).await;
        assert!(
            status(&response).contains(" 4"),
            "{request}: {}",
            status(&response)
        );
        assert!(
            header(&response, "content-security-policy")
                .is_some_and(|csp| csp.contains("script-src")),
            "no CSP on {}",
            status(&response)
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            Some("no-referrer"),
            "{}",
            status(&response)
        );
        assert_eq!(
            header(&response, "strict-transport-security"),
            Some("max-age=63072000; includeSubDomains"),
            "{}",
            status(&response)
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn more_than_100_cookies_get_431_and_100_do_not() {
    let server = serve(ProfileName::Insecure).await;
    let cookies = |n: usize| -> String {
        (0..n)
            .map(|i| format!("c{i}=1"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let ask = |n: usize| {
        format!(
            "GET /login HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\nCookie: {}\r\n\r\n",
            cookies(n)
        )
    };
    let over = plain(server.addr, ask(101).as_bytes()).await;
    assert!(
        status(&over).starts_with("HTTP/1.1 431"),
        "{}",
        status(&over)
    );
    assert_eq!(header(&over, "clear-site-data"), Some("\"cookies\""));
    let at = plain(server.addr, ask(100).as_bytes()).await;
    assert!(status(&at).starts_with("HTTP/1.1 200"), "{}", status(&at));
    server.shutdown().await;
}

/// The reproduction: `Content-Length: 1000`, ten bytes, then silence.
#[tokio::test]
async fn a_stalled_body_is_answered_408_and_closed_at_the_deadline() {
    let limits = Limits {
        request_timeout: TEST_DEADLINE,
        ..Limits::default()
    };
    for name in ProfileName::ALL {
        let server = serve_with(name, limits).await;
        let host = format!("app.lab.test:{}", server.addr.port());
        // Same-origin headers, so hardened's origin check lets it reach the body.
        let request = format!(
            "POST /login HTTP/1.1\r\nHost: {host}\r\nOrigin: https://{host}\r\nSec-Fetch-Site: same-origin\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=a"
        );
        let started = Instant::now();
        let response = to_app(&server, request.as_bytes()).await;
        let elapsed = started.elapsed();
        assert!(
            status(&response).starts_with("HTTP/1.1 408"),
            "{name}: {response:?}"
        );
        assert!(
            elapsed < TEST_DEADLINE + Duration::from_secs(2),
            "{name}: closed after {elapsed:?}"
        );
        assert!(
            elapsed >= TEST_DEADLINE,
            "{name}: answered before the deadline"
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn past_the_connection_cap_a_connection_gets_503_and_a_freed_slot_is_reused() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let server = serve_with(ProfileName::Insecure, limits).await;
    let first = TcpStream::connect(server.addr).await.expect("connect");
    let second = TcpStream::connect(server.addr).await.expect("connect");
    // Give the accept loop a moment to take both.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = plain(
        server.addr,
        b"GET / HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status(&refused).starts_with("HTTP/1.1 503"), "{refused:?}");
    assert_eq!(header(&refused, "retry-after"), Some("1"));
    drop((first, second));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let again = plain(
            server.addr,
            b"GET / HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\n\r\n",
        )
        .await;
        if status(&again).starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed slots never came back: {}",
            status(&again)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.shutdown().await;
}
